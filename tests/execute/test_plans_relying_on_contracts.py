"""A plan takes a shortcut only by a declared contract verified to hold on the data
(plan/reliance.py, docs/contracts.md "What the planner uses"): with the contracts the same
query gives the same answer on every engine, and a broken contract keeps the plan that needs
no assumption, so it changes no number."""

from __future__ import annotations

import pyarrow as pa
import pytest
from execute_helpers import stamps, utc

CONTRACTS = """
  expect account_id is not null
  expect account_id in accounts
  expect started_at >= accounts.signed_up_at
"""
DEFINITIONS = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
  %s
}
metric mrr = sum(subscriptions.mrr)
metric starting_mrr = mrr[-1]
metric paid_before = count(subscriptions where mrr > 0) over all time
metric new = sum(per account: mrr where mrr[-1] == 0 and mrr > 0 and paid_before[-1] == 0)
metric reactivation = sum(per account: mrr where mrr[-1] == 0 and mrr > 0 and paid_before[-1] > 0)
metric churned = sum(per account: mrr[-1] where mrr[-1] > 0 and mrr == 0)
"""
METRICS = ["mrr", "starting_mrr", "new", "reactivation", "churned"]
# Where the member grid of the SQL without contracts starts: its account's first change, from
# the grouping of the pass that also finds its first paid period, else (openings) the first.
FIRST_CHANGE = """COALESCE(
        CASE
          WHEN NOT l1_scan_0_openings.entity IS NULL
          THEN 0
          ELSE l1_scan_0_first_counts.first_change
        END,"""
JANUARY_TO_APRIL = {"grain": "month", "start": "2024-01", "end": "2024-05"}
ACCOUNTS = pa.table(
    {
        "account_id": [1, 2],
        "segment": ["smb", "enterprise"],
        "signed_up_at": stamps(utc(2023, 12, 1), utc(2024, 2, 10)),
    }
)
# (account, mrr, started, ended): the smb account pays 10 from January 5 to March 1 and 15
# from April 10; the enterprise account 20 from February 15, after its sign-up on the 10th.
CLEAN = [
    (1, 10.0, utc(2024, 1, 5), utc(2024, 3, 1)),
    (1, 15.0, utc(2024, 4, 10), None),
    (2, 20.0, utc(2024, 2, 15), None),
]
# Breaking two contracts: the enterprise account paid 5 before it signed up (in force at the
# ends of November and December), and a subscription names no account.
BROKEN = [*CLEAN, (2, 5.0, utc(2023, 11, 15), utc(2024, 1, 1)), (None, 7.0, utc(2024, 1, 1), None)]


def subscriptions_table(subscriptions) -> pa.Table:
    return pa.table(
        {
            "account_id": pa.array([s[0] for s in subscriptions], pa.int64()),
            "mrr": pa.array([s[1] for s in subscriptions]),
            "started_at": stamps(*(s[2] for s in subscriptions)),
            "ended_at": stamps(*(s[3] for s in subscriptions)),
        }
    )


def project(define, subscriptions, contracts: bool):
    text = DEFINITIONS % (CONTRACTS if contracts else "")
    return define(text, accounts=ACCOUNTS, subscriptions=subscriptions_table(subscriptions))


def by_segment(project, engine: str) -> dict[str | None, dict[str, list]]:
    answer = project.query(METRICS, by=["accounts.segment"], **JANUARY_TO_APRIL, engine=engine)
    rows = answer.to_pylist()
    segments = dict.fromkeys(row["accounts.segment"] for row in rows)
    return {
        segment: {m: [r[m] for r in rows if r["accounts.segment"] == segment] for m in METRICS}
        for segment in segments
    }


# Month ends Feb 1, Mar 1, Apr 1, May 1 (in force: started < end <= ended). smb: 10 at the
# ends of January and February, nothing at March's (a churn of 10), 15 at April's: paid at an
# earlier month end, so a reactivation. enterprise: 20 from February's end, new in February.
SMB = {
    "mrr": [10, 10, 0, 15],
    "starting_mrr": [0, 10, 10, 0],
    "new": [10, 0, 0, 0],
    "reactivation": [0, 0, 0, 15],
    "churned": [0, 0, 10, 0],
}
CLEAN_ENTERPRISE = {
    "mrr": [0, 20, 20, 20],
    "starting_mrr": [0, 0, 20, 20],
    "new": [0, 20, 0, 0],
    "reactivation": [0, 0, 0, 0],
    "churned": [0, 0, 0, 0],
}


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_verified_contracts_give_the_same_answer(define, engine):
    without = by_segment(project(define, CLEAN, contracts=False), engine)
    relying = by_segment(project(define, CLEAN, contracts=True), engine)
    assert relying == without == {"enterprise": CLEAN_ENTERPRISE, "smb": SMB}


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_a_broken_contract_changes_no_number(define, engine):
    without = by_segment(project(define, BROKEN, contracts=False), engine)
    declared = by_segment(project(define, BROKEN, contracts=True), engine)
    # enterprise: the 5 in force at December's end is January's starting MRR (the account
    # does not exist yet, so no churn), and it was paying at an earlier month end, so its 20
    # in February is a reactivation, not new business. The 7 naming no account counts under
    # a null segment from January's end on.
    assert (
        declared
        == without
        == {
            "enterprise": {
                "mrr": [0, 20, 20, 20],
                "starting_mrr": [5, 0, 20, 20],
                "new": [0, 0, 0, 0],
                "reactivation": [0, 20, 0, 0],
                "churned": [0, 0, 0, 0],
            },
            "smb": SMB,
            None: {
                "mrr": [7, 7, 7, 7],
                "starting_mrr": [0, 7, 7, 7],
                "new": [0, 0, 0, 0],
                "reactivation": [0, 0, 0, 0],
                "churned": [0, 0, 0, 0],
            },
        }
    )


def test_the_plan_says_which_verified_contracts_it_relies_on(define):
    query = {"by": ["accounts.segment"], **JANUARY_TO_APRIL}
    relying = project(define, CLEAN, contracts=True).explain(METRICS, **query)
    assert "relies on (contracts verified to hold on the data):" in relying
    assert "subscriptions: expect account_id in accounts (verified; every row names a member)" in (
        relying
    )
    assert "subscriptions: expect started_at >= accounts.signed_up_at (verified; cells before" in (
        relying
    )
    # Broken: the not-null and the sign-up contracts fail, so the plan relies on nothing.
    assert "relies on" not in project(define, BROKEN, contracts=True).explain(METRICS, **query)
    assert "relies on" not in project(define, CLEAN, contracts=False).explain(METRICS, **query)


def test_the_sql_relying_on_contracts_skips_what_they_make_needless(define):
    query = {"by": ["accounts.segment"], **JANUARY_TO_APRIL, "engine": "duckdb", "sql": True}
    relying = project(define, CLEAN, contracts=True).explain(METRICS, **query)
    general = project(define, BROKEN, contracts=True).explain(METRICS, **query)
    # The first change of a running total is looked for only when a row may come before
    # its account; the roll-up joins the accounts as they are only when every row names one.
    assert "first_change" in general and "first_change" not in relying
    assert "INNER JOIN l1_members" in relying and "LEFT JOIN l1_members" in general
    # The accounts' cells start where they exist, not the offset's one month before (so
    # `mrr[-1]` before an account's first cell is 0, its value over no rows); without the
    # contracts, where they exist or their first row is placed, whichever comes first (its
    # period found by the grouping that finds the first paid period, or the level's first
    # for an account with openings).
    assert "END AS keep_from" in relying and "LEAST(" not in relying
    assert FIRST_CHANGE in general
    # (`mrr[-1]` is the cells' join to the rows a period earlier, no window: `paid_before`
    # is only compared with 0, a lookup of each account's first paid period.)
    for sql in (relying, general):
        read = "CASE WHEN l1_spine.period - 1 >= 0 THEN COALESCE(l1_scan_0.a1_back_1, 0) END"
        assert read in sql and "l1_offsets_1" not in sql


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_a_member_without_a_time_is_not_dropped_by_a_contract_it_passes(define, engine):
    # A condition that is null passes (as SQL's CHECK): with the enterprise account's sign-up
    # unknown, `started_at >= accounts.signed_up_at` holds on every row, yet that account
    # never "exists" at a period end, so its rows tell nothing about when it starts.
    accounts = ACCOUNTS.set_column(2, "signed_up_at", stamps(utc(2023, 12, 1), None))
    subscriptions = pa.table(
        {
            "account_id": pa.array([s[0] for s in CLEAN], pa.int64()),
            "mrr": pa.array([s[1] for s in CLEAN]),
            "started_at": stamps(*(s[2] for s in CLEAN)),
            "ended_at": stamps(*(s[3] for s in CLEAN)),
        }
    )
    answers = [
        by_segment(
            define(
                DEFINITIONS % (CONTRACTS if contracts else ""),
                accounts=accounts,
                subscriptions=subscriptions,
            ),
            engine,
        )
        for contracts in (False, True)
    ]
    assert answers[0] == answers[1]
    assert answers[0]["smb"] == SMB


# Sign-ups known as well: every subscription is then in a cell of its account's entity set,
# so MRR by segment is added up with the per-account movements (execute/sql/rollups.py
# `from_cells`) instead of by a pass of its own.
KNOWN_SIGN_UPS = DEFINITIONS.replace(
    "  time signed_up_at\n", "  time signed_up_at\n  expect signed_up_at is not null\n", 1
)


def with_known_sign_ups(define, accounts: pa.Table) -> object:
    table = subscriptions_table(CLEAN)
    return define(KNOWN_SIGN_UPS % CONTRACTS, accounts=accounts, subscriptions=table)


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_known_sign_ups_give_the_same_answer(define, engine):
    answer = by_segment(with_known_sign_ups(define, ACCOUNTS), engine)
    assert answer == {"enterprise": CLEAN_ENTERPRISE, "smb": SMB}


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_an_unknown_sign_up_breaks_the_contract_and_changes_no_number(define, engine):
    # The enterprise account's sign-up unknown: it never exists, so it has no cell, yet its
    # 20 counts in MRR by segment from February's end (as without any contract).
    accounts = ACCOUNTS.set_column(2, "signed_up_at", stamps(utc(2023, 12, 1), None))
    answer = by_segment(with_known_sign_ups(define, accounts), engine)
    assert answer["enterprise"]["mrr"] == [0, 20, 20, 20]
    assert answer["smb"] == SMB


def test_the_sql_with_known_sign_ups_adds_mrr_up_over_the_cells(define):
    query = {"by": ["accounts.segment"], **JANUARY_TO_APRIL, "sql": True, "engine": "duckdb"}
    relying = with_known_sign_ups(define, ACCOUNTS).explain(METRICS, **query)
    unknown = ACCOUNTS.set_column(2, "signed_up_at", stamps(utc(2023, 12, 1), None))
    general = with_known_sign_ups(define, unknown).explain(METRICS, **query)
    # No pass of the query's own level: MRR is a column of the per-account GROUP BY.
    assert ", scan_0 AS (" not in relying and "SUM(l1_results." in relying
    assert ", scan_0 AS (" in general
    plan = with_known_sign_ups(define, ACCOUNTS).explain(
        METRICS, by=["accounts.segment"], **JANUARY_TO_APRIL
    )
    assert "accounts: expect signed_up_at is not null (verified; every member exists" in plan


# Paying now and nothing two month ends before: an offset reaching before an account exists.
TWO_BACK = "metric paying_again = count(per account where mrr[-2] == 0 and mrr > 0)\n"


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_an_offset_before_a_member_exists_reads_its_value_over_no_rows(define, engine):
    # The accounts' cells start at their sign-up where the contracts hold (no "- 1" before
    # it), so `mrr[-2]` before an account's first cell is its value over no rows: 0.
    # smb (signed up December 1): January 10 and November 0 -> 1; February 10, December
    # 0 -> 1; March 0 -> 0; April 15, February 10 -> 0. enterprise (signed up February
    # 10, exists from February): February 20, December 0 (before it exists) -> 1; March
    # 20, January 0 -> 1; April 20, February 20 -> 0.
    answers = []
    for contracts in (False, True):
        text = TWO_BACK + KNOWN_SIGN_UPS % (CONTRACTS if contracts else "")
        answers.append(
            define(text, accounts=ACCOUNTS, subscriptions=subscriptions_table(CLEAN))
            .query(["paying_again"], by=["accounts.segment"], **JANUARY_TO_APRIL, engine=engine)
            .to_pylist()
        )
    rows = {(r["accounts.segment"], str(r["month"])[:7]): r["paying_again"] for r in answers[1]}
    assert answers[0] == answers[1]
    assert [rows["smb", m] for m in ("2024-01", "2024-02", "2024-03", "2024-04")] == [1, 1, 0, 0]
    assert [rows["enterprise", m] for m in ("2024-01", "2024-02", "2024-03", "2024-04")] == [
        0,
        1,
        1,
        0,
    ]


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_without_contracts_an_offset_before_a_members_first_row_reads_its_value_over_no_rows(
    define, engine
):
    # No contracts, and the enterprise account paid 5 before it signed up: its cells start
    # at that first row (November 2023, two months before the range), the smb account's
    # where it exists (December), and `mrr[-2]` before an account's first cell is 0, its
    # value over no rows. smb: January 10, November 0 -> 1; February 10, December 0 -> 1;
    # March 0 -> 0; April 15, February 10 -> 0. enterprise (exists from February):
    # February 20, December 5 -> 0; March 20, January 0 -> 1; April 20, February 20 -> 0.
    text = TWO_BACK + DEFINITIONS % ""
    defined = define(text, accounts=ACCOUNTS, subscriptions=subscriptions_table(BROKEN))
    metrics = ["paying_again", "starting_mrr", "reactivation"]
    query = {"by": ["accounts.segment"], **JANUARY_TO_APRIL}
    answer = defined.query(metrics, **query, engine=engine).to_pylist()
    assert answer == defined.query(metrics, **query, engine="arrow").to_pylist()
    rows = {(r["accounts.segment"], str(r["month"])[:7]): r["paying_again"] for r in answer}
    months = ("2024-01", "2024-02", "2024-03", "2024-04")
    assert [rows["smb", m] for m in months] == [1, 1, 0, 0]
    assert [rows["enterprise", m] for m in months] == [0, 0, 1, 0]
    sql = defined.explain(metrics, **query, engine="duckdb", sql=True)
    # Not the offset's two months before each account exists: no "- 2" before the first
    # change, and the rows two months earlier read 0 before the first cell.
    assert FIRST_CHANGE in sql
    assert "CASE WHEN l1_spine.period - 2 >= 0 THEN COALESCE(l1_scan_0.a1_back_2, 0) END" in sql


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_without_contracts_the_first_change_comes_with_the_first_paid_period(define, engine):
    # The SQL finds each account's first change (where its cells start) in the grouping that
    # finds its first paid period. Accounts signed up in March 2024: "openings" paid 8 at the
    # end of October 2023 only (before the level's first period: an opening), so its 30 from
    # March 10 is a reactivation; "free" has a subscription of 0 from January (a change,
    # never paid) and pays 12 from March 15: new in March; "none" has no subscription.
    accounts = pa.table(
        {
            "account_id": [3, 4, 5],
            "segment": ["openings", "free", "none"],
            "signed_up_at": stamps(utc(2024, 3, 5), utc(2024, 3, 1), utc(2024, 3, 2)),
        }
    )
    rows = [
        (3, 8.0, utc(2023, 10, 15), utc(2023, 11, 15)),
        (3, 30.0, utc(2024, 3, 10), None),
        (4, 0.0, utc(2024, 1, 10), None),
        (4, 12.0, utc(2024, 3, 15), None),
    ]
    defined = define(DEFINITIONS % "", accounts=accounts, subscriptions=subscriptions_table(rows))
    query = {"by": ["accounts.segment"], **JANUARY_TO_APRIL}
    answer = defined.query(METRICS, **query, engine=engine).to_pylist()
    assert answer == defined.query(METRICS, **query, engine="arrow").to_pylist()
    cells = {(r["accounts.segment"], str(r["month"])[:7]): r for r in answer}
    assert cells["openings", "2024-03"]["reactivation"] == 30
    assert cells["free", "2024-03"]["new"] == 12
    assert all(cells["none", month]["mrr"] == 0 for month in ("2024-01", "2024-04"))
    sql = defined.explain(METRICS, **query, engine="duckdb", sql=True)
    assert FIRST_CHANGE in sql and "MIN(period) AS first_change" in sql
    assert "first_changes" not in sql
