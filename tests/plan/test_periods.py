"""Calendar arithmetic: period starts in local time, instants across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from metricsmith.check.query import DEFAULT_MAX_PERIODS
from metricsmith.errors import QueryError
from metricsmith.model.time import CalendarRules
from metricsmith.plan.periods import (
    count_periods,
    epoch_micros,
    floor_to_period,
    from_epoch_micros,
    local_midnight,
    next_period,
    period_starts,
    require_at_most,
    starts_before,
    widen_to_periods,
    window_start,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
MONDAY, SUNDAY = CalendarRules(week_start=0), CalendarRules(week_start=6)


def local(zone: str, *fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("day", "grain", "week_start", "expected"),
    [
        (dt.date(2024, 5, 15), "day", MONDAY, dt.date(2024, 5, 15)),
        (dt.date(2024, 5, 15), "week", MONDAY, dt.date(2024, 5, 13)),  # a Wednesday
        (dt.date(2024, 5, 15), "week", SUNDAY, dt.date(2024, 5, 12)),
        (dt.date(2024, 5, 12), "week", SUNDAY, dt.date(2024, 5, 12)),  # a Sunday itself
        (dt.date(2024, 5, 12), "week", MONDAY, dt.date(2024, 5, 6)),
        # weeks start Wednesday
        (dt.date(2024, 5, 15), "week", CalendarRules(week_start=2), dt.date(2024, 5, 15)),
        (dt.date(2024, 5, 15), "month", MONDAY, dt.date(2024, 5, 1)),
        (dt.date(2024, 5, 15), "quarter", MONDAY, dt.date(2024, 4, 1)),
        (dt.date(2024, 12, 31), "quarter", MONDAY, dt.date(2024, 10, 1)),
        (dt.date(2024, 5, 15), "year", MONDAY, dt.date(2024, 1, 1)),
    ],
)
def test_floor_to_period(day, grain, week_start, expected):
    assert floor_to_period(day, grain, week_start) == expected


@pytest.mark.parametrize(
    ("start", "grain", "expected"),
    [
        (dt.date(2024, 12, 31), "day", dt.date(2025, 1, 1)),
        (dt.date(2024, 12, 30), "week", dt.date(2025, 1, 6)),
        (dt.date(2024, 12, 1), "month", dt.date(2025, 1, 1)),
        (dt.date(2024, 10, 1), "quarter", dt.date(2025, 1, 1)),
        (dt.date(2024, 1, 1), "year", dt.date(2025, 1, 1)),
    ],
)
def test_next_period(start, grain, expected):
    assert next_period(start, grain) == expected


def test_local_midnight_follows_daylight_saving():
    # Berlin: UTC+1 in winter, UTC+2 from 2024-03-31 (02:00 → 03:00).
    utc = dt.UTC
    assert local_midnight(dt.date(2024, 3, 31), BERLIN) == dt.datetime(2024, 3, 30, 23, tzinfo=utc)
    assert local_midnight(dt.date(2024, 4, 1), BERLIN) == dt.datetime(2024, 3, 31, 22, tzinfo=utc)


def test_a_skipped_midnight_starts_the_day_at_the_clock_change():
    # Havana moves clocks from 00:00 to 01:00 on 2024-03-10: the day begins at 05:00 UTC.
    start = local_midnight(dt.date(2024, 3, 10), "America/Havana")
    assert start == dt.datetime(2024, 3, 10, 5, tzinfo=dt.UTC)
    assert start.astimezone(ZoneInfo("America/Havana")).hour == 1


def test_day_lengths_around_transitions():
    def hours(zone: str, day: dt.date) -> float:
        span = local_midnight(day + dt.timedelta(days=1), zone) - local_midnight(day, zone)
        return span.total_seconds() / 3600

    assert hours(BERLIN, dt.date(2024, 3, 31)) == 23
    assert hours(BERLIN, dt.date(2024, 10, 27)) == 25
    assert hours(NEW_YORK, dt.date(2024, 3, 10)) == 23
    assert hours(NEW_YORK, dt.date(2024, 11, 3)) == 25
    assert hours(NEW_YORK, dt.date(2024, 11, 4)) == 24


def test_period_starts_cover_the_range_in_local_time():
    starts = period_starts(
        local(NEW_YORK, 2024, 3, 8), local(NEW_YORK, 2024, 3, 12), "day", NEW_YORK, MONDAY
    )
    assert starts == [dt.date(2024, 3, d) for d in range(8, 12)]


def test_period_starts_include_a_partial_first_period():
    starts = period_starts(
        local(BERLIN, 2024, 1, 15), local(BERLIN, 2024, 3, 1), "month", BERLIN, MONDAY
    )
    assert starts == [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]


def test_period_starts_stop_before_the_end():
    end = local(BERLIN, 2024, 3, 1, 0, 0)
    starts = period_starts(local(BERLIN, 2024, 1, 1), end, "month", BERLIN, MONDAY)
    assert starts[-1] == dt.date(2024, 2, 1)
    one_more = period_starts(
        local(BERLIN, 2024, 1, 1), end + dt.timedelta(microseconds=1), "month", BERLIN, MONDAY
    )
    assert one_more[-1] == dt.date(2024, 3, 1)


def test_weeks_with_a_sunday_start_across_the_us_clock_change():
    starts = period_starts(
        local(NEW_YORK, 2024, 3, 1), local(NEW_YORK, 2024, 3, 20), "week", NEW_YORK, SUNDAY
    )
    assert starts == [dt.date(2024, 2, 25) + dt.timedelta(weeks=n) for n in range(4)]


def test_widen_to_periods():
    first = dt.datetime(2024, 2, 10, 12, tzinfo=dt.UTC)
    last = dt.datetime(2024, 4, 30, 23, 30, tzinfo=dt.UTC)  # already May 1st in Berlin
    start, end = widen_to_periods(first, last, "month", BERLIN, MONDAY)
    assert start == local(BERLIN, 2024, 2, 1)
    assert end == local(BERLIN, 2024, 6, 1)


def test_epoch_micros_round_trip_exactly():
    instant = dt.datetime(2024, 3, 31, 1, 59, 59, 999_999, tzinfo=dt.UTC)
    assert from_epoch_micros(epoch_micros(instant)) == instant
    assert epoch_micros(dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) == 0
    assert epoch_micros(dt.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC)) == -1


# ---- the limit on periods and the ends of the calendar ------------------------------------


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ((2024, 1, 1), (2024, 1, 2)),
        ((2023, 12, 31, 23), (2025, 3, 4, 1)),  # neither end on a boundary
        ((2024, 3, 30), (2024, 11, 3)),  # across both daylight-saving changes
        ((1999, 7, 15), (2003, 2, 1)),
    ],
)
def test_counting_periods_agrees_with_listing_them(grain, start, end):
    first, last = local(BERLIN, *start), local(BERLIN, *end)
    listed = period_starts(first, last, grain, BERLIN, SUNDAY)
    assert count_periods(first, last, grain, BERLIN, SUNDAY) == len(listed)


def test_a_range_of_too_many_periods_is_refused_before_listing_them():
    first, last = local("UTC", 1, 1, 1), local("UTC", 9999, 12, 1)
    with pytest.raises(QueryError) as caught:
        require_at_most(DEFAULT_MAX_PERIODS, first, last, "day", "UTC", MONDAY)
    message = str(caught.value)
    assert "3,652,028 days" in message and f"at most {DEFAULT_MAX_PERIODS:,}" in message
    assert "--max-periods 3652028" in message and "max_periods=3652028" in message
    require_at_most(None, first, last, "day", "UTC", MONDAY)  # no limit
    require_at_most(DEFAULT_MAX_PERIODS, first, last, "year", "UTC", MONDAY)  # 9,999 years


def test_offsets_past_the_first_year_are_query_errors():
    with pytest.raises(QueryError, match="4,999 years before 2024-01-01 is outside the calendar"):
        starts_before(local("UTC", 2025, 1, 1), "year", 5000, "UTC", MONDAY)


def test_windows_past_the_first_year_are_query_errors():
    with pytest.raises(QueryError, match="outside the calendar"):
        window_start(local("UTC", 500, 1, 1), "last", 1000, "year", "UTC", MONDAY)
    with pytest.raises(QueryError, match="outside the calendar"):
        window_start(local("UTC", 500, 1, 1), "last", 366_000, "day", "UTC", MONDAY)
