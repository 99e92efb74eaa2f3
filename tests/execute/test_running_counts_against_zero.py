"""An offset of a count over all time that the formulas only compare with 0 (`paid_before[-1]
== 0`) is, in SQL at a level over members, whether the member's first paid row came by then
(execute/sql/formulas.py `counted_tests`) instead of a running total: the same answers as the
Arrow engine's, for accounts that pay, stop and pay again, that paid before the range (an
opening) or before they signed up, rows the count's condition leaves out (a free plan, a null
amount), a row naming no account, and with the data contracts that let the plan rely on the
sign-ups. Any other use of the count keeps the running total."""

from __future__ import annotations

import pyarrow as pa
import pytest
from execute_helpers import stamps, utc
from test_plans_relying_on_contracts import CONTRACTS

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

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
metric paid_before = count(subscriptions where mrr > 0) over all time
metric new = sum(per account: mrr where mrr[-1] == 0 and mrr > 0 and paid_before[-1] == 0)
metric reactivation = sum(per account: mrr where mrr[-1] == 0 and mrr > 0 and paid_before[-1] > 0)
metric paid_two_back = count(per account where mrr > 0 and 0 < paid_before[-2])
metric never_paid = count(per account where paid_before[-1] <= 0)
metric ever_paid = count(per account where paid_before[-1] != 0)
"""
# Not a comparison with 0: the running total itself.
PAID_OFTEN = "metric paid_often = count(per account where paid_before[-1] >= 2)\n"
TESTED = ["mrr", "new", "reactivation", "paid_two_back", "never_paid", "ever_paid"]
JANUARY_TO_APRIL = {
    "by": ["accounts.segment"],
    "grain": "month",
    "start": "2024-01",
    "end": "2024-05",
}
ACCOUNTS = pa.table(
    {
        "account_id": [1, 2, 3, 4],
        "segment": ["smb", "smb", "enterprise", "mid"],
        "signed_up_at": stamps(
            utc(2023, 6, 1), utc(2023, 12, 1), utc(2024, 2, 10), utc(2024, 1, 1)
        ),
    }
)
# (account, mrr, started, ended). Month ends Jan 1 (the range's first starting point), Feb 1,
# Mar 1, Apr 1, May 1. Account 1 paid 10 last summer (before the range: an opening), pays 20
# at March 1's end only and 30 from April 2: reactivations in February and April. Account 2
# is on a free plan (mrr 0, not a paid row) from December, pays 15 at February 1's end (new
# in January), stops, pays 15 again from March 10 (a reactivation in March). Account 4 has a
# row without an amount, then pays 40 from March 5 (new in March).
CLEAN = [
    (1, 10.0, utc(2023, 7, 10), utc(2023, 9, 15)),
    (1, 20.0, utc(2024, 2, 5), utc(2024, 3, 20)),
    (1, 30.0, utc(2024, 4, 2), None),
    (2, 0.0, utc(2023, 12, 5), None),
    (2, 15.0, utc(2024, 1, 10), utc(2024, 2, 10)),
    (2, 15.0, utc(2024, 3, 10), None),
    (3, 20.0, utc(2024, 2, 15), None),
    (4, None, utc(2024, 1, 5), None),
    (4, 40.0, utc(2024, 3, 5), None),
]
# Without contracts: account 3 paid 5 before it signed up (in force at the ends of December
# and January 1), so its 20 in February is a reactivation; a row names no account.
GENERAL = [*CLEAN, (3, 5.0, utc(2023, 11, 15), utc(2024, 1, 1)), (None, 7.0, utc(2024, 1, 1), None)]


def subscriptions_table(subscriptions) -> pa.Table:
    return pa.table(
        {
            "account_id": pa.array([s[0] for s in subscriptions], pa.int64()),
            "mrr": pa.array([s[1] for s in subscriptions], pa.float64()),
            "started_at": stamps(*(s[2] for s in subscriptions)),
            "ended_at": stamps(*(s[3] for s in subscriptions)),
        }
    )


def by_segment(answer: pa.Table, metric: str) -> dict[str | None, list]:
    rows = answer.to_pylist()
    return {
        segment: [r[metric] for r in rows if r["accounts.segment"] == segment]
        for segment in dict.fromkeys(r["accounts.segment"] for r in rows)
    }


@pytest.mark.parametrize(("subscriptions", "contracts"), [(GENERAL, ""), (CLEAN, CONTRACTS)])
def test_a_count_compared_with_zero_answers_as_the_running_total(
    define, engine, subscriptions, contracts
):
    project = define(
        DEFINITIONS % contracts, accounts=ACCOUNTS, subscriptions=subscriptions_table(subscriptions)
    )
    answer = project.query(TESTED, **JANUARY_TO_APRIL, engine=engine)
    assert answer.to_pylist() == project.query(TESTED, **JANUARY_TO_APRIL).to_pylist()
    new, reactivation = by_segment(answer, "new"), by_segment(answer, "reactivation")
    assert new["smb"] == [15, 0, 0, 0] and reactivation["smb"] == [0, 20, 15, 30]
    assert new["mid"] == [0, 0, 40, 0] and reactivation["mid"] == [0, 0, 0, 0]
    paid_before_sign_up = subscriptions is GENERAL
    assert new["enterprise"] == [0, 0 if paid_before_sign_up else 20, 0, 0]
    assert reactivation["enterprise"] == [0, 20 if paid_before_sign_up else 0, 0, 0]
    # smb at January: account 2 has not paid yet (its free plan is no paid row); account 1
    # paid last summer. From February on both have.
    assert by_segment(answer, "never_paid")["smb"] == [1, 0, 0, 0]
    assert by_segment(answer, "ever_paid")["smb"] == [1, 2, 2, 2]
    # Paying, having paid two month ends before: account 2 in March (February 1) and April,
    # account 1 in February (last summer) and April.
    assert by_segment(answer, "paid_two_back")["smb"] == [0, 1, 1, 2]
    if engine == "duckdb":
        sql = project.explain(TESTED, **JANUARY_TO_APRIL, engine=engine, sql=True)
        # A lookup of each account's first paid period, no window over the cells (the
        # offsets of `mrr` are joins then: cells.py `Lagged`).
        assert "MIN(CASE WHEN a2 > 0 THEN period END) AS first_a2" in sql
        assert "a2_counted_1_back" in sql and "a2_counted_2_back" in sql
        assert " OVER (" not in sql


def test_any_other_use_of_the_count_keeps_its_running_total(define, engine):
    project = define(
        PAID_OFTEN + DEFINITIONS % "",
        accounts=ACCOUNTS,
        subscriptions=subscriptions_table(GENERAL),
    )
    metrics = [*TESTED, "paid_often"]
    answer = project.query(metrics, **JANUARY_TO_APRIL, engine=engine)
    assert answer.to_pylist() == project.query(metrics, **JANUARY_TO_APRIL).to_pylist()
    # smb: account 1 has paid twice by the end of March (last summer, then 20), account 2
    # twice by the end of April (its second 15 is in force at April's start, March's end).
    assert by_segment(answer, "paid_often")["smb"] == [0, 0, 1, 2]
    if engine == "duckdb":
        sql = project.explain(metrics, **JANUARY_TO_APRIL, engine=engine, sql=True)
        assert "SUM(l1_cells.a2) OVER (" in sql and "a2_counted_1_back" not in sql
