"""Cohorts (DESIGN §4.7): `cohort(time, grain)` as a dimension, `age` for retention triangles
with too-young cells null, and `cohort_start` for each cohort's own period."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import QueryError

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

D = dt.date
COHORT = "cohort(accounts.signed_up_at, month)"

DEFINITIONS = """
calendar { timezone "UTC" week_start sunday }
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
dimension signup_month = cohort(accounts.signed_up_at, month)
metric customers = count_distinct(subscriptions.account_id)
metric accounts_total = count(per account)
metric retention = customers / cohort_start(customers)
metric mrr = sum(subscriptions.mrr)
metric revenue_retention = sum(per account: mrr) / cohort_start(sum(per account: mrr))
"""
ACCOUNTS = pa.table(
    {
        "account_id": [0, 1, 2, 3, 4],
        "signed_up_at": stamps(
            utc(2023, 12, 10), utc(2024, 1, 5), utc(2024, 1, 20), utc(2024, 2, 10), utc(2024, 3, 1)
        ),
    }
)
SUBSCRIPTIONS = pa.table(
    {
        "account_id": [0, 1, 2, 3, 4],
        "mrr": [10.0, 100.0, 50.0, 40.0, 30.0],
        "started_at": stamps(
            utc(2023, 12, 10), utc(2024, 1, 5), utc(2024, 1, 20), utc(2024, 2, 10), utc(2024, 3, 1)
        ),
        "ended_at": stamps(None, None, utc(2024, 2, 15), None, utc(2024, 3, 10)),
    }
)
Q1 = {"grain": "month", "start": "2024-01", "end": "2024-04"}


@pytest.fixture
def project(define):
    return define(DEFINITIONS, accounts=ACCOUNTS, subscriptions=SUBSCRIPTIONS)


def test_a_retention_triangle_leaves_too_young_cells_null(project, engine):
    table = project.query(
        ["accounts_total", "customers", "retention"], by=[COHORT, "age"], **Q1, engine=engine
    )
    assert table.column_names == [COHORT, "age", "accounts_total", "customers", "retention"]
    assert rows(table) == [
        (D(2024, 1, 1), 0, 2, 2, 1.0),
        (D(2024, 1, 1), 1, 2, 1, 0.5),
        (D(2024, 1, 1), 2, 2, 1, 0.5),
        (D(2024, 2, 1), 0, 1, 1, 1.0),
        (D(2024, 2, 1), 1, 1, 1, 1.0),
        (D(2024, 2, 1), 2, None, None, None),
        # Account 4's subscription lasted nine days: in force at no month end.
        (D(2024, 3, 1), 0, 1, 0, None),
        (D(2024, 3, 1), 1, None, None, None),
        (D(2024, 3, 1), 2, None, None, None),
    ]


def test_revenue_retention_per_account(project, engine):
    table = project.query(["revenue_retention"], by=["signup_month", "age"], **Q1, engine=engine)
    # The March cohort pays nothing at age 0: its retention is 0 / 0, null.
    assert [value for _, _, value in rows(table)] == [1.0, 2 / 3, 2 / 3, 1.0, 1.0, *[None] * 4]


def test_ages_first_sorts_by_age(project, engine):
    table = project.query(["customers"], by=["age", "signup_month"], **Q1, engine=engine)
    assert [(age, cohort.month) for age, cohort, _ in rows(table)] == [
        (0, 1),
        (0, 2),
        (1, 1),
        (1, 2),
        (2, 1),
        (2, 2),
    ]


def test_cohort_start_by_calendar_period(project, engine):
    table = project.query(["customers", "retention"], by=["signup_month"], **Q1, engine=engine)
    # The December cohort's own period is before the range: not computed, so null.
    assert rows(table) == [
        (D(2024, 1, 1), D(2023, 12, 1), 1, None),
        (D(2024, 1, 1), D(2024, 1, 1), 2, 1.0),
        (D(2024, 1, 1), D(2024, 2, 1), 0, 0.0),  # read against February, its own period
        (D(2024, 2, 1), D(2023, 12, 1), 1, None),
        (D(2024, 2, 1), D(2024, 1, 1), 1, 0.5),
        (D(2024, 2, 1), D(2024, 2, 1), 1, 1.0),
        (D(2024, 3, 1), D(2023, 12, 1), 1, None),
        (D(2024, 3, 1), D(2024, 1, 1), 1, 0.5),
        (D(2024, 3, 1), D(2024, 2, 1), 1, 1.0),
    ]


def test_the_cohort_function_uses_the_calendar(project, engine):
    table = project.query(
        ["accounts_total"],
        by=["cohort(accounts.signed_up_at, week)"],
        start="2024",
        end="2025",
        engine=engine,
    )
    # Weeks start on Sunday in this calendar: January 5, 2024 was a Friday.
    assert rows(table) == [
        (D(2023, 12, 10), 1),
        (D(2023, 12, 31), 1),
        (D(2024, 1, 14), 1),
        (D(2024, 2, 4), 1),
        (D(2024, 2, 25), 1),
    ]


@pytest.mark.parametrize(
    ("by", "query", "message"),
    [
        ([COHORT, "age"], {"start": "2024-01", "end": "2024-04"}, "needs a grain"),
        (["age"], Q1, "no cohort dimension"),
        ([COHORT, "signup_month", "age"], Q1, "2 cohort dimensions"),
    ],
)
def test_ages_need_a_grain_and_one_cohort(project, by, query, message, engine):
    with pytest.raises(QueryError, match=message):
        project.query(["customers"], by=by, **query, engine=engine)


def test_cohort_start_needs_a_cohort(project, engine):
    with pytest.raises(QueryError, match=r"`retention` uses `cohort_start\(customers\)`"):
        project.query(["retention"], **Q1, engine=engine)
