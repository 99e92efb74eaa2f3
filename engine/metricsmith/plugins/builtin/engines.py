"""The built-in engines, registered through the same hook as a third-party plugin's engine.

`arrow` runs plans in this process with pyarrow (always available); `duckdb` and `spark`
compile them to SQL (execute/sql) and need their packages installed. Each engine's code is
imported when a query first runs on it, so loading the registry (which the command line does
on every start) loads neither sqlglot nor an engine's package.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from typing import TYPE_CHECKING

from attrs import frozen

from metricsmith.errors import QueryError
from metricsmith.execute.spark_session import SparkOptions
from metricsmith.plugins.engine import Engine
from metricsmith.plugins.hookspecs import hookimpl

if TYPE_CHECKING:
    import pyarrow as pa

    from metricsmith.check.checked import CheckedProject
    from metricsmith.plan.nodes import Plan


@frozen
class ArrowEngine:
    name: str = "arrow"
    description: str = "Embedded: pyarrow compute in this process (the default)"
    dialect: str | None = None
    settings: tuple[str, ...] = ()

    def execute(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> pa.Table:
        return _module("metricsmith.execute.arrow").execute_plan(plan, project)


@frozen
class DuckDBEngine:
    name: str = "duckdb"
    description: str = "DuckDB, in-process: the plan compiled to one SQL query"
    dialect: str | None = "duckdb"
    settings: tuple[str, ...] = ()

    def execute(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> pa.Table:
        return _sql_engine("duckdb", "duckdb_engine").execute_plan_duckdb(plan, project)

    def periods(self, plan: Plan, project: CheckedProject, options: Mapping[str, object]):
        return _sql_engine("duckdb", "duckdb_engine").duckdb_timeline(plan, project)


@frozen
class SparkEngine:
    name: str = "spark"
    description: str = "Apache Spark (a local session, Spark Connect or the caller's own)"
    dialect: str | None = "spark"
    settings: tuple[str, ...] = ("remote", "master")

    def execute(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> pa.Table:
        spark = _sql_engine("pyspark", "spark_engine")
        return spark.execute_plan_spark(plan, project, spark_options(options))

    def periods(self, plan: Plan, project: CheckedProject, options: Mapping[str, object]):
        spark = _sql_engine("pyspark", "spark_engine")
        return spark.spark_timeline(plan, project, spark_options(options))


def spark_options(options: Mapping[str, object]) -> SparkOptions:
    """The Spark engine's options: `[spark] remote` and `master`, and the call's `session`."""
    remote, master = options.get("remote"), options.get("master", "local[*]")
    return SparkOptions(
        session=options.get("session"),
        remote=None if remote is None else str(remote),
        master=str(master),
    )


def _sql_engine(package: str, module: str):
    """An engine module of execute/sql, once the package it runs on is known to be there."""
    if importlib.util.find_spec(package) is None:
        extra = {"pyspark": "spark"}.get(package, package)
        engine = module.removesuffix("_engine")
        raise QueryError(
            f"the {engine} engine needs the `{package}` package, which is not installed",
            hint=f"pip install 'metricsmith[{extra}]'",
        )
    return _module(f"metricsmith.execute.sql.{module}")


def _module(name: str):
    # Imported on first use: sqlglot, duckdb and pyspark load only for a query that needs them.
    return importlib.import_module(name)


BUILTIN_ENGINES: tuple[Engine, ...] = (ArrowEngine(), DuckDBEngine(), SparkEngine())


@hookimpl
def metricsmith_engines() -> list[Engine]:
    return list(BUILTIN_ENGINES)
