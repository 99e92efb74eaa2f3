"""A level's cells: every period of its spine × every unit, with each grouped part's values.

The units are the entities of a `per` over a source with a key (its members), or else every
combination of key values some part saw (`combos`: the level's dimensions, and the entity at a
per-entity level whose entities are identifiers). The parts are the level's scans and its
children's combined `per` aggregates; each is LEFT JOINed on (period, keys) with null-safe
equality, and a cell a part has no group for gets the aggregate's value over nothing (0 for
counts and sums, null otherwise), or for a child with `without_rows` (plan/nodes.py `PerLevel`)
that level's value in the cell's period. At a per-entity level each cell also says whether its
entity is in the cell's entity set (`in_set`), and a level reading values at a cohort's start
says which of its periods each cell's cohort falls in.

At a level over members, a leaf read some periods back (`customers[-1]`) is read from its part
joined to itself at the earlier period (`Lagged`), rather than by a window over the cells: a
`LAG` partitioned by member sorts every cell (DuckDB, the customer-success retention on one
thread: 2.0 s of 4.5 s for 2.7M cells), where the join is a hash lookup like the part's own.
The part and its earlier rows are one FULL JOIN of the part's own rows (`_with_earlier`), which
the cells then join once: DuckDB builds the hash table of a cells' LEFT JOIN on the cells (it
underestimates them), so a second join of the cells to the part held a second table of every
cell (retention: 2.5M cells, peak memory 720 MB against 590 MB with the part joined to itself).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from attrs import frozen
from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.execute.sql.members import (
    EXISTS_FROM,
    KEEP_FROM,
    cohort_period_of,
    opening_column,
)
from metricsmith.execute.sql.names import (
    COHORT_PERIOD,
    ENTITY,
    IN_SET,
    LevelNames,
    first_count_column,
)
from metricsmith.execute.sql.names import dimension_column as dimension
from metricsmith.execute.sql.spine import (
    LABEL,
    PARENT_PERIOD,
    PERIOD,
    PERIOD_END,
    PERIOD_START,
    LevelSpine,
)
from metricsmith.execute.sql.unions import union
from metricsmith.plan.nodes import Level


@frozen
class Part:
    """A grouped CTE joined to the cells: `table`, and its value columns with each one's
    value over nothing (None: null). `present` parts mark the cells whose entity they saw,
    and parts with a `seen` column the cells where it says so (sub-periods, combine.py);
    the `running` columns hold changes, whose running totals along the periods are the
    values (ranges.py). `openings` (levels over members) is the CTE of what each member's
    running columns add in the level's first period besides the part's own changes: the
    members' columns `opening_<name>` (members.py)."""

    table: str
    values: tuple[tuple[str, int | float | None], ...]
    present: bool = False
    seen: str | None = None
    running: tuple[str, ...] = ()
    openings: str | None = None
    #: False for a part with one row per period for every unit (combine.shared_by_units).
    keyed: bool = True
    #: The CTE (one row per period) whose values a cell this part has no row for takes: a
    #: child's `without_rows` (plan/nodes.py `PerLevel`).
    without_rows: str | None = None
    #: The running columns that count rows over all time: their changes are never negative,
    #: so their total is above 0 from the first change above 0 on (`Counted`).
    counts: tuple[str, ...] = ()


@frozen
class Lagged:
    """The cell column `column`: the value `value` of part `table` (over nothing: `empty`)
    `shift` periods before the cell, for the member of the cell, null where the member has
    no cell then (before the level's first period, or its first kept one)."""

    column: str
    table: str
    value: str
    empty: int | float | None
    shift: int

    @property
    def alias(self) -> str:
        return f"{self.table}_back_{self.shift}"


@frozen
class Counted:
    """The cell column `column`, for a level over members: 1 where the running count `value`
    of part `table` was above 0 `shift` periods before the cell, else 0; null before the
    level's first period. The count's only use is a comparison with 0 (formulas.py
    `counted_tests`), which this answers as the count would: a count over all time never
    falls, so it is above 0 from the member's first change above 0 on (its opening, or the
    part's first row with one; the members' column `first`, members.py) — no running total,
    no window over the cells."""

    column: str
    table: str
    value: str
    shift: int

    @property
    def first(self) -> str:
        return first_count_column(self.value)


def key_columns(level: Level) -> list[str]:
    """The columns naming a level's units: its dimensions, then the entity if it has one."""
    names = [dimension(i) for i in range(len(level.labels))]
    return [*names, ENTITY] if level.entity is not None else names


@frozen
class RangeCohorts:
    """The cohorts of the query's range (`Plan.cohorts`) at the level whose dimension
    `column` is the cohort: each is a unit, with every combination of the other keys seen."""

    column: str
    days: tuple[dt.date, ...]
    dialect: SqlDialect


def combinations(
    level: Level,
    parts: Sequence[Part],
    nulls: Sequence[exp.Expression],
    cohorts: RangeCohorts | None = None,
) -> exp.Expression:
    """Every combination of the level's keys some part has. `nulls` holds a null of each
    key's type, for a level without parts: its empty set of combinations keeps the keys'
    types, which a parent's union with other parts needs (PostgreSQL reads a bare NULL as
    text, and refuses to unite it with a boolean)."""
    keys = key_columns(level)
    selects = [exp.select(*keys).from_(part.table) for part in parts if part.keyed]
    if not selects:  # no part, no combination
        nulls_as_keys = [exp.alias_(null, key) for null, key in zip(nulls, keys, strict=True)]
        selects = [exp.select(*nulls_as_keys).where(exp.false())]
    if cohorts is not None:
        selects.append(_with_cohorts(keys, union(selects, distinct=True), cohorts))
    if len(selects) == 1:
        return selects[0].distinct()
    return union(selects, distinct=True)


def _with_cohorts(
    keys: list[str], seen: exp.Select | exp.Union, cohorts: RangeCohorts
) -> exp.Select:
    """Every cohort of the range with every combination of the other keys in `seen` (each
    cohort alone when it is the only key)."""
    days = [
        exp.select(exp.alias_(cohorts.dialect.date_literal(day), cohorts.column))
        for day in cohorts.days
    ]
    listed = union(days, distinct=False).subquery("range_cohorts")
    columns = [
        exp.column(key, table="range_cohorts" if key == cohorts.column else "seen_units")
        for key in keys
    ]
    query = exp.select(*columns).from_(listed)
    if len(keys) == 1:
        return query
    return query.join(seen.subquery("seen_units"), join_type="cross")


@frozen
class CohortPeriod:
    """Where a level reads cohorts: the dimension column holding each unit's cohort (a
    date), and how a date becomes an instant in the calendar's zone."""

    column: str
    dialect: SqlDialect
    timezone: str


def cells(
    level: Level,
    names: LevelNames,
    spine: LevelSpine,
    parts: Sequence[Part],
    cohort: CohortPeriod | None,
    pruned: bool = False,
    lagged: Sequence[Lagged] = (),
    sparse: bool = False,
    before_first: bool = False,
    counted: Sequence[Counted] = (),
    carried: bool = False,
) -> exp.Select:
    """`pruned` (levels over members only) leaves out the cells that cannot matter, before
    anything is joined to them: those before the period each member keeps cells from
    (members.py). `lagged` (levels over members only): the earlier values to read.
    `sparse` (a level over members with one part, sparse.py): only the cells the part has
    a row for, its rows joined to their periods and members instead of a grid.
    `before_first` (with `pruned`): each member's cells start where it can first hold
    rows (formulas.py `reads_before_first`), so a `lagged` value before them is the
    part's value over nothing rather than unknown. `counted` (levels over members only):
    the zero tests of running counts to answer. `carried` (with `sparse`): the part's rows
    carry their members' dimensions and entity-set test (scans.py `CarriedMembers`), so the
    cells read them there, with no join to the members."""
    keys = key_columns(level)
    units = names.members if level.members is not None else names.combos
    if carried:
        units = parts[0].table
    own = sparse and _own_periods(spine, parts, lagged, counted)
    at = exp.column(PERIOD, table=parts[0].table) if own else spine.column(PERIOD)
    outputs: list[exp.Expr] = [at]
    if spine.labels:
        outputs.append(spine.column(LABEL))
    if own:
        outputs.append(exp.alias_(at.copy(), PARENT_PERIOD))
    elif spine.parents is not None:
        outputs.append(spine.column(PARENT_PERIOD))
    outputs += [exp.column(key, table=units) for key in keys]
    if carried:
        outputs.append(exp.column(IN_SET, table=units))
    elif level.members is not None:
        exists = exp.GTE(this=at.copy(), expression=exp.column(EXISTS_FROM, table=units))
        outputs.append(exp.alias_(exists, IN_SET))
    elif level.entity is not None:
        seen: list[exp.Expr] = [
            exp.Not(this=exp.Is(this=exp.column(PERIOD, table=p.table), expression=exp.Null()))
            for p in parts
            if p.present
        ]
        seen += [
            exp.EQ(this=exp.column(p.seen, table=p.table), expression=number(1))
            for p in parts
            if p.seen is not None
        ]
        outputs.append(exp.alias_(exp.or_(*seen) if seen else exp.false(), IN_SET))
    if cohort is not None:
        # Carried, a member's cohort period is computed from the cohort's day in its cells.
        period = _cohort_period(cohort, units, spine, level.members is not None and not carried)
        outputs.append(exp.alias_(period, COHORT_PERIOD))
    query_joins: list[tuple[exp.Expr, exp.Expr]] = [
        (_with_earlier(part, lagged), _same_cell(part, units, spine, level))
        for part in parts
        if not sparse
    ]
    query_joins += [
        (exp.to_table(part.without_rows), _same_period(part.without_rows, spine))
        for part in parts
        if part.without_rows is not None
    ]
    if cohort is not None and spine.timeline.bounds is not None and spine.inner().joined:
        query_joins.append(_cohort_join(cohort, units, spine))
    for part in parts:
        for name, empty in part.values:
            value: exp.Expr = exp.column(name, table=part.table)
            if part.without_rows is not None:
                missing = exp.Is(this=exp.column(PERIOD, table=part.table), expression=exp.Null())
                fallback = exp.column(name, table=part.without_rows)
                value = exp.Case().when(missing, fallback).else_(value)
            if empty is not None:
                value = exp.Coalesce(this=value, expressions=[number(empty)])
            if part.openings is not None and name in part.running:
                value = _with_opening(value, name, units, spine)
            outputs.append(exp.alias_(value, name))
    cut = pruned and not before_first
    outputs += [_earlier_value(lag, units, spine, cut) for lag in lagged]
    outputs += [_counted_before(test, units, spine) for test in counted]
    if sparse:
        (part,) = parts
        query = exp.select(*outputs).from_(part.table)
        if not own:
            query = query.join(spine.name, on=_same_period(part.table, spine), copy=False)
        if not carried:
            query = query.join(units, on=_same_member(part.table, units), copy=False)
    else:
        query = exp.select(*outputs).from_(spine.name)
    if pruned:
        kept = exp.GTE(this=spine.column(PERIOD), expression=exp.column(KEEP_FROM, table=units))
        query = query.join(units, on=kept, copy=False)
    elif keys and not sparse:
        query = query.join(units, join_type="cross", copy=False)
    for table, condition in query_joins:
        query = query.join(table, on=condition, join_type="left", copy=False)
    return query


def _own_periods(
    spine: LevelSpine, parts: Sequence[Part], lagged: Sequence[Lagged], counted: Sequence[Counted]
) -> bool:
    """Whether a sparse level's cells take their periods from their part's rows alone, with
    no join to the spine: each period is its own parent period (the parent's periods, none
    before or after them), and the cells read nothing else of the spine (a label, earlier
    values, running counts, openings). The part's rows are placed in the spine's periods
    already (the cohorts: a hash join of 511,588 rows to the 12 months saved)."""
    parents = spine.parents
    if spine.labels or parents is None or lagged or counted:
        return False
    if any(part.openings is not None for part in parts):
        return False
    return bool(np.array_equal(parents, np.arange(len(parents))))


def _with_earlier(part: Part, lagged: Sequence[Lagged]) -> exp.Expr:
    """The part's table, or where values are read from it some periods back, the part FULL
    JOINed to itself `shift` periods earlier (alias `<table>_back_<shift>`) for each shift,
    named as the part: a row for each (period, member) that has a row then or `shift`
    periods before, with the part's columns (null where it has no row in the period) and
    each earlier value as the cell column (`Lagged.column`, null where none)."""
    table = exp.to_table(part.table)
    reads = [lag for lag in lagged if lag.table == part.table]
    if not reads:
        return table
    now = "now_rows"
    aliases = {lag.alias: lag.shift for lag in reads}
    # A row's period and member as each side would name them: its own, or the earlier row's
    # moved forward by the shift.
    periods: list[exp.Expr] = [exp.column(PERIOD, table=now)]
    entities: list[exp.Expr] = [exp.column(ENTITY, table=now)]
    query = exp.select().from_(exp.alias_(table.copy(), now, table=True))
    for alias, shift in aliases.items():
        moved = exp.Add(this=exp.column(PERIOD, table=alias), expression=number(shift))
        on = exp.and_(
            exp.EQ(this=moved, expression=_first(periods)),
            exp.EQ(this=exp.column(ENTITY, table=alias), expression=_first(entities)),
        )
        query = query.join(exp.alias_(table.copy(), alias, table=True), on=on, join_type="full")
        periods.append(moved.copy())
        entities.append(exp.column(ENTITY, table=alias))
    columns = [name for name, _ in part.values] + ([part.seen] if part.seen else [])
    outputs: list[exp.Expr] = [
        exp.alias_(_first(periods), PERIOD),
        exp.alias_(_first(entities), ENTITY),
        *(exp.alias_(exp.column(name, table=now), name) for name in columns),
        *(
            exp.alias_(exp.column(lag.value, table=lag.alias), lag.column)
            for lag in dict.fromkeys(reads)
        ),
    ]
    return query.select(*outputs).subquery(part.table)


def _first(values: list[exp.Expr]) -> exp.Expr:
    """The first of `values` that is not null (the value itself when there is one)."""
    if len(values) == 1:
        return values[0].copy()
    return exp.Coalesce(this=values[0].copy(), expressions=[v.copy() for v in values[1:]])


def _earlier_value(lag: Lagged, units: str, spine: LevelSpine, pruned: bool) -> exp.Expr:
    """The value `shift` periods back where the member has a cell then, as `LAG` over its
    cells would read it; null where it has none (`pruned`: none before its first kept
    cell, else none before the level's first period)."""
    earlier = exp.Sub(this=spine.column(PERIOD), expression=number(lag.shift))
    exists = [exp.GTE(this=earlier, expression=number(0))]
    if pruned:
        exists.append(exp.GTE(this=earlier.copy(), expression=exp.column(KEEP_FROM, table=units)))
    value: exp.Expr = exp.column(lag.column, table=lag.table)
    if lag.empty is not None:
        value = exp.Coalesce(this=value, expressions=[number(lag.empty)])
    return exp.alias_(exp.Case().when(exp.and_(*exists), value), lag.column)


def _counted_before(test: Counted, units: str, spine: LevelSpine) -> exp.Expr:
    """`Counted`'s column: whether the member's first change above 0 came `shift` periods
    before the cell or earlier (null where the member has none: 0)."""
    earlier = exp.Sub(this=spine.column(PERIOD), expression=number(test.shift))
    first = exp.column(test.first, table=units)
    above = exp.Case().when(exp.LTE(this=first, expression=earlier), number(1)).else_(number(0))
    reached = exp.GTE(this=earlier.copy(), expression=number(0))
    return exp.alias_(exp.Case().when(reached, above), test.column)


def _with_opening(changes: exp.Expr, name: str, units: str, spine: LevelSpine) -> exp.Expression:
    """A running column's changes with the member's opening added in the first period."""
    first = exp.EQ(this=spine.column(PERIOD), expression=number(0))
    opening = exp.column(opening_column(name), table=units)
    added = exp.Case().when(first, opening).else_(number(0))
    return exp.Add(this=exp.Coalesce(this=changes, expressions=[number(0)]), expression=added)


def _same_period(table: str, spine: LevelSpine) -> exp.Expr:
    return exp.EQ(this=exp.column(PERIOD, table=table), expression=spine.column(PERIOD))


def _same_member(table: str, units: str) -> exp.Expr:
    return exp.EQ(this=exp.column(ENTITY, table=table), expression=exp.column(ENTITY, table=units))


def _same_cell(part: Part, units: str, spine: LevelSpine, level: Level) -> exp.Expr:
    period = _same_period(part.table, spine)
    if not part.keyed:
        return period
    table = part.table
    if level.members is not None:
        # Every part of a level over members is grouped by entity alone.
        return exp.and_(period, _same_member(table, units))
    same = [
        exp.NullSafeEQ(this=exp.column(key, table=table), expression=exp.column(key, table=units))
        for key in key_columns(level)
    ]
    return exp.and_(period, *same)


COHORT_SPINE = "cohort_spine"


def _cohort_period(cohort: CohortPeriod, units: str, spine: LevelSpine, members: bool) -> exp.Expr:
    """The number of the spine's period holding the start of each unit's cohort (null when
    no period of the level does): computed per member where the units are members
    (members.py `cohort_period_of`), else here, or where there are too many bounds to place
    it, read from the spine joined at the period holding it (`_cohort_join`)."""
    if spine.timeline.bounds is not None and spine.inner().joined:
        return exp.column(PERIOD, table=COHORT_SPINE)
    if members:
        return exp.column(COHORT_PERIOD, table=units)
    date = exp.column(cohort.column, table=units)
    period = cohort_period_of(date, spine, cohort.dialect, cohort.timezone)
    assert period is not None, "placed without a join"
    return period


def _cohort_join(cohort: CohortPeriod, units: str, spine: LevelSpine) -> tuple[exp.Expr, exp.Expr]:
    """The spine again, joined to each unit at the period its cohort starts in."""
    start = cohort.dialect.midnight(exp.column(cohort.column, table=units), cohort.timezone)
    inside = exp.and_(
        exp.LTE(this=exp.column(PERIOD_START, table=COHORT_SPINE), expression=start),
        exp.GT(this=exp.column(PERIOD_END, table=COHORT_SPINE), expression=start),
    )
    table = exp.alias_(exp.to_table(spine.name), COHORT_SPINE, table=True)
    return table, inside
