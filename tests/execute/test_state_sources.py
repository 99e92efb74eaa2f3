"""State sources (`valid from a to b`) are read as of each period's end (DESIGN §4.2)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

D = dt.date

DEFINITIONS = """
source subscriptions from csv("subscriptions.csv") {
  valid from started_at to ended_at
}
metric mrr = sum(subscriptions.mrr)
metric paying = count_distinct(subscriptions.account_id where mrr > 0)
"""

SUBSCRIPTIONS = pa.table(
    {
        "account_id": [1, 2, 3, 1],
        "mrr": [100, 50, 30, 20],
        "started_at": stamps(utc(2024, 1, 15), utc(2024, 1, 1), utc(2024, 2, 10), utc(2024, 3, 1)),
        "ended_at": stamps(None, utc(2024, 3, 1), utc(2024, 2, 20), utc(2024, 4, 1)),
    }
)


@pytest.fixture
def project(define):
    return define(DEFINITIONS, subscriptions=SUBSCRIPTIONS)


def test_each_month_sees_the_rows_in_force_at_its_end(project, engine):
    table = project.query(
        ["mrr", "paying"], grain="month", start="2024-01", end="2024-05", engine=engine
    )
    assert rows(table) == [
        (D(2024, 1, 1), 150, 2),
        (D(2024, 2, 1), 150, 2),  # ended exactly at the period end: still counted
        (D(2024, 3, 1), 120, 1),  # the February subscription lasted ten days: never at an end
        (D(2024, 4, 1), 100, 1),
    ]


def test_days_see_short_lived_rows(project, engine):
    table = project.query(["mrr"], grain="day", start="2024-02-09", end="2024-02-22", engine=engine)
    values = dict(rows(table))
    assert values[D(2024, 2, 9)] == 150
    assert values[D(2024, 2, 10)] == 180
    assert values[D(2024, 2, 19)] == 180  # in force until the end of Feb 19 (ends Feb 20 00:00)
    assert values[D(2024, 2, 20)] == 150


def test_without_a_grain_the_state_at_the_end_of_the_range(project, engine):
    assert rows(project.query(["mrr"], start="2024-01-01", end="2024-03-15", engine=engine)) == [
        (120,)
    ]


def test_without_a_range_the_current_state(project, engine):
    assert rows(project.query(["mrr"], engine=engine)) == [(100,)]


def test_without_a_range_periods_span_the_starts_and_past_ends(project, engine):
    table = project.query(["mrr"], grain="month", engine=engine)
    assert [month for month, _ in rows(table)] == [D(2024, m, 1) for m in (1, 2, 3, 4)]


def test_rows_are_pushed_down_by_their_start(project):
    plan_text = project.explain(["mrr"], grain="month", start="2024-01", end="2024-05")
    assert "rows with started_at < 2024-05-01 00:00:00+00:00 pushed down" in plan_text
    assert "read as of each period end" in plan_text
