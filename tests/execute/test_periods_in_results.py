"""Rows land in half-open periods of the calendar's zone; every period of the range appears."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import TIMESTAMP, rows, stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

D = dt.date


def events_project(define, timezone: str, times: pa.Array, week_start: str = "monday", **extra):
    text = f"""
    calendar {{ timezone "{timezone}" week_start {week_start} }}
    source events from csv("events.csv") {{ time at }}
    metric n = count(events)
    metric total = sum(events.amount)
    metric mean = avg(events.amount)
    """
    amounts = extra.get("amounts", pa.array([1] * len(times), pa.int64()))
    return define(text, events=pa.table({"at": times, "amount": amounts}))


def test_a_row_on_a_boundary_belongs_to_the_later_period(define, engine):
    project = events_project(
        define, "UTC", stamps(utc(2024, 1, 31, 23, 59, 59), utc(2024, 2, 1), utc(2024, 3, 1))
    )
    table = project.query(["n"], grain="month", start="2024-01", end="2024-03", engine=engine)
    assert rows(table) == [(D(2024, 1, 1), 1), (D(2024, 2, 1), 1)]


def test_the_range_includes_its_start_and_excludes_its_end(define, engine):
    project = events_project(define, "UTC", stamps(utc(2024, 1, 1), utc(2024, 1, 2)))
    assert rows(project.query(["n"], start="2024-01-01", end="2024-01-02", engine=engine)) == [(1,)]


def test_empty_periods_show_zero_counts_and_null_averages(define, engine):
    project = events_project(define, "UTC", stamps(utc(2024, 1, 5), utc(2024, 3, 5)))
    table = project.query(
        ["n", "total", "mean"], grain="month", start="2024-01", end="2024-05", engine=engine
    )
    assert rows(table) == [
        (D(2024, 1, 1), 1, 1, 1.0),
        (D(2024, 2, 1), 0, 0, None),
        (D(2024, 3, 1), 1, 1, 1.0),
        (D(2024, 4, 1), 0, 0, None),
    ]
    assert table.schema.field("month").type == pa.date32()
    assert table.schema.field("n").type == pa.int64()


BERLIN_SPRING = stamps(
    utc(2024, 3, 30, 22, 59),  # 23:59 on the 30th, CET
    utc(2024, 3, 30, 23, 0),  # 00:00 on the 31st
    utc(2024, 3, 31, 21, 59),  # 23:59 on the 31st, CEST (a 23-hour day)
    utc(2024, 3, 31, 22, 0),  # 00:00 on April 1st
)
BERLIN_AUTUMN = stamps(
    utc(2024, 10, 26, 21, 59),  # 23:59 on the 26th, CEST
    utc(2024, 10, 26, 22, 0),  # 00:00 on the 27th
    utc(2024, 10, 27, 22, 59),  # 23:59 on the 27th, CET (a 25-hour day)
    utc(2024, 10, 27, 23, 0),  # 00:00 on the 28th
)


@pytest.mark.parametrize(
    ("times", "start", "end", "expected"),
    [
        (BERLIN_SPRING, "2024-03-30", "2024-04-02", [1, 2, 1]),
        (BERLIN_AUTUMN, "2024-10-26", "2024-10-29", [1, 2, 1]),
    ],
)
def test_berlin_days_across_clock_changes(define, times, start, end, expected, engine):
    project = events_project(define, "Europe/Berlin", times)
    table = project.query(["n"], grain="day", start=start, end=end, engine=engine)
    assert table.column("n").to_pylist() == expected


def test_new_york_days_and_sunday_weeks_across_the_autumn_change(define, engine):
    times = stamps(
        utc(2024, 11, 3, 3, 59),  # 23:59 on Saturday Nov 2nd, EDT
        utc(2024, 11, 3, 4, 0),  # 00:00 on Sunday Nov 3rd: a new week
        utc(2024, 11, 4, 4, 59),  # 23:59 on Nov 3rd, EST (a 25-hour day)
        utc(2024, 11, 4, 5, 0),  # 00:00 on Monday Nov 4th
    )
    project = events_project(define, "America/New_York", times, week_start="sunday")
    days = project.query(["n"], grain="day", start="2024-11-02", end="2024-11-05", engine=engine)
    assert rows(days) == [(D(2024, 11, 2), 1), (D(2024, 11, 3), 2), (D(2024, 11, 4), 1)]
    weeks = project.query(["n"], grain="week", start="2024-10-27", end="2024-11-10", engine=engine)
    assert rows(weeks) == [(D(2024, 10, 27), 1), (D(2024, 11, 3), 3)]


def test_new_york_spring_forward_week_starting_monday(define, engine):
    times = stamps(utc(2024, 3, 11, 3, 59), utc(2024, 3, 11, 4, 0))  # Sun 23:59 EDT, Mon 00:00
    project = events_project(define, "America/New_York", times)
    weeks = project.query(["n"], grain="week", start="2024-03-04", end="2024-03-18", engine=engine)
    assert rows(weeks) == [(D(2024, 3, 4), 1), (D(2024, 3, 11), 1)]


def test_week_start_comes_from_the_calendar(define, engine):
    times = stamps(utc(2024, 5, 14, 12), utc(2024, 5, 15, 12))  # Tuesday, Wednesday
    project = events_project(define, "UTC", times, week_start="wednesday")
    weeks = project.query(["n"], grain="week", start="2024-05-08", end="2024-05-22", engine=engine)
    assert rows(weeks) == [(D(2024, 5, 8), 1), (D(2024, 5, 15), 1)]


def test_quarters_and_years(define, engine):
    times = stamps(utc(2023, 12, 31, 23), utc(2024, 1, 1), utc(2024, 4, 1), utc(2024, 12, 31))
    project = events_project(define, "UTC", times)
    quarters = project.query(
        ["n"], grain="quarter", start="2024-01-01", end="2025-01-01", engine=engine
    )
    assert rows(quarters) == [(D(2024, m, 1), n) for m, n in ((1, 1), (4, 1), (7, 0), (10, 1))]
    years = project.query(["n"], grain="year", start="2023-01-01", end="2025-01-01", engine=engine)
    assert rows(years) == [(D(2023, 1, 1), 1), (D(2024, 1, 1), 3)]


def test_a_range_starting_mid_period_labels_the_period_by_its_first_day(define, engine):
    times = stamps(utc(2024, 1, 10), utc(2024, 1, 20), utc(2024, 2, 10))
    project = events_project(define, "UTC", times)
    table = project.query(["n"], grain="month", start="2024-01-15", end="2024-02-15", engine=engine)
    assert rows(table) == [(D(2024, 1, 1), 1), (D(2024, 2, 1), 1)]


def test_without_a_grain_one_row_covers_the_range(define, engine):
    times = stamps(utc(2023, 12, 31), utc(2024, 1, 1), utc(2024, 6, 1), utc(2025, 1, 1))
    project = events_project(define, "UTC", times)
    table = project.query(["n"], start="2024-01-01", end="2025-01-01", engine=engine)
    assert table.column_names == ["n"]
    assert rows(table) == [(2,)]


def test_without_a_range_periods_span_the_data_in_whole_periods(define, engine):
    times = stamps(utc(2024, 1, 20), utc(2024, 4, 2), None)
    project = events_project(define, "Europe/Berlin", times)
    table = project.query(["n"], grain="month", engine=engine)
    assert rows(table) == [(D(2024, m, 1), n) for m, n in ((1, 1), (2, 0), (3, 0), (4, 1))]


def test_without_a_range_or_grain_every_row_counts(define, engine):
    project = events_project(define, "UTC", stamps(utc(2024, 1, 20), None))
    assert rows(project.query(["n"], engine=engine)) == [(2,)]


def test_a_count_that_reads_no_column_of_an_in_memory_table(define, engine):
    # Neither a time to place the rows nor a value: only the number of rows is read.
    text = 'source t from csv("t.csv") { column x: integer }\nmetric n = count(t)'
    project = define(text, t=pa.table({"x": [1, 2, 3]}))
    assert rows(project.query(["n"], engine=engine)) == [(3,)]


def test_with_only_a_start_the_end_comes_from_the_data(define, engine):
    times = stamps(utc(2024, 1, 20), utc(2024, 3, 2))
    project = events_project(define, "UTC", times)
    assert rows(project.query(["n"], grain="month", start="2024-02", engine=engine)) == [
        (D(2024, 2, 1), 0),
        (D(2024, 3, 1), 1),
    ]
    assert rows(project.query(["n"], start="2024-02", engine=engine)) == [(1,)]


def test_no_data_and_no_range_gives_no_periods(define, engine):
    project = events_project(define, "UTC", pa.array([], TIMESTAMP))
    table = project.query(["n", "mean"], grain="month", engine=engine)
    assert table.num_rows == 0
    assert table.column_names == ["month", "n", "mean"]


def test_no_times_and_only_an_end_give_no_periods_to_count_states_before(define, engine):
    # An all-time count of a state source at a per-account level counts the rows that
    # opened before the first period: with no period at all there is none.
    text = """
source accounts from csv("accounts.csv") { key account_id }
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
metric opened = sum(per account: count(subscriptions) + count(subscriptions) over all time)
"""
    never = pa.array([], TIMESTAMP)
    project = define(
        text,
        accounts=pa.table({"account_id": ["a0", "a1"]}),
        subscriptions=pa.table(
            {"account_id": pa.array([], pa.string()), "started_at": never, "ended_at": never}
        ),
    )
    table = project.query(["opened"], grain="quarter", end="2024-10", engine=engine)
    assert (table.num_rows, table.column_names) == (0, ["quarter", "opened"])


def test_naive_timestamps_are_wall_clock_time_in_the_calendar_zone(define, engine):
    naive = pa.array(
        [dt.datetime(2024, 3, 31, 0, 30), dt.datetime(2024, 3, 30, 23, 30)], pa.timestamp("us")
    )
    project = events_project(define, "Europe/Berlin", naive)
    table = project.query(["n"], grain="day", start="2024-03-30", end="2024-04-01", engine=engine)
    assert rows(table) == [(D(2024, 3, 30), 1), (D(2024, 3, 31), 1)]


def test_date_columns_are_local_days(define, engine):
    days = pa.array([D(2024, 3, 31), D(2024, 4, 1), D(2024, 4, 30)], pa.date32())
    project = events_project(define, "America/New_York", days)
    table = project.query(["n"], grain="month", start="2024-03", end="2024-05", engine=engine)
    assert rows(table) == [(D(2024, 3, 1), 1), (D(2024, 4, 1), 2)]


def test_timestamps_in_other_units_and_zones(define, engine):
    seconds = pa.array([utc(2024, 1, 31, 23, 30)], pa.timestamp("s", tz="Asia/Tokyo"))
    project = events_project(define, "Europe/Berlin", seconds)
    table = project.query(["n"], grain="month", start="2024-01", end="2024-03", engine=engine)
    assert rows(table) == [(D(2024, 1, 1), 0), (D(2024, 2, 1), 1)]


def test_berlin_weeks_across_the_spring_change(define, engine):
    times = stamps(utc(2024, 3, 31, 21, 59), utc(2024, 3, 31, 22, 0))  # Sun 23:59, Mon 00:00
    project = events_project(define, "Europe/Berlin", times)
    weeks = project.query(["n"], grain="week", start="2024-03-25", end="2024-04-08", engine=engine)
    assert rows(weeks) == [(D(2024, 3, 25), 1), (D(2024, 4, 1), 1)]


@pytest.mark.parametrize("declared", [False, True])
def test_times_without_a_zone_are_wall_clock_times_declared_or_not(define, declared, engine):
    # 23:30 on March 31 in Berlin is in March, whatever the column's declaration says; a
    # date declared a timestamp is its local midnight.
    text = f"""
    calendar {{ timezone "Europe/Berlin" week_start monday }}
    source events from csv("events.csv") {{
      time at
      {"column at: timestamp" if declared else ""}
    }}
    source visits from csv("visits.csv") {{
      time day
      {"column day: timestamp" if declared else ""}
    }}
    metric n = count(events)
    metric visits = count(visits)
    """
    naive = pa.array([dt.datetime(2024, 3, 31, 23, 30)], pa.timestamp("us"))
    days = pa.array([D(2024, 4, 1)], pa.date32())
    project = define(text, events=pa.table({"at": naive}), visits=pa.table({"day": days}))
    table = project.query(
        ["n", "visits"], grain="month", start="2024-03", end="2024-05", engine=engine
    )
    assert rows(table) == [(D(2024, 3, 1), 1, 0), (D(2024, 4, 1), 0, 1)]
