"""retention.metrics: customer counts and rates on the history of revenue_story.py, dollar
retention over twelve months, renewals, and a small cohort triangle."""

from __future__ import annotations

import datetime as dt

import pytest
from library_support import (
    account,
    by_period,
    column,
    library_project,
    one_row,
    subscription,
    table,
    utc,
)
from revenue_story import JAN_TO_MAR, story_project


@pytest.fixture(scope="module")
def story():
    return story_project()


def test_customer_counts(story, engine: str) -> None:
    metrics = [
        "customers",
        "paying_customers",
        "acquired_customers",
        "churned_customers",
        "retained_customers",
        "churned_paying_customers",
    ]
    rows = by_period(story, metrics, **JAN_TO_MAR, engine=engine)
    # Customers at the month ends: Jan A B C D F, Feb A B D F, Mar A B D E F; the free F is a
    # customer but never a paying one. D joins in January, C leaves in February, E returns in
    # March.
    assert column(rows, "customers") == [5, 4, 5]
    assert column(rows, "paying_customers") == [4, 3, 4]
    assert column(rows, "acquired_customers") == [1, 0, 1]
    assert column(rows, "churned_customers") == [0, 1, 0]
    assert column(rows, "retained_customers") == [4, 4, 4]
    assert column(rows, "churned_paying_customers") == [0, 1, 0]


def test_churn_and_retention_rates(story, engine: str) -> None:
    metrics = [
        "customer_churn_rate_incl_free",
        "customer_churn_rate_incl_free_with_new",
        "paid_customer_churn_rate",
        "logo_retention",
        "retention_rate",
    ]
    rows = by_period(story, metrics, **JAN_TO_MAR, engine=engine)
    # Bases at the starts: customers 4, 5, 4; paying 3, 4, 3; acquired 1, 0, 1.
    assert column(rows, "customer_churn_rate_incl_free") == pytest.approx([0, 1 / 5, 0])
    assert column(rows, "customer_churn_rate_incl_free_with_new") == pytest.approx([0, 1 / 5, 0])
    assert column(rows, "paid_customer_churn_rate") == pytest.approx([0, 1 / 4, 0])
    assert column(rows, "logo_retention") == pytest.approx([1, 4 / 5, 1])
    # (customers at the end - acquired) / customers at the start: (5-1)/4, (4-0)/5, (5-1)/4.
    assert column(rows, "retention_rate") == pytest.approx([1, 4 / 5, 1])


def test_dollar_retention(story, engine: str) -> None:
    rows = by_period(story, ["ndr", "grr"], **JAN_TO_MAR, engine=engine)
    # Jan: (350 + 0 - 80 - 0) / 350; Feb: (350 + 50 - 0 - 50) / 350; Mar: (350 + 30) / 350.
    # E's reactivation is not part of March's NDR: it did not pay at the start.
    assert column(rows, "ndr") == pytest.approx([270 / 350, 1, 380 / 350])
    assert column(rows, "grr") == pytest.approx([270 / 350, 300 / 350, 1])


def test_daily_summed_churn_rate(story, engine: str) -> None:
    # February's only lost customer is C, on Feb 10: that day's rate is 1 / 5 and every other
    # day's is 0 (the base is the customers at the end of the day before).
    row = one_row(
        story,
        ["customer_churn_rate_incl_free_daily_summed"],
        grain="month",
        start="2024-02",
        end="2024-03",
        engine=engine,
    )
    assert row["customer_churn_rate_incl_free_daily_summed"] == pytest.approx(1 / 5)


def test_twelve_month_dollar_retention(engine: str) -> None:
    """Accounts paying in January 2024, and what they pay in January 2025.

    X 100 -> 150 (expansion), Y 200 -> 120 (contraction), Z 50 -> cancelled in June, and W
    joins in March at 500: new business, outside both ratios."""
    accounts = [account(name, utc(2023, 12, 1)) for name in "XYZW"]
    rows = [
        subscription("X", 100, utc(2024, 1, 10), utc(2024, 7, 1)),
        subscription("X", 150, utc(2024, 7, 1)),
        subscription("Y", 200, utc(2024, 1, 10), utc(2024, 9, 15)),
        subscription("Y", 120, utc(2024, 9, 15)),
        subscription("Z", 50, utc(2024, 1, 10), utc(2024, 6, 1)),
        subscription("W", 500, utc(2024, 3, 1)),
    ]
    project = library_project(
        accounts=table("accounts", accounts), subscriptions=table("subscriptions", rows)
    )
    row = one_row(
        project,
        ["ndr_trailing_12m", "grr_trailing_12m"],
        grain="month",
        start="2025-01",
        end="2025-02",
        engine=engine,
    )
    assert row["ndr_trailing_12m"] == pytest.approx((150 + 120 + 0) / 350)
    assert row["grr_trailing_12m"] == pytest.approx((100 + 120 + 0) / 350)


def test_renewals(engine: str) -> None:
    """Four contracts due in March: two renewed (one with 200 of expansion, one at a lower
    400 of 500), one lost, one still open; plus one due in April."""
    renewals = table(
        "renewals",
        [
            {
                "due_at": utc(2024, 3, 1),
                "up_for_renewal": 1000.0,
                "renewed_amount": 1000.0,
                "expansion_amount": 200.0,
            },
            {
                "due_at": utc(2024, 3, 5),
                "up_for_renewal": 500.0,
                "renewed_amount": 400.0,
                "expansion_amount": 0.0,
            },
            {
                "due_at": utc(2024, 3, 20),
                "up_for_renewal": 300.0,
                "renewed_amount": 0.0,
                "expansion_amount": 0.0,
            },
            {"due_at": utc(2024, 3, 31, 23), "up_for_renewal": 700.0},
            {
                "due_at": utc(2024, 4, 1),
                "up_for_renewal": 900.0,
                "renewed_amount": 900.0,
                "expansion_amount": 0.0,
            },
        ],
    )
    metrics = ["renewals_due", "renewal_rate", "gross_renewal_rate", "net_renewal_rate"]
    rows = by_period(
        library_project(renewals=renewals),
        metrics,
        grain="month",
        start="2024-03",
        end="2024-05",
        engine=engine,
    )
    march, april = rows
    assert march["renewals_due"] == 4
    assert march["renewal_rate"] == pytest.approx(2 / 3)  # the open one is not decided yet
    assert march["gross_renewal_rate"] == pytest.approx(1400 / 1800)
    assert march["net_renewal_rate"] == pytest.approx((1400 + 200) / 1800)
    assert (april["renewals_due"], april["renewal_rate"]) == (1, pytest.approx(1.0))


COHORT = "cohort(accounts.signed_up_at, month)"


def test_cohort_retention_triangle(engine: str) -> None:
    """January sign-ups J1 (100), J2 (50, leaves Feb 20) and J3 (30, starts paying on Feb 1,
    after its first month: not part of the cohort's base); February sign-ups F1 (200) and F2
    (80, leaves Mar 15). Customers and retention at the ends of January to March 2024:

        cohort   age 0             age 1                  age 2
        Jan      2, 100%, 150      2 (J1 J3), 50%, 100    2, 50%, 100
        Feb      2, 100%, 280      1, 50%, 200            (not reached by the end of March: null)
    """
    accounts = [
        account("J1", utc(2024, 1, 5)),
        account("J2", utc(2024, 1, 10)),
        account("J3", utc(2024, 1, 20)),
        account("F1", utc(2024, 2, 3)),
        account("F2", utc(2024, 2, 8)),
    ]
    rows = [
        subscription("J1", 100, utc(2024, 1, 5)),
        subscription("J2", 50, utc(2024, 1, 10), utc(2024, 2, 20)),
        subscription("J3", 30, utc(2024, 2, 1)),
        subscription("F1", 200, utc(2024, 2, 3)),
        subscription("F2", 80, utc(2024, 2, 8), utc(2024, 3, 15)),
    ]
    project = library_project(
        accounts=table("accounts", accounts), subscriptions=table("subscriptions", rows)
    )
    result = by_period(
        project,
        ["customers", "cohort_logo_retention", "cohort_revenue_retention"],
        by=[COHORT, "age"],
        grain="month",
        start="2024-01",
        end="2024-04",
        engine=engine,
    )
    cells = {(row[COHORT], row["age"]): row for row in result}
    jan, feb = dt.date(2024, 1, 1), dt.date(2024, 2, 1)
    assert [cells[(jan, age)]["customers"] for age in (0, 1, 2)] == [2, 2, 2]
    assert [cells[(jan, age)]["cohort_logo_retention"] for age in (0, 1, 2)] == pytest.approx(
        [1, 0.5, 0.5]
    )
    assert [cells[(jan, age)]["cohort_revenue_retention"] for age in (0, 1, 2)] == pytest.approx(
        [1, 100 / 150, 100 / 150]
    )
    assert [cells[(feb, age)]["cohort_logo_retention"] for age in (0, 1)] == pytest.approx([1, 0.5])
    assert cells[(feb, 1)]["cohort_revenue_retention"] == pytest.approx(200 / 280)
    too_young = cells[(feb, 2)]
    assert (too_young["cohort_logo_retention"], too_young["cohort_revenue_retention"]) == (
        None,
        None,
    )
