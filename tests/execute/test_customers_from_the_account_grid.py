"""Customers by segment beside the per-account retention counts: the SQL engines count the
customers from the per-account pass (a distinct count of the account the pass groups by is
the number of its groups counting one, execute/sql/rollups.py) and read `customers[-1]` by
joining that pass to itself a month (or two) earlier instead of a window (execute/sql/cells.py
`Lagged`).
Rows naming no account or a missing one, and an account whose first kept month is before its
sign-up, must give what the Arrow engine gives."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

DEFINITIONS = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
metric customers = count_distinct(subscriptions.account_id)
metric acquired = count(per account where customers[-1] == 0 and customers > 0)
metric churned = count(per account where customers[-1] > 0 and customers == 0)
metric won_back = count(
  per account where customers[-2] > 0 and customers[-1] == 0 and customers > 0
)
"""
METRICS = ["customers", "acquired", "churned"]


def project(define):
    accounts = pa.table(
        {
            "account_id": [1, 2, 3],
            "segment": ["smb", "enterprise", "smb"],
            "signed_up_at": stamps(utc(2023, 12, 1), utc(2024, 2, 10), utc(2024, 1, 15)),
        }
    )
    subscriptions = pa.table(
        {
            # 1: a customer in January, not in February, again in March. 2: two overlapping
            # subscriptions from before its sign-up, both ended in February. 3: from January.
            # null: naming no account; 9: naming an account that does not exist.
            "account_id": pa.array([1, 1, 2, 2, 3, None, 9], pa.int64()),
            "started_at": stamps(
                utc(2024, 1, 5),
                utc(2024, 3, 10),
                utc(2024, 1, 20),
                utc(2024, 1, 25),
                utc(2024, 1, 20),
                utc(2024, 1, 1),
                utc(2024, 2, 1),
            ),
            "ended_at": stamps(
                utc(2024, 2, 15), None, utc(2024, 2, 20), utc(2024, 2, 25), None, None, None
            ),
        }
    )
    return define(DEFINITIONS, accounts=accounts, subscriptions=subscriptions)


def test_customers_and_movements_by_segment(define, engine):
    answer = project(define).query(
        METRICS,
        by=["accounts.segment"],
        grain="month",
        start="2024-01",
        end="2024-04",
        engine=engine,
    )
    jan, feb, mar = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)
    # A customer at a month end e: a subscription with started_at < e and (no end or
    # ended_at >= e). Ends: Feb 1, Mar 1, Apr 1 (and Jan 1, December's, for customers[-1]).
    # Accounts: 1 (smb) 1/0/1 over Jan/Feb/Mar (0 in December); 2 (enterprise) 1/0/0, a
    # member from February, whose January cell (the month before its sign-up) still gives
    # customers[-1] = 1 in February; 3 (smb) 1/1/1 (0 in December). 9 (no such account,
    # null segment) 0/1/1; the row naming no account counts no customer but its group shows
    # a null segment from January. acquired: Jan 1 and 3; Mar 1. churned: Feb 1 and 2.
    assert {
        (row["month"], row["accounts.segment"]): tuple(row[m] for m in METRICS)
        for row in answer.to_pylist()
    } == {
        (jan, "enterprise"): (1, 0, 0),
        (jan, "smb"): (2, 2, 0),
        (jan, None): (0, 0, 0),
        (feb, "enterprise"): (0, 0, 1),
        (feb, "smb"): (1, 0, 1),
        (feb, None): (1, 0, 0),
        (mar, "enterprise"): (0, 0, 0),
        (mar, "smb"): (2, 1, 0),
        (mar, None): (1, 0, 0),
    }


def test_customers_and_movements_in_total(define, engine):
    answer = project(define).query(
        METRICS, grain="month", start="2024-01", end="2024-04", engine=engine
    )
    # The cells above added up per month: customers 3 (1, 2, 3), 2 (3, 9), 3 (1, 3, 9).
    assert [tuple(row[m] for m in METRICS) for row in answer.to_pylist()] == [
        (3, 2, 0),
        (2, 0, 2),
        (3, 1, 0),
    ]


def test_two_offsets_of_one_count(define, engine):
    # customers[-1] and customers[-2] read from one pass joined to itself at both shifts.
    answer = project(define).query(
        [*METRICS, "won_back"],
        by=["accounts.segment"],
        grain="month",
        start="2024-01",
        end="2024-04",
        engine=engine,
    )
    # Customers per month end (Nov, Dec, Jan, Feb, Mar): account 1 (smb) 0, 0, 1, 0, 1: a
    # customer two months back, not last month, again now in March; 2 (enterprise) -, -, 1,
    # 0, 0; 3 (smb) 0, 0, 1, 1, 1. won_back: (March, smb) 1, every other cell 0. acquired and
    # churned as in the first test.
    won_back = {
        (row["month"], row["accounts.segment"]): row["won_back"] for row in answer.to_pylist()
    }
    assert won_back.pop((dt.date(2024, 3, 1), "smb")) == 1
    assert len(won_back) == 8
    assert set(won_back.values()) == {0}
    acquired = {
        (row["month"], row["accounts.segment"]): row["acquired"] for row in answer.to_pylist()
    }
    assert sum(acquired.values()) == 3  # January 1 and 3, March 1
