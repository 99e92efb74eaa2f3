"""SQL for reading, not running: `metricsmith explain --sql --dialect D`.

Each source is named as the runner would reach it: DuckDB reads the files a reader offers
(`native_files`, the built-in csv and parquet connectors: `read_parquet`/`read_csv`) itself; a
source whose reader names a table for the dialect's engine (`engine_table`, the catalog table
of a `spark_table` source on Spark) is that table; any other source is a table named after
the source, which the user maps onto their own warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import QueryError
from metricsmith.execute.sql.compiler import compile_plan
from metricsmith.execute.sql.dialects import DIALECTS, SqlDialect
from metricsmith.execute.sql.duckdb_engine import duckdb_reader
from metricsmith.execute.sql.parameters import listed
from metricsmith.execute.sql.periods import timelines_from_extents
from metricsmith.execute.sql.runner import compilation_for
from metricsmith.execute.sql.sources import Relation, table_relation
from metricsmith.plan.nodes import Plan
from metricsmith.plan.timeline import Timelines, needs_extents
from metricsmith.plugins.connector import engine_table, native_files


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
    query = compile_sql(plan, project, dialect, timelines)
    values = listed(query, plan.parameter_values(), plan.calendar.timezone)
    return values + target.sql(query, pretty=True, copy=False)


def compile_sql(
    plan: Plan, project: CheckedProject, dialect: str, timelines: Timelines | None = None
) -> exp.Select:
    """The plan's query in `dialect`, as `render_sql` formats it, without the formatting: a
    construct the dialect cannot express raises `UnsupportedConstruct` here already (what
    `auto` asks before choosing an engine)."""
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
    return compile_plan(plan, timelines, compilation)


def reading_relations(
    plan: Plan, project: CheckedProject, dialect: SqlDialect
) -> Mapping[str, Relation]:
    relations = {}
    for read in plan.reads:
        info = project.sources[read.source]
        files = native_files(info.reader, None) if dialect.name == "duckdb" else None
        table = engine_table(info.reader, dialect.name)
        if files is not None:
            relations[read.source] = Relation(duckdb_reader(files), info.schema)
        elif table is not None:
            relations[read.source] = table_relation(table, info.schema)
        else:
            relations[read.source] = table_relation(read.source, info.schema)
    return relations
