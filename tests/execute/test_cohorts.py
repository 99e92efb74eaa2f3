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
metric paying_retention = sum(per account: mrr where cohort_start(mrr) > 0) / cohort_start(mrr)
metric logo_retention = count(per account where customers > 0 and cohort_start(customers) > 0)
    / cohort_start(customers)
metric signups = count(accounts)
metric early_share = count(accounts where signed_up_at < @2024-01-15T00:00:00Z) / signups
"""
ACCOUNTS = pa.table(
    {
        "account_id": [0, 1, 2, 3, 4],
        "region": ["eu", "us", "eu", "us", "eu"],
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


def test_cohort_start_of_each_account(project, engine):
    # Each account's `cohort_start(customers)` is whether it was a customer at the end of its
    # sign-up month. Account 0 (a December 2023 cohort, outside the range) is a customer all
    # along and counts in no cohort shown. January: accounts 1 and 2 at age 0 (2 / 2), then
    # only account 1 (account 2 ended on February 15th): 1 / 2, 1 / 2. February: account 3,
    # 1 / 1 twice. March: account 4 was never a customer at a month end: 0 / 0, null.
    table = project.query(["logo_retention"], by=[COHORT, "age"], **Q1, engine=engine)
    assert [value for _, _, value in rows(table)] == [
        *(2 / 2, 1 / 2, 1 / 2),
        *(1 / 1, 1 / 1, None),
        *(None, None, None),
    ]


def test_a_value_seen_only_in_an_earlier_cohort_has_rows_in_every_cohort(define, engine):
    # Account 0, the only one in apac, signed up in December 2023, outside the range: apac
    # still has a row in each cohort of the range, like every region seen.
    region = ["apac", *ACCOUNTS.column("region").to_pylist()[1:]]
    accounts = ACCOUNTS.set_column(1, "region", pa.array(region))
    project = define(DEFINITIONS, accounts=accounts, subscriptions=SUBSCRIPTIONS)
    table = project.query(["customers"], by=[COHORT, "accounts.region", "age"], **Q1, engine=engine)
    # Customers at the month ends: January accounts 1 (us) and 2 (eu, ended February 15th),
    # February and March accounts 1 and 3 (us, the February cohort); account 4 (eu, March)
    # never. A cohort's ages beyond March are null.
    assert [(c.month, region, age, n) for c, region, age, n in rows(table)] == [
        *((1, "apac", age, 0) for age in range(3)),
        *((1, "eu", 0, 1), (1, "eu", 1, 0), (1, "eu", 2, 0)),
        *((1, "us", age, 1) for age in range(3)),
        *((2, "apac", 0, 0), (2, "apac", 1, 0), (2, "apac", 2, None)),
        *((2, "eu", 0, 0), (2, "eu", 1, 0), (2, "eu", 2, None)),
        *((2, "us", 0, 1), (2, "us", 1, 1), (2, "us", 2, None)),
        *(
            (3, region, age, 0 if age == 0 else None)
            for region in ("apac", "eu", "us")
            for age in range(3)
        ),
    ]


def test_an_earlier_cohorts_value_has_rows_for_a_count_over_accounts(define, engine):
    # As above, for a count over the accounts themselves (count(per account)): apac, seen
    # only in the December cohort, is 0 in each cohort of the range at the ages it reached.
    region = ["apac", *ACCOUNTS.column("region").to_pylist()[1:]]
    accounts = ACCOUNTS.set_column(1, "region", pa.array(region))
    project = define(DEFINITIONS, accounts=accounts, subscriptions=SUBSCRIPTIONS)
    table = project.query(
        ["accounts_total"], by=[COHORT, "accounts.region", "age"], **Q1, engine=engine
    )
    # January: accounts 1 (us) and 2 (eu); February: 3 (us); March: 4 (eu).
    assert [(c.month, region, age, n) for c, region, age, n in rows(table)] == [
        *((1, "apac", age, 0) for age in range(3)),
        *((1, "eu", age, 1) for age in range(3)),
        *((1, "us", age, 1) for age in range(3)),
        *((2, "apac", 0, 0), (2, "apac", 1, 0), (2, "apac", 2, None)),
        *((2, "eu", 0, 0), (2, "eu", 1, 0), (2, "eu", 2, None)),
        *((2, "us", 0, 1), (2, "us", 1, 1), (2, "us", 2, None)),
        *(
            (3, region, age, (1 if region == "eu" else 0) if age == 0 else None)
            for region in ("apac", "eu", "us")
            for age in range(3)
        ),
    ]


def test_revenue_retention_per_account(project, engine):
    table = project.query(["revenue_retention"], by=["signup_month", "age"], **Q1, engine=engine)
    # The March cohort pays nothing at age 0: its retention is 0 / 0, null.
    assert [value for _, _, value in rows(table)] == [1.0, 2 / 3, 2 / 3, 1.0, 1.0, *[None] * 4]


def test_ages_first_sorts_by_age(project, engine):
    table = project.query(["customers"], by=["age", "signup_month"], **Q1, engine=engine)
    # Every cohort of the range, March's too, though none of its accounts is a customer.
    assert [(age, cohort.month) for age, cohort, _ in rows(table)] == [
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 1),
        (2, 2),
        (2, 3),
    ]


def test_cohort_start_by_calendar_period(project, engine):
    table = project.query(["customers", "retention"], by=["signup_month"], **Q1, engine=engine)
    # The December cohort's own period is before the range: not computed, so null. The
    # March cohort (account 4, a customer at no month end) is a cohort of the range: 0
    # customers in every period, and 0 / 0 at its own period, null. In January the
    # February cohort has not started (age -1): its start is null, not February's 1, so
    # its retention is null rather than 0 / 1.
    assert rows(table) == [
        (D(2024, 1, 1), D(2023, 12, 1), 1, None),
        (D(2024, 1, 1), D(2024, 1, 1), 2, 1.0),
        (D(2024, 1, 1), D(2024, 2, 1), 0, None),
        (D(2024, 1, 1), D(2024, 3, 1), 0, None),
        (D(2024, 2, 1), D(2023, 12, 1), 1, None),
        (D(2024, 2, 1), D(2024, 1, 1), 1, 0.5),
        (D(2024, 2, 1), D(2024, 2, 1), 1, 1.0),
        (D(2024, 2, 1), D(2024, 3, 1), 0, None),
        (D(2024, 3, 1), D(2023, 12, 1), 1, None),
        (D(2024, 3, 1), D(2024, 1, 1), 1, 0.5),
        (D(2024, 3, 1), D(2024, 2, 1), 1, 1.0),
        (D(2024, 3, 1), D(2024, 3, 1), 0, None),
    ]


def test_a_cohort_has_no_start_in_the_periods_before_it(project, engine):
    # `cohort_start` read per account as well as per cohort. MRR at the month ends: January
    # 100 (account 1) + 50 (account 2), February 100 + 0 and 40 (account 3), March the same.
    # The January cohort keeps 100 of its 150; the February cohort is null in January, when
    # it had not started, not 0 / 40; March's only account pays nothing at its start: 0 / 0.
    table = project.query(["paying_retention"], by=["signup_month"], **Q1, engine=engine)
    assert rows(table) == [
        (D(2024, 1, 1), D(2023, 12, 1), None),
        (D(2024, 1, 1), D(2024, 1, 1), 1.0),
        (D(2024, 1, 1), D(2024, 2, 1), None),
        (D(2024, 1, 1), D(2024, 3, 1), None),
        (D(2024, 2, 1), D(2023, 12, 1), None),
        (D(2024, 2, 1), D(2024, 1, 1), pytest.approx(100 / 150)),
        (D(2024, 2, 1), D(2024, 2, 1), 1.0),
        (D(2024, 2, 1), D(2024, 3, 1), None),
        (D(2024, 3, 1), D(2023, 12, 1), None),
        (D(2024, 3, 1), D(2024, 1, 1), pytest.approx(100 / 150)),
        (D(2024, 3, 1), D(2024, 2, 1), 1.0),
        (D(2024, 3, 1), D(2024, 3, 1), None),
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
    found = rows(table)
    assert [(week, n) for week, n in found if n] == [
        (D(2023, 12, 10), 1),
        (D(2023, 12, 31), 1),
        (D(2024, 1, 14), 1),
        (D(2024, 2, 4), 1),
        (D(2024, 2, 25), 1),
    ]
    # Every week of 2024 is a cohort of the range, from Sunday, December 31st, 2023 to
    # Sunday, December 29th, 2024: 364 / 7 + 1 = 53 weeks, and the December 10th one.
    assert len(found) == 53 + 1
    assert {n for week, n in found if week >= D(2024, 3, 3)} == {0}


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


EMPTY_MONTHS = {"start": "2024-01", "end": "2024-06"}


def test_every_cohort_of_the_range_has_a_row(project, engine):
    # No grain: one row per cohort of January to May, April and May without sign-ups.
    table = project.query(["signups", "early_share"], by=[COHORT], **EMPTY_MONTHS, engine=engine)
    assert rows(table) == [
        (D(2024, 1, 1), 2, 1 / 2),  # accounts 1 (January 5th, early) and 2 (the 20th)
        (D(2024, 2, 1), 1, 0 / 1),  # account 3
        (D(2024, 3, 1), 1, 0 / 1),  # account 4
        (D(2024, 4, 1), 0, None),  # nobody signs up: 0, and 0 / 0 is null
        (D(2024, 5, 1), 0, None),
    ]


def test_empty_cohorts_with_every_value_seen_of_another_dimension(project, engine):
    table = project.query(
        ["signups"], by=[COHORT, "accounts.region"], **EMPTY_MONTHS, engine=engine
    )
    # Accounts 1 (us) and 2 (eu) in January, 3 (us) in February, 4 (eu) in March.
    assert rows(table) == [
        (D(2024, 1, 1), "eu", 1),
        (D(2024, 1, 1), "us", 1),
        (D(2024, 2, 1), "eu", 0),
        (D(2024, 2, 1), "us", 1),
        (D(2024, 3, 1), "eu", 1),
        (D(2024, 3, 1), "us", 0),
        (D(2024, 4, 1), "eu", 0),
        (D(2024, 4, 1), "us", 0),
        (D(2024, 5, 1), "eu", 0),
        (D(2024, 5, 1), "us", 0),
    ]


def test_an_empty_cohort_in_a_triangle_is_0_at_the_ages_it_reached(project, engine):
    table = project.query(
        ["signups"], by=[COHORT, "age"], grain="month", **EMPTY_MONTHS, engine=engine
    )
    triangle = {(cohort.month, age): n for cohort, age, n in rows(table)}
    # Sign-ups count in the cohort's own month only (age 0): 2, 1, 1, then 0 for April and
    # May, which nobody signed up in. Later ages count 0, up to May; beyond, null.
    assert [triangle[4, age] for age in range(5)] == [0, 0, None, None, None]
    assert [triangle[5, age] for age in range(5)] == [0, None, None, None, None]
    assert [triangle[1, age] for age in range(5)] == [2, 0, 0, 0, 0]
