"""The built-in engines, registered through the same hook as a third-party plugin's engine.

`arrow` runs plans in this process with pyarrow (always available); `duckdb` and `spark`
compile them to SQL (execute/sql) and need their packages installed. The SQL engines' code is
imported when a query first runs on them (the imports inside their methods), so loading the
registry, which the command line does on every start, loads neither sqlglot nor their
packages.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import TYPE_CHECKING

from attrs import frozen

from metricsmith.errors import QueryError
from metricsmith.execute.arrow.executor import execute_plan
from metricsmith.execute.spark_session import SparkOptions
from metricsmith.plugins.connector import SourceReader, engine_table
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
        return execute_plan(plan, project)


@frozen
class DuckDBEngine:
    name: str = "duckdb"
    description: str = "DuckDB, in-process: the plan compiled to one SQL query"
    dialect: str | None = "duckdb"
    settings: tuple[str, ...] = ()

    def unavailable(self) -> str | None:
        return _missing(self.name, "duckdb")

    def execute(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> pa.Table:
        _require_installed(self.name, "duckdb")
        from metricsmith.execute.sql import duckdb_engine

        return duckdb_engine.execute_plan_duckdb(plan, project)

    def periods(self, plan: Plan, project: CheckedProject, options: Mapping[str, object]):
        _require_installed(self.name, "duckdb")
        from metricsmith.execute.sql import duckdb_engine

        return duckdb_engine.duckdb_timelines(plan, project)


@frozen
class SparkEngine:
    name: str = "spark"
    description: str = "Apache Spark (a local session, Spark Connect or the caller's own)"
    dialect: str | None = "spark"
    settings: tuple[str, ...] = ("remote", "master")

    def unavailable(self) -> str | None:
        return _missing(self.name, "pyspark")

    def reads_in_place(self, reader: SourceReader, options: Mapping[str, object]) -> bool:
        """A table of the Spark catalog (`spark_table`)."""
        return engine_table(reader, self.name) is not None

    def execute(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> pa.Table:
        _require_installed(self.name, "pyspark")
        from metricsmith.execute.sql import spark_engine

        return spark_engine.execute_plan_spark(plan, project, spark_options(options))

    def periods(self, plan: Plan, project: CheckedProject, options: Mapping[str, object]):
        _require_installed(self.name, "pyspark")
        from metricsmith.execute.sql import spark_engine

        return spark_engine.spark_timelines(plan, project, spark_options(options))


def spark_options(options: Mapping[str, object]) -> SparkOptions:
    """The Spark engine's options: `[spark] remote` and `master`, and the call's `session`."""
    remote, master = options.get("remote"), options.get("master", "local[*]")
    return SparkOptions(
        session=options.get("session"),
        remote=None if remote is None else str(remote),
        master=str(master),
    )


def _require_installed(engine: str, package: str) -> None:
    """A QueryError saying what to install when the engine's package is missing (the extra
    of metricsmith's own package is named after the engine)."""
    missing = _missing(engine, package)
    if missing is not None:
        raise QueryError(missing, hint=f"pip install 'metricsmith[{engine}]'")


def _missing(engine: str, package: str) -> str | None:
    """Why the engine cannot run here when its package is not installed, else None."""
    if importlib.util.find_spec(package) is None:
        return f"the {engine} engine needs the `{package}` package, which is not installed"
    return None


BUILTIN_ENGINES: tuple[Engine, ...] = (ArrowEngine(), DuckDBEngine(), SparkEngine())


@hookimpl
def metricsmith_engines() -> list[Engine]:
    return list(BUILTIN_ENGINES)
