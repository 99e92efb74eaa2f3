"""A spine's columns as formulas of the period number, where they follow one.

A level of 1,096 days listed one row per day was 1,100 of the engagement scorecard's 2,400
lines of SQL. Its periods follow a rule, though: they begin at the local midnights of
consecutive days. A `Progression` is such a rule, for instants (µs since the epoch) or dates:
the k-th value is `first + k * step` microseconds (`MICROS`: days and weeks in UTC), the local
midnight of (or, for dates, the date) `step * k` days or months after the date `first`
(`DAYS`, `MONTHS`: days and weeks across clock changes, months, quarters, years).
`fit` finds the rule a column follows, checking it value by value against the plan's own
instants, so a generated spine holds exactly what the listed one would. The first and the last
period may break the rule (a range starting or ending inside a period cuts it short): they are
`exceptions`, given by value.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping, Sequence
from typing import assert_never
from zoneinfo import ZoneInfo

from attrs import frozen
from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.plan.periods import epoch_micros, from_epoch_micros, local_date, local_midnight

#: A column's value at one period: µs since the epoch, a date, or none.
Value = int | dt.date | None


class Unit(enum.Enum):
    MICROS = "micros"
    DAYS = "days"
    MONTHS = "months"


#: A rule to try: its unit, first value, step and shift.
_Rule = tuple[Unit, int | dt.date, int, int]


@frozen
class Progression:
    """The value at period k is `first` advanced by `k * step` units (and `shift` days);
    with `timezone`, the local midnight of that date (an instant), without it the date
    itself. `exceptions` give the values of the periods that break the rule (the first and
    last at most)."""

    unit: Unit
    first: int | dt.date
    step: int
    timezone: str | None
    exceptions: Mapping[int, Value]
    #: Days added after the steps: a window starting 7 days before each month's end.
    shift: int = 0

    def sql(
        self, period: exp.Expression, dialect: SqlDialect, literal: Callable[[Value], exp.Expr]
    ) -> exp.Expression:
        """The value at the period number `period`; `literal` spells an exception's value."""
        steps = (
            exp.Mul(this=period.copy(), expression=number(self.step))
            if self.step != 1
            else period.copy()
        )
        value: exp.Expression
        match self.unit:
            case Unit.MICROS:
                assert isinstance(self.first, int)
                value = dialect.instant_from_micros(
                    exp.Add(this=number(self.first), expression=steps)
                )
            case Unit.DAYS | Unit.MONTHS:
                assert isinstance(self.first, dt.date)
                first = dialect.date_literal(self.first)
                if self.unit is Unit.DAYS:
                    value = dialect.add_days(first, steps)
                else:
                    value = dialect.add_months(first, steps)
                if self.shift:
                    value = dialect.add_days(value, number(self.shift))
                if self.timezone is not None:
                    value = dialect.midnight(value, self.timezone)
            case _:
                assert_never(self.unit)
        if not self.exceptions:
            return value
        case = exp.Case()
        for index, exception in sorted(self.exceptions.items()):
            case = case.when(
                exp.EQ(this=period.copy(), expression=number(index)), literal(exception), copy=False
            )
        return case.else_(value, copy=False)


def fit_instants(
    values: Sequence[int], timezone: str, like: Progression | None = None
) -> Progression | None:
    """The rule µs instants follow, as evenly spaced instants or local midnights (see the
    module docstring), or None. `like`: a rule of local dates they may follow shifted by some
    days (window starts, by the rule of the period ends)."""
    shifted = []
    if like is not None and like.unit is not Unit.MICROS and like.timezone and len(values) > 1:
        assert isinstance(like.first, dt.date)
        start = _value(like, 0)
        if isinstance(start, int):
            days = local_date(from_epoch_micros(values[0]), timezone)
            shift = (days - local_date(from_epoch_micros(start), timezone)).days
            shifted = [(like.unit, like.first, like.step, shift)]
    return _fit(values, timezone, shifted)


def fit_dates(values: Sequence[dt.date]) -> Progression | None:
    """The rule dates follow: days or months apart (from the first of a month), or None."""
    return _fit(values, None, [])


def _fit(
    values: Sequence[Value],
    timezone: str | None,
    more: Sequence[tuple[Unit, int | dt.date, int, int]],
) -> Progression | None:
    """The first rule that the values between a first and last exception follow, the fewest
    exceptions first; at least two values follow it. `timezone`: the values are instants,
    perhaps local midnights there; else dates. `more`: rules to try after those the first
    two values suggest."""
    count = len(values)
    for low, high in ((0, count), (1, count), (0, count - 1), (1, count - 1)):
        if high - low < 2:
            continue
        candidates = [
            (unit, _back(unit, first, step * low), step, 0)
            for unit, first, step in _rules(values[low], values[low + 1], timezone)
        ]
        for unit, first, step, shift in [*candidates, *more]:
            zone = None if unit is Unit.MICROS else timezone
            rule = Progression(unit, first, step, zone, {}, shift)
            regular = range(low, high)
            if all(_value(rule, index) == values[index] for index in regular):
                exceptions = {i: values[i] for i in range(count) if i not in regular}
                return Progression(unit, first, step, zone, exceptions, shift)
    return None


def _rules(
    first: Value, second: Value, timezone: str | None
) -> list[tuple[Unit, int | dt.date, int]]:
    """The rules a value and the next could follow: days or months apart (dates, or the
    local dates of instants), else evenly many µs apart (instants). Dates read better in
    SQL than microseconds since the epoch, so they come first."""
    micros: list[tuple[Unit, int | dt.date, int]] = []
    if isinstance(first, int) and isinstance(second, int) and timezone is not None:
        if second <= first:
            return []
        micros.append((Unit.MICROS, first, second - first))
        first, second = (local_date(from_epoch_micros(v), timezone) for v in (first, second))
    if not isinstance(first, dt.date) or not isinstance(second, dt.date) or second <= first:
        return micros
    rules: list[tuple[Unit, int | dt.date, int]] = [(Unit.DAYS, first, (second - first).days)]
    if first.day == 1 and second.day == 1:
        months = (second.year - first.year) * 12 + second.month - first.month
        rules.append((Unit.MONTHS, first, months))
    return [*rules, *micros]


def _back(unit: Unit, value: int | dt.date, steps: int) -> int | dt.date:
    """The value `steps` units before `value`: a rule's first from its value at a later period."""
    if isinstance(value, int):
        return value - steps
    if unit is Unit.DAYS:
        return value - dt.timedelta(days=steps)
    months = value.year * 12 + value.month - 1 - steps
    return dt.date(months // 12, months % 12 + 1, value.day)


def _value(rule: Progression, index: int) -> Value:
    """What the rule gives at period `index`, as the plan computes instants and dates."""
    steps = index * rule.step
    match rule.unit:
        case Unit.MICROS:
            assert isinstance(rule.first, int)
            return rule.first + steps
        case Unit.DAYS | Unit.MONTHS:
            assert isinstance(rule.first, dt.date)
            if rule.unit is Unit.DAYS:
                day = rule.first + dt.timedelta(days=steps)
            else:
                months = rule.first.year * 12 + rule.first.month - 1 + steps
                day = dt.date(months // 12, months % 12 + 1, rule.first.day)
            day += dt.timedelta(days=rule.shift)
            if rule.timezone is None:
                return day
            if not _plain_midnight(day, rule.timezone):
                return None  # engines may place a skipped or repeated midnight differently
            return epoch_micros(local_midnight(day, rule.timezone))
        case _:
            assert_never(rule.unit)


def _plain_midnight(day: dt.date, timezone: str) -> bool:
    """Whether the local day begins at a midnight the clock shows once: not skipped or
    repeated by a clock change, which engines may resolve differently."""
    zone = ZoneInfo(timezone)
    earlier = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    later = earlier.replace(fold=1)
    round_trip = earlier.astimezone(dt.UTC).astimezone(zone)
    return earlier.utcoffset() == later.utcoffset() and round_trip.time() == dt.time(0)
