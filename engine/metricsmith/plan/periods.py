"""Calendar arithmetic: which local days start a period, and the UTC instant of each start.

Periods are half-open, `[s, e)`, and start at local midnight in the calendar's time zone, so
their length in UTC varies over daylight-saving changes. Everything here works on Python dates
and zoneinfo; executors turn the resulting instants into arrays once per query.

Months, quarters and years are counted in months since the year 0; a fiscal quarter or year is
a quarter or year whose count is shifted by the months between January and the fiscal year's
first month (`CalendarRules.month_shift`), so both share the same arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from metricsmith.errors import QueryError
from metricsmith.model.time import CalendarRules, Grain

#: How many periods of a grain make a year; days and weeks do not divide years.
PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1, "fiscal_quarter": 4, "fiscal_year": 1}
_MONTHS = {"month": 1, "quarter": 3, "year": 12, "fiscal_quarter": 3, "fiscal_year": 12}

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def floor_to_period(day: dt.date, grain: str, rules: CalendarRules) -> dt.date:
    """The first day of the period containing `day`."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=(day.weekday() - rules.week_start) % 7)
    if grain not in _MONTHS:
        raise ValueError(f"unknown grain {grain!r}")
    shift = rules.month_shift(Grain(grain))
    index = day.year * 12 + day.month - 1 - shift
    index = index - index % _MONTHS[grain] + shift
    if index < 12:  # a fiscal year starting before the year 1
        raise _outside_calendar(f"the {grain} containing {day}")
    return dt.date(index // 12, index % 12 + 1, 1)


def next_period(start: dt.date, grain: str) -> dt.date:
    """The first day of the period after the one starting on `start`."""
    return _step(start, grain, 1)


def previous_period(start: dt.date, grain: str) -> dt.date:
    """The first day of the period before the one starting on `start`."""
    return _step(start, grain, -1)


def _step(start: dt.date, grain: str, count: int) -> dt.date:
    try:
        if grain == "day":
            return start + dt.timedelta(days=count)
        if grain == "week":
            return start + dt.timedelta(days=7 * count)
        index = start.year * 12 + start.month - 1 + _MONTHS[grain] * count
        return dt.date(index // 12, index % 12 + 1, 1)
    except (OverflowError, ValueError):
        way = "before" if count < 0 else "after"
        what = f"{abs(count):,} {grain}{'s' if abs(count) != 1 else ''} {way} {start}"
        raise _outside_calendar(what) from None


def _outside_calendar(what: str) -> QueryError:
    """Offsets and windows reaching past the years 1 to 9999 (the limits of check time keep
    them within 1,000 years, so only a range near the ends of the calendar meets this)."""
    return QueryError(
        f"{what} is outside the calendar (the years 1 to 9999)",
        hint="query a range further from the calendar's ends, or shorten the offset or window",
    )


def local_midnight(day: dt.date, timezone: str) -> dt.datetime:
    """The instant (in UTC) a local day begins. When midnight is skipped by a clock change,
    the day begins at the change (zoneinfo reads a skipped wall time with the earlier offset).

    The result is in UTC on purpose: Python compares and subtracts two datetimes sharing a
    zone by their wall-clock times, which is wrong across a clock change."""
    wall = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    return wall.astimezone(dt.UTC)


def local_date(instant: dt.datetime, timezone: str) -> dt.date:
    return instant.astimezone(ZoneInfo(timezone)).date()


def epoch_micros(instant: dt.datetime) -> int:
    """Microseconds since 1970-01-01 UTC (exact, no float rounding)."""
    return (instant - _EPOCH) // _MICROSECOND


def from_epoch_micros(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros)


def period_starts(
    start: dt.datetime, end: dt.datetime, grain: str, timezone: str, rules: CalendarRules
) -> list[dt.date]:
    """The first local day of every period overlapping `[start, end)`, in order. The first
    one may begin before `start` when the range does not start on a period boundary."""
    days = []
    day = floor_to_period(local_date(start, timezone), grain, rules)
    end = end.astimezone(dt.UTC)
    while local_midnight(day, timezone) < end:
        days.append(day)
        day = next_period(day, grain)
    return days


def count_periods(
    start: dt.datetime, end: dt.datetime, grain: str, timezone: str, rules: CalendarRules
) -> int:
    """How many periods `period_starts` would list, by arithmetic instead of by listing."""
    if start >= end:
        return 0
    first = floor_to_period(local_date(start, timezone), grain, rules)
    last = floor_to_period(local_date(end - _MICROSECOND, timezone), grain, rules)
    if grain in ("day", "week"):
        return (last - first).days // (7 if grain == "week" else 1) + 1
    months = (last.year - first.year) * 12 + last.month - first.month
    return months // _MONTHS[grain] + 1


def require_at_most(
    limit: int | None,
    start: dt.datetime,
    end: dt.datetime,
    grain: str,
    timezone: str,
    rules: CalendarRules,
) -> None:
    """Refuse a range of more than `limit` periods (None: no limit) before listing them."""
    if limit is None:
        return
    count = count_periods(start, end, grain, timezone, rules)
    if count > limit:
        raise QueryError(
            f"the range from {local_date(start, timezone)} up to {local_date(end, timezone)} has "
            f"{count:,} {grain}s; a query computes at most {limit:,} periods unless asked",
            hint=f"choose a coarser grain or a shorter range, or raise the limit: "
            f"--max-periods {count} (Python: max_periods={count})",
        )


def widen_to_periods(
    first: dt.datetime, last: dt.datetime, grain: str, timezone: str, rules: CalendarRules
) -> tuple[dt.datetime, dt.datetime]:
    """The range `[start, end)` of whole periods containing the instants `first` and `last`."""
    start_day = floor_to_period(local_date(first, timezone), grain, rules)
    end_day = next_period(floor_to_period(local_date(last, timezone), grain, rules), grain)
    return local_midnight(start_day, timezone), local_midnight(end_day, timezone)


def starts_before(
    boundary: dt.datetime, grain: str, count: int, timezone: str, rules: CalendarRules
) -> list[dt.date]:
    """The first local days of the `count` periods that end at `boundary`, oldest first. When
    `boundary` is not a period boundary the last of them is cut short there."""
    if count <= 0:
        return []
    last = floor_to_period(local_date(boundary - _MICROSECOND, timezone), grain, rules)
    return [_step(last, grain, -back) for back in range(count - 1, -1, -1)]


def extended_start(
    boundary: dt.datetime, grain: str, count: int, timezone: str, rules: CalendarRules
) -> dt.datetime:
    """The instant `count` periods before `boundary` (see `starts_before`)."""
    days = starts_before(boundary, grain, count, timezone, rules)
    return local_midnight(days[0], timezone) if days else boundary


def window_start(
    end: dt.datetime,
    kind: str,
    count: int | None,
    unit: str | None,
    timezone: str,
    rules: CalendarRules,
) -> dt.datetime | None:
    """Where a window ending at `end` starts (None: at the beginning of time). `last N` units
    go back N local calendar units (days keep the wall-clock time across daylight-saving
    changes; months that lack the day end on their last day); `to date` starts at the first
    local day of the calendar unit containing the window's last instant."""
    if kind == "all_time":
        return None
    assert unit is not None
    if kind == "to_date":
        last_day = local_date(end - _MICROSECOND, timezone)
        return local_midnight(floor_to_period(last_day, unit, rules), timezone)
    assert count is not None
    zone = ZoneInfo(timezone)
    wall = end.astimezone(zone).replace(tzinfo=None)
    try:
        if unit in ("day", "week"):
            wall -= dt.timedelta(days=count * (7 if unit == "week" else 1))
        else:
            wall = _months_back(wall, count * _MONTHS[unit])
        return wall.replace(tzinfo=zone).astimezone(dt.UTC)
    except (OverflowError, ValueError):
        what = f"the start of `last {count} {unit}s` before {wall:%Y-%m-%d}"
        raise _outside_calendar(what) from None


def window_starts_at(
    ends: Iterable[int],
    kind: str,
    count: int | None,
    unit: str | None,
    timezone: str,
    rules: CalendarRules,
) -> list[int | None]:
    """Where the window ending at each of `ends` (µs since the epoch) starts, in µs (None: at
    the beginning of time)."""
    starts: list[int | None] = []
    for end in ends:
        start = window_start(from_epoch_micros(int(end)), kind, count, unit, timezone, rules)
        starts.append(None if start is None else epoch_micros(start))
    return starts


def _months_back(wall: dt.datetime, months: int) -> dt.datetime:
    index = wall.year * 12 + wall.month - 1 - months
    year, month = index // 12, index % 12 + 1
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    last_day = (following - dt.timedelta(days=1)).day
    return wall.replace(year=year, month=month, day=min(wall.day, last_day))
