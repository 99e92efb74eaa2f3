"""Offsets (DESIGN §4.3): a metric some periods earlier, every other coordinate unchanged,
with the periods before the range computed from data."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import QueryError

D = dt.date

DEFINITIONS = """
source events from csv("events.csv") {
  time at
}
metric n = count(events)
metric previous_n = n[-1]
metric two_before = n[-2]
metric three_before = previous_n[-2]
metric weekly = count(events) over last 7 days
metric weekly_before = weekly[-1]
metric grown = growth(n)
metric changed = change(n)
metric before = previous(n)
metric last_year = same_period_last_year(n)
metric yearly_growth = n / same_period_last_year(n) - 1
"""

# One event on the 10th of each month of 2023 and 2024, and two in March 2024.
INSTANTS = [utc(year, month, 10) for year in (2023, 2024) for month in range(1, 13)]
INSTANTS.append(utc(2024, 3, 20))


@pytest.fixture
def project(define):
    segments = ["a" if at.month % 2 else "b" for at in INSTANTS]
    table = pa.table({"at": stamps(*INSTANTS), "segment": segments})
    return define(DEFINITIONS, events=table)


def test_offsets_before_the_range_are_computed_from_data(project, engine):
    table = project.query(
        ["n", "previous_n", "two_before", "three_before"],
        grain="month",
        start="2024-03",
        end="2024-06",
        engine=engine,
    )
    assert rows(table) == [
        (D(2024, 3, 1), 2, 1, 1, 1),
        (D(2024, 4, 1), 1, 2, 1, 1),
        (D(2024, 5, 1), 1, 1, 2, 1),
    ]


def test_period_comparisons(project, engine):
    table = project.query(
        ["before", "changed", "grown", "last_year", "yearly_growth"],
        grain="month",
        start="2024-03",
        end="2024-05",
        engine=engine,
    )
    assert rows(table) == [
        (D(2024, 3, 1), 1, 1, 1.0, 1, 1.0),
        (D(2024, 4, 1), 2, -1, -0.5, 1, 0.0),
    ]


@pytest.mark.parametrize(
    ("grain", "start", "expected"),
    [("quarter", "2024-01", [(D(2024, 1, 1), 3), (D(2024, 4, 1), 3)]), ("year", "2024", None)],
)
def test_same_period_last_year_at_quarter_and_year_grain(project, grain, start, expected, engine):
    table = project.query(["last_year"], grain=grain, start=start, end="2024-07", engine=engine)
    assert rows(table) == (expected or [(D(2024, 1, 1), 12)])


def test_growth_of_nothing_is_null(project, engine):
    table = project.query(["grown"], grain="month", start="2023-01", end="2023-02", engine=engine)
    assert rows(table) == [(D(2023, 1, 1), None)]


def test_an_offset_of_a_windowed_metric_reaches_further_back(project, engine):
    table = project.query(
        ["weekly_before"], grain="day", start="2024-03-16", end="2024-03-18", engine=engine
    )
    # March 16 reads the week ending March 15 00:00: the event of March 10.
    assert rows(table) == [(D(2024, 3, 16), 1), (D(2024, 3, 17), 1)]
    text = project.explain(["weekly_before"], grain="day", start="2024-03-16", end="2024-03-18")
    assert "also computes the 1 day before the range, which offsets read" in text
    # From where the week ending on 16 March 00:00, the first one read, starts.
    assert "rows with at in [2024-03-09 00:00:00+00:00, 2024-03-18 00:00:00+00:00)" in text


def test_offsets_keep_the_other_coordinates(project, engine):
    table = project.query(
        ["n", "previous_n"],
        by=["events.segment"],
        grain="month",
        start="2024-03",
        end="2024-05",
        engine=engine,
    )
    assert rows(table) == [
        (D(2024, 3, 1), "a", 2, 0),
        (D(2024, 3, 1), "b", 0, 1),
        (D(2024, 4, 1), "a", 0, 2),
        (D(2024, 4, 1), "b", 1, 0),
    ]


def test_an_offset_needs_a_grain(project, engine):
    with pytest.raises(QueryError, match=r"`previous_n` uses `n\[-1\]`.*no grain"):
        project.query(["previous_n"], start="2024-01", end="2024-02", engine=engine)


@pytest.mark.parametrize("grain", ["day", "week"])
def test_same_period_last_year_needs_months_quarters_or_years(project, grain, engine):
    with pytest.raises(QueryError, match=f"a year is not a whole number of {grain}s"):
        project.query(["last_year"], grain=grain, start="2024-01", end="2024-02", engine=engine)
