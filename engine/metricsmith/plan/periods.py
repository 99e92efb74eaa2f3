"""Calendar arithmetic: which local days start a period, and the UTC instant of each start.

Periods are half-open, `[s, e)`, and start at local midnight in the calendar's time zone, so
their length in UTC varies over daylight-saving changes. Everything here works on Python dates
and zoneinfo; executors turn the resulting instants into arrays once per query.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

GRAINS = ("day", "week", "month", "quarter", "year")

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def floor_to_period(day: dt.date, grain: str, week_start: int) -> dt.date:
    """The first day of the period containing `day` (`week_start`: 0 = Monday)."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=(day.weekday() - week_start) % 7)
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if grain == "year":
        return dt.date(day.year, 1, 1)
    raise ValueError(f"unknown grain {grain!r}")


def next_period(start: dt.date, grain: str) -> dt.date:
    """The first day of the period after the one starting on `start`."""
    if grain == "day":
        return start + dt.timedelta(days=1)
    if grain == "week":
        return start + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


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
    start: dt.datetime, end: dt.datetime, grain: str, timezone: str, week_start: int
) -> list[dt.date]:
    """The first local day of every period overlapping `[start, end)`, in order. The first
    one may begin before `start` when the range does not start on a period boundary."""
    days = []
    day = floor_to_period(local_date(start, timezone), grain, week_start)
    end = end.astimezone(dt.UTC)
    while local_midnight(day, timezone) < end:
        days.append(day)
        day = next_period(day, grain)
    return days


def widen_to_periods(
    first: dt.datetime, last: dt.datetime, grain: str, timezone: str, week_start: int
) -> tuple[dt.datetime, dt.datetime]:
    """The range `[start, end)` of whole periods containing the instants `first` and `last`."""
    start_day = floor_to_period(local_date(first, timezone), grain, week_start)
    end_day = next_period(floor_to_period(local_date(last, timezone), grain, week_start), grain)
    return local_midnight(start_day, timezone), local_midnight(end_day, timezone)
