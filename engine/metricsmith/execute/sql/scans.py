"""One grouped pass per scan: the source's rows placed in periods by joining the spine,
entity links LEFT JOINed, query filters applied, every fused aggregate in one GROUP BY.

Placement follows the plan's rules (`EventTime`, `StateTime`, `WindowSpec` in plan/nodes.py;
docs/time-intelligence.md): an event counts in the
period with `start <= time < end`; a state row at each period end it is in force at
(`from < end and (to is null or to >= end)`); with a window, an event counts at each period end
whose window `[window start, end)` holds its time, and a state row at each period end whose
window holds a period end (of the query's grain) it is in force at.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, assert_never

import attrs
from attrs import frozen
from sqlglot import exp

from metricsmith.check.checked import CheckedProject
from metricsmith.execute.sql import ranges, trees
from metricsmith.execute.sql.aggregates import AggregateCompiler
from metricsmith.execute.sql.dialects import SqlDialect, number, paren
from metricsmith.execute.sql.distinct_passes import BUCKET, CompiledAggregate, two_passes
from metricsmith.execute.sql.expressions import ExpressionCompiler
from metricsmith.execute.sql.kinds import kind_of
from metricsmith.execute.sql.names import ENTITY, IN_SET, dimension_column, source_cte
from metricsmith.execute.sql.positions import locate, placed
from metricsmith.execute.sql.scalar_functions import truncate_to
from metricsmith.execute.sql.spine import PERIOD, PERIOD_END, PERIOD_START, LevelSpine
from metricsmith.model import bound as b
from metricsmith.model.time import GRAINS, WindowKind
from metricsmith.model.types import Type
from metricsmith.plan.binding import columns_of
from metricsmith.plan.nodes import (
    EventTime,
    FusedAggregate,
    Join,
    Plan,
    SourceRead,
    SourceScan,
    StateTime,
)
from metricsmith.plan.periods import from_epoch_micros, local_midnight, next_period
from metricsmith.plan.reads import time_names
from metricsmith.plugins.functions import Additive

if TYPE_CHECKING:
    from metricsmith.execute.sql.compiler import Compilation


@frozen
class ShownCohorts:
    """The cohorts an answer by cohort and age shows, those of the query's range
    (`Plan.cohorts`, consecutive periods of the cohort's grain, `first` to `last`), at a
    level whose dimension `index` is the cohort. Its cells are keyed by cohort and no
    formula reads across cohorts, so a row or member of any other cohort could only feed
    cells the answer leaves out: scans and members drop them before they are placed and
    grouped (DuckDB, the customer-success cohorts: the 2022-2023 sign-ups are 44% of the
    accounts and have 68% of the subscriptions)."""

    index: int
    first: dt.date
    last: dt.date

    def keeps(self, dimensions: Sequence[b.BExpr], rows: ExpressionCompiler) -> exp.Expression:
        """The condition keeping the rows of a shown cohort, given their (bound) dimensions.
        The cohort of an instant is a range of the instant, `start <= t < end`, from the
        first shown cohort's first local midnight to the next cohort's: a bare column
        compared with constants, which DuckDB tests inside its Parquet scan, rather than
        the cohort's day worked out for every row and then compared (the customer-success
        cohorts: 200,000 accounts read, twice)."""
        dimension = dimensions[self.index]
        cohort = _cohort_of(dimension)
        dialect = rows.dialect
        if cohort is None:
            low, high = dialect.date_literal(self.first), dialect.date_literal(self.last)
            return exp.Between(this=rows.compile(dimension), low=low, high=high)
        time, grain = cohort
        low = dialect.instant_literal(local_midnight(self.first, rows.timezone))
        end = next_period(self.last, grain)
        high = dialect.instant_literal(local_midnight(end, rows.timezone))
        value = rows.compile(time)
        return exp.And(
            this=exp.GTE(this=value, expression=low),
            expression=exp.LT(this=value.copy(), expression=high),
        )


def _cohort_of(dimension: b.BExpr) -> tuple[b.BExpr, str] | None:
    """The instant a cohort dimension truncates and the grain (`cohort(t, grain)`), else
    None (an unknown grain is reported where the dimension is compiled)."""
    if not isinstance(dimension, b.BCall) or dimension.function != "cohort":
        return None
    time, grain = dimension.args[0], dimension.args[1]
    if time.type != Type.TIMESTAMP or not isinstance(grain, b.BLiteral):
        return None
    return (time, str(grain.value)) if grain.value in GRAINS else None


@frozen
class CarriedMembers:
    """At a sparse level over members (sparse.py), the members' CTE `table` joined to the
    pass's rows on the entity, its `dimensions` and the entity-set test (the period against
    its `exists_from` column) grouped on beside the entity. A member's dimensions follow
    from its key, so the groups are the same, and the cells are the groups as they are,
    with no join to the members again: the cohorts' 511,588 groups, on whose side DuckDB
    built that join's hash table rather than the 111,059 members'. The join drops the rows
    of no member, as the cells' join did: only where the parent reads the pass through the
    cells alone (levels.py)."""

    table: str
    dimensions: tuple[str, ...]
    exists_from: str

    def columns(self, period: exp.Expression) -> list[tuple[str, exp.Expression]]:
        """The columns grouped on beside the pass's keys, named, with their values."""
        columns: list[tuple[str, exp.Expression]] = [
            (name, exp.column(name, table=self.table)) for name in self.dimensions
        ]
        exists = exp.column(self.exists_from, table=self.table)
        columns.append((IN_SET, exp.GTE(this=period.copy(), expression=exists)))
        return columns


class ScanCompiler:
    """The grouped pass of one scan: rows placed in periods, links joined, filters applied,
    every aggregate of the scan in one GROUP BY."""

    def __init__(
        self,
        plan: Plan,
        scan: SourceScan,
        reads: Mapping[str, SourceRead],
        compilation: Compilation,
        spine: LevelSpine | None = None,
        entity_kind: str | None = None,
        shown: ShownCohorts | None = None,
        shown_members: str | None = None,
        keeps_unnamed: bool = False,
        members: CarriedMembers | None = None,
    ):
        """`spine` (the level's periods) is needed to place rows; extents queries read time
        columns only. `entity_kind` is the kind of the key a per-entity level's entities
        have: the scan's entity values are cast to it when they differ. `shown`: the only
        cohorts whose rows matter; `shown_members`, at a level over members, the CTE of
        the only entities whose rows matter (members.py `shown_members`). `keeps_unnamed`
        keeps the rows naming no entity, as a group no member matches, for a parent level
        that rolls the pass up (rollups.py). `members`: the members joined to the rows and
        grouped on (`CarriedMembers`), in place of `shown_members`."""
        assert members is None or shown_members is None, "the members keep the shown rows"
        assert members is None or not scan.dimensions, "grouped by entity alone"
        self.plan = plan
        self.members = members
        self.keeps_unnamed = keeps_unnamed
        self.spine = spine
        self.entity_kind = entity_kind
        self.shown = shown
        self.shown_members = shown_members
        self.scan = scan
        self.read = reads[scan.source]
        self.compilation = compilation
        self.dialect = compilation.dialect
        self.aliases = _aliases(scan)
        self.rows = ExpressionCompiler(
            self.dialect,
            plan.calendar.timezone,
            plan.calendar.rules,
            self.column,
            compilation.functions,
        )

    def column(self, node: b.BExpr) -> exp.Expression:
        if not isinstance(node, b.BColumn):
            raise TypeError(f"a row formula cannot hold {node!r}")
        return exp.column(node.column, table=self.aliases[node.path], quoted=True)

    def select(self, firsts: Sequence[tuple[FusedAggregate, Additive]] = ()) -> exp.Select:
        """The pass. `firsts`: additive aggregates of an all-time window over the same rows
        (a state scan's) with their weights, each given as its changes: a row's weight in
        the first period it is in force at (ranges.py)."""
        scan = self.scan
        period = self.period()
        keys = self.grouping_keys()
        carried = [] if self.members is None else self.members.columns(period)
        aggregates = AggregateCompiler(self.dialect, self.compilation.aggregate_functions)
        outputs = [exp.alias_(period, PERIOD), *(exp.alias_(k, n) for n, k in [*keys, *carried])]
        compiled = []
        counts = self.counts_earliest_rows()
        for fused in scan.aggregates:
            node = attrs.evolve(fused.aggregate, function="count") if counts else fused.aggregate
            value = self.rows.compile(node.arg) if node.arg is not None else None
            condition = self.rows.compile(node.where) if node.where is not None else None
            order = self.rows.compile(node.order) if node.order is not None else None
            if node.function == "count_distinct" and any(value == k for _, k in keys):
                node, single = _any_row(node, value, condition, self.dialect)
            else:
                single = aggregates.compile(node, value, condition, order)
            compiled.append(CompiledAggregate(fused.name, node, value, condition, single))
        passes = None if firsts else two_passes(self.dialect, compiled)
        if passes is None:
            outputs += [exp.alias_(c.single, c.name) for c in compiled]
        else:  # grouped by bucket too, then by cell (distinct_passes.py)
            outputs.append(exp.alias_(passes.bucket, BUCKET))
            outputs += [exp.alias_(value, name) for name, value in passes.first]
        for fused, kind in firsts:
            outputs.append(exp.alias_(self._at_first(fused.aggregate, kind), fused.name))
        root: exp.Expr
        if self._reads_state_in_window():
            root = self.root_with_last_end()
        else:
            root = self.earliest_rows() or self.root()
        # Periods first: engines keep a LEFT JOIN where it is written, and placing the rows
        # before following links lets the range filter shrink them first (DuckDB: 1.35x).
        query = self._linked_and_filtered(
            self.placed(exp.select(*outputs, copy=False).from_(root, copy=False)), keys
        )
        if not firsts:
            query = self._only_counted(query, keys)
        columns = len(keys) + len(carried) + (passes is not None)
        grouped = query.group_by(*_ordinals(1 + columns), copy=False)
        names = [PERIOD, *dict(keys), *dict(carried)]
        return grouped if passes is None else passes.wrapped(grouped, names)

    def ranged_rows(self, periods: int, weights: Sequence[Additive]) -> exp.Select:
        """Each row with the range of the level's `periods` it counts in (ranges.py) and, for
        each aggregate, what it adds to a period's total (its `weights`, in order)."""
        scan, spine = self.scan, self.spine
        assert spine is not None and scan.window is not None
        dialect = self.dialect
        keys = self.grouping_keys()
        match scan.time:
            case EventTime(column=column):
                time = self.time_value(column)
                query = exp.select().from_(self.root(), copy=False)
                query, first = locate(query, time, spine.ends(), _FIRST, dialect)
                last: exp.Expression = number(periods - 1)
                if scan.window.kind != "all_time":
                    query, start = locate(query, time, spine.starts(scan.window), _LAST, dialect)
                    last = exp.Sub(this=start, expression=number(1))
            case StateTime(start=valid_from, end=valid_to):
                start, stop = self.time_value(valid_from), self.time_value(valid_to)
                query = exp.select().from_(self.root_with_last_end(before_first=True), copy=False)
                query, first = locate(query, start, spine.ends(), _FIRST, dialect)
                query, after = locate(query, stop, spine.ends(), _LAST, dialect)
                last_end = exp.column(LAST_END, table=self.aliases[()], quoted=True)
                # In force at some period end: still in force, or ended after a period end
                # (of the level, or of the grain before the level's first) after its start.
                ever = exp.or_(
                    exp.Is(this=stop, expression=exp.Null()),
                    exp.GT(this=last_end, expression=start),
                    exp.GT(this=after, expression=first.copy()),
                )
                last = exp.Case().when(ever, number(periods - 1)).else_(number(-1))
            case _:
                raise TypeError(f"no ranges for a scan without time: {scan!r}")
        outputs = [exp.alias_(first, ranges.FIRST), exp.alias_(last, ranges.LAST)]
        outputs += [exp.alias_(k, n) for n, k in keys]
        outputs += [
            exp.alias_(self._weight(f.aggregate, kind), f.name)
            for f, kind in zip(scan.aggregates, weights, strict=True)
        ]
        query = self._linked_and_filtered(query.select(*outputs, copy=False), keys)
        return self._only_counted(query, keys)

    def _only_counted(
        self, query: exp.Select, keys: list[tuple[str, exp.Expression]]
    ) -> exp.Select:
        """Without group keys, the rows no aggregate's `where` keeps left out before they are
        placed and grouped: they add nothing to any cell, and a period without rows gets
        each aggregate's value over nothing anyway (with keys, a row a `where` drops still
        makes its dimension values or entity a unit of the level, so it stays)."""
        conditions = [f.aggregate.where for f in self.scan.aggregates]
        if keys or not conditions or any(c is None for c in conditions):
            return query
        kept = exp.or_(*(exp.Paren(this=self.rows.compile(c)) for c in conditions if c))
        return query.where(kept, copy=False)

    def _at_first(self, node: b.BAggregate, kind: Additive) -> exp.Expression:
        """A row's weight in the first period it is in force at: the level's first period,
        or the one it started in (at or after the period's start)."""
        assert isinstance(self.scan.time, StateTime)
        start = self.time_value(self.scan.time.start)
        first = exp.or_(
            exp.EQ(this=self._spine(PERIOD), expression=number(0)),
            exp.GTE(this=start, expression=self._spine(PERIOD_START)),
        )
        weight = exp.Case().when(first, self._weight(node, kind))
        return self.dialect.cast(exp.Sum(this=weight), "bigint")

    def openings(self, counted: Sequence[tuple[FusedAggregate, Additive]]) -> exp.Select:
        """What the rows an all-time window counts before the level's first period end, but
        which are not in force at it, add to each of `counted` (ranges.py): those that
        started before the level's first period and were in force at an earlier period end
        of its grain. The pass of `select(firsts=counted)` does not see them."""
        spine, time = self.spine, self.scan.time
        assert spine is not None and spine.timeline.bounds is not None
        assert isinstance(time, StateTime)
        start, stop = self.time_value(time.start), self.time_value(time.end)
        bounds = spine.timeline.bounds
        if len(bounds) < 2:  # no period (the data has no time in the range): no first one
            earlier: list[exp.Expression] = [exp.false()]
        else:
            first_start, first_end = (
                self.dialect.instant_literal(from_epoch_micros(int(b))) for b in bounds[:2]
            )
            earlier = [
                exp.LT(this=start, expression=first_start),
                exp.LT(this=stop, expression=first_end),
                exp.GT(this=self.last_end_by(stop.copy()), expression=start.copy()),
            ]
        keys = self.grouping_keys()
        outputs = [exp.alias_(k, n) for n, k in keys]
        outputs += [
            exp.alias_(
                self.dialect.cast(exp.Sum(this=self._weight(f.aggregate, kind)), "bigint"), f.name
            )
            for f, kind in counted
        ]
        query = self._linked_and_filtered(
            exp.select(*outputs, copy=False).from_(self.root(), copy=False), keys
        )
        query = query.where(exp.and_(*earlier, copy=False), copy=False)
        return query.group_by(*_ordinals(len(keys)), copy=False)

    def _weight(self, node: b.BAggregate, kind: Additive) -> exp.Expr:
        """What one row adds to an additive aggregate of weight `kind`: 1 or 0 for a count,
        its value for a sum (null where the condition does not hold)."""
        tests: list[exp.Expr] = (
            [] if node.where is None else [exp.Paren(this=self.rows.compile(node.where))]
        )
        if kind == Additive.VALUE:
            assert node.arg is not None, "an aggregate adding its values has an argument"
            value = self.rows.compile(node.arg)
            return exp.Case().when(exp.and_(*tests), value) if tests else value
        if node.arg is not None:
            value = self.rows.compile(node.arg)
            tests.append(exp.Not(this=exp.Is(this=paren(value), expression=exp.Null())))
        if not tests:
            return number(1)
        return exp.Case().when(exp.and_(*tests), number(1)).else_(number(0))

    def key_names(self) -> list[str]:
        """The names of the columns a pass groups on: the dimensions, then the entity."""
        names = [dimension_column(i) for i in range(len(self.scan.dimensions))]
        return [*names, ENTITY] if self.scan.entity is not None else names

    def grouping_keys(self) -> list[tuple[str, exp.Expression]]:
        """The columns a pass groups on, named, with their values."""
        scan = self.scan
        values = [self.rows.compile(d) for d in scan.dimensions]
        if scan.entity is not None:
            values.append(self.entity_value(scan.entity))
        return list(zip(self.key_names(), values, strict=True))

    def _linked_and_filtered(
        self, query: exp.Select, keys: list[tuple[str, exp.Expression]]
    ) -> exp.Select:
        """The rows with their links joined, the read's time range and the query's filters
        applied, and rows naming no entity dropped."""
        for join in self.scan.joins:
            query = trees.join(query, self.joined(join), self.join_condition(join), "left")
        conditions = [*self.pushdown(), *(self.rows.compile(f) for f in self.scan.filters)]
        if self.shown is not None:
            conditions.append(self.shown.keeps(self.scan.dimensions, self.rows))
        if self.scan.entity is not None:
            entity = keys[-1][1]
            if not self.keeps_unnamed:  # a row naming no entity belongs to none
                conditions.append(exp.Not(this=exp.Is(this=entity, expression=exp.Null())))
            members = self.shown_members if self.members is None else self.members.table
            if members is not None:
                # An inner join rather than `IN (SELECT ...)`: the members' keys are checked
                # unique before a query runs (runner.py), so no row is repeated, and DuckDB's
                # semi-join cost the cohorts family a tenth of its CPU more than this join.
                on = exp.EQ(this=entity.copy(), expression=exp.column(ENTITY, table=members))
                query = trees.join(query, trees.table(members), on)
        return query.where(exp.and_(*conditions, copy=False), copy=False) if conditions else query

    def entity_value(self, node: b.BExpr) -> exp.Expression:
        """Which entity a row belongs to, as the level's entities are typed."""
        value = self.rows.compile(node)
        if self.entity_kind is not None and kind_of(node.type) != self.entity_kind:
            return self.dialect.cast(value, self.entity_kind)
        return value

    def _spine(self, column: str) -> exp.Column:
        assert self.spine is not None, "placing rows needs the level's periods"
        return self.spine.column(column)

    def earliest_rows(self) -> exp.Expr | None:
        """The root's rows reduced to the earliest of each combination of the other columns
        the pass reads (`_earliest_columns`), or None where that could change a value."""
        read = self._earliest_columns
        if read is None:
            return None
        scan = self.scan
        assert isinstance(scan.time, EventTime)
        alias = self.aliases[()]
        time = self.compilation.project.sources[scan.source].value_of(scan.time.column)
        assert isinstance(time, b.BColumn)  # `_earliest_columns`: a column of the root's own
        # Named as the root's column, which the time (a derived one too) is read from.
        rows = exp.select(
            *(exp.column(name, table=alias, quoted=True) for name in read),
            exp.alias_(exp.Min(this=self.rows.compile(time)), time.column, quoted=True),
        ).from_(_aliased(source_cte(scan.source), alias), copy=False)
        time_range = self.read.time_range
        if time_range is not None:  # rows outside the read's range are not the earliest
            time_value = self.time_value(time_range.column)
            within = self._within(time_value, time_range.start, time_range.end)
            rows = rows.where(*within, copy=False) if within else rows
        rows = rows.group_by(*_ordinals(len(read)), copy=False)
        return exp.Subquery(
            this=rows, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True))
        )

    @functools.cached_property
    def _earliest_columns(self) -> list[str] | None:
        """The root columns the pass reads besides its time, when reading only the earliest
        row of each combination of them gives the same values: an event scan over an
        all-time window whose aggregates all ignore repeats (distinct counts); None
        otherwise. A later row of a combination counts in periods its earliest row already
        counts in (every row's periods run to the last), with the same keys, values,
        conditions and links, which such aggregates cannot tell apart; the Arrow engine reads
        the same rows (execute/arrow/grouping.py). An all-time window places each event at
        every later period end: the families benchmark's health score placed its 10M events
        57M times, where 0.6M (account, user) pairs exist."""
        scan = self.scan
        window, time = scan.window, scan.time
        if window is None or window.kind is not WindowKind.ALL_TIME:
            return None
        if not isinstance(time, EventTime) or self._linked_times():
            return None
        functions = self.compilation.aggregate_functions
        if not all(
            functions[f.aggregate.function].ignores_repeats and f.aggregate.arg is not None
            for f in scan.aggregates
        ):
            return None
        time_column = self.compilation.project.sources[scan.source].value_of(time.column)
        read = sorted({c.column for c in columns_of(self._read_nodes()) if not c.path})
        if not isinstance(time_column, b.BColumn) or not read or time_column.column in read:
            return None
        return read

    def counts_earliest_rows(self) -> bool:
        """Whether the earliest rows (`earliest_rows`) are one per distinct (keys, counted
        value): every column they are told apart by is a key or the one column every
        aggregate counts the distinct values of. Each cell then holds each value once, so a
        distinct count is a count (`per account: count_distinct(events.user_id) over all
        time`: DuckDB groups 4.6M (period, account, user) rows less)."""
        read = self._earliest_columns
        if read is None:
            return False
        scan = self.scan
        if scan.entity is not None and self.entity_value(scan.entity) != self.rows.compile(
            scan.entity
        ):
            return False  # a cast entity may merge values
        keys = [*scan.dimensions, *([scan.entity] if scan.entity is not None else [])]
        args = {fused.aggregate.arg for fused in scan.aggregates}
        plain = [*keys, *args]
        if len(args) != 1 or not all(isinstance(n, b.BColumn) and not n.path for n in plain):
            return False
        return set(read) <= {n.column for n in plain if isinstance(n, b.BColumn)}

    def _read_nodes(self) -> list[b.BExpr]:
        """Every row formula the pass reads: keys, aggregates, filters and the links it
        follows from the root."""
        scan = self.scan
        nodes = [*scan.dimensions, *scan.filters]
        nodes += [scan.entity] if scan.entity is not None else []
        for fused in scan.aggregates:
            node = fused.aggregate
            nodes += [n for n in (node.arg, node.where, node.order) if n is not None]
        info = self.compilation.project.sources[scan.source]
        nodes += [info.value_of(join.path[0]) for join in scan.joins if len(join.path) == 1]
        return nodes

    # ---- joins ----
    def root(self) -> exp.Expr:
        """The root's rows. A time read through links (`column signup_at =
        accounts.signed_up_at`) is computed here, with the links it reads joined: rows are
        placed by their time before the scan's own links are joined (see `select`)."""
        alias = self.aliases[()]
        table = _aliased(source_cte(self.scan.source), alias)
        linked = self._linked_times()
        if not linked:
            return table
        rows = exp.select(
            exp.Column(this=exp.Star(), table=exp.to_identifier(alias, quoted=True)),
            *(
                exp.alias_(self.rows.compile(formula), _time_column(name), quoted=True)
                for name, formula in linked.items()
            ),
        ).from_(table, copy=False)
        for join in self._time_joins(linked.values()):
            on = self.join_condition(join)
            rows = trees.join(rows, self.joined(join), on, "left")
        return exp.Subquery(
            this=rows, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True))
        )

    def joined(self, join: Join) -> exp.Expr:
        return _aliased(source_cte(join.source), self.aliases[join.path])

    def join_condition(self, join: Join) -> exp.Expression:
        project = self.compilation.project
        origin = _source_at(project, self.scan.source, join.path[:-1])
        link = project.sources[origin].value_of(join.path[-1])
        key = project.sources[join.source].value_of(join.key)
        link_value = self.rows.compile(b.rebase(link, join.path[:-1]))
        if link.type != key.type and (key_kind := kind_of(key.type)):
            # Arrow casts link values to the key's type; so does the SQL.
            link_value = self.dialect.cast(link_value, key_kind)
        key_value = self.rows.compile(b.rebase(key, join.path))
        return exp.EQ(this=link_value, expression=key_value)

    def _linked_times(self) -> dict[str, b.BExpr]:
        """The root's time columns that are derived from linked sources, with their formulas."""
        info = self.compilation.project.sources[self.scan.source]
        formulas = {name: info.value_of(name) for name in time_names(self.scan.time)}
        return {
            name: formula
            for name, formula in formulas.items()
            if any(column.path for column in columns_of([formula]))
        }

    def _time_joins(self, formulas: Iterable[b.BExpr]) -> list[Join]:
        """The scan's joins that derived times read through, in order."""
        columns = columns_of(formulas)
        paths = {c.path[:depth] for c in columns for depth in range(1, len(c.path) + 1)}
        return [join for join in self.scan.joins if join.path in paths]

    # ---- time ----
    def time_value(self, column: str) -> exp.Expression:
        """A time column of the root, read or derived, as an instant (a date is its local
        midnight)."""
        info = self.compilation.project.sources[self.scan.source]
        formula = info.value_of(column)
        if column in self._linked_times():  # computed with the root's rows (`root`)
            value: exp.Expression = exp.column(
                _time_column(column), table=self.aliases[()], quoted=True
            )
        else:
            value = self.rows.compile(formula)
        if formula.type == Type.DATE:
            return self.dialect.midnight(value, self.plan.calendar.timezone)
        return value

    def _counts_once(self) -> bool:
        """Whether each row counts in at most one period, found without a join: an event
        without a window, in a level whose periods are local days apart or few enough for a
        CASE tree."""
        assert self.spine is not None, "placing rows needs the level's periods"
        timeline = self.spine.timeline
        return (
            isinstance(self.scan.time, EventTime)
            and self.scan.window is None
            and timeline.bounds is not None
            and not self.spine.inner().joined
        )

    def period(self) -> exp.Expression:
        """The period a row counts in: the spine's, or for an event counting in one period
        its position among the periods' inner boundaries (positions.py), computed per row
        rather than found by a range join to the spine (DuckDB: 5x faster)."""
        if not self._counts_once():
            return self._spine(PERIOD)
        assert isinstance(self.scan.time, EventTime) and self.spine is not None
        return placed(self.time_value(self.scan.time.column), self.spine.inner(), self.dialect)

    def placed(self, query: exp.Select) -> exp.Select:
        """The rows joined to the periods they count in (an event counting in one period
        needs only the range's bounds, among the filters)."""
        scan = self.scan
        assert self.spine is not None, "placing rows needs the level's periods"
        end = self._spine(PERIOD_END)
        match scan.time:
            case EventTime() if self._counts_once():
                return query  # the range's bounds are among the filters (`pushdown`)
            case EventTime(column=column) if scan.window is not None:
                condition = self.in_window(self.time_value(column))
            case EventTime(column=column) if self.spine.timeline.bounds is not None:
                time = self.time_value(column)
                condition = exp.and_(
                    exp.GTE(this=time, expression=self._spine(PERIOD_START)),
                    exp.LT(this=time.copy(), expression=end),
                    copy=False,
                )
            case StateTime(start=valid_from, end=valid_to) if scan.window and self.spine.grain:
                condition = self.in_force_in_window(valid_from, valid_to)
            case StateTime(start=valid_from, end=valid_to) if self._states_by_number():
                first, last = self.positions_in_force(valid_from, valid_to)
                if self.dialect.join_filters_per_pair:
                    query, (first, last) = self._per_row(query, first, last)
                period = self._spine(PERIOD)
                condition = exp.and_(
                    exp.GTE(this=period, expression=first),
                    exp.LTE(this=period.copy(), expression=last),
                    copy=False,
                )
            case StateTime(start=valid_from, end=valid_to):
                condition = exp.and_(
                    exp.LT(this=self.time_value(valid_from), expression=end),
                    _open_or_from(self.time_value(valid_to), end),
                )
            case EventTime() | None:  # one period, every row
                return trees.join(query, trees.table(self.spine.name), kind="cross")
            case _:
                assert_never(scan.time)
        return trees.join(query, trees.table(self.spine.name), condition)

    def _states_by_number(self) -> bool:
        assert self.spine is not None
        return self.dialect.states_by_period_number and not self.spine.ends().joined

    def positions_in_force(self, valid_from: str, valid_to: str) -> tuple[exp.Expr, exp.Expr]:
        """The first and last period a row is in force at the end of: after the ends before
        its start (`start < end`) and at most up to the last end at or before its end (`to is
        null or to >= end`), as period numbers (positions.py), which the row works out once
        rather than comparing two instants per row and period
        (`SqlDialect.states_by_period_number`)."""
        assert self.spine is not None
        ends = self.spine.ends()
        start, stop = self.time_value(valid_from), self.time_value(valid_to)
        first = placed(start, ends, self.dialect)
        last_end = exp.Sub(this=placed(stop, ends, self.dialect), expression=number(1))
        return first, exp.Coalesce(this=last_end, expressions=[number(len(ends.instants) - 1)])

    def _per_row(
        self, query: exp.Select, *values: exp.Expr
    ) -> tuple[exp.Select, tuple[exp.Expr, ...]]:
        """`query` reading its root through a subquery that works `values` out once per row,
        and references to them: for dialects that evaluate a join's filter for every pair of
        rows (`SqlDialect.join_filters_per_pair`)."""
        alias = self.aliases[()]
        names = [f"{PER_ROW}{index}" for index in range(len(values))]
        rows = exp.select(
            exp.Column(this=exp.Star(), table=exp.to_identifier(alias, quoted=True)),
            *(
                exp.alias_(value, name, quoted=True)
                for name, value in zip(names, values, strict=True)
            ),
        ).from_(query.args["from_"].this)
        # OFFSET 0 keeps PostgreSQL from pulling the subquery up into the join, which would
        # put the values back into the join's filter.
        rows = rows.offset(0, copy=False)
        root = exp.Subquery(
            this=rows, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True))
        )
        query.set("from_", exp.From(this=root))
        return query, tuple(exp.column(name, table=alias, quoted=True) for name in names)

    def window_start(self) -> exp.Expression:
        assert self.scan.window is not None and self.spine is not None
        return self.spine.window_start(self.scan.window)

    def _all_time(self) -> bool:
        """Whether the scan's window has no start (its spine column is null at every period;
        any other window's is null at none)."""
        assert self.scan.window is not None
        return self.scan.window.kind is WindowKind.ALL_TIME

    def in_window(self, time: exp.Expression) -> exp.Expr:
        """`window start <= time < end` (an all-time window has no start). Two plain
        comparisons, without an `IS NULL OR` for the start, which a join can use as they are."""
        before_end = exp.LT(this=time, expression=self._spine(PERIOD_END))
        if self._all_time():
            return before_end
        after_start = exp.GTE(this=time.copy(), expression=self.window_start())
        return exp.and_(before_end, after_start, copy=False)

    def in_force_in_window(self, valid_from: str, valid_to: str) -> exp.Expr:
        """In force at some period end in `(window start, end]`: in force at the end itself,
        or ended earlier but after both its start and the window's start were passed by a
        period end — the last period end at or before its end, `last_end_by(to)`."""
        start, stop = self.time_value(valid_from), self.time_value(valid_to)
        last = exp.column(LAST_END, table=self.aliases[()], quoted=True)
        ended_inside: exp.Expr = exp.GT(this=last, expression=start)
        if not self._all_time():
            after_window_start = exp.GT(this=last.copy(), expression=self.window_start())
            ended_inside = exp.and_(ended_inside, after_window_start, copy=False)
        end = self._spine(PERIOD_END)
        in_force = exp.or_(_open_or_from(stop, end), exp.Paren(this=ended_inside))
        return exp.and_(exp.LT(this=start, expression=end), exp.Paren(this=in_force))

    def _reads_state_in_window(self) -> bool:
        spine = self.spine
        return (
            isinstance(self.scan.time, StateTime)
            and self.scan.window is not None
            and spine is not None
            and spine.grain is not None
        )

    def root_with_last_end(self, before_first: bool = False) -> exp.Expression:
        """The root's rows, each with the last period end at or before its end: worked out
        once per row rather than once per row and period (DuckDB: 1.7x on the revenue
        benchmark). `before_first`: only for rows starting before the level's first period,
        the others get null (ranges.py needs no more)."""
        assert isinstance(self.scan.time, StateTime) and self.spine is not None
        alias = self.aliases[()]
        last = self.last_end_by(self.time_value(self.scan.time.end))
        if before_first:
            assert self.spine.timeline.bounds is not None  # a level of periods has bounds
            first = from_epoch_micros(int(self.spine.timeline.bounds[0]))
            start = self.time_value(self.scan.time.start)
            early = exp.LT(this=start, expression=self.dialect.instant_literal(first))
            last = exp.Case().when(early, last)
        rows = exp.select(
            exp.Column(this=exp.Star(), table=exp.to_identifier(alias, quoted=True)),
            exp.alias_(last, LAST_END, quoted=True),
        ).from_(self.root(), copy=False)
        return exp.Subquery(
            this=rows, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True))
        )

    def last_end_by(self, instant: exp.Expression) -> exp.Expression:
        """The last period end (a boundary of the level's grain, or the level's first
        boundary) at or before an instant."""
        dialect, spine = self.dialect, self.spine
        assert spine is not None and spine.timeline.bounds is not None
        assert spine.grain is not None  # only passes over periods of a grain ask (can_range)
        timezone = self.plan.calendar.timezone
        local_day = dialect.local_date(instant, timezone)
        boundary = dialect.midnight(truncate_to(self.rows, spine.grain, local_day), timezone)
        first = dialect.instant_literal(from_epoch_micros(int(spine.timeline.bounds[0])))
        # The first boundary of the level can lie inside a period of its grain.
        use_first = exp.and_(
            exp.GTE(this=instant, expression=first), exp.LT(this=boundary, expression=first)
        )
        return exp.Case().when(use_first, first).else_(boundary)

    def pushdown(self) -> list[exp.Expression]:
        """The read's time range as a plain filter on the root, so the engine can skip files
        and row groups (the spine join decides which rows count), and the level's range
        for events placed without a join."""
        conditions = []
        time_range = self.read.time_range
        if time_range is not None:
            time = self.time_value(time_range.column)
            conditions += self._within(time, time_range.start, time_range.end)
        if self.spine is not None and self._counts_once():
            assert isinstance(self.scan.time, EventTime)
            bounds = self.spine.timeline.bounds
            assert bounds is not None
            first, last = (from_epoch_micros(int(b)) for b in (bounds[0], bounds[-1]))
            conditions += self._within(self.time_value(self.scan.time.column), first, last)
        return list(dict.fromkeys(conditions))  # the read's range is often the level's

    def _within(
        self, time: exp.Expression, start: dt.datetime | None, end: dt.datetime | None
    ) -> list[exp.Expression]:
        """`start <= time < end`, as separate conditions (either bound may be open)."""
        conditions: list[exp.Expression] = []
        if start is not None:
            literal = self.dialect.instant_literal(start)
            conditions.append(exp.GTE(this=time.copy(), expression=literal))
        if end is not None:
            literal = self.dialect.instant_literal(end)
            conditions.append(exp.LT(this=time.copy(), expression=literal))
        return conditions


#: The aliases of a ranged row's lookups (positions.py): where its range starts and ends.
_FIRST, _LAST = "range_first", "range_last"
#: The column a state row's last period end (at or before its end) is computed in.
LAST_END = "metricsmith_last_end"
#: Values a row's subquery works out once (`ScanCompiler._per_row`), numbered.
PER_ROW = "metricsmith_row_"


def _any_row(
    node: b.BAggregate,
    value: exp.Expression | None,
    condition: exp.Expression | None,
    dialect: SqlDialect,
) -> tuple[b.BAggregate, exp.Expression]:
    """A distinct count of a value the pass groups on (`count_distinct(subscriptions.
    account_id)` per account) is 1 in a group with a row counting it, 0 otherwise: the
    largest of each row's 1 or 0, as `max` (which a second pass over buckets re-aggregates,
    distinct_passes.py). `COUNT(DISTINCT ...)` would group the group's rows again by the
    value (DuckDB, the customer-success cohorts: a second hash aggregate over 1.2M rows,
    0.3 s on one thread)."""
    assert value is not None, "a distinct count has an argument"
    tests: list[exp.Expr] = [exp.Not(this=exp.Is(this=paren(value), expression=exp.Null()))]
    if condition is not None:
        tests.append(exp.Paren(this=condition))
    counted = exp.Case().when(exp.and_(*tests), number(1)).else_(number(0))
    return attrs.evolve(node, function="max"), dialect.cast(exp.Max(this=counted), "bigint")


def _ordinals(count: int) -> list[exp.Expression]:
    """The first `count` output columns, by position: a pass groups on the columns it
    outputs first, and repeating their formulas (a period's CASE tree) would double them."""
    return [number(position) for position in range(1, count + 1)]


def _time_column(name: str) -> str:
    """The column a root's time read through links is computed in (a time placed `at` a
    linked column is named `source.column`)."""
    return f"metricsmith_time_{name.replace('.', '__')}"


def _open_or_from(stop: exp.Expression, end: exp.Expression) -> exp.Expression:
    """Still in force at `end`: no end, or an end at or after it."""
    return exp.Paren(
        this=exp.or_(exp.Is(this=stop, expression=exp.Null()), exp.GTE(this=stop, expression=end))
    )


def _aliased(table: str, alias: str) -> exp.Expr:
    return trees.table(table, alias, quoted=True)


def _aliases(scan: SourceScan) -> dict[tuple[str, ...], str]:
    """A table alias for the root and for each join: the source's name, numbered when a
    source is reached twice."""
    aliases: dict[tuple[str, ...], str] = {(): scan.source}
    taken = {scan.source}
    for join in scan.joins:
        alias, counter = join.source, 1
        while alias in taken:
            counter += 1
            alias = f"{join.source}_{counter}"
        taken.add(alias)
        aliases[join.path] = alias
    return aliases


def _source_at(project: CheckedProject, root: str, path: Sequence[str]) -> str:
    source = root
    for link in path:
        source = project.sources[source].links[link]
    return source
