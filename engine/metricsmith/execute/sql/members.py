"""The entities of a `per` over a source with a key (docs/time-intelligence.md, "Per-entity
iteration"), as SQL.

One row per row of the source: its key as the entity, its row-dimension values, and the first
of the level's periods it exists in. An entity is in a cell's entity set when it passes the
query's filters and exists by the end of the cell's period (`time < end`; an entity without a
time never does; docs/time-intelligence.md, "Per-entity iteration"): that first period is
where the level's period ends pass its time (positions.py), or never (the number of
periods) when it fails the filters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from attrs import frozen
from sqlglot import exp

from metricsmith.execute.sql import trees
from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.execute.sql.names import (
    COHORT_PERIOD,
    ENTITY,
    dimension_column,
    first_count_column,
)
from metricsmith.execute.sql.positions import LocalDays, locate, placed
from metricsmith.execute.sql.scans import ScanCompiler, ShownCohorts
from metricsmith.execute.sql.spine import PERIOD, LevelSpine
from metricsmith.execute.sql.unions import union
from metricsmith.plan.nodes import EntityMembers, Plan, SourceRead
from metricsmith.plan.periods import epoch_micros, from_epoch_micros, local_date, local_midnight

if TYPE_CHECKING:
    from metricsmith.execute.sql.cells import Counted, Part
    from metricsmith.execute.sql.compiler import Compilation

EXISTS_FROM, KEEP_FROM = "exists_from", "keep_from"
_SINCE = "member_since"


def members_select(
    plan: Plan,
    members: EntityMembers,
    reads: Mapping[str, SourceRead],
    compilation: Compilation,
    spine: LevelSpine,
    pruning: Pruning | None,
    parts: Sequence[Part],
    shown: ShownCohorts | None = None,
    cohort: int | None = None,
    counted: Sequence[Counted] = (),
) -> exp.Select:
    """The members of a level with periods `spine`. With `pruning`, each member also says
    from which period on its cells can matter. Each of the `parts` with openings adds the
    member's openings (0 without a row). With `shown`, only the members of those cohorts.
    With `cohort` (the index of the cohort among the dimensions), the period its cohort
    starts in (`cohort_period_of`), where no join is needed to find it. For each of the
    `counted` running counts, the first period the member's count is above 0 (`Counted`;
    the CTEs `first_counts` of their parts joined)."""
    # The members' rows are read like a scan's: the same aliases, links and row formulas.
    scanner = ScanCompiler(plan, members.as_scan(), reads, compilation)
    query = exp.select().from_(scanner.root(), copy=False)
    key = scanner.rows.compile(compilation.project.sources[members.source].value_of(members.key))
    outputs = [exp.alias_(key, ENTITY)]
    dimensions = [scanner.rows.compile(d) for d in members.dimensions]
    outputs += [exp.alias_(d, dimension_column(i)) for i, d in enumerate(dimensions)]
    passes = [scanner.rows.compile(f) for f in members.filters]
    first: exp.Expression = number(0)
    if members.time is not None:
        since = scanner.time_value(members.time)
        passes.append(exp.Not(this=exp.Is(this=since, expression=exp.Null())))
        query, first = locate(query, since, spine.ends(), _SINCE, compilation.dialect)
    periods = spine.timeline.count
    if passes:
        condition = exp.Coalesce(this=exp.and_(*passes), expressions=[exp.false()])
        first = exp.Case().when(condition, first).else_(number(periods))
    outputs.append(exp.alias_(first, EXISTS_FROM))
    if pruning is not None:
        outputs.append(exp.alias_(_keep_from(first, pruning, periods), KEEP_FROM))
    for part in parts:
        if part.openings is None:
            continue
        for name in part.running:
            opening = exp.Coalesce(
                this=exp.column(name, table=part.openings), expressions=[number(0)]
            )
            outputs.append(exp.alias_(opening, opening_column(name)))
    openings = {part.table: part.openings for part in parts}
    # One column per count, however many periods back the formulas test it.
    for test in {(test.table, test.value): test for test in counted}.values():
        outputs.append(exp.alias_(_first_count(test, openings[test.table]), test.first))
    query = query.select(*outputs, copy=False)
    tables = [part.openings for part in parts if part.openings is not None]
    tables += [first_counts_table(test.table) for test in counted]
    if pruning is not None and pruning.first_changes is not None:
        tables.append(pruning.first_changes)  # or one of the first counts (`Pruning.opened`)
    for table in dict.fromkeys(tables):
        same = exp.EQ(this=exp.column(ENTITY, table=table), expression=key.copy())
        query = trees.join(query, trees.table(table), same, "left")
    for join in members.joins:
        joined, on = scanner.joined(join), scanner.join_condition(join)
        query = trees.join(query, joined, on, "left")
    if shown is not None:
        query = query.where(shown.keeps(members.dimensions, scanner.rows), copy=False)
    if cohort is None:
        return query
    # Over the members' own columns, so the SQL names the cohort rather than repeating
    # the expression computing it at every comparison.
    date = exp.column(dimension_column(cohort), table=_MEMBERS)
    dialect, zone = compilation.dialect, plan.calendar.timezone
    period = cohort_period_of(date, spine, dialect, zone)
    if period is None:
        return query
    every = exp.Column(this=exp.Star(), table=exp.to_identifier(_MEMBERS))
    return exp.select(every, exp.alias_(period, COHORT_PERIOD)).from_(query.subquery(_MEMBERS))


_MEMBERS = "members"


def grouped_members(rows: str) -> exp.Select | exp.Union:
    """The members read from their rows' CTE `rows`, grouped, which some engines need to
    spread the cells' work over their threads (dialects.py `materialized_members`): a
    grouping's output is read on every thread, where a CTE read once is streamed from its
    scan (on DuckDB, one thread per Parquet row group). A key names one row
    (checked before the query runs, runner.py), so the members with a key are their distinct
    rows; those without one are each a member of their own, and are kept as they are."""
    entity = exp.column(ENTITY)
    keyed = (
        exp.select("*").from_(rows).where(exp.Not(this=exp.Is(this=entity, expression=exp.Null())))
    )
    unkeyed = exp.select("*").from_(rows).where(exp.Is(this=entity.copy(), expression=exp.Null()))
    return union([keyed.distinct(copy=False), unkeyed], distinct=False)


def shown_members(
    plan: Plan,
    members: EntityMembers,
    reads: Mapping[str, SourceRead],
    compilation: Compilation,
    shown: ShownCohorts,
) -> exp.Select:
    """The keys (`entity`) of the members of the `shown` cohorts, one CTE for every scan of
    the level: the scans keep only their rows, before placing them (the scans of a level
    over members group by entity alone, so they cannot test the cohort themselves)."""
    scanner = ScanCompiler(plan, members.as_scan(), reads, compilation)
    key = scanner.rows.compile(compilation.project.sources[members.source].value_of(members.key))
    query = exp.select(exp.alias_(key, ENTITY), copy=False).from_(scanner.root(), copy=False)
    for join in members.joins:
        joined, on = scanner.joined(join), scanner.join_condition(join)
        query = trees.join(query, joined, on, "left")
    return query.where(shown.keeps(members.dimensions, scanner.rows), copy=False)


def cohort_period_of(
    date: exp.Expression, spine: LevelSpine, dialect: SqlDialect, timezone: str
) -> exp.Expression | None:
    """The number of the spine's period holding the start of the day `date` (a cohort's),
    null when no period does: placed among the periods' inner bounds like a row's time
    (positions.py: arithmetic on month numbers, or a CASE tree). None where the bounds are
    too many for that (the cells join the spine instead, cells.py). Per member rather than
    per cell, and no range join: the cohorts' range join to the spine ran for each of
    511,588 cells (DuckDB, one thread: 0.52 -> 0.43 s CPU without it, 0.40 s per member)."""
    bounds = spine.timeline.bounds
    if bounds is None:  # one period, every row: every cohort is in it
        return exp.Case().when(exp.Not(this=exp.Is(this=date, expression=exp.Null())), number(0))
    inner = spine.inner()
    by_day = _by_day(date, [int(b) for b in bounds], inner.instants, dialect, timezone)
    if by_day is not None:
        return by_day
    if inner.joined:
        return None
    start = dialect.midnight(date, timezone)
    first, last = (dialect.instant_literal(from_epoch_micros(int(b))) for b in bounds[[0, -1]])
    within = exp.and_(
        exp.GTE(this=start.copy(), expression=first), exp.LT(this=start.copy(), expression=last)
    )
    return exp.Case().when(within, placed(start, inner, dialect), copy=False)


def _by_day(
    date: exp.Expression,
    bounds: Sequence[int],
    inner: Sequence[int],
    dialect: SqlDialect,
    timezone: str,
) -> exp.Expression | None:
    """`cohort_period_of` from the day itself where every bound begins a local day and the
    inner ones are evenly many days or months apart (`LocalDays`): the day compared with
    the bounds' days, its period by arithmetic on it. The day's midnight is never computed:
    on DuckDB a date cast to an instant goes through the time zone rules even in UTC (the
    cohorts' 111,059 accounts: about 10 ms of the query's 180 ms of CPU). Else None."""
    days = LocalDays.of(tuple(inner), timezone)
    if days is None or not all(_begins_day(bound, timezone) for bound in (bounds[0], bounds[-1])):
        return None

    def day(micros: int) -> exp.Expression:
        return dialect.date_literal(local_date(from_epoch_micros(micros), timezone))

    position = (
        exp.Case()
        .when(exp.LT(this=date.copy(), expression=day(inner[0])), number(0), copy=False)
        .when(exp.GTE(this=date.copy(), expression=day(inner[-1])), number(len(inner)), copy=False)
        .else_(days.day_index(date.copy(), dialect), copy=False)
    )
    within = exp.and_(
        exp.GTE(this=date.copy(), expression=day(bounds[0])),
        exp.LT(this=date.copy(), expression=day(bounds[-1])),
    )
    return exp.Case().when(within, position, copy=False)


def _begins_day(micros: int, timezone: str) -> bool:
    day = local_date(from_epoch_micros(micros), timezone)
    return epoch_micros(local_midnight(day, timezone)) == micros


@frozen
class Pruning:
    """Which cells of a level over members can matter: those from `reach` periods before
    the member exists on (what offsets of cells in its entity set read), and from the first
    change of a running total on (`first_changes`: the CTE holding each member's first)."""

    reach: int
    first_changes: str | None
    #: Where `first_changes` is one part's first counts (`first_counts` with `change`), that
    #: part's openings: a member with a row there first changes in the level's first period.
    opened: str | None = None


FIRST_CHANGE = "first_change"


def _keep_from(exists_from: exp.Expression, pruning: Pruning, periods: int) -> exp.Expression:
    earliest = exists_from.copy()
    if pruning.reach:
        earliest = exp.Sub(this=earliest, expression=number(pruning.reach))
    if pruning.first_changes is None:
        return earliest
    first: exp.Expression = exp.column(FIRST_CHANGE, table=pruning.first_changes)
    if pruning.opened is not None:
        opened = exp.Not(
            this=exp.Is(this=exp.column(ENTITY, table=pruning.opened), expression=exp.Null())
        )
        first = exp.Case().when(opened, number(0)).else_(first)
    changed = exp.Coalesce(this=first, expressions=[number(periods)])
    # Neither side is null (`exists_from` is a number of periods in every case): nulls need
    # no test, which sqlglot otherwise writes around LEAST for DuckDB.
    return exp.Least(this=earliest, expressions=[changed], ignore_nulls=True)


def opening_column(name: str) -> str:
    """The members' column holding a running column's opening."""
    return f"opening_{name}"


def first_changes(parts: Sequence[Part]) -> exp.Select:
    """The first period each member's running totals change in (an opening: the first)."""
    selects = [exp.select(ENTITY, PERIOD).from_(part.table) for part in parts if part.running]
    selects += [
        exp.select(ENTITY, exp.alias_(number(0), PERIOD)).from_(part.openings)
        for part in parts
        if part.openings is not None
    ]
    changes = exp.Subquery(
        this=union(selects, distinct=False), alias=exp.TableAlias(this="changes")
    )
    first = exp.alias_(exp.Min(this=exp.column(PERIOD)), FIRST_CHANGE)
    return exp.select(ENTITY, first).from_(changes).group_by(exp.column(ENTITY))


def first_counts_table(part: str) -> str:
    """The CTE of where each member's running counts held by `part` first change above 0."""
    return f"{part}_first_counts"


def first_counts(part: str, columns: Sequence[str], change: bool = False) -> exp.Select:
    """Per member with a row in `part`, the first period each of its running count `columns`
    changes above 0 (null where it never does); with `change`, also the first period any of
    its running columns changes in (`first_change`, as `first_changes` over this part)."""
    firsts = [exp.alias_(exp.Min(this=exp.column(PERIOD)), FIRST_CHANGE)] if change else []
    firsts += [
        exp.alias_(
            exp.Min(
                this=exp.Case().when(
                    exp.GT(this=exp.column(name), expression=number(0)), exp.column(PERIOD)
                )
            ),
            first_count_column(name),
        )
        for name in columns
    ]
    return exp.select(ENTITY, *firsts).from_(part).group_by(exp.column(ENTITY))


def _first_count(test: Counted, openings: str | None) -> exp.Expression:
    """The first period the member's count is above 0: the level's first where its opening
    is, else where its part's changes first are."""
    first = exp.column(test.first, table=first_counts_table(test.table))
    if openings is None:
        return first
    opened = exp.GT(this=exp.column(test.value, table=openings), expression=number(0))
    return exp.Case().when(opened, number(0)).else_(first)
