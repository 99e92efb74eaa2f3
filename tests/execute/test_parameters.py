"""Parameters (docs/language.md, "Parameters"): declared values read as `$name` in filters,
arithmetic, comparisons and window lengths, set per query, on every engine. The SQL engines bind
the values to placeholders: a string holding a quote and SQL is a value like any other."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
from execute_helpers import stamps, utc

#: Spark answers one query of every kind of parameter (its queries are slow to start).
pytestmark = pytest.mark.engines("arrow", "duckdb", "postgres")

INJECTION = "x' or 1=1 --"

DEFINITIONS = """
parameter plan: string = "pro"
parameter window: duration = 24 hours
parameter min_seats: int = 5
parameter days: int = 30
parameter paid: bool = true
parameter since: date = @2024-01-10
parameter cutoff: timestamp = @2024-02-05T00:00:00Z
parameter rate: float = 0.5
parameter fee: decimal = 1.25

source tickets from csv("tickets.csv") {
  key id
  time opened_at
  column resolution = hours * 1 hour
}

metric plan_tickets = count(tickets where plan == $plan)
metric fast = count(tickets where resolution <= $window)
metric big = count(tickets where seats >= $min_seats)
metric paid_tickets = count(tickets where paid == $paid)
metric since_tickets = count(tickets where opened_at >= $since)
metric before_cutoff = count(tickets where opened_at < $cutoff)
metric scaled = sum(tickets.price) * $rate
metric with_fee = count(tickets) * $fee
metric rolling = count(tickets) over last $days days

dimension size = if(tickets.seats >= $min_seats, "big", "small")
"""

METRICS = [
    "plan_tickets",
    "fast",
    "big",
    "paid_tickets",
    "since_tickets",
    "before_cutoff",
    "scaled",
    "with_fee",
    "rolling",
]


@pytest.fixture
def project(define):
    tickets = pa.table(
        {
            "id": pa.array([1, 2, 3, 4, 5], pa.int64()),
            "opened_at": stamps(
                utc(2024, 1, 5, 10),
                utc(2024, 1, 20, 10),
                utc(2024, 2, 3, 10),
                utc(2024, 2, 10, 10),
                utc(2024, 3, 1, 10),
            ),
            "plan": ["pro", "free", "pro", INJECTION, "pro"],
            "hours": pa.array([10, 50, 30, 5, 100], pa.int64()),
            "seats": pa.array([3, 1, 8, 2, 6], pa.int64()),
            "paid": [True, False, True, True, False],
            "price": [10.0, 0.0, 25.0, 7.5, 12.0],
        }
    )
    return define(DEFINITIONS, tickets=tickets)


def _columns(project, engine, params=None) -> dict[str, list]:
    table = project.query(
        METRICS, grain="month", start="2024-01-01", end="2024-04-01", engine=engine, params=params
    )
    return {name: table[name].to_pylist() for name in METRICS}


def test_the_defaults_hold_when_a_query_sets_no_parameter(project, engine):
    # Tickets: 1 Jan 5 pro 10h 3 seats paid 10.0 | 2 Jan 20 free 50h 1 seat 0.0
    # | 3 Feb 3 pro 30h 8 seats paid 25.0 | 4 Feb 10 <injection> 5h 2 seats paid 7.5
    # | 5 Mar 1 pro 100h 6 seats 12.0
    assert _columns(project, engine) == {
        "plan_tickets": [1, 1, 1],  # 1 | 3 | 5
        "fast": [1, 1, 0],  # 10h | 5h | none of 24 hours or less
        "big": [0, 1, 1],  # 8 seats | 6 seats
        "paid_tickets": [1, 2, 0],  # 1 | 3, 4
        "since_tickets": [1, 2, 1],  # from Jan 10: 2 | 3, 4 | 5
        "before_cutoff": [2, 1, 0],  # before Feb 5: 1, 2 | 3
        "scaled": [5.0, 16.25, 6.0],  # (10 + 0) × 0.5 | (25 + 7.5) × 0.5 | 12 × 0.5
        "with_fee": [Decimal("2.5"), Decimal("2.5"), Decimal("1.25")],  # 2, 2, 1 tickets × 1.25
        # 30 days up to each month's end: [Jan 2, Feb 1) 1, 2 | [Jan 31, Mar 1) 3, 4
        # | [Mar 2, Apr 1) none (5 is on Mar 1)
        "rolling": [2, 2, 0],
    }


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_a_query_sets_every_kind_of_parameter(project, engine):
    params = {
        "plan": INJECTION,
        "window": dt.timedelta(hours=48),
        "min_seats": 7,
        "days": 60,
        "paid": False,
        "since": dt.date(2024, 2, 5),
        "cutoff": utc(2024, 1, 10),
        "rate": 2,
        "fee": Decimal("0.1"),
    }
    assert _columns(project, engine, params) == {
        # The string with a quote and SQL is a value: it matches its one ticket, in February.
        "plan_tickets": [0, 1, 0],
        "fast": [1, 2, 0],  # 48 hours or less: 10h | 30h, 5h
        "big": [0, 1, 0],  # 7 seats or more: 8
        "paid_tickets": [1, 0, 1],  # not paid: 2 | 5
        "since_tickets": [0, 1, 1],  # from Feb 5: 4 (Feb 10) | 5
        "before_cutoff": [1, 0, 0],  # before Jan 10: 1
        "scaled": [20.0, 65.0, 24.0],  # 10 × 2 | 32.5 × 2 | 12 × 2
        "with_fee": [Decimal("0.2"), Decimal("0.2"), Decimal("0.1")],
        # 60 days up to each month's end: [Dec 2, Feb 1) 1, 2 | [Dec 31, Mar 1) 1-4
        # | [Feb 1, Apr 1) 3, 4, 5
        "rolling": [2, 4, 3],
    }


def test_a_string_with_a_quote_and_sql_is_a_plain_value_in_a_where(project, engine):
    # As a filter of the query too: only the ticket whose plan is exactly that text.
    table = project.query(
        ["big"],
        grain="month",
        start="2024-01-01",
        end="2024-04-01",
        where=['plan == $plan or plan == "x\' or 1=1"'],
        params={"plan": INJECTION, "min_seats": 1},
        engine=engine,
    )
    assert table["big"].to_pylist() == [0, 1, 0]


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_a_dimension_reading_a_parameter_slices_by_the_query_value(project, engine):
    # The same placeholder in the select list and the GROUP BY is one value.
    table = project.query(
        ["paid_tickets"],
        by=["size"],
        start="2024-01-01",
        end="2024-04-01",
        engine=engine,
        params={"min_seats": 3},
    )
    # 3 seats or more: tickets 1 (paid), 3 (paid), 5 are big; 2, 4 (paid) are small
    found = zip(table["size"].to_pylist(), table["paid_tickets"].to_pylist(), strict=True)
    assert sorted(found) == [("big", 2), ("small", 1)]
