"""Periods of local days and months across daylight-saving changes, on every engine: the SQL
engines compute a level's periods from the period number (a generated series, no longer a
list of rows), and each must give the periods the plan's zoneinfo boundaries give."""

from __future__ import annotations

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

DEFINITIONS = """
calendar { timezone "America/New_York" week_start monday }
source events from csv("events.csv") {
  time at
}
metric events_count = count(events)
metric busiest_day = max(per day: count(events))
metric daily_events = avg(per day: count(events))
metric recent_events = count(events) over last 30 days
"""

# New York: clocks go forward on 2024-03-10 (EST, UTC-5, to EDT, UTC-4) and back on
# 2024-11-03. Each event sits half an hour before or after a local midnight.
EVENTS = pa.table(
    {
        "at": stamps(
            utc(2024, 3, 10, 4, 30),  # Mar 9, 23:30 EST
            utc(2024, 3, 10, 5, 30),  # Mar 10, 00:30 EST
            utc(2024, 3, 11, 3, 30),  # Mar 10, 23:30 EDT (a day of 23 hours)
            utc(2024, 3, 11, 4, 30),  # Mar 11, 00:30 EDT
            utc(2024, 4, 1, 3, 30),  # Mar 31, 23:30 EDT
            utc(2024, 4, 1, 4, 30),  # Apr 1, 00:30 EDT
            utc(2024, 11, 1, 3, 30),  # Oct 31, 23:30 EDT
            utc(2024, 11, 1, 4, 30),  # Nov 1, 00:30 EDT
            utc(2024, 11, 4, 4, 30),  # Nov 3, 23:30 EST (a day of 25 hours)
            utc(2024, 11, 4, 5, 30),  # Nov 4, 00:30 EST
        )
    }
)


@pytest.fixture
def project(define):
    return define(DEFINITIONS, events=EVENTS)


def test_local_days_across_the_clock_going_forward(project, engine):
    table = project.query(
        ["events_count"], grain="day", start="2024-03-05", end="2024-03-15", engine=engine
    )
    days = [(str(day), count) for day, count in rows(table)]
    # Mar 9: the 23:30 EST event; Mar 10: 00:30 EST and 23:30 EDT; Mar 11: 00:30 EDT.
    counts = {"2024-03-09": 1, "2024-03-10": 2, "2024-03-11": 1}
    assert days == [(f"2024-03-{d:02}", counts.get(f"2024-03-{d:02}", 0)) for d in range(5, 15)]


def test_days_and_windows_of_months_across_both_clock_changes(project, engine):
    metrics = ["events_count", "busiest_day", "daily_events", "recent_events"]
    table = project.query(metrics, grain="month", start="2024-01", end="2025-01", engine=engine)
    got = {str(month)[:7]: values for month, *values in rows(table)}
    assert list(got) == [f"2024-{m:02}" for m in range(1, 13)]
    # March: the first five events (Mar 9, 10, 10, 11, 31), two of them on Mar 10; April: the
    # Apr 1 00:30 one; October: Oct 31 23:30; November: Nov 1, 3 and 4.
    # Thirty days back from each month's end: from Mar 2 (to Apr 1) holds all of March's;
    # from Apr 1 00:00 EDT (to May 1) holds the Apr 1 00:30 event, not the Mar 31 23:30 one;
    # from Oct 2 (to Nov 1) Oct 31's; from Nov 1 00:00 EDT (to Dec 1 00:00 EST) the three of
    # November and not Oct 31 23:30 EDT.
    expected = {
        "2024-03": [5, 2, pytest.approx(5 / 31), 5],
        "2024-04": [1, 1, pytest.approx(1 / 30), 1],
        "2024-10": [1, 1, pytest.approx(1 / 31), 1],
        "2024-11": [3, 1, pytest.approx(3 / 30), 3],
    }
    for month, values in got.items():
        assert values == expected.get(month, [0, 0, 0.0, 0]), month
