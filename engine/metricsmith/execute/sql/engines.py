"""Choosing the engine a query runs on: `arrow` (embedded, the default), `duckdb` or `spark`.

The choice comes, first to last, from the call (`--engine`, `engine=`), the project's
`metricsmith.toml`, and the default:

    # metricsmith.toml, next to the .metrics files
    [engine]
    default = "duckdb"            # arrow | duckdb | spark

    [spark]
    remote = "sc://spark.internal:15002"    # Spark Connect; omit for a local session
    master = "local[4]"                     # a local session's master (default local[*])
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
from attrs import evolve, field, frozen

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import QueryError
from metricsmith.execute.sql.names import ENGINES
from metricsmith.execute.sql.options import SparkOptions
from metricsmith.plan.nodes import Plan
from metricsmith.plan.timeline import Timelines, needs_extents

SETTINGS_FILE = "metricsmith.toml"
_INSTALL = {"duckdb": "duckdb", "spark": "pyspark"}


@frozen(kw_only=True)
class EngineSettings:
    engine: str = "arrow"
    spark: SparkOptions = field(factory=SparkOptions)

    def choose(
        self, engine: str | None = None, spark_session: object | None = None
    ) -> EngineSettings:
        """These settings with a call's own choices applied."""
        chosen = evolve(self, engine=require_engine(engine or self.engine))
        if spark_session is not None:
            chosen = evolve(chosen, spark=evolve(chosen.spark, session=spark_session))
        return chosen


def require_engine(name: str) -> str:
    if name not in ENGINES:
        raise QueryError(f"unknown engine `{name}`", hint=f"use one of {', '.join(ENGINES)}")
    return name


def load_settings(project_path: str | Path) -> EngineSettings:
    """The settings in the project's metricsmith.toml (defaults when there is none)."""
    root = Path(project_path)
    folder = root if root.is_dir() else root.parent
    path = folder / SETTINGS_FILE
    if not path.is_file():
        return EngineSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise QueryError(f"{path}: {error}", hint="fix the TOML syntax") from None
    engine = _table(data, "engine", path).get("default", "arrow")
    spark = _table(data, "spark", path)
    unknown = sorted(set(spark) - {"remote", "master"})
    if unknown:
        raise QueryError(
            f"{path}: [spark] has no setting `{unknown[0]}`", hint="it accepts remote and master"
        )
    options = SparkOptions(remote=spark.get("remote"), master=spark.get("master", "local[*]"))
    return EngineSettings(engine=require_engine(str(engine)), spark=options)


def _table(data: Mapping[str, object], name: str, path: Path) -> Mapping[str, object]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise QueryError(f"{path}: `{name}` must be a table ([{name}])")
    return table


def execute(plan: Plan, project: CheckedProject, settings: EngineSettings) -> pa.Table:
    """The plan's answer on the chosen engine, after warning about suspect data it reads."""
    from metricsmith.execute.data_warnings import warn_about_data

    answer = _execute(plan, project, settings)
    warn_about_data(plan, project)
    return answer


def _execute(plan: Plan, project: CheckedProject, settings: EngineSettings) -> pa.Table:
    if settings.engine == "arrow":
        from metricsmith.execute.arrow import execute_plan

        return execute_plan(plan, project)
    _require_installed(settings.engine)
    if settings.engine == "duckdb":
        from metricsmith.execute.sql.duckdb_engine import execute_plan_duckdb

        return execute_plan_duckdb(plan, project)
    from metricsmith.execute.sql.spark_engine import execute_plan_spark

    return execute_plan_spark(plan, project, settings.spark)


def engine_timelines(plan: Plan, project: CheckedProject, settings: EngineSettings) -> Timelines:
    """The query's periods as the chosen SQL engine finds them (asking it for the data's
    extent when the range is open)."""
    _require_installed(settings.engine)
    if settings.engine == "duckdb":
        from metricsmith.execute.sql.duckdb_engine import duckdb_timelines

        return duckdb_timelines(plan, project)
    from metricsmith.execute.sql.spark_engine import spark_timelines

    return spark_timelines(plan, project, settings.spark)


def _require_installed(engine: str) -> None:
    import importlib.util

    module = _INSTALL[engine]
    if importlib.util.find_spec(module) is None:
        raise QueryError(
            f"the {engine} engine needs the `{module}` package, which is not installed",
            hint=f"pip install 'metricsmith[{engine}]'",
        )


def explain_sql(
    plan: Plan, project: CheckedProject, settings: EngineSettings, dialect: str | None
) -> str:
    """The plan's SQL, formatted, in `dialect` (default: the chosen engine's, or DuckDB's for
    the Arrow engine). An open range is resolved on the chosen SQL engine first."""
    from metricsmith.execute.sql.render import render_sql

    target = dialect or (settings.engine if settings.engine != "arrow" else "duckdb")
    timelines = None
    if needs_extents(plan) and settings.engine != "arrow":
        timelines = engine_timelines(plan, project, settings)
    return render_sql(plan, project, target, timelines)
