"""A sum sliced by the account's segment beside a per-account metric over the same rows: the
SQL engines roll the per-account pass up instead of passing over the rows again
(execute/sql/rollups.py). Rows naming no account, or an account that does not exist, must
still count, under a null segment, as the Arrow engine counts them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
metric mrr = sum(subscriptions.mrr)
metric subscriptions_in_force = count(subscriptions)
metric paying = count(per account where mrr > 0 and subscriptions_in_force > 0)
metric new = sum(per account: mrr where mrr[-1] == 0 and mrr > 0)
"""
METRICS = ["mrr", "subscriptions_in_force", "paying", "new"]


def project(define):
    accounts = pa.table(
        {
            "account_id": [1, 2],
            "segment": ["smb", "enterprise"],
            "signed_up_at": stamps(utc(2023, 12, 1), utc(2024, 2, 10)),
        }
    )
    subscriptions = pa.table(
        {
            # 1: the smb account's; 2: the enterprise account's, from before it signed up;
            # null: naming no account; 9: naming an account that does not exist.
            "account_id": pa.array([1, 2, None, 9], pa.int64()),
            "mrr": pa.array([10.0, 20.0, 7.0, 5.0]),
            "started_at": stamps(
                utc(2024, 1, 5), utc(2024, 1, 20), utc(2024, 1, 1), utc(2024, 2, 1)
            ),
            "ended_at": stamps(None, None, utc(2024, 3, 1), None),
        }
    )
    return define(DEFINITIONS, accounts=accounts, subscriptions=subscriptions)


def cells(table: pa.Table) -> dict[tuple[dt.date, str | None], tuple]:
    return {
        (row["month"], row["accounts.segment"]): tuple(row[m] for m in METRICS)
        for row in table.to_pylist()
    }


def test_rows_without_an_account_count_under_a_null_segment(define, engine):
    answer = project(define).query(
        METRICS,
        by=["accounts.segment"],
        grain="month",
        start="2024-01",
        end="2024-04",
        engine=engine,
    )
    jan, feb, mar = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)
    # In force at a month end e: started_at < e and (no end or ended_at >= e).
    # January's end (Feb 1): 1 (10), 2 (20), the one naming none (7); 9 starts at e itself.
    # February's end (Mar 1): the same, and 9 (5) under a null segment beside the 7, which
    # ends exactly at e; March's end: 1, 2 and 9.
    # paying: accounts existing at e with mrr > 0 (the enterprise account from February on);
    # new: the smb account's 10 in January (0 at December's end); the enterprise account's
    # 20 was already in force at January's end, so it is not new in February.
    assert cells(answer) == {
        (jan, "enterprise"): (20.0, 1, 0, 0.0),
        (jan, "smb"): (10.0, 1, 1, 10.0),
        (jan, None): (7.0, 1, 0, 0.0),
        (feb, "enterprise"): (20.0, 1, 1, 0.0),
        (feb, "smb"): (10.0, 1, 1, 0.0),
        (feb, None): (12.0, 2, 0, 0.0),
        (mar, "enterprise"): (20.0, 1, 1, 0.0),
        (mar, "smb"): (10.0, 1, 1, 0.0),
        (mar, None): (5.0, 1, 0, 0.0),
    }


def test_the_total_counts_rows_without_an_account(define, engine):
    answer = project(define).query(
        METRICS, grain="month", start="2024-01", end="2024-04", engine=engine
    )
    # The cells above added up per month.
    assert [tuple(row[m] for m in METRICS) for row in answer.to_pylist()] == [
        (37.0, 3, 1, 10.0),
        (42.0, 4, 2, 0.0),
        (35.0, 3, 2, 0.0),
    ]


@pytest.mark.engines("arrow", "duckdb", "postgres")
def test_a_rolled_up_decimal_sum_keeps_its_cents(define, engine):
    project = define(
        DEFINITIONS,
        accounts=pa.table(
            {"account_id": [1], "segment": ["smb"], "signed_up_at": stamps(utc(2023, 12, 1))}
        ),
        subscriptions=pa.table(
            {
                "account_id": pa.array([1, 1, None], pa.int64()),
                "mrr": pa.array(
                    [Decimal("0.10"), Decimal("0.20"), Decimal("0.01")], pa.decimal128(10, 2)
                ),
                "started_at": stamps(utc(2024, 1, 5), utc(2024, 1, 6), utc(2024, 1, 7)),
                "ended_at": stamps(None, None, None),
            }
        ),
    )
    answer = project.query(
        METRICS,
        by=["accounts.segment"],
        grain="month",
        start="2024-01",
        end="2024-02",
        engine=engine,
    )
    # 0.10 + 0.20 exactly (no float's 0.30000000000000004), and the 0.01 naming no account.
    assert {row["accounts.segment"]: row["mrr"] for row in answer.to_pylist()} == {
        "smb": Decimal("0.30"),
        None: Decimal("0.01"),
    }


COHORT = "cohort(accounts.signed_up_at, month)"


def test_a_cohort_dimension_rolls_up_with_rows_without_an_account(define, engine):
    """The cohort is a call over the account's column, null where a row names no account or
    one that does not exist, as a plain column is: the SQL engines roll the per-account pass
    up by it (execute/sql/rollups.py `_null_unlinked`), and those rows still count under a
    null cohort."""
    answer = project(define).query(
        METRICS, by=[COHORT], grain="month", start="2024-01", end="2024-04", engine=engine
    )
    dec, feb = dt.date(2023, 12, 1), dt.date(2024, 2, 1)
    jan, mar = dt.date(2024, 1, 1), dt.date(2024, 3, 1)
    # The segment test's cells with the smb account (signed up 2023-12-01) under its cohort
    # December 2023, the enterprise account (2024-02-10) under February 2024, and the rows
    # naming no account (7) or account 9 (5) under a null cohort. The range's cohorts
    # without accounts (January and March 2024) have a row in every month, of nothing.
    got = {
        (row["month"], row[COHORT]): tuple(row[m] for m in METRICS) for row in answer.to_pylist()
    }
    assert got == {
        (jan, feb): (20.0, 1, 0, 0.0),
        (jan, dec): (10.0, 1, 1, 10.0),
        (jan, None): (7.0, 1, 0, 0.0),
        (feb, feb): (20.0, 1, 1, 0.0),
        (feb, dec): (10.0, 1, 1, 0.0),
        (feb, None): (12.0, 2, 0, 0.0),
        (mar, feb): (20.0, 1, 1, 0.0),
        (mar, dec): (10.0, 1, 1, 0.0),
        (mar, None): (5.0, 1, 0, 0.0),
        **{(month, empty): (0.0, 0, 0, 0.0) for month in (jan, feb, mar) for empty in (jan, mar)},
    }


@pytest.mark.engines("duckdb")
def test_the_cohort_pass_is_rolled_up_not_read_again(define, engine):
    sql = project(define).explain(
        METRICS, by=[COHORT], grain="month", start="2024-01", end="2024-04", sql=True
    )
    # One pass over the subscriptions (the per-account level's); the cohorts' is its roll-up.
    assert sql.count("FROM src_subscriptions") == 1
