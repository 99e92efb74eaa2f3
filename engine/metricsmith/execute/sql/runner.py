"""Running a plan on a SQL engine: the steps every engine shares.

An engine (DuckDB, Spark) says how it reaches each source and how it runs a query; the runner
compiles the plan, checks that linked keys are unique (a repeated key would fan rows out and
inflate sums), finds the periods (asking the engine for the data's extent when the range is
open), runs the query and gives the answer the plan's result schema (`Plan.result_schema`).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import pyarrow as pa
from attrs import evolve, frozen
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
from metricsmith.execute.sql.parameters import bound_values, placeholders, values_of
from metricsmith.execute.sql.periods import extents_query, timelines_from_extents
from metricsmith.execute.sql.sources import Relation, text_timestamps, zoned_text
from metricsmith.model.bound import BColumn, BExpr
from metricsmith.plan.nodes import Plan, SourceRead
from metricsmith.plan.timeline import Timelines, needs_extents

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

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


@frozen
class SqlText:
    """A query written out in an engine's dialect, and the parameters it reads in the order
    they first appear (`placeholders`)."""

    text: str
    parameters: tuple[str, ...]


@runtime_checkable
class TextEngine(SqlEngine, Protocol):
    """An engine that also runs a query given as text: the runner keeps a plan's text and
    runs it again without compiling the plan (`_query_text`)."""

    def fetch_text(
        self, query: SqlText, sources: str, parameters: Mapping[str, object] = NO_VALUES
    ) -> pa.Table:
        """`fetch`, for a query already written out in the engine's dialect."""
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
    extents = _extents(plan, compilation, engine)
    timelines = timelines_from_extents(plan, extents)
    try:
        if isinstance(engine, TextEngine):
            text = _query_text(plan, extents, timelines, compilation)
            answer = engine.fetch_text(text, _sources(plan), _text_values(text, plan))
        else:
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
    return timelines_from_extents(plan, _extents(plan, compilation, engine))


def _extents(plan: Plan, compilation: Compilation, engine: SqlEngine) -> list[tuple]:
    """The first and last instants of the rows the periods are read from, when the range is
    open (`needs_extents`); none otherwise."""
    query = extents_query(plan, compilation) if needs_extents(plan) else None
    if query is None:
        return []
    return [tuple(row.values()) for row in _fetch(engine, query, plan, compilation).to_pylist()]


# What a plan's query is compiled from besides the checked project: the plan, the extents its
# periods were resolved from, the dialect and how the engine reaches each source.
_TextKey = tuple[int, str, str, str, tuple[tuple[str, str, pa.Schema], ...]]
#: Queries compiled in this process, by `_TextKey`, with the checked project each was compiled
#: for (weakly: a project given tables in memory is not kept alive by its queries' texts) and
#: its plan; the most recent last, a few dozen at most.
_TEXTS: dict[_TextKey, tuple[weakref.ref[CheckedProject], Plan, SqlText]] = {}
_TEXTS_KEPT = 64


def _query_text(
    plan: Plan, extents: list[tuple], timelines: Timelines, compilation: Compilation
) -> SqlText:
    """The plan's query as text, compiled once for the same plan, extents, source relations and
    checked project: a project loaded again is the same checked object only while its
    definitions and data files are unchanged (api.py), and a query reads its data afresh each
    time, so the text is all that is kept. The key is written out (`repr`) rather than
    compared by value, where 0.0 equals -0.0 and Decimal('1.0') equals Decimal('1.00'); the
    plan is compared as well, as a `repr` may show only an object's address."""
    project, dialect = compilation.project, compilation.dialect
    relations = tuple(
        (name, dialect.sql(relation.table), relation.schema)
        for name, relation in sorted(compilation.relations.items())
    )
    keyed = _without_now(plan)
    key = (id(project), dialect.name, repr(keyed), repr(extents), relations)
    kept = _TEXTS.get(key)
    # (An address is reused once its project is gone: the weak reference then says None.)
    if kept is not None and kept[0]() is project and kept[1] == keyed:
        return kept[2]
    query = compile_plan(plan, timelines, compilation)
    text = SqlText(dialect.sql(query, copy=False), tuple(placeholders(query)))
    remember(_TEXTS, key, (weakref.ref(project), keyed, text), _TEXTS_KEPT)
    return text


def _without_now(plan: Plan) -> Plan:
    """The plan as its query is compiled: a range closed at both ends has every period's end
    as a bound, and "now" (`Plan.as_of`, a new instant for each query) is read only where an
    end is open or from the answer (`settle`), so it is left out of what keys the text."""
    if plan.start is None or plan.end is None:
        return plan
    return evolve(plan, as_of=_EPOCH)


def _text_values(text: SqlText, plan: Plan) -> Mapping[str, object]:
    """The values of the parameters a query's text reads, this plan's (as `_fetch` binds)."""
    if not text.parameters:
        return NO_VALUES
    return values_of(text.parameters, plan.parameter_values(), plan.calendar.timezone)


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

# What a key check's SQL is built from besides the checked project: the dialect, the source
# and its key, the plan's read of it and calendar, and how the engine reaches the source.
_KeyTextKey = tuple[int, str, str, str, str, str, tuple[str, pa.Schema]]
#: Key checks' SQL built in this process, by `_KeyTextKey`, with the checked project each was
#: built for (weakly, as `_TEXTS`) and whether it reads a parameter; a few hundred at most.
_KEY_TEXTS: dict[_KeyTextKey, tuple[weakref.ref[CheckedProject], str, bool]] = {}


def _require_unique_key(
    source: str, key: str, plan: Plan, compilation: Compilation, engine: SqlEngine
) -> None:
    """The first key value (read or derived) that names more than one row, as a data error."""
    # A key found unique in files that have not changed since is unique still: checked once
    # per version of the files in a process (a notebook, a server, a benchmark).
    # (A query with parameters is not kept: its text alone does not say what it read.)
    files = files_version(compilation.project.sources[source].reader)
    verdict: _KeyVerdict | None = None
    query = None
    if files is not None:
        text, reads_parameters, query = _key_text(source, key, plan, compilation)
        if not (plan.parameter_values() and reads_parameters):
            verdict = (text, files)
    if verdict in _UNIQUE_KEYS:
        return
    query = query or _key_query(source, key, plan, compilation)
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


def _key_text(
    source: str, key: str, plan: Plan, compilation: Compilation
) -> tuple[str, bool, exp.Select | None]:
    """A key check's SQL and whether it reads a parameter, built once for the same checked
    project (see `_query_text`), so that a check passed before is found without building its
    query again; with the query when it was built now (None: the text was kept)."""
    project, dialect = compilation.project, compilation.dialect
    relation = compilation.relations[source]
    reads = repr([read for read in plan.reads if read.source == source])
    table = (dialect.sql(relation.table), relation.schema)
    text_key = (id(project), dialect.name, source, key, reads, repr(plan.calendar), table)
    kept = _KEY_TEXTS.get(text_key)
    # (An address is reused once its project is gone: the weak reference then says None.)
    if kept is not None and kept[0]() is project:
        return kept[1], kept[2], None
    query = _key_query(source, key, plan, compilation)
    text, reads_parameters = dialect.sql(query), bool(placeholders(query))
    remember(
        _KEY_TEXTS, text_key, (weakref.ref(project), text, reads_parameters), _UNIQUE_KEYS_KEPT
    )
    return text, reads_parameters, query


def _key_query(source: str, key: str, plan: Plan, compilation: Compilation) -> exp.Select:
    """The query of the key values of `source` that name more than one row (the first)."""
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
    return query


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
