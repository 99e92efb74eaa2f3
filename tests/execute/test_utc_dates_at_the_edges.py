"""UTC dates and months of instants at the edges of days, on every engine: a microsecond
before and at midnight, either side of the epoch (where integer division of negative
microseconds would round the wrong way) and of a leap day. A date is `date(t)`; months are
placed by the month numbers of local dates (more than a few month ends) on the engines that
compute them cheaply (execute/sql/positions.py)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

D = dt.date
DEFINITIONS = """
calendar { timezone "UTC" }
source events from csv("events.csv") {
  key event_id
  time occurred_at
}
dimension event_date = date(events.occurred_at)
metric events_count = count(events)
"""
MICROSECOND = dt.timedelta(microseconds=1)
INSTANTS = [
    dt.datetime(1900, 1, 1, tzinfo=dt.UTC),
    dt.datetime(1970, 1, 1, tzinfo=dt.UTC) - MICROSECOND,
    dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    dt.datetime(2024, 3, 1, tzinfo=dt.UTC) - MICROSECOND,
    dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
]
EVENTS = pa.table(
    {
        "event_id": list(range(len(INSTANTS))),
        "occurred_at": pa.array(INSTANTS, pa.timestamp("us", "UTC")),
    }
)


@pytest.fixture
def project(define):
    return define(DEFINITIONS, events=EVENTS)


def test_each_instant_has_its_utc_date(project, engine):
    table = project.query(["events_count"], by=["event_date"], engine=engine)
    assert rows(table) == [
        (D(1900, 1, 1), 1),
        (D(1969, 12, 31), 1),
        (D(1970, 1, 1), 1),
        (D(2024, 2, 29), 1),
        (D(2024, 3, 1), 1),
    ]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Six months: five month ends inside the range, enough to place by month numbers.
        ("1969-10", "1970-04", [0, 0, 1, 1, 0, 0]),
        ("2023-12", "2024-06", [0, 0, 1, 1, 0, 0]),
    ],
)
def test_instants_either_side_of_a_month_end_fall_in_their_months(
    project, engine, start, end, expected
):
    table = project.query(["events_count"], grain="month", start=start, end=end, engine=engine)
    assert [count for _, count in rows(table)] == expected
