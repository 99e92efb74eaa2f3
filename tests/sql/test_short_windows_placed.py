"""A windowed count or sum whose rows each count in at most two periods (30 days at month ends)
is placed in those periods by a join to the level's spine, not summed from each row's range
of periods (execute/sql/ranges.py `few_periods`); a longer window (90 days: up to three month
ends) still is. Rows at the windows' edges, checked by hand on every engine; at a level over
members an offset of such a count is then read by a join, with no window function left."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sql_helpers import rows, stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

TEXT = """
calendar { timezone "UTC" }
source accounts from csv("accounts.csv") {
  key account_id
}
source tickets from csv("tickets.csv") {
  entity account_id -> accounts
  time opened_at
}
metric recent_tickets = count(tickets) over last 30 days
metric recent_amount = sum(tickets.amount) over last 30 days
metric quarter_tickets = count(tickets) over last 90 days
metric busy_accounts = count(per account where recent_tickets >= 1)
metric quieter_accounts = count(per account where recent_tickets < recent_tickets[-1])
"""
MONTHS = {"grain": "month", "start": "2024-01-01", "end": "2024-04-01"}

# The month ends and their windows (2024 is a leap year):
#   Dec 2023 (read for the offset): end Jan 1, 30 days [Dec 2, Jan 1)
#   Jan: end Feb 1, 30 days [Jan 2, Feb 1), 90 days [Nov 3, Feb 1)
#   Feb: end Mar 1, 30 days [Jan 31, Mar 1), 90 days [Dec 2, Mar 1)
#   Mar: end Apr 1, 30 days [Mar 2, Apr 1), 90 days [Jan 2, Apr 1)
TICKETS = [
    # (account, opened at, amount)
    ("a1", utc(2024, 1, 2), 1),  # a window's first instant: Jan (30 days); Jan–Mar (90)
    ("a1", utc(2024, 1, 1, 23, 59, 59), 2),  # just before Jan's 30 days; Jan, Feb (90)
    ("a1", utc(2024, 1, 31), 4),  # two 30-day windows: Jan and Feb
    ("a2", utc(2024, 2, 1), 8),  # Jan's end, not in it: Feb (30 days); Feb, Mar (90)
    ("a2", utc(2024, 3, 1), 16),  # Feb's end, before Mar's 30 days: none; Mar (90)
    ("a2", utc(2024, 3, 31, 23), 32),  # Mar
    ("a1", utc(2024, 4, 1), 64),  # the range's end: nowhere
    ("a3", utc(2023, 12, 15), 128),  # Dec (30 days, the offset reads it); Jan, Feb (90)
]


def _tables() -> dict[str, pa.Table]:
    accounts = pa.table({"account_id": ["a1", "a2", "a3"]})
    tickets = pa.table(
        {
            "account_id": [account for account, _, _ in TICKETS],
            "opened_at": stamps(*(at for _, at, _ in TICKETS)),
            "amount": [amount for _, _, amount in TICKETS],
        }
    )
    return {"accounts": accounts, "tickets": tickets}


def test_counts_and_sums_at_the_windows_edges(define, engine):
    """30 days: Jan 1 + 4 (2 tickets, 5), Feb 4 + 8 (2, 12), Mar 32 (1, 32). 90 days: Jan
    128 + 2 + 1 + 4 (4), Feb those and 8 (5), Mar 1 + 4 + 8 + 16 + 32 (5)."""
    project = define(TEXT, **_tables())
    metrics = ["recent_tickets", "recent_amount", "quarter_tickets"]
    result = project.query(metrics, engine=engine, **MONTHS)
    D = dt.date
    assert rows(result) == [
        (D(2024, 1, 1), 2, 5, 4),
        (D(2024, 2, 1), 2, 12, 5),
        (D(2024, 3, 1), 1, 32, 5),
    ]


def test_per_account_with_an_offset(define, engine):
    """Tickets in the last 30 days per account (Dec, Jan, Feb, Mar): a1 0, 2, 1, 0; a2 0, 0,
    1, 1; a3 1, 0, 0, 0. Accounts with one or more: 1, 2, 1; with fewer than a month
    before: Jan a3, Feb a1, Mar a1 — 1, 1, 1."""
    project = define(TEXT, **_tables())
    result = project.query(["busy_accounts", "quieter_accounts"], engine=engine, **MONTHS)
    D = dt.date
    assert rows(result) == [(D(2024, 1, 1), 1, 1), (D(2024, 2, 1), 2, 1), (D(2024, 3, 1), 1, 1)]


@pytest.mark.engines("duckdb")
def test_the_sql_places_short_windows_and_ranges_long_ones(define):
    project = define(TEXT, **_tables())
    short = project.explain(["recent_tickets", "recent_amount"], dialect="duckdb", **MONTHS)
    assert "first_period" not in short and " OVER " not in short
    long = project.explain(["quarter_tickets"], dialect="duckdb", **MONTHS)
    assert "first_period" in long
    offset = project.explain(["quieter_accounts"], dialect="duckdb", **MONTHS)
    assert " OVER " not in offset  # the offset is a join, there being no running total
