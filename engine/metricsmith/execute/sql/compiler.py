"""A logical plan as one SQL query (a sqlglot expression tree), for any dialect.

The query computes the plan (plan/nodes.py) over the periods resolved for it
(plan/timeline.py) step by step, each step a common table expression:

    src_<s>     each source read once, its columns normalised (sources.py)
    ...         the level tree, each level's periods, grouped passes, cells and formulas
                (levels.py)
    (final)     the query's own periods sorted, or a row per cohort and age (final.py)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from attrs import frozen
from sqlglot import exp

from metricsmith.check.checked import CheckedProject
from metricsmith.execute.sql import final, trees
from metricsmith.execute.sql.dialects import SqlDialect
from metricsmith.execute.sql.formulas import Formula
from metricsmith.execute.sql.levels import LevelCompiler
from metricsmith.execute.sql.members import grouped_members
from metricsmith.execute.sql.names import LevelNames, source_cte
from metricsmith.execute.sql.scalar_functions import ScalarFunctions
from metricsmith.execute.sql.sources import Relation, normalised
from metricsmith.execute.sql.spine import LevelSpine
from metricsmith.plan.nodes import Plan
from metricsmith.plan.timeline import Timelines
from metricsmith.plugins.functions import AggregateFunction, ScalarFunction

#: What the read of a source selects when the query needs none of its columns (`count(s)` of
#: a source without a time column): SQL has no empty select list.
NO_COLUMN = "no_column"


@frozen
class Compilation:
    """Everything a compilation needs besides the plan."""

    project: CheckedProject
    dialect: SqlDialect
    relations: Mapping[str, Relation]
    scalar_functions: Mapping[str, ScalarFunction]
    aggregate_functions: Mapping[str, AggregateFunction]

    @property
    def functions(self) -> ScalarFunctions:
        return ScalarFunctions(self.scalar_functions)


def compile_plan(plan: Plan, timelines: Timelines, compilation: Compilation) -> exp.Select:
    """The query answering `plan` over the periods resolved for its levels."""
    names = LevelNames(0)
    top_spine = LevelSpine(
        names.spine, timelines.top, labels=plan.grain is not None, timezone=plan.calendar.timezone
    )
    formulas = [
        Formula(final.metric_column(index), metric.formula, metric.type)
        for index, metric in enumerate(plan.metrics)
    ]
    levels = LevelCompiler(plan, compilation)
    levels.level(plan.top, top_spine, names, formulas, cohort_period=plan.cohort_axis is not None)
    # The query's periods first, then the sources, then the levels.
    sources = source_ctes(plan, compilation, {read.source for read in plan.reads})
    ctes = [levels.ctes[0], *sources, *levels.ctes[1:]]
    skipped = timelines.skipped
    if plan.cohort_axis is not None:
        age_ctes, query = final.by_age(plan, skipped, timelines.output.count, compilation.dialect)
        ctes += age_ctes
    else:
        query = final.by_period(plan, skipped, compilation.dialect)
    # A source's read is a projection of its table, read by every scan of it: engines that
    # would materialise a CTE read more than once (DuckDB, PostgreSQL) are told to inline it,
    # so each scan streams the table with its own filters (DuckDB: the events of the
    # engagement scorecard were materialised for three consumers, 5.9 GB).
    # A level's members are the other way round where the dialect says so: materialised,
    # and grouped where they are read once, their rows' CTE then inlined (dialects.py).
    dialect = compilation.dialect
    inlined = {name for name, _ in sources} if dialect.not_materialized else set()
    kept: set[str] = set()
    grouped: dict[str, str] = {}
    if dialect.materialized_members:
        readers = _readers([query, *(body for _, body in ctes)])
        grouped = {name: rows for name, rows in levels.members.items() if readers[name] == 1}
        kept = set(levels.members) - set(grouped)
        inlined |= set(grouped.values()) if dialect.not_materialized else set()
    for name, body in ctes:
        if name in grouped:
            rows = grouped[name]
            query = trees.with_cte(query, rows, body, False if rows in inlined else None)
            body = grouped_members(rows)
        materialized = False if name in inlined else (True if name in kept else None)
        query = trees.with_cte(query, name, body, materialized)
    return query


def _readers(queries: list[exp.Expression]) -> Counter[str]:
    """How many times each table name is read in `queries`."""
    return Counter(table.name for query in queries for table in query.find_all(exp.Table))


def source_ctes(
    plan: Plan, compilation: Compilation, sources: set[str]
) -> list[tuple[str, exp.Select]]:
    """The normalised read of each of `sources`, named for the queries' WITH clauses."""
    ctes = []
    for read in plan.reads:
        if read.source not in sources:
            continue
        select = normalised(
            read.source,
            compilation.project.sources[read.source],
            compilation.relations[read.source],
            read.columns,
            compilation.dialect,
            plan.calendar.timezone,
        )
        if not read.columns:  # `count(s)` of a source without a time column reads no column
            select = select.select(exp.alias_(exp.true(), NO_COLUMN), copy=False)
        ctes.append((source_cte(read.source), select))
    return ctes
