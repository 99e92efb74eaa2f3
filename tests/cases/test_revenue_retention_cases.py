"""The published revenue and retention examples (../shared/cases), run through the
customer-success library on tiny books of customers. Unless a case says otherwise, everybody
is a customer from December 2023 and the case reads January 2024."""

from __future__ import annotations

import pytest
from library_case_support import MID_JANUARY, book, changing, group, january
from library_support import account, by_period, column, library_project, subscription, table, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")


def test_annual_plans_count_a_twelfth_of_their_amount(engine: str) -> None:
    """100 subscribers at $100 a month and 50 at $600 a year: MRR $12,500."""
    project = book(group("m", 100, 100), group("y", 50, 600, billing_period="year"))
    assert january(project, "mrr", engine=engine)["mrr"] == pytest.approx(12_500)


def test_the_gold_and_silver_story(engine: str) -> None:
    """4 x Gold yearly at $2,000 from Jan 10 (new, $166.67); 2 x Silver monthly, $60, from
    Feb 5 while Gold runs (expansion, not new); Silver cancelled on Mar 12 while Gold stays
    (contraction, not churn); Gold cancelled on Apr 20 (churn); Gold again from Jun 3
    (reactivation: the customer paid at earlier month ends)."""
    gold = 2000 / 12
    rows = [
        subscription(
            "G", 2000, utc(2024, 1, 10), utc(2024, 4, 20), plan="gold", billing_period="year"
        ),
        subscription("G", 60, utc(2024, 2, 5), utc(2024, 3, 12), plan="silver"),
        subscription("G", 2000, utc(2024, 6, 3), plan="gold", billing_period="year"),
    ]
    project = library_project(
        accounts=table("accounts", [account("G", utc(2024, 1, 10))]),
        subscriptions=table("subscriptions", rows),
    )
    metrics = [
        "mrr",
        "new_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "reactivation_mrr",
        "net_new_mrr",
    ]
    result = by_period(
        project, metrics, grain="month", start="2024-01", end="2024-07", engine=engine
    )
    assert column(result, "mrr") == pytest.approx([gold, gold + 60, gold, 0, 0, gold])
    assert column(result, "new_mrr") == pytest.approx([gold, 0, 0, 0, 0, 0])
    assert round(result[0]["new_mrr"], 2) == 166.67
    assert column(result, "expansion_mrr") == pytest.approx([0, 60, 0, 0, 0, 0])
    assert column(result, "contraction_mrr") == pytest.approx([0, 0, 60, 0, 0, 0])
    assert column(result, "churned_mrr") == pytest.approx([0, 0, 0, gold, 0, 0])
    assert column(result, "reactivation_mrr") == pytest.approx([0, 0, 0, 0, 0, gold])
    starts = [0, *column(result, "mrr")[:-1]]
    assert column(result, "net_new_mrr") == pytest.approx(
        [end - start for start, end in zip(starts, column(result, "mrr"), strict=True)]
    )


def test_customer_churn_counts_only_the_customers_at_the_start(engine: str) -> None:
    """100 customers at the start, 10 of them lost: 10%. The 5 who join in January are not in
    the base (Stripe's start + new variant counts them: 10 / 105)."""
    project = book(
        group("stay", 90, 100),
        group("lost", 10, 100, ended_at=MID_JANUARY),
        group("new", 5, 100, started_at=utc(2024, 1, 5)),
    )
    row = january(
        project,
        "customer_churn_rate_incl_free",
        "customer_churn_rate_incl_free_with_new",
        engine=engine,
    )
    assert row["customer_churn_rate_incl_free"] == pytest.approx(0.10)
    assert row["customer_churn_rate_incl_free_with_new"] == pytest.approx(10 / 105)


def test_customer_churn_and_revenue_churn_differ(engine: str) -> None:
    """50 accounts at $100 and 50 at $1,000 (MRR $55,000); 9 small and 1 large leave:
    customer churn 10%, revenue churn 1,900 / 55,000 = 3.45%."""
    project = book(
        group("small", 41, 100),
        group("small_lost", 9, 100, ended_at=MID_JANUARY),
        group("large", 49, 1000),
        group("large_lost", 1, 1000, ended_at=MID_JANUARY),
    )
    row = january(
        project,
        "customer_churn_rate_incl_free",
        "revenue_churn_rate",
        "starting_mrr",
        engine=engine,
    )
    assert row["starting_mrr"] == pytest.approx(55_000)
    assert row["customer_churn_rate_incl_free"] == pytest.approx(0.10)
    assert row["revenue_churn_rate"] == pytest.approx(1_900 / 55_000)
    assert round(100 * row["revenue_churn_rate"], 2) == 3.45


def movements_book(start_mrr: float, new=0.0, expansion=0.0, contraction=0.0, churn=0.0):
    """A book with `start_mrr` at the start of January and exactly these movements in it:
    a grower and a shrinker holding a quarter each of what the leaver does not, a steady
    account the rest, and a new account signing up on January 10th."""
    quarter = (start_mrr - churn) / 4
    groups = [
        changing("grower", quarter, quarter + expansion),
        changing("shrinker", quarter, quarter - contraction),
        group("steady", 1, 2 * quarter),
    ]
    if churn:
        groups.append(changing("leaver", churn, 0))
    if new:
        groups.append(group("new", 1, new, started_at=utc(2024, 1, 10)))
    return book(*groups)


def test_gross_and_net_mrr_churn(engine: str) -> None:
    """$100 at the start; $10 churned, $10 contraction, $10 expansion: gross 20%, net 10%."""
    project = book(changing("X", 10, 0), changing("Y", 40, 30), changing("Z", 50, 60))
    row = january(
        project, "starting_mrr", "gross_mrr_churn_rate", "net_mrr_churn_rate", engine=engine
    )
    assert row["starting_mrr"] == pytest.approx(100)
    assert row["gross_mrr_churn_rate"] == pytest.approx(0.20)
    assert row["net_mrr_churn_rate"] == pytest.approx(0.10)


def test_retention_rate_is_end_minus_acquired_over_start(engine: str) -> None:
    """100 at the start, 10 lost, 20 acquired: (110 - 20) / 100 = 90%, the logo retention."""
    project = book(
        group("stay", 90, 100),
        group("lost", 10, 100, ended_at=MID_JANUARY),
        group("new", 20, 100, started_at=utc(2024, 1, 5)),
    )
    row = january(
        project,
        "customers",
        "acquired_customers",
        "retention_rate",
        "logo_retention",
        engine=engine,
    )
    assert (row["customers"], row["acquired_customers"]) == (110, 20)
    assert row["retention_rate"] == pytest.approx(0.90)
    assert row["logo_retention"] == pytest.approx(0.90)


@pytest.mark.parametrize(
    ("start", "expansion", "contraction", "churn", "ndr", "grr"),
    [
        (100_000, 15_000, 5_000, 3_000, 1.07, 0.92),
        (50_000, 2_000, 4_000, 6_000, 0.84, 0.80),
        (100_000, 15_000, 5_000, 8_000, 1.02, 0.87),
        (1_000, 200, 0, 100, 1.10, 0.90),
        (10_000, 300, 150, 400, 0.975, 0.945),
    ],
)
def test_published_net_and_gross_dollar_retention(
    start: float,
    expansion: float,
    contraction: float,
    churn: float,
    ndr: float,
    grr: float,
    engine: str,
) -> None:
    """New business in the same month changes neither ratio."""
    project = movements_book(
        start, new=7_777, expansion=expansion, contraction=contraction, churn=churn
    )
    row = january(project, "starting_mrr", "ndr", "grr", engine=engine)
    assert row["starting_mrr"] == pytest.approx(start)
    assert row["ndr"] == pytest.approx(ndr)
    assert row["grr"] == pytest.approx(grr)


@pytest.mark.parametrize(
    ("new", "expansion", "churn", "contraction", "quick_ratio"),
    [
        (20_000, 8_000, 5_000, 3_000, 3.5),
        (25_000, 10_000, 8_000, 4_000, 35_000 / 12_000),
        (40_000, 5_000, 32_000, 8_000, 1.125),
    ],
)
def test_published_quick_ratios(
    new: float, expansion: float, churn: float, contraction: float, quick_ratio: float, engine: str
) -> None:
    project = movements_book(
        200_000, new=new, expansion=expansion, contraction=contraction, churn=churn
    )
    row = january(project, "quick_ratio", "quick_ratio_without_reactivation", engine=engine)
    assert row["quick_ratio"] == pytest.approx(quick_ratio)
    assert row["quick_ratio_without_reactivation"] == pytest.approx(quick_ratio)
    if quick_ratio == 35_000 / 12_000:
        assert round(row["quick_ratio"], 4) == 2.9167


def test_a_quick_ratio_with_nothing_lost_is_null(engine: str) -> None:
    project = movements_book(10_000, new=1_000, expansion=500)
    assert january(project, "quick_ratio", engine=engine)["quick_ratio"] is None


def test_expansion_revenue_rate(engine: str) -> None:
    """$10,000 of upsell in a month after a $100,000 month: 10%."""
    project = book(group("steady", 1, 90_000), changing("upsold", 10_000, 20_000))
    row = january(project, "expansion_revenue_rate", engine=engine)
    assert row["expansion_revenue_rate"] == pytest.approx(0.10)


def test_net_renewal_rate(engine: str) -> None:
    """($500 renewed + $200 expansion) / $1,000 up for renewal = 70%."""
    renewals = [
        {"up_for_renewal": 600.0, "renewed_amount": 500.0, "expansion_amount": 200.0},
        {"up_for_renewal": 400.0, "renewed_amount": 0.0, "expansion_amount": 0.0},
    ]
    due = [{**row, "due_at": utc(2024, 1, 10 + n)} for n, row in enumerate(renewals)]
    project = library_project(renewals=table("renewals", due))
    row = january(project, "net_renewal_rate", "gross_renewal_rate", "renewal_rate", engine=engine)
    assert row["net_renewal_rate"] == pytest.approx(0.70)
    assert row["gross_renewal_rate"] == pytest.approx(0.50)
    assert row["renewal_rate"] == pytest.approx(0.50)
