"""revenue.metrics on the hand-made history of revenue_story.py (its docstring has the MRR of
every account at every month end, and the movements they imply)."""

from __future__ import annotations

import datetime as dt

import pytest
from library_support import by_period, column, months
from revenue_story import JAN_TO_MAR, story_project

MOVEMENTS = [
    "mrr",
    "starting_mrr",
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "net_new_mrr",
]


@pytest.fixture(scope="module")
def project():
    return story_project()


def test_mrr_and_arr_are_read_at_each_month_end(project, engine: str) -> None:
    rows = by_period(project, ["mrr", "arr", "starting_mrr"], **JAN_TO_MAR, engine=engine)
    assert column(rows, "month") == months(dt.date(2024, 1, 1), 3)
    assert column(rows, "mrr") == pytest.approx([350, 350, 450])
    assert column(rows, "arr") == pytest.approx([4200, 4200, 5400])
    assert column(rows, "starting_mrr") == pytest.approx([350, 350, 350])


def test_movements_by_month(project, engine: str) -> None:
    rows = by_period(project, MOVEMENTS, **JAN_TO_MAR, engine=engine)
    expected = {
        "new_mrr": [80, 0, 0],
        "reactivation_mrr": [0, 0, 70],
        "expansion_mrr": [0, 50, 30],
        "contraction_mrr": [80, 0, 0],
        "churned_mrr": [0, 50, 0],
        "net_new_mrr": [0, 0, 100],
    }
    for name, values in expected.items():
        assert column(rows, name) == pytest.approx(values), name


def test_the_bridge_reconciles_every_month(project, engine: str) -> None:
    for row in by_period(project, MOVEMENTS, **JAN_TO_MAR, engine=engine):
        bridged = (
            row["starting_mrr"]
            + row["new_mrr"]
            + row["reactivation_mrr"]
            + row["expansion_mrr"]
            - row["contraction_mrr"]
            - row["churned_mrr"]
        )
        assert row["mrr"] == pytest.approx(bridged)
        assert row["net_new_mrr"] == pytest.approx(row["mrr"] - row["starting_mrr"])


def test_paid_subscriptions_to_date_count_rows_in_force_at_any_month_end(
    project, engine: str
) -> None:
    # Paid rows in force at the ends of Nov (E), Dec (A, B, C), Jan (+ B's 120, D),
    # Feb (+ A's 150), Mar (+ B's add-on, E's return): 6, 7, 9 by the ends of Jan, Feb, Mar.
    rows = by_period(project, ["paid_subscriptions_to_date"], **JAN_TO_MAR, engine=engine)
    assert column(rows, "paid_subscriptions_to_date") == [6, 7, 9]


def test_churn_rates_and_growth(project, engine: str) -> None:
    metrics = [
        "gross_mrr_churn_rate",
        "net_mrr_churn_rate",
        "revenue_churn_rate",
        "mrr_growth_rate",
        "expansion_revenue_rate",
    ]
    rows = by_period(project, metrics, **JAN_TO_MAR, engine=engine)
    # gross: (churned + contraction) / 350; net: (churned + contraction - expansion -
    # reactivation) / 350; revenue churn: churned / 350; growth: 450 / 350 - 1 in March.
    assert column(rows, "gross_mrr_churn_rate") == pytest.approx([80 / 350, 50 / 350, 0])
    assert column(rows, "net_mrr_churn_rate") == pytest.approx([80 / 350, 0, -100 / 350])
    assert column(rows, "revenue_churn_rate") == pytest.approx([0, 50 / 350, 0])
    assert column(rows, "mrr_growth_rate") == pytest.approx([0, 0, 100 / 350])
    assert column(rows, "expansion_revenue_rate") == pytest.approx([0, 50 / 350, 30 / 350])


def test_quick_ratio_is_null_when_nothing_was_lost(project, engine: str) -> None:
    rows = by_period(
        project, ["quick_ratio", "quick_ratio_without_reactivation"], **JAN_TO_MAR, engine=engine
    )
    # Jan: (80 + 0 + 0) / (0 + 80); Feb: (0 + 50 + 0) / (50 + 0); Mar: 100 / 0 -> null.
    assert column(rows, "quick_ratio") == pytest.approx([1, 1, None])
    assert column(rows, "quick_ratio_without_reactivation") == pytest.approx([1, 1, None])


def test_upsell_and_cross_sell(project, engine: str) -> None:
    rows = by_period(
        project,
        ["expanding_customers", "upsell_rate", "cross_sell_rate"],
        **JAN_TO_MAR,
        engine=engine,
    )
    # Paying at the starts: 3 (A, B, C), 4 (+ D), 3 (A, B, D). A's upgrade in February is an
    # upsell on one plan; B's add-on in March is a second paid plan: upsell and cross-sell.
    assert column(rows, "expanding_customers") == [0, 1, 1]
    assert column(rows, "upsell_rate") == pytest.approx([0, 1 / 4, 1 / 3])
    assert column(rows, "cross_sell_rate") == pytest.approx([0, 0, 1 / 3])


def test_slices_by_account_attribute_add_up(project, engine: str) -> None:
    """Per-account movements sliced by an account column: each slice reconciles too."""
    rows = by_period(
        project,
        ["mrr", "new_mrr", "churned_mrr"],
        by=["accounts.account_id"],
        **JAN_TO_MAR,
        engine=engine,
    )
    march = {row["accounts.account_id"]: row for row in rows if row["month"] == dt.date(2024, 3, 1)}
    assert march["E"]["mrr"] == pytest.approx(70)
    assert march["B"]["mrr"] == pytest.approx(150)
    february = {
        row["accounts.account_id"]: row for row in rows if row["month"] == dt.date(2024, 2, 1)
    }
    assert february["C"]["churned_mrr"] == pytest.approx(50)
