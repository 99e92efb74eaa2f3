"""Windows (DESIGN §4.4): an aggregate read over a window ending at each period's end, on event
and state sources, across daylight-saving changes and before the range."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc

D = dt.date
BERLIN = ZoneInfo("Europe/Berlin")

EVENTS = """
calendar {{ timezone "{zone}" week_start monday }}
source events from csv("events.csv") {{ time at }}
metric n = count(events)
metric last_7_days = count(events) over last 7 days
metric last_2_weeks = count(events) over last 2 weeks
metric last_month = count(events) over last 1 month
metric month_to_date = count(events) over month to date
metric quarter_to_date = count(events) over quarter to date
metric ever = count(events) over all time
metric distinct_7_days = count_distinct(events.x) over last 7 days
metric total_7_days = sum(events.x) over last 7 days
"""


def berlin(*fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=BERLIN)


def events_project(define, *instants: dt.datetime, zone: str = "UTC", x=None):
    values = x if x is not None else [1] * len(instants)
    table = pa.table({"at": stamps(*instants), "x": pa.array(values, pa.int64())})
    return define(EVENTS.format(zone=zone), events=table)


def column(table: pa.Table, name: str) -> list:
    return table[name].to_pylist()


def test_last_days_are_local_calendar_days_across_a_clock_change(define, engine):
    # The window of Tuesday April 2 is [March 27 00:00, April 3 00:00) Berlin time; the clocks
    # went forward on March 31, so it is 167 hours long.
    inside = berlin(2024, 3, 27, 0, 30)
    outside = berlin(2024, 3, 26, 23, 30)  # 7 × 24 h before the window's end
    project = events_project(define, inside, outside, zone="Europe/Berlin")
    table = project.query(
        ["last_7_days"], grain="day", start="2024-04-01", end="2024-04-04", engine=engine
    )
    assert rows(table) == [(D(2024, 4, 1), 2), (D(2024, 4, 2), 1), (D(2024, 4, 3), 0)]


def test_last_weeks_are_local_calendar_weeks_across_a_clock_change(define, engine):
    # In New York the clocks went forward on March 10: the two weeks up to Monday March 18
    # 00:00 start on Monday March 4 00:00 EST, 335 hours earlier.
    new_york = ZoneInfo("America/New_York")
    inside = dt.datetime(2024, 3, 4, 0, 30, tzinfo=new_york)
    outside = dt.datetime(2024, 3, 3, 23, 30, tzinfo=new_york)  # 14 × 24 h before the end
    project = events_project(define, inside, outside, zone="America/New_York")
    table = project.query(
        ["last_2_weeks"], grain="week", start="2024-03-11", end="2024-03-18", engine=engine
    )
    assert rows(table) == [(D(2024, 3, 11), 1)]


def test_windows_read_rows_before_the_range(define, engine):
    project = events_project(define, utc(2024, 2, 26), utc(2024, 3, 1, 12), utc(2024, 3, 4))
    table = project.query(
        ["n", "last_7_days", "ever"],
        grain="day",
        start="2024-03-03",
        end="2024-03-05",
        engine=engine,
    )
    assert rows(table) == [(D(2024, 3, 3), 0, 2, 2), (D(2024, 3, 4), 1, 2, 3)]
    plan_text = project.explain(["last_7_days"], grain="day", start="2024-03-03", end="2024-03-05")
    # From where the first day's window starts: 7 days before 4 March.
    assert "rows with at in [2024-02-26 00:00:00+00:00, 2024-03-05 00:00:00+00:00)" in plan_text


def test_calendar_months_and_to_date_windows(define, engine):
    project = events_project(
        define, utc(2024, 1, 31), utc(2024, 2, 29), utc(2024, 3, 1), utc(2024, 3, 30)
    )
    by_day = project.query(
        ["last_month", "month_to_date", "quarter_to_date"],
        grain="day",
        start="2024-03-30",
        end="2024-04-01",
        engine=engine,
    )
    # March 30 ends at March 31 00:00; a month back is February 29 (the 31st does not exist).
    # March 31 ends at April 1 00:00; a month back is March 1.
    assert rows(by_day) == [(D(2024, 3, 30), 3, 2, 4), (D(2024, 3, 31), 2, 2, 4)]
    by_month = project.query(
        ["n", "last_month", "month_to_date", "quarter_to_date"],
        grain="month",
        start="2024-01",
        end="2024-04",
        engine=engine,
    )
    assert rows(by_month) == [
        (D(2024, 1, 1), 1, 1, 1, 1),
        (D(2024, 2, 1), 1, 1, 1, 2),
        (D(2024, 3, 1), 2, 2, 2, 4),
    ]


def test_weeks_windows_at_a_week_grain(define, engine):
    project = events_project(define, utc(2024, 3, 4), utc(2024, 3, 11), utc(2024, 3, 17, 23))
    table = project.query(
        ["n", "last_2_weeks"], grain="week", start="2024-03-04", end="2024-03-25", engine=engine
    )
    assert rows(table) == [(D(2024, 3, 4), 1, 1), (D(2024, 3, 11), 2, 3), (D(2024, 3, 18), 0, 2)]


def test_aggregates_over_the_same_window_share_one_pass(define, engine):
    project = events_project(define, utc(2024, 3, 1), utc(2024, 3, 2), utc(2024, 3, 3), x=[5, 5, 7])
    table = project.query(
        ["last_7_days", "distinct_7_days", "total_7_days"],
        grain="day",
        start="2024-03-03",
        end="2024-03-04",
        engine=engine,
    )
    assert rows(table) == [(D(2024, 3, 3), 3, 2, 17)]
    text = project.explain(
        ["last_7_days", "distinct_7_days", "total_7_days", "n"], grain="day", start="2024-03-03"
    )
    assert text.count("scan events") == 2
    assert "one grouped pass, 3 fused aggregates:" in text


def test_a_window_without_a_grain_ends_at_the_end_of_the_range(define, engine):
    project = events_project(define, utc(2024, 3, 1), utc(2024, 3, 8), utc(2024, 3, 9))
    table = project.query(["last_7_days", "n"], start="2024-03-05", end="2024-03-09", engine=engine)
    assert rows(table) == [(1, 1)]


STATE = """
calendar {{ timezone "{zone}" week_start monday }}
source subscriptions from csv("subscriptions.csv") {{
  valid from started_at to ended_at
}}
metric mrr = sum(subscriptions.mrr)
metric ever_paid = count(subscriptions where mrr > 0) over all time
metric paid_last_2 = count(subscriptions where mrr > 0) over last 2 months
metric paid_quarter = count(subscriptions where mrr > 0) over quarter to date
"""


def state_project(define, *subscriptions, zone: str = "UTC"):
    table = pa.table(
        {
            "mrr": pa.array([s[0] for s in subscriptions], pa.float64()),
            "started_at": stamps(*(s[1] for s in subscriptions)),
            "ended_at": stamps(*(s[2] for s in subscriptions)),
        }
    )
    return define(STATE.format(zone=zone), subscriptions=table)


def test_a_window_over_a_state_source_counts_rows_in_force_at_any_period_end_in_it(define, engine):
    project = state_project(
        define,
        (100, utc(2023, 10, 5), utc(2023, 11, 20)),  # in force at the end of October only
        (50, utc(2024, 1, 10), utc(2024, 3, 1)),  # January and February
        (70, utc(2024, 2, 3), utc(2024, 2, 25)),  # at no month end
        (0, utc(2024, 1, 1), None),  # free
    )
    table = project.query(
        ["mrr", "ever_paid", "paid_last_2", "paid_quarter"],
        grain="month",
        start="2024-01",
        end="2024-05",
        engine=engine,
    )
    assert rows(table) == [
        (D(2024, 1, 1), 50, 2, 1, 1),
        (D(2024, 2, 1), 50, 2, 1, 1),
        (D(2024, 3, 1), 0, 2, 1, 1),  # February's end is in March's 2-month window
        (D(2024, 4, 1), 0, 2, 0, 0),
    ]


def test_a_window_over_a_state_source_at_day_grain_sees_each_day_end(define, engine):
    project = state_project(define, (70, utc(2024, 2, 3), utc(2024, 2, 25)))
    table = project.query(
        ["ever_paid"], grain="month", start="2024-02", end="2024-03", engine=engine
    )
    assert rows(table) == [(D(2024, 2, 1), 0)]
    table = project.query(
        ["ever_paid"], grain="day", start="2024-02-28", end="2024-03-01", engine=engine
    )
    assert rows(table) == [(D(2024, 2, 28), 1), (D(2024, 2, 29), 1)]


@pytest.mark.parametrize(
    ("zone", "grain", "start", "end", "ended_at", "expected"),
    [
        # The day of the clock change (23 hours) ends at April 1 00:00 Berlin time.
        (
            "Europe/Berlin",
            "day",
            "2024-03-30",
            "2024-04-02",
            berlin(2024, 4, 1),
            [100, 100, 0],
        ),
        # The week of March 4 in New York (167 hours) ends at March 11 00:00 local time.
        (
            "America/New_York",
            "week",
            "2024-03-04",
            "2024-03-18",
            dt.datetime(2024, 3, 11, tzinfo=ZoneInfo("America/New_York")),
            [100, 0],
        ),
    ],
)
def test_state_rows_at_local_period_ends_across_a_clock_change(
    define, zone, grain, start, end, ended_at, expected, engine
):
    project = state_project(define, (100, utc(2024, 3, 1), ended_at), zone=zone)
    table = project.query(["mrr"], grain=grain, start=start, end=end, engine=engine)
    assert column(table, "mrr") == expected
