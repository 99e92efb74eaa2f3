"""A count over accounts whose `where` cannot hold for an account without rows in a period is
computed from the cells the rows are in (execute/sql/sparse.py): the same answers as from
every account at every period, on every engine. The cases that would differ if it were done
carelessly: an account with no row at its cohort's period (its `cohort_start` is the count
over nothing, 0, not unknown), accounts with no rows at all, a row naming no account, and a
condition that holds without rows (computed from every cell)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

D = dt.date
COHORT = "cohort(accounts.signed_up_at, month)"
DEFINITIONS = """
calendar { timezone "UTC" week_start monday }
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
metric customers = count_distinct(subscriptions.account_id)
metric late = count(per account where customers > 0 and cohort_start(customers) == 0)
metric not_started = count(per account where cohort_start(customers) == 0)
metric kept = count(per account where 0 < customers and cohort_start(customers) > 0)
metric active = count(per account where customers > 0)
metric retention = kept / cohort_start(customers)
"""
ACCOUNTS = pa.table(
    {
        "account_id": [1, 2, 3, 4, 5],
        "signed_up_at": stamps(
            utc(2024, 1, 5), utc(2024, 1, 20), utc(2024, 1, 25), utc(2024, 2, 3), utc(2024, 2, 10)
        ),
    }
)
SUBSCRIPTIONS = pa.table(
    {
        # Account 2 becomes a customer after its sign-up month; 3 never has a subscription;
        # 4's lasts within March (in force at no month end); 99 is no account.
        "account_id": [1, 2, 4, 5, 99],
        "started_at": stamps(
            utc(2024, 1, 5), utc(2024, 2, 10), utc(2024, 3, 5), utc(2024, 2, 11), utc(2024, 1, 1)
        ),
        "ended_at": stamps(None, None, utc(2024, 3, 20), None, None),
    }
)
RANGE = {"grain": "month", "start": "2024-01", "end": "2024-04"}


@pytest.fixture
def project(define):
    return define(DEFINITIONS, accounts=ACCOUNTS, subscriptions=SUBSCRIPTIONS)


def test_counts_over_accounts_by_cohort_and_age(project, engine):
    table = project.query(["late", "kept"], by=[COHORT, "age"], **RANGE, engine=engine)
    # Customers at the month ends: January account 1; February 1, 2, 5; March 1, 2, 5.
    # Cohort starts: January's accounts 1 (1), 2 (0), 3 (0); February's 4 (0), 5 (1).
    # late: customers now, not at the cohort's start: account 2 from February (age 1), which
    # has no row at its start. kept: customers now and at the start (1; then 5).
    # March has no accounts: 0 at age 0, then null (the range ends).
    assert rows(table) == [
        (D(2024, 1, 1), 0, 0, 1),
        (D(2024, 1, 1), 1, 1, 1),
        (D(2024, 1, 1), 2, 1, 1),
        (D(2024, 2, 1), 0, 0, 1),
        (D(2024, 2, 1), 1, 0, 1),
        (D(2024, 2, 1), 2, None, None),
        (D(2024, 3, 1), 0, 0, 0),
        (D(2024, 3, 1), 1, None, None),
        (D(2024, 3, 1), 2, None, None),
    ]


def test_customers_by_cohort_added_up_from_the_accounts(project, engine):
    # The cohorts' customers are added up from the accounts' (the same cells on the SQL
    # engines): January's cohort 1 (account 1), then 2 (1 and 2); February's 1 (account 5)
    # twice; March's none. retention = kept / the customers at the start: 1 / 1 wherever
    # the cohort has a start; March's 0 / 0 is null.
    table = project.query(["customers", "retention"], by=[COHORT, "age"], **RANGE, engine=engine)
    assert rows(table) == [
        (D(2024, 1, 1), 0, 1, 1.0),
        (D(2024, 1, 1), 1, 2, 1.0),
        (D(2024, 1, 1), 2, 2, 1.0),
        (D(2024, 2, 1), 0, 1, 1.0),
        (D(2024, 2, 1), 1, 1, 1.0),
        (D(2024, 2, 1), 2, None, None),
        (D(2024, 3, 1), 0, 0, None),
        (D(2024, 3, 1), 1, None, None),
        (D(2024, 3, 1), 2, None, None),
    ]


def test_a_condition_that_holds_without_rows(project, engine):
    table = project.query(["not_started"], by=[COHORT, "age"], **RANGE, engine=engine)
    # Every account of the cohort that was not a customer at its start, with rows or not:
    # January 2 and 3 (3 has no subscription), February 4.
    assert [n for _, _, n in rows(table)] == [2, 2, 2, 1, 1, None, 0, None, None]


def test_a_count_over_accounts_by_month(project, engine):
    table = project.query(["active"], **RANGE, engine=engine)
    # No dimension: the customers among the accounts signed up by each month end, January
    # account 1, February and March 1, 2 and 5.
    assert rows(table) == [(D(2024, 1, 1), 1), (D(2024, 2, 1), 3), (D(2024, 3, 1), 3)]


# Sign-ups either side of the range's first and last local midnights and of a month's, in a
# zone whose clocks change within the range: the shown cohorts' members are kept by a range
# of the sign-up time (scans.py `ShownCohorts.keeps`) and each cohort's period is found from
# its first day (members.py `cohort_period_of`), as the month of the local sign-up day would.
BERLIN_ACCOUNTS = pa.table(
    {
        "account_id": [1, 2, 3, 4, 5, 6],
        "signed_up_at": stamps(
            utc(2023, 12, 31, 23),  # 2024-01-01 00:00 in Berlin: January
            utc(2023, 12, 31, 22, 59, 59),  # 2023-12-31 in Berlin: December, not shown
            utc(2024, 2, 29, 22, 59, 59),  # 2024-02-29 23:59:59 in Berlin: February
            utc(2024, 2, 29, 23),  # 2024-03-01 00:00 in Berlin: March
            utc(2024, 3, 31, 21, 59, 59),  # 2024-03-31 23:59:59 in Berlin (summer time): March
            utc(2024, 3, 31, 22),  # 2024-04-01 00:00 in Berlin: April, not shown
        ),
    }
)
BERLIN_SUBSCRIPTIONS = pa.table(
    {
        "account_id": [1, 2, 3, 4, 5, 6],
        "started_at": BERLIN_ACCOUNTS["signed_up_at"].combine_chunks(),
        "ended_at": stamps(*[None] * 6),
    }
)


def test_the_shown_cohorts_end_at_local_midnights(define, engine):
    definitions = DEFINITIONS.replace('timezone "UTC"', 'timezone "Europe/Berlin"')
    project = define(definitions, accounts=BERLIN_ACCOUNTS, subscriptions=BERLIN_SUBSCRIPTIONS)
    table = project.query(["customers", "kept"], by=[COHORT, "age"], **RANGE, engine=engine)
    # Each account is a customer from its sign-up on, so at every month end from its
    # cohort's: January account 1, February 3, March 4 and 5.
    assert rows(table) == [
        (D(2024, 1, 1), 0, 1, 1),
        (D(2024, 1, 1), 1, 1, 1),
        (D(2024, 1, 1), 2, 1, 1),
        (D(2024, 2, 1), 0, 1, 1),
        (D(2024, 2, 1), 1, 1, 1),
        (D(2024, 2, 1), 2, None, None),
        (D(2024, 3, 1), 0, 2, 2),
        (D(2024, 3, 1), 1, None, None),
        (D(2024, 3, 1), 2, None, None),
    ]


# Subscriptions in force before their account signs up, and cohorts by another time than the
# sign-up: a cohort then has cells at which an account is a customer but not yet a member of
# the iteration. The cohorts' customers, added up in the accounts' `per` GROUP BY over those
# cells (levels.py `_over_sparse_cells`), count them; the `per` aggregates do not.
TRIAL_DEFINITIONS = DEFINITIONS.replace(
    "  time signed_up_at\n}", "  time signed_up_at\n  column trial_at: timestamp\n}"
)
TRIAL_ACCOUNTS = pa.table(
    {
        "account_id": [1, 2, 3],
        "signed_up_at": stamps(utc(2024, 1, 5), utc(2024, 2, 10), utc(2024, 3, 3)),
        "trial_at": stamps(utc(2024, 1, 2), utc(2024, 1, 20), utc(2024, 2, 1)),
    }
)
TRIAL_SUBSCRIPTIONS = pa.table(
    {
        # Account 2's starts before its sign-up (in force at January's end); 3's only at
        # February's end, before its sign-up in March; 99 is no account.
        "account_id": [1, 2, 3, 99],
        "started_at": stamps(utc(2024, 1, 5), utc(2024, 1, 25), utc(2024, 2, 5), utc(2024, 1, 1)),
        "ended_at": stamps(None, None, utc(2024, 3, 20), None),
    }
)


@pytest.fixture
def trial_project(define):
    return define(TRIAL_DEFINITIONS, accounts=TRIAL_ACCOUNTS, subscriptions=TRIAL_SUBSCRIPTIONS)


def test_customers_before_their_sign_up_by_another_cohort(trial_project, engine):
    by = ["cohort(accounts.trial_at, month)", "age"]
    table = trial_project.query(["customers", "kept"], by=by, **RANGE, engine=engine)
    # Customers at the month ends by trial cohort: January's 1 and 2 at every month end;
    # February's account 3 at February's only. kept (customers now and at the cohort's start,
    # among the accounts signed up by then): January's 1, then 1 and 2; February's none
    # (account 3 is a customer only before its sign-up).
    assert rows(table) == [
        (D(2024, 1, 1), 0, 2, 1),
        (D(2024, 1, 1), 1, 2, 2),
        (D(2024, 1, 1), 2, 2, 2),
        (D(2024, 2, 1), 0, 1, 0),
        (D(2024, 2, 1), 1, 0, 0),
        (D(2024, 2, 1), 2, None, None),
        (D(2024, 3, 1), 0, 0, 0),
        (D(2024, 3, 1), 1, None, None),
        (D(2024, 3, 1), 2, None, None),
    ]


def test_customers_before_their_sign_up_by_month(trial_project, engine):
    table = trial_project.query(["customers", "active"], **RANGE, engine=engine)
    # customers counts account 99 and the accounts not yet signed up; active only the
    # accounts signed up by the month end (1; then 1 and 2).
    assert rows(table) == [(D(2024, 1, 1), 3, 1), (D(2024, 2, 1), 4, 2), (D(2024, 3, 1), 3, 2)]


# Where the accounts' counts select only accounts with a start (`cohort_start(customers) > 0`)
# and the cohorts' customers are read at their start alone, an account without a row at its
# cohort's period (January's 2) adds nothing: the cells are joined to their starts by an inner
# join (sparse.py `started_only`), with the same answers.
def test_retention_alone_by_cohort_and_age(project, engine):
    table = project.query(["retention"], by=[COHORT, "age"], **RANGE, engine=engine)
    assert [r for _, _, r in rows(table)] == [1.0, 1.0, 1.0, 1.0, 1.0, None, None, None, None]


def test_retention_alone_by_another_cohort(trial_project, engine):
    by = ["cohort(accounts.trial_at, month)", "age"]
    table = trial_project.query(["retention"], by=by, **RANGE, engine=engine)
    # kept (as above) over the customers at the cohort's start, accounts not yet signed up
    # among them: January's 1 / 2, then 2 / 2; February's 0 / 1 (account 3, a customer before
    # its sign-up); March's 0 / 0.
    assert [r for _, _, r in rows(table)] == [0.5, 1.0, 1.0, 0.0, 0.0, None, None, None, None]


def test_only_started_cells_where_nothing_else_is_read(project):
    def starts_join(metrics: list[str]) -> str:
        sql = project.explain(metrics, by=[COHORT, "age"], **RANGE, dialect="duckdb")
        return next(line.strip() for line in sql.splitlines() if "JOIN l1_starts_1" in line)

    assert starts_join(["retention"]) == "INNER JOIN l1_starts_1"
    assert starts_join(["kept"]) == "INNER JOIN l1_starts_1"
    # The cohorts' customers read at every age; a count of accounts without a start.
    assert starts_join(["customers", "retention"]) == "LEFT JOIN l1_starts_1"
    assert starts_join(["late"]) == "LEFT JOIN l1_starts_1"


# The accounts' pass joins the shown cohorts' accounts and groups by their cohort and whether
# each exists by the period's end as well (scans.py `CarriedMembers`): the cells are its
# groups as they are, with no join to the accounts. Cohorts by another time than the sign-up
# (cells before an account exists) and no cohort at all are above; by another dimension of
# the accounts beside the cohort, the level keeps every account's cells (no sparse cells),
# with the same answers on every engine.
PLAN_DEFINITIONS = TRIAL_DEFINITIONS.replace(
    "  column trial_at: timestamp\n", "  column trial_at: timestamp\n  column plan: string\n"
)
PLAN_ACCOUNTS = TRIAL_ACCOUNTS.append_column("plan", pa.array(["pro", "basic", "pro"]))


@pytest.fixture
def plan_project(define):
    return define(PLAN_DEFINITIONS, accounts=PLAN_ACCOUNTS, subscriptions=TRIAL_SUBSCRIPTIONS)


def test_counts_by_cohort_and_another_dimension(plan_project, engine):
    by = ["cohort(accounts.trial_at, month)", "accounts.plan", "age"]
    table = plan_project.query(["kept", "active"], by=by, **RANGE, engine=engine)
    # As in `test_customers_before_their_sign_up_by_another_cohort`, by plan as well, each
    # shown cohort with every plan: January's accounts 1 (pro) and 2 (basic, signed up in
    # February), February's 3 (pro, a customer only before its sign-up in March).
    assert rows(table) == [
        (D(2024, 1, 1), "basic", 0, 0, 0),
        (D(2024, 1, 1), "basic", 1, 1, 1),
        (D(2024, 1, 1), "basic", 2, 1, 1),
        (D(2024, 1, 1), "pro", 0, 1, 1),
        (D(2024, 1, 1), "pro", 1, 1, 1),
        (D(2024, 1, 1), "pro", 2, 1, 1),
        (D(2024, 2, 1), "basic", 0, 0, 0),
        (D(2024, 2, 1), "basic", 1, 0, 0),
        (D(2024, 2, 1), "basic", 2, None, None),
        (D(2024, 2, 1), "pro", 0, 0, 0),
        (D(2024, 2, 1), "pro", 1, 0, 0),
        (D(2024, 2, 1), "pro", 2, None, None),
        (D(2024, 3, 1), "basic", 0, 0, 0),
        (D(2024, 3, 1), "basic", 1, None, None),
        (D(2024, 3, 1), "basic", 2, None, None),
        (D(2024, 3, 1), "pro", 0, 0, 0),
        (D(2024, 3, 1), "pro", 1, None, None),
        (D(2024, 3, 1), "pro", 2, None, None),
    ]


def test_the_pass_carries_its_members_where_the_cells_alone_read_it(trial_project):
    def sql(metrics: list[str], by: list[str]) -> str:
        return trial_project.explain(metrics, by=by, **RANGE, dialect="duckdb")

    def cells(text: str) -> str:
        return text[text.index("l1_cells AS (") : text.index("l1_starts_1 AS (")]

    by_age = ["cohort(accounts.trial_at, month)", "age"]
    shapes = [(["kept"], by_age), (["customers", "kept"], by_age), (["active"], [])]
    for metrics, by in shapes:
        text = sql(metrics, by)
        assert 'JOIN l1_members\n    ON "subscriptions"."account_id" = l1_members.entity' in text
        assert "l1_shown_members" not in text
    assert "JOIN l1_members" not in cells(sql(["kept"], by_age))
    # customers counts the rows of no account (99), rolled up from the accounts' pass: the
    # pass keeps every row, and its cells join the accounts.
    text = sql(["customers", "active"], [])
    assert "l1_cells" in text and "JOIN l1_members\n    ON l1_scan_0.entity" in text
