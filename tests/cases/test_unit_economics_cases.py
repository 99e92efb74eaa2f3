"""The published lifetime value, acquisition cost, conversion, virality and first-contact
resolution examples (../shared/cases), run through the customer-success library. Unless a
case says otherwise, everybody is a paying customer from December 2023 and the case reads
January 2024, a month (so churn rates are monthly and lifespans are in months)."""

from __future__ import annotations

import pytest
from library_case_support import MID_JANUARY, book, group, january
from library_support import account, library_project, subscription, table, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")


def costs(**amounts: float):
    return table(
        "costs",
        [
            {"category": category, "incurred_at": utc(2024, 1, 20), "amount": amount}
            for category, amount in amounts.items()
        ],
    )


def test_ltv_is_arpa_over_churn(engine: str) -> None:
    """ARPA $100 at 5% monthly churn: $2,000 (20 customers at $100, one leaves)."""
    project = book(group("stay", 19, 100), group("lost", 1, 100, ended_at=MID_JANUARY))
    row = january(project, "arpa", "paid_customer_churn_rate", "ltv", engine=engine)
    assert row["arpa"] == pytest.approx(100)
    assert row["paid_customer_churn_rate"] == pytest.approx(0.05)
    assert row["ltv"] == pytest.approx(2_000)


def test_ltv_with_gross_margin(engine: str) -> None:
    """ARPU $20, gross margin 90%, churn 15%: $120. Twenty customers at $20, three leave; the
    cost of revenue is a tenth of January's $340."""
    project = book(
        group("stay", 17, 20),
        group("lost", 3, 20, ended_at=MID_JANUARY),
        costs=costs(cost_of_revenue=34.0),
    )
    row = january(
        project,
        "arpa",
        "gross_margin",
        "paid_customer_churn_rate",
        "ltv_gross_margin",
        engine=engine,
    )
    assert (row["arpa"], row["gross_margin"]) == (pytest.approx(20), pytest.approx(0.9))
    assert row["paid_customer_churn_rate"] == pytest.approx(0.15)
    assert row["ltv_gross_margin"] == pytest.approx(120)


def test_clv_as_purchase_value_frequency_and_lifespan(engine: str) -> None:
    """$100 a purchase, one purchase a month, 24 months: $2,400. 24 customers each pay $100 in
    January and one of them leaves (1/24 monthly churn: a 24-month lifespan)."""
    members = group("stay", 23, 100) + group("lost", 1, 100, ended_at=MID_JANUARY)
    payments = table(
        "payments",
        [
            {"account_id": a["account_id"], "paid_at": utc(2024, 1, 1, 6), "amount": 100.0}
            for a, _ in members
        ],
    )
    row = january(
        book(members, payments=payments),
        "avg_purchase_value",
        "purchase_frequency",
        "customer_lifespan",
        "clv_purchase",
        engine=engine,
    )
    assert (row["avg_purchase_value"], row["purchase_frequency"]) == (100, 1)
    assert row["customer_lifespan"] == pytest.approx(24)
    assert row["clv_purchase"] == pytest.approx(2_400)


def test_ltv_to_cac(engine: str) -> None:
    """LTV $2,000 (ARPA $100, 5% churn) over CAC $500 ($1,000 of sales and marketing for two
    new paying customers): 4."""
    project = book(
        group("stay", 19, 100),
        group("lost", 1, 100, ended_at=MID_JANUARY),
        group("new", 2, 100, started_at=utc(2024, 1, 8)),
        costs=costs(marketing=800.0, sales=200.0),
    )
    row = january(
        project,
        "ltv",
        "new_paying_customers",
        "cac",
        "cac_marketing_only",
        "ltv_to_cac",
        engine=engine,
    )
    assert row["ltv"] == pytest.approx(2_000)
    assert row["new_paying_customers"] == 2
    assert (row["cac"], row["cac_marketing_only"]) == (pytest.approx(500), pytest.approx(400))
    assert row["ltv_to_cac"] == pytest.approx(4)


@pytest.mark.parametrize(("upgraded", "rate"), [(30, 0.30), (60, 0.60)])
def test_free_to_paid_conversion(upgraded: int, rate: float, engine: str) -> None:
    """100 free sign-ups on January 2nd; `upgraded` of them pay from January 10th."""
    signed_up, paid_from = utc(2024, 1, 2), utc(2024, 1, 10)
    accounts, subscriptions = [], []
    for n in range(100):
        name = f"f{n}"
        accounts.append(account(name, signed_up, signup_plan="free"))
        converts = n < upgraded
        subscriptions.append(
            subscription(name, 0, signed_up, paid_from if converts else None, plan="free")
        )
        if converts:
            subscriptions.append(subscription(name, 49, paid_from))
    project = library_project(
        accounts=table("accounts", accounts), subscriptions=table("subscriptions", subscriptions)
    )
    row = january(
        project,
        "free_signups",
        "free_to_paid_conversions_30d",
        "free_to_paid_rate_30d",
        engine=engine,
    )
    assert (row["free_signups"], row["free_to_paid_conversions_30d"]) == (100, upgraded)
    assert row["free_to_paid_rate_30d"] == pytest.approx(rate)


def test_viral_coefficient_above_one_compounds(engine: str) -> None:
    """50 customers at the start bring in 60 new accounts in January: 1.2."""
    referred = group("invited", 60, 100, started_at=utc(2024, 1, 20))
    referrals = table(
        "referrals",
        [
            {
                "referrer_account_id": f"c{n % 50 + 1}",
                "referred_account_id": invited["account_id"],
                "sent_at": utc(2024, 1, 10),
            }
            for n, (invited, _) in enumerate(referred)
        ],
    )
    project = book(group("c", 50, 100), referred, referrals=referrals)
    row = january(project, "referred_signups", "viral_coefficient", engine=engine)
    assert row["referred_signups"] == 60
    assert row["viral_coefficient"] == pytest.approx(1.2)


def test_first_contact_resolution_of_all_cases(engine: str) -> None:
    """Cases closed in the first interaction over all cases: 6 of 10, i.e. 60%."""
    tickets = table(
        "tickets",
        [
            {
                "account_id": "c1",
                "opened_at": utc(2024, 1, 3, n),
                "resolved_at": utc(2024, 1, 4) if n < 8 else None,
                "contacts": 1 if n < 6 else 2,
            }
            for n in range(10)
        ],
    )
    project = library_project(tickets=tickets)
    row = january(project, "first_contact_resolution_all_cases", engine=engine)
    assert 100 * row["first_contact_resolution_all_cases"] == pytest.approx(60)
