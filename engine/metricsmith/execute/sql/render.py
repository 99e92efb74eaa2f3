"""SQL for reading, not running: `metricsmith explain --sql --dialect D`.

Each source is named as the runner would reach it: DuckDB reads the built-in connectors' files
itself (`read_parquet`/`read_csv`); a `spark_table` source is its catalog table; any other
source is a table named after the source, which the user maps onto their own warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import QueryError
from metricsmith.execute.sql.compiler import compile_plan
from metricsmith.execute.sql.dialects import DIALECTS, SqlDialect
from metricsmith.execute.sql.duckdb_engine import duckdb_reader
from metricsmith.execute.sql.native import native_files
from metricsmith.execute.sql.periods import timelines_from_extents
from metricsmith.execute.sql.runner import compilation_for
from metricsmith.execute.sql.sources import Relation, table_relation
from metricsmith.execute.sql.spark_table import SparkTableReader
from metricsmith.plan.nodes import Plan
from metricsmith.plan.timeline import Timelines, needs_extents


def dialect_named(name: str) -> SqlDialect:
    if name not in DIALECTS:
        raise QueryError(
            f"unknown SQL dialect `{name}`", hint=f"use one of {', '.join(sorted(DIALECTS))}"
        )
    return DIALECTS[name]


def render_sql(
    plan: Plan, project: CheckedProject, dialect: str, timelines: Timelines | None = None
) -> str:
    """The plan's query in `dialect`, formatted. `timelines` gives the periods when the range
    is open (they come from the data); a closed range needs none."""
    target = dialect_named(dialect)
    if timelines is None:
        if needs_extents(plan):
            raise QueryError(
                "this query takes the ends of its range from the data, and the SQL spells the "
                "periods out",
                hint="give the range with --from and --to (or start= and end=)",
            )
        timelines = timelines_from_extents(plan, [])
    compilation = compilation_for(target, project, reading_relations(plan, project, target))
    return target.sql(compile_plan(plan, timelines, compilation), pretty=True, copy=False)


def reading_relations(
    plan: Plan, project: CheckedProject, dialect: SqlDialect
) -> Mapping[str, Relation]:
    relations = {}
    for read in plan.reads:
        info = project.sources[read.source]
        files = native_files(info) if dialect.name == "duckdb" else None
        if files is not None:
            relations[read.source] = Relation(duckdb_reader(files), info.schema)
        elif isinstance(info.reader, SparkTableReader):
            relations[read.source] = table_relation(info.reader.table, info.schema)
        else:
            relations[read.source] = table_relation(read.source, info.schema)
    return relations
