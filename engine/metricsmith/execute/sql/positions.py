"""Where instants fall among a level's boundaries (its period ends, or where a window starts
at each period end): `searchsorted(boundaries, t, side="right")`, the number of boundaries at
or before t, null for a null t.

Up to `TREE_LIMIT` boundaries the position is a balanced CASE over them: log2(n) comparisons
per row and no join. A lookup table joined on `lo <= t < hi` makes engines sort every row
against it (a range join); on the revenue benchmark that was 1.0 s of DuckDB's 5.3 s of work.
A tree's SQL grows with the boundaries and is repeated at every use, though, so beyond the
limit the position comes from joining a lookup table, one CTE per level and set of
boundaries.

Boundaries that are the first instants of local days a fixed number of days apart (daily and
weekly periods, windows of days: `LocalDays`) need neither: the position is arithmetic on the
instant's local date, so a per-day level over years places rows without a range join (DuckDB:
the range join was 410 s of 486 s on 89.5M events) and without a tree of CASEs in the SQL.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Sequence

from attrs import frozen
from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect, number, values
from metricsmith.plan.periods import epoch_micros, from_epoch_micros, local_date, local_midnight

TREE_LIMIT = 64
LO, HI, POSITION = "lo", "hi", "position"
#: Stand for instants before and after any data in the lookups' open-ended intervals.
_EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


@frozen
class LocalDays:
    """Boundaries that begin the local days `first`, `first + step` days, ... in `timezone`:
    an instant is at or after one exactly when its local date is on or after that day."""

    first: dt.date
    step: int
    timezone: str

    @classmethod
    @functools.cache
    def of(cls, instants: tuple[int, ...], timezone: str) -> LocalDays | None:
        """The days `instants` begin, when there are more than `_FEW` (a tree of a few is
        shorter), each begins a local day, they are equally many days apart, a week at most
        (daily and weekly periods and windows; months' boundaries read better as a tree), and
        local dates do not go back across them (a clock turned back over midnight would put
        instants after a boundary on the day before); otherwise None."""
        if len(instants) <= _FEW:
            return None
        days = [local_date(from_epoch_micros(int(t)), timezone) for t in instants]
        steps = {(later - earlier).days for earlier, later in itertools.pairwise(days)}
        if len(steps) > 1 or not 1 <= min(steps, default=1) <= _WEEK:
            return None
        for instant, day in zip(instants, days, strict=True):
            if epoch_micros(local_midnight(day, timezone)) != instant or not _days_forward(
                int(instant), day, timezone
            ):
                return None
        return cls(days[0], min(steps, default=1), timezone)

    def position(self, instant: exp.Expression, count: int, dialect: SqlDialect) -> exp.Expression:
        """How many of the `count` boundaries are at or before the instant: none before the
        first day, all from the last day on, else the local days since the first over the
        step, plus one. A null instant matches no test and gives null."""
        days = dialect.days_between(
            dialect.date_literal(self.first), dialect.local_date(instant, self.timezone)
        )
        steps: exp.Expression = days.copy()
        if self.step != 1:
            steps = dialect.cast(exp.IntDiv(this=steps, expression=number(self.step)), "bigint")
        last_day = (count - 1) * self.step
        return (
            exp.Case()
            .when(exp.LT(this=days.copy(), expression=number(0)), number(0), copy=False)
            .when(exp.GTE(this=days, expression=number(last_day)), number(count), copy=False)
            .else_(exp.Add(this=steps, expression=number(1)), copy=False)
        )


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


@frozen
class Boundaries:
    """Non-decreasing instants (µs; equal ones give empty intervals) and the name of the CTE
    holding them as a lookup table when there are more than a tree takes and they are not
    `days` that arithmetic places."""

    instants: tuple[int, ...]
    lookup: str
    days: LocalDays | None = None

    @property
    def joined(self) -> bool:
        return self.days is None and len(self.instants) > TREE_LIMIT

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
    table = exp.alias_(exp.to_table(boundaries.lookup), alias, table=True)
    joined = query.join(table, on=holds, join_type="left", copy=False)
    return joined, exp.column(POSITION, table=alias)


def placed(instant: exp.Expression, boundaries: Boundaries, dialect: SqlDialect) -> exp.Expression:
    """The position of boundaries that need no join: from the local date, or a CASE tree."""
    assert not boundaries.joined, "a lookup's positions come from joining it (`locate`)"
    if boundaries.days is not None:
        return boundaries.days.position(instant, len(boundaries.instants), dialect)
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
