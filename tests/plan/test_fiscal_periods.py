"""Fiscal periods in the calendar arithmetic: a fiscal quarter or year is the calendar one
shifted by the months between January and the fiscal year's first month."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from metricsmith.errors import QueryError
from metricsmith.model.time import CalendarRules, FiscalLabel, Grain
from metricsmith.plan.periods import (
    count_periods,
    floor_to_period,
    next_period,
    period_starts,
    window_start,
)

D = dt.date
APRIL = CalendarRules(fiscal_start=4)
FEBRUARY = CalendarRules(fiscal_start=2)
DECEMBER = CalendarRules(fiscal_start=12)


@pytest.mark.parametrize(
    ("day", "grain", "rules", "expected"),
    [
        # April starts: quarters Apr-Jun, Jul-Sep, Oct-Dec, Jan-Mar; the year from April 1.
        (D(2024, 3, 31), "fiscal_year", APRIL, D(2023, 4, 1)),
        (D(2024, 4, 1), "fiscal_year", APRIL, D(2024, 4, 1)),
        (D(2025, 1, 15), "fiscal_year", APRIL, D(2024, 4, 1)),
        (D(2025, 1, 15), "fiscal_quarter", APRIL, D(2025, 1, 1)),
        (D(2024, 6, 30), "fiscal_quarter", APRIL, D(2024, 4, 1)),
        # February starts: quarters Feb-Apr, May-Jul, Aug-Oct, Nov-Jan (across the year end).
        (D(2024, 1, 31), "fiscal_quarter", FEBRUARY, D(2023, 11, 1)),
        (D(2024, 4, 30), "fiscal_quarter", FEBRUARY, D(2024, 2, 1)),
        (D(2024, 1, 31), "fiscal_year", FEBRUARY, D(2023, 2, 1)),
        # December starts: the year from December 1 of the calendar year before.
        (D(2024, 12, 1), "fiscal_year", DECEMBER, D(2024, 12, 1)),
        (D(2024, 11, 30), "fiscal_year", DECEMBER, D(2023, 12, 1)),
        (D(2024, 2, 29), "fiscal_quarter", DECEMBER, D(2023, 12, 1)),
        # January starts (the default): the calendar quarter and year.
        (D(2024, 5, 15), "fiscal_quarter", CalendarRules(), D(2024, 4, 1)),
        (D(2024, 5, 15), "fiscal_year", CalendarRules(), D(2024, 1, 1)),
        # The calendar grains ignore the fiscal start.
        (D(2024, 5, 15), "quarter", FEBRUARY, D(2024, 4, 1)),
        (D(2024, 5, 15), "year", APRIL, D(2024, 1, 1)),
    ],
)
def test_floor_to_a_fiscal_period(day, grain, rules, expected):
    assert floor_to_period(day, grain, rules) == expected


def test_the_next_fiscal_period():
    assert next_period(D(2024, 11, 1), "fiscal_quarter") == D(2025, 2, 1)
    assert next_period(D(2024, 4, 1), "fiscal_year") == D(2025, 4, 1)


@pytest.mark.parametrize("grain", ["fiscal_quarter", "fiscal_year"])
@pytest.mark.parametrize("rules", [APRIL, FEBRUARY, DECEMBER])
@pytest.mark.parametrize(
    ("start", "end"), [((2024, 1, 1), (2024, 1, 2)), ((2023, 12, 31, 23), (2027, 3, 4, 1))]
)
def test_counting_fiscal_periods_agrees_with_listing_them(grain, rules, start, end):
    zone = "Europe/Berlin"
    first = dt.datetime(*start, tzinfo=ZoneInfo(zone))
    last = dt.datetime(*end, tzinfo=ZoneInfo(zone))
    listed = period_starts(first, last, grain, zone, rules)
    assert count_periods(first, last, grain, zone, rules) == len(listed)
    assert all(floor_to_period(day, grain, rules) == day for day in listed)


def test_to_date_windows_start_at_the_local_fiscal_boundary():
    # New York, April starts: the fiscal year to date at 2024-07-01 00:00 EDT starts at
    # 2024-04-01 00:00 EDT, 04:00 UTC.
    end = dt.datetime(2024, 7, 1, 4, tzinfo=dt.UTC)
    start = window_start(end, "to_date", None, "fiscal_year", "America/New_York", APRIL)
    assert start == dt.datetime(2024, 4, 1, 4, tzinfo=dt.UTC)
    # `last 2 fiscal_quarters` is six months back.
    start = window_start(end, "last", 2, "fiscal_quarter", "America/New_York", APRIL)
    assert start == dt.datetime(2024, 1, 1, 5, tzinfo=dt.UTC)


def test_a_fiscal_year_before_the_year_1_is_outside_the_calendar():
    with pytest.raises(QueryError, match="outside the calendar"):
        floor_to_period(D(1, 2, 1), "fiscal_year", APRIL)


@pytest.mark.parametrize(
    ("rules", "day", "year", "quarter"),
    [
        (APRIL, D(2024, 4, 1), 2025, 1),  # April 2024 to March 2025 ends in 2025
        (APRIL, D(2025, 1, 1), 2025, 4),
        (CalendarRules(fiscal_start=4, fiscal_label=FiscalLabel.STARTING), D(2025, 1, 1), 2024, 4),
        (FEBRUARY, D(2024, 11, 1), 2025, 4),
        (FEBRUARY, D(2025, 1, 31), 2025, 4),
        (CalendarRules(), D(2024, 7, 1), 2024, 3),  # January starts: the calendar year
        (CalendarRules(fiscal_label=FiscalLabel.STARTING), D(2024, 7, 1), 2024, 3),
    ],
)
def test_fiscal_years_and_quarters_are_numbered(rules, day, year, quarter):
    assert rules.fiscal_year(day) == year
    assert rules.fiscal_quarter(day) == quarter


def test_which_grains_split_which():
    assert Grain.MONTH.finer_or_equal(Grain.FISCAL_QUARTER)
    assert Grain.FISCAL_QUARTER.finer_or_equal(Grain.FISCAL_YEAR)
    assert Grain.QUARTER.finer_or_equal(Grain.FISCAL_YEAR)  # cut at the fiscal year's ends
    assert Grain.WEEK.finer_or_equal(Grain.FISCAL_QUARTER)  # cut, as weeks inside months
    assert not Grain.QUARTER.finer_or_equal(Grain.FISCAL_QUARTER)
    assert not Grain.FISCAL_QUARTER.finer_or_equal(Grain.QUARTER)
    assert not Grain.FISCAL_YEAR.finer_or_equal(Grain.YEAR)
    assert not Grain.FISCAL_YEAR.finer_or_equal(Grain.FISCAL_QUARTER)
