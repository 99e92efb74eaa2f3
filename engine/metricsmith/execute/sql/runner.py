"""Running a plan on a SQL engine: the steps every engine shares.

An engine (DuckDB, Spark) says how it reaches each source and how it runs a query; the runner
compiles the plan, checks that linked keys are unique (a repeated key would fan rows out and
inflate sums), finds the periods (asking the engine for the data's extent when the range is
open), runs the query and gives the answer the plan's result schema (`Plan.result_schema`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol

import pyarrow as pa
from sqlglot import exp

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import ArithmeticOverflow, DataError
from metricsmith.execute.data.conform import conform
from metricsmith.execute.data.settling import settle
from metricsmith.execute.data.versions import files_version, remember
from metricsmith.execute.sql import trees
from metricsmith.execute.sql.compiler import Compilation, compile_plan, source_ctes
from metricsmith.execute.sql.diagnosis import arrow_diagnosis
from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.execute.sql.errors import is_overflow
from metricsmith.execute.sql.expressions import ExpressionCompiler
from metricsmith.execute.sql.names import source_cte
from metricsmith.execute.sql.parameters import bound_values, placeholders
from metricsmith.execute.sql.periods import extents_query, timelines_from_extents
from metricsmith.execute.sql.sources import Relation, text_timestamps, zoned_text
from metricsmith.model.bound import BColumn, BExpr
from metricsmith.plan.nodes import Plan, SourceRead
from metricsmith.plan.timeline import Timelines, needs_extents

#: A query without placeholders binds no values.
NO_VALUES: Mapping[str, object] = MappingProxyType({})


class SqlEngine(Protocol):
    dialect: SqlDialect

    def relations(self, plan: Plan, project: CheckedProject) -> Mapping[str, Relation]:
        """How the engine reads each source the plan reads."""
        ...

    def fetch(
        self, query: exp.Expression, sources: str, parameters: Mapping[str, object] = NO_VALUES
    ) -> pa.Table:
        """Run a query; `sources` names the sources it reads, for data errors. `parameters`
        are the values of the query's placeholders by name (execute/sql/parameters.py), to
        bind as values, never to write into the SQL text."""
        ...


def compilation_for(
    engine_dialect: SqlDialect, project: CheckedProject, relations: Mapping[str, Relation]
) -> Compilation:
    return Compilation(
        project=project,
        dialect=engine_dialect,
        relations=relations,
        scalar_functions=project.functions.scalars,
        aggregate_functions=project.functions.aggregates,
    )


def run_plan(plan: Plan, project: CheckedProject, engine: SqlEngine) -> pa.Table:
    try:
        return _run_plan(plan, project, engine)
    except DataError as error:
        raise (arrow_diagnosis(plan, project, _linked_keys(plan)) or error) from error


def _run_plan(plan: Plan, project: CheckedProject, engine: SqlEngine) -> pa.Table:
    compilation = compilation_for(engine.dialect, project, engine.relations(plan, project))
    for source, key in _linked_keys(plan).items():
        _require_unique_key(source, key, plan, compilation, engine)
    for read in plan.reads:
        _require_one_kind_of_text_timestamp(read, compilation, engine)
    timelines = find_timelines(plan, compilation, engine)
    try:
        answer = _fetch(engine, compile_plan(plan, timelines, compilation), plan, compilation)
    except DataError as error:
        if not is_overflow(error.__cause__):
            raise
        # One query computes every metric: the engine cannot say which one overflowed.
        metrics = [metric.name for metric in plan.metrics]
        sources = [read.source for read in plan.reads]
        raise ArithmeticOverflow(metrics, sources=sources) from error
    return settle(conform(answer, plan), plan, timelines.output)


def plan_timelines(plan: Plan, project: CheckedProject, engine: SqlEngine) -> Timelines:
    """The periods of every level of the query on an engine, without running the query."""
    compilation = compilation_for(engine.dialect, project, engine.relations(plan, project))
    return find_timelines(plan, compilation, engine)


def find_timelines(plan: Plan, compilation: Compilation, engine: SqlEngine) -> Timelines:
    rows: list[tuple] = []
    query = extents_query(plan, compilation) if needs_extents(plan) else None
    if query is not None:
        rows = [tuple(row.values()) for row in _fetch(engine, query, plan, compilation).to_pylist()]
    return timelines_from_extents(plan, rows)


def _fetch(
    engine: SqlEngine,
    query: exp.Expression,
    plan: Plan,
    compilation: Compilation,
    sources: str | None = None,
) -> pa.Table:
    """`query` run on `engine`, with the values of the parameters it reads bound."""
    values = plan.parameter_values()
    # A query reads only the plan's parameters: without any, its tree is not searched.
    bound = bound_values(query, values, plan.calendar.timezone) if values else NO_VALUES
    return engine.fetch(query, sources or _sources(plan), bound)


def _sources(plan: Plan) -> str:
    return ", ".join(read.source for read in plan.reads) or "(none)"


def _linked_keys(plan: Plan) -> dict[str, str]:
    """The key of every source reached by a link, and of every source whose rows a `per`
    iterates over: each must name one row."""
    keys: dict[str, str] = {}
    for level in plan.top.walk():
        for scan in level.scans:
            keys.update((join.source, join.key) for join in scan.joins)
        if level.members is not None:
            keys[level.members.source] = level.members.key
            keys.update((join.source, join.key) for join in level.members.joins)
    return keys


# A key check's SQL and the versions of the files it read.
_KeyVerdict = tuple[str, tuple[tuple[object, ...], ...]]
#: The key checks passed in this process, by the query's SQL (which names the files and the
#: key's formula) and the version of the files; the oldest first, a few hundred at most.
_UNIQUE_KEYS: dict[_KeyVerdict, None] = {}
_UNIQUE_KEYS_KEPT = 256


def _require_unique_key(
    source: str, key: str, plan: Plan, compilation: Compilation, engine: SqlEngine
) -> None:
    """The first key value (read or derived) that names more than one row, as a data error."""
    rows = ExpressionCompiler(
        compilation.dialect,
        plan.calendar.timezone,
        plan.calendar.rules,
        _own_column,
        compilation.functions,
    )
    column = rows.compile(compilation.project.sources[source].value_of(key))
    query = (
        exp.select(exp.alias_(column, "repeated"))
        .from_(source_cte(source))
        .where(exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null())))
        .group_by(column.copy())
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=number(1)))
        .limit(1)
    )
    for name, body in source_ctes(plan, compilation, {source}):
        query = trees.with_cte(query, name, body)
    # A key found unique in files that have not changed since is unique still: checked once
    # per version of the files in a process (a notebook, a server, a benchmark).
    # (A query with parameters is not kept: its text alone does not say what it read.)
    files = files_version(compilation.project.sources[source].reader)
    verdict: _KeyVerdict | None = None
    if files is not None and not (plan.parameter_values() and placeholders(query)):
        verdict = (compilation.dialect.sql(query), files)
    if verdict in _UNIQUE_KEYS:
        return
    repeated = _fetch(engine, query, plan, compilation, source)
    if not repeated.num_rows:
        if verdict is not None:
            remember(_UNIQUE_KEYS, verdict, None, _UNIQUE_KEYS_KEPT)
    else:
        value = repeated.column(0)[0].as_py()
        raise DataError(
            f"key value {value!r} appears more than once; a key must name one row",
            source=source,
            column=key,
        )


def _own_column(node: BExpr) -> exp.Expression:
    """A column of a key formula: the source's own, read from the source's CTE alone."""
    if not isinstance(node, BColumn):
        raise TypeError(f"a row formula cannot hold {node!r}")
    return exp.column(node.column, quoted=True)


def _require_one_kind_of_text_timestamp(
    read: SourceRead, compilation: Compilation, engine: SqlEngine
) -> None:
    """Text read as timestamps must all carry a zone offset or all be local times, as on every
    engine (execute/data/reading.py): a column mixing both is a data error."""
    info = compilation.project.sources[read.source]
    relation = compilation.relations[read.source]
    for name in text_timestamps(info, relation, read.columns):
        column = exp.column(name, quoted=True)
        zoned = zoned_text(column)
        query = exp.select(
            exp.alias_(exp.Count(this=exp.Case().when(zoned, number(1))), "zoned"),
            exp.alias_(exp.Count(this=exp.Case().when(exp.Not(this=zoned), number(1))), "local"),
        ).from_(relation.table)
        counts = engine.fetch(query, read.source).to_pylist()[0]
        if counts["zoned"] and counts["local"]:
            raise DataError(
                f"the column holds {counts['zoned']} times with a zone offset and "
                f"{counts['local']} without",
                source=read.source,
                column=name,
                hint="write every value of the column the same way",
            )
