"""unit_economics.metrics on a hand-made January 2024.

    account  MRR at the end of Dec -> Jan     payments in January
    a1       100 -> 100                       100 on Jan 1, 50 on Jan 20
    a2       100 -> 100                       100 on Jan 1
    a3       200 -> 200                       200 on Jan 1
    a4       400 -> 0 (cancels Jan 15)        400 on Jan 1
    a5       signs up Jan 10: 0 -> 200        200 on Jan 10

MRR 800 -> 600; paying customers 4 -> 4; one of the 4 paying at the start is lost (25%); a5
is the one new paying customer. Costs in January: marketing 300, sales 200, cost of revenue
120. Users u1-u3 are active in January.
"""

from __future__ import annotations

import pytest
from library_support import account, by_period, library_project, one_row, subscription, table, utc

JANUARY = {"grain": "month", "start": "2024-01", "end": "2024-02"}


@pytest.fixture(scope="module")
def project():
    accounts = [account(name, utc(2023, 12, 1)) for name in ("a1", "a2", "a3", "a4")]
    accounts.append(account("a5", utc(2024, 1, 10)))
    subscriptions = [
        subscription("a1", 100, utc(2023, 12, 1)),
        subscription("a2", 100, utc(2023, 12, 1)),
        subscription("a3", 200, utc(2023, 12, 1)),
        subscription("a4", 400, utc(2023, 12, 1), utc(2024, 1, 15)),
        subscription("a5", 200, utc(2024, 1, 10)),
    ]
    payments = [
        ("a1", utc(2024, 1, 1), 100.0),
        ("a1", utc(2024, 1, 20), 50.0),
        ("a2", utc(2024, 1, 1), 100.0),
        ("a3", utc(2024, 1, 1), 200.0),
        ("a4", utc(2024, 1, 1), 400.0),
        ("a5", utc(2024, 1, 10), 200.0),
    ]
    costs = [
        ("marketing", utc(2024, 1, 5), 300.0),
        ("sales", utc(2024, 1, 31), 200.0),
        ("cost_of_revenue", utc(2024, 1, 1), 120.0),
    ]
    events = [
        {"account_id": "a1", "user_id": user, "occurred_at": utc(2024, 1, 9)}
        for user in ("u1", "u2", "u3")
    ]
    return library_project(
        accounts=table("accounts", accounts),
        subscriptions=table("subscriptions", subscriptions),
        payments=table(
            "payments",
            [{"account_id": a, "paid_at": at, "amount": amount} for a, at, amount in payments],
        ),
        costs=table(
            "costs",
            [{"category": c, "incurred_at": at, "amount": amount} for c, at, amount in costs],
        ),
        events=table("events", events),
    )


def test_revenue_per_customer(project, engine: str) -> None:
    row = one_row(
        project, ["arpa", "mrr_per_active_user", "recurring_revenue"], **JANUARY, engine=engine
    )
    assert row["arpa"] == pytest.approx(600 / 4)
    assert row["mrr_per_active_user"] == pytest.approx(600 / 3)
    assert row["recurring_revenue"] == pytest.approx(600)


def test_recurring_revenue_adds_the_month_ends_of_a_quarter(project, engine: str) -> None:
    row = one_row(
        project,
        ["recurring_revenue"],
        grain="quarter",
        start="2024-01",
        end="2024-04",
        engine=engine,
    )
    assert row["recurring_revenue"] == pytest.approx(3 * 600)


def test_margin_and_lifetime_value(project, engine: str) -> None:
    metrics = ["cost_of_revenue", "gross_margin", "ltv", "ltv_gross_margin", "customer_lifespan"]
    row = one_row(project, metrics, **JANUARY, engine=engine)
    assert row["cost_of_revenue"] == pytest.approx(120)
    assert row["gross_margin"] == pytest.approx(1 - 120 / 600)
    assert row["customer_lifespan"] == pytest.approx(1 / 0.25)
    assert row["ltv"] == pytest.approx(150 / 0.25)
    assert row["ltv_gross_margin"] == pytest.approx(150 * 0.8 / 0.25)


def test_lifetime_value_in_the_purchase_form(project, engine: str) -> None:
    metrics = ["avg_purchase_value", "purchase_frequency", "clv_purchase"]
    row = one_row(project, metrics, **JANUARY, engine=engine)
    assert row["avg_purchase_value"] == pytest.approx(1050 / 6)
    assert row["purchase_frequency"] == pytest.approx(6 / 5)
    assert row["clv_purchase"] == pytest.approx(1050 / 6 * 6 / 5 * 4)


def test_acquisition_cost(project, engine: str) -> None:
    metrics = [
        "acquisition_spend",
        "new_paying_customers",
        "cac",
        "cac_marketing_only",
        "ltv_to_cac",
        "cac_payback_months",
    ]
    row = one_row(project, metrics, **JANUARY, engine=engine)
    assert (row["acquisition_spend"], row["new_paying_customers"]) == (500, 1)
    assert row["cac"] == pytest.approx(500)
    assert row["cac_marketing_only"] == pytest.approx(300)
    assert row["ltv_to_cac"] == pytest.approx(600 / 500)
    assert row["cac_payback_months"] == pytest.approx(500 / (150 * 0.8))


def test_without_churn_lifetime_value_is_null(engine: str) -> None:
    project = library_project(
        accounts=table("accounts", [account("a1", utc(2023, 12, 1))]),
        subscriptions=table("subscriptions", [subscription("a1", 100, utc(2023, 12, 1))]),
    )
    rows = by_period(project, ["ltv", "customer_lifespan", "cac"], **JANUARY, engine=engine)
    assert rows == [
        {"month": rows[0]["month"], "ltv": None, "customer_lifespan": None, "cac": None}
    ]
