"""Where instants fall among a level's boundaries (its period ends, or where a window starts
at each period end): `searchsorted(boundaries, t, side="right")`, the number of boundaries at
or before t, null for a null t.

Up to `TREE_LIMIT` boundaries the position is a balanced CASE over them: log2(n) comparisons
per row and no join. A lookup table joined on `lo <= t < hi` makes engines sort every row
against it (a range join); on the revenue benchmark that was 1.0 s of DuckDB's 5.3 s of work.
A tree's SQL grows with the boundaries and is repeated at every use, though, so beyond the
limit the position comes from joining a lookup table, one CTE per level and set of
boundaries.

Boundaries evenly spaced (days and weeks in UTC: `Evenly`) need neither: the position is
integer arithmetic on the instant. Boundaries that begin local days a fixed number of days
apart or the firsts of months a fixed number of months apart (`LocalDays`: days and weeks
across clock changes, months over years) are placed by arithmetic on the instant's local date:
in UTC where the dialect computes a local date cheaply (`SqlDialect.cheap_utc_local_dates`:
three years of months are then 12 lines instead of a tree's 150), elsewhere when they are
too many for a tree (converting an instant to a zone with clock changes costs more than a
tree's comparisons). Either way a
per-day level over years places rows without a range join (DuckDB: the range join was 410 s
of 486 s on 89.5M events) and without a tree of CASEs in the SQL.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Sequence

from attrs import frozen
from sqlglot import exp

from metricsmith.execute.sql import trees
from metricsmith.execute.sql.dialects import SqlDialect, number, values
from metricsmith.plan.periods import epoch_micros, from_epoch_micros, local_date, local_midnight

TREE_LIMIT = 64
LO, HI, POSITION = "lo", "hi", "position"
#: Stand for instants before and after any data in the lookups' open-ended intervals.
_EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


@frozen
class Evenly:
    """Boundaries `step` µs apart from `first`: days and weeks in UTC or any zone without a
    clock change among them. Placing an instant is integer arithmetic on it, with no time
    zone (DuckDB: 10M events placed among 35 month ends by a tree in 0.9 s, by their local
    date in 5.2 s)."""

    first: int
    step: int

    @classmethod
    def of(cls, instants: tuple[int, ...]) -> Evenly | None:
        steps = {later - earlier for earlier, later in itertools.pairwise(instants)}
        if len(steps) != 1 or min(steps) <= 0:
            return None
        return cls(instants[0], min(steps))

    def position(
        self, instant: exp.Expression, instants: Sequence[int], dialect: SqlDialect
    ) -> exp.Expression:
        return _clamped(instant, instants, self.index(instant, dialect), dialect)

    def index(self, instant: exp.Expression, dialect: SqlDialect) -> exp.Expression:
        """The position of an instant no earlier than a step before the first boundary and
        before the last, untested: the steps since the step before the first (a non-negative
        difference: integer division is the floor)."""
        before = number(self.first - self.step)
        since = exp.Paren(
            this=exp.Sub(this=dialect.epoch_micros(instant.copy()), expression=before)
        )
        return dialect.cast(exp.IntDiv(this=since, expression=number(self.step)), "bigint")


@frozen
class LocalDays:
    """Boundaries that begin the local days `first`, `first + step` units, ... in `timezone`,
    the unit a day or (from the first of a month) a month: an instant is at or after one
    exactly when its local date is on or after that day."""

    first: dt.date
    step: int
    timezone: str
    months: bool = False

    @classmethod
    @functools.cache
    def of(cls, instants: tuple[int, ...], timezone: str) -> LocalDays | None:
        """The days `instants` begin, when each begins a local day, they are equally many
        days apart (a week at most: days and weeks) or equally many months apart from the
        first of a month (months, quarters, years), and local dates do not go back across
        them (a clock turned back over midnight would put instants after a boundary on the
        day before); otherwise None."""
        days = [local_date(from_epoch_micros(int(t)), timezone) for t in instants]
        for instant, day in zip(instants, days, strict=True):
            if epoch_micros(local_midnight(day, timezone)) != instant or not _days_forward(
                int(instant), day, timezone
            ):
                return None
        steps = {(later - earlier).days for earlier, later in itertools.pairwise(days)}
        if len(steps) == 1 and 1 <= min(steps) <= _WEEK:
            return cls(days[0], min(steps), timezone)
        months = {_month(later) - _month(earlier) for earlier, later in itertools.pairwise(days)}
        if len(months) == 1 and min(months) >= 1 and all(day.day == 1 for day in days):
            return cls(days[0], min(months), timezone, months=True)
        return None

    def position(
        self, instant: exp.Expression, instants: Sequence[int], dialect: SqlDialect
    ) -> exp.Expression:
        return _clamped(instant, instants, self.index(instant, dialect), dialect)

    def index(self, instant: exp.Expression, dialect: SqlDialect) -> exp.Expression:
        """The position of an instant no earlier than a step before the first boundary and
        before the last, untested: the local days (months) since the step before the first
        over the step (a non-negative number: integer division is the floor)."""
        return self.day_index(dialect.local_date(instant, self.timezone), dialect)

    def day_index(self, local: exp.Expression, dialect: SqlDialect) -> exp.Expression:
        """`index` of the instant a local date begins, from the date: no time zone."""
        if self.months:
            before = _first_of_month(_month(self.first) - self.step)
        else:
            before = self.first - dt.timedelta(days=self.step)
        units = self._units(local, before, dialect)
        if self.step == 1:
            return units
        return dialect.cast(exp.IntDiv(this=units, expression=number(self.step)), "bigint")

    def _units(self, local: exp.Expression, day: dt.date, dialect: SqlDialect) -> exp.Expression:
        """The days (months) from `day` to the local date `local`."""
        if self.months:
            month = exp.Add(
                this=exp.Mul(this=dialect.extract("year", local), expression=number(12)),
                expression=dialect.extract("month", local.copy()),
            )
            # `year * 12 + month` is one more than `_month`'s count for the same day.
            first = number(_month(day) + 1)
            return exp.Paren(this=exp.Sub(this=month, expression=first))
        return dialect.days_between(dialect.date_literal(day), local)


def _clamped(
    instant: exp.Expression, instants: Sequence[int], index: exp.Expression, dialect: SqlDialect
) -> exp.Expression:
    """How many of `instants` are at or before the instant: none before the first, all from
    the last on, else `index` (worked out only there). A null instant matches no test and
    gives null."""

    def at(micros: int) -> exp.Expression:
        return dialect.instant_literal(from_epoch_micros(micros))

    first, last = instants[0], instants[-1]
    return (
        exp.Case()
        .when(exp.LT(this=instant.copy(), expression=at(first)), number(0), copy=False)
        .when(exp.GTE(this=instant.copy(), expression=at(last)), number(len(instants)), copy=False)
        .else_(index, copy=False)
    )


def _month(day: dt.date) -> int:
    """Months since year 0: consecutive months are consecutive numbers."""
    return day.year * 12 + day.month - 1


def _first_of_month(month: int) -> dt.date:
    """The first day of a month counted as `_month` counts it."""
    return dt.date(month // 12, month % 12 + 1, 1)


_WEEK = 7
_FEW = 4


def _days_forward(instant: int, day: dt.date, timezone: str) -> bool:
    """Whether local dates stay on or after `day` for the hours after `instant` (its start),
    where a clock turned back over midnight would show the day before again."""
    hour = 3_600_000_000
    return all(
        local_date(from_epoch_micros(instant + hours * hour), timezone) >= day
        for hours in range(0, 4)
    )


def arithmetic(instants: tuple[int, ...], timezone: str) -> Evenly | LocalDays | None:
    """How arithmetic places instants among `instants`, where it beats the alternative:
    evenly spaced boundaries, more than a few (a tree of a few is as short); boundaries of
    local days or months in UTC, whose local dates are plain arithmetic on the instant
    (DuckDB: 9M events among 35 month ends in 0.19 s, 0.13 s by a tree of 150 lines), or
    elsewhere too many for a tree, rather than a range join (converting to local dates in
    a zone with clock changes is 10x slower than a tree's comparisons)."""
    if len(instants) <= _FEW:
        return None
    if evenly := Evenly.of(instants):
        return evenly
    if timezone == "UTC" or len(instants) > TREE_LIMIT:
        return LocalDays.of(instants, timezone)
    return None


@frozen
class Boundaries:
    """Non-decreasing instants (µs; equal ones give empty intervals) and the name of the CTE
    holding them as a lookup table when there are more than a tree takes and `arithmetic`
    does not place them."""

    instants: tuple[int, ...]
    lookup: str
    arithmetic: Evenly | LocalDays | None = None

    @property
    def joined(self) -> bool:
        return self.arithmetic is None and len(self.instants) > TREE_LIMIT

    def table(self, dialect: SqlDialect) -> exp.Select:
        """The lookup table: an instant in `[lo, hi)` has that position."""
        edges = [epoch_micros(_EARLIEST), *self.instants, epoch_micros(_LATEST)]
        rows = [
            (
                dialect.instant_literal(from_epoch_micros(low)),
                dialect.instant_literal(from_epoch_micros(high)),
                number(position),
            )
            for position, (low, high) in enumerate(itertools.pairwise(edges))
        ]
        table = values(rows, "lookup", [LO, HI, POSITION])
        return exp.select(LO, HI, POSITION).from_(table)


def locate(
    query: exp.Select,
    instant: exp.Expression,
    boundaries: Boundaries,
    alias: str,
    dialect: SqlDialect,
) -> tuple[exp.Select, exp.Expression]:
    """The instant's position, and the query with what computing it needs: nothing for
    local days or a tree, a LEFT JOIN of the lookup table under `alias` otherwise."""
    if not boundaries.joined:
        return query, placed(instant, boundaries, dialect)
    holds = exp.and_(
        exp.LTE(this=exp.column(LO, table=alias), expression=instant.copy()),
        exp.GT(this=exp.column(HI, table=alias), expression=instant.copy()),
    )
    joined = trees.join(query, trees.table(boundaries.lookup, alias), holds, "left")
    return joined, exp.column(POSITION, table=alias)


def placed(instant: exp.Expression, boundaries: Boundaries, dialect: SqlDialect) -> exp.Expression:
    """The position of boundaries that need no join: by arithmetic, or a CASE tree."""
    assert not boundaries.joined, "a lookup's positions come from joining it (`locate`)"
    placing = boundaries.arithmetic
    few = len(boundaries.instants) <= TREE_LIMIT
    if isinstance(placing, LocalDays) and few and not dialect.cheap_utc_local_dates:
        placing = None  # local dates in UTC (`arithmetic`) cost more than a tree here
    if placing is not None:
        return placing.position(instant, boundaries.instants, dialect)
    return position(instant, boundaries.instants, dialect)


def position(
    instant: exp.Expression, boundaries: Sequence[int], dialect: SqlDialect
) -> exp.Expression:
    """The position as a balanced CASE over the boundaries: log2(n) comparisons per row."""

    def literal(index: int) -> exp.Expression:
        return dialect.instant_literal(from_epoch_micros(int(boundaries[index])))

    def count(low: int, high: int) -> exp.Expression:
        if low == high:
            return number(low)
        middle = (low + high) // 2
        before = exp.LT(this=instant.copy(), expression=literal(middle))
        # copy=False: the builders copy their arguments, which would copy each subtree
        # once per level above it.
        return (
            exp.Case()
            .when(before, count(low, middle), copy=False)
            .else_(count(middle + 1, high), copy=False)
        )

    if not len(boundaries):
        return exp.Case().when(exp.Not(this=exp.Is(this=instant, expression=exp.Null())), number(0))
    middle, high = len(boundaries) // 2, len(boundaries)
    # Spelled out at the root only, so a null instant matches neither branch.
    before = exp.LT(this=instant.copy(), expression=literal(middle))
    after = exp.GTE(this=instant.copy(), expression=literal(middle))
    return (
        exp.Case()
        .when(before, count(0, middle), copy=False)
        .when(after, count(middle + 1, high), copy=False)
    )
