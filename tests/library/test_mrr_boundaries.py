"""The boundary cases of issue 3, each a tiny subscription table with the answer by hand.

A row is in force at an instant e when started_at < e and (ended_at is empty or ended_at >= e);
a month's MRR is read at its end, and its start is the previous month's end."""

from __future__ import annotations

import datetime as dt

import pytest
from library_support import (
    account,
    by_period,
    column,
    library_project,
    subscription,
    table,
    utc,
)

MOVEMENTS = [
    "mrr",
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "customers",
    "paying_customers",
    "churned_customers",
    "churned_paying_customers",
]


def project_with(signed_up_at: dt.datetime, *rows: dict):
    return library_project(
        accounts=table("accounts", [account("A", signed_up_at)]),
        subscriptions=table("subscriptions", list(rows)),
    )


def monthly(project, start: str, end: str, metrics=MOVEMENTS, *, engine: str) -> list[dict]:
    return by_period(project, metrics, grain="month", start=start, end=end, engine=engine)


def daily(project, start: str, end: str, metrics=MOVEMENTS, *, engine: str) -> list[dict]:
    return by_period(project, metrics, grain="day", start=start, end=end, engine=engine)


def test_a_subscription_ending_at_midnight_on_the_first(engine: str) -> None:
    """Ends 2024-02-01T00:00: still in force at January's end; the loss is February's."""
    project = project_with(
        utc(2023, 12, 1), subscription("A", 100, utc(2023, 12, 15), utc(2024, 2, 1))
    )
    jan, feb = monthly(project, "2024-01", "2024-03", engine=engine)
    assert (jan["mrr"], jan["churned_mrr"], jan["churned_customers"]) == (100, 0, 0)
    assert (feb["mrr"], feb["churned_mrr"], feb["churned_customers"]) == (0, 100, 1)
    days = daily(project, "2024-01-31", "2024-02-02", ["mrr", "churned_mrr"], engine=engine)
    assert column(days, "mrr") == [100, 0]
    assert column(days, "churned_mrr") == [0, 100]  # lost on February 1st


def test_a_subscription_starting_at_midnight_on_the_first(engine: str) -> None:
    """Starts 2024-02-01T00:00 (the account signs up at that instant too): not in force at
    January's end, in force at February's; new business in February."""
    start = utc(2024, 2, 1)
    project = project_with(start, subscription("A", 100, start))
    jan, feb = monthly(project, "2024-01", "2024-03", engine=engine)
    assert (jan["mrr"], jan["new_mrr"], jan["customers"]) == (0, 0, 0)
    assert (feb["mrr"], feb["new_mrr"], feb["customers"]) == (100, 100, 1)
    days = daily(project, "2024-01-31", "2024-02-02", ["mrr", "new_mrr"], engine=engine)
    assert column(days, "new_mrr") == [0, 100]


@pytest.mark.parametrize(
    "renewed_at",
    [utc(2024, 2, 1), utc(2024, 1, 15, 9, 30)],
    ids=["on-the-boundary", "mid-month"],
)
def test_a_renewal_row_with_the_same_mrr_moves_nothing(
    renewed_at: dt.datetime, engine: str
) -> None:
    """An annual contract (1,200 a year: MRR 100) replaced by its renewal at the same price."""
    project = project_with(
        utc(2023, 12, 1),
        subscription("A", 1200, utc(2023, 12, 1), renewed_at, billing_period="year"),
        subscription("A", 1200, renewed_at, billing_period="year"),
    )
    for row in monthly(project, "2024-01", "2024-04", engine=engine):
        assert row["mrr"] == pytest.approx(100)
        movements = [row[m] for m in MOVEMENTS[1:6]] + [row["churned_customers"]]
        assert movements == [0, 0, 0, 0, 0, 0]
        assert (row["customers"], row["paying_customers"]) == (1, 1)


def test_a_downgrade_to_a_free_plan_is_churned_mrr_but_still_a_customer(engine: str) -> None:
    """Paid 100 until Feb 10, then free; back to a paid 100 on Apr 5: a reactivation."""
    project = project_with(
        utc(2023, 12, 1),
        subscription("A", 100, utc(2023, 12, 1), utc(2024, 2, 10)),
        subscription("A", 0, utc(2024, 2, 10), utc(2024, 4, 5), plan="free"),
        subscription("A", 100, utc(2024, 4, 5)),
    )
    jan, feb, mar, apr = monthly(
        project,
        "2024-01",
        "2024-05",
        [
            *MOVEMENTS,
            "customer_churn_rate_incl_free",
            "paid_customer_churn_rate",
            "acquired_customers",
        ],
        engine=engine,
    )
    assert (jan["mrr"], jan["churned_mrr"], jan["paying_customers"]) == (100, 0, 1)
    assert (feb["mrr"], feb["churned_mrr"], feb["churned_paying_customers"]) == (0, 100, 1)
    assert (feb["customers"], feb["churned_customers"], feb["customer_churn_rate_incl_free"]) == (
        1,
        0,
        0,
    )
    assert feb["paid_customer_churn_rate"] == pytest.approx(1.0)
    assert (mar["mrr"], mar["customers"], mar["paying_customers"]) == (0, 1, 0)
    assert (apr["reactivation_mrr"], apr["new_mrr"], apr["acquired_customers"]) == (100, 0, 0)


def test_a_paid_stint_inside_one_month_is_invisible_to_month_snapshots(engine: str) -> None:
    """Paid 100 from Jan 5 to Jan 25, nothing at any month end; paying from Mar 10 is then new
    business at month grain. Day snapshots see the stint: at day grain the return is a
    reactivation."""
    project = project_with(
        utc(2024, 1, 2),
        subscription("A", 100, utc(2024, 1, 5), utc(2024, 1, 25)),
        subscription("A", 100, utc(2024, 3, 10)),
    )
    jan, feb, mar = monthly(project, "2024-01", "2024-04", engine=engine)
    assert [jan[m] for m in MOVEMENTS[:6]] == [0, 0, 0, 0, 0, 0]
    assert (jan["customers"], feb["customers"]) == (0, 0)
    assert (mar["new_mrr"], mar["reactivation_mrr"]) == (100, 0)

    january = daily(
        project, "2024-01-01", "2024-02-01", ["mrr", "new_mrr", "churned_mrr"], engine=engine
    )
    in_force = [row["day"].day for row in january if row["mrr"] > 0]
    assert in_force == list(range(5, 25))  # the ends of Jan 5 to Jan 24
    assert [row["day"].day for row in january if row["new_mrr"] > 0] == [5]
    assert [row["day"].day for row in january if row["churned_mrr"] > 0] == [25]
    march_10 = daily(
        project, "2024-03-10", "2024-03-11", ["new_mrr", "reactivation_mrr"], engine=engine
    )
    assert (march_10[0]["new_mrr"], march_10[0]["reactivation_mrr"]) == (0, 100)


def test_a_return_after_a_gap_is_a_reactivation(engine: str) -> None:
    """Paid 100 until Feb 15, nothing in March and April, back at 120 on May 3."""
    project = project_with(
        utc(2023, 12, 1),
        subscription("A", 100, utc(2023, 12, 1), utc(2024, 2, 15)),
        subscription("A", 120, utc(2024, 5, 3), plan="growth"),
    )
    rows = monthly(project, "2024-01", "2024-06", [*MOVEMENTS, "acquired_customers"], engine=engine)
    assert column(rows, "mrr") == [100, 0, 0, 0, 120]
    assert column(rows, "churned_mrr") == [0, 100, 0, 0, 0]
    assert column(rows, "reactivation_mrr") == [0, 0, 0, 0, 120]
    assert column(rows, "new_mrr") == [0, 0, 0, 0, 0]
    assert column(rows, "acquired_customers") == [0, 0, 0, 0, 1]
    assert column(rows, "churned_customers") == [0, 1, 0, 0, 0]
