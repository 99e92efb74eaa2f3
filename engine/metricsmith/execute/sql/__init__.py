"""The SQL backends: a plan lowered to sqlglot expressions, rendered for a dialect, and run on
DuckDB (in-process) or Spark.

    execute_plan_duckdb(plan, project) -> pyarrow.Table
    execute_plan_spark(plan, project, SparkOptions(...)) -> pyarrow.Table
    render_sql(plan, project, dialect) -> str

The names are imported on first use, so `import metricsmith` does not load sqlglot.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "DIALECTS": "metricsmith.execute.sql.dialects",
    "SqlDialect": "metricsmith.execute.sql.dialects",
    "UnsupportedConstruct": "metricsmith.execute.sql.errors",
    "execute_plan_duckdb": "metricsmith.execute.sql.duckdb_engine",
    "execute_plan_spark": "metricsmith.execute.sql.spark_engine",
    "SparkOptions": "metricsmith.execute.spark_session",
    "render_sql": "metricsmith.execute.sql.render",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
