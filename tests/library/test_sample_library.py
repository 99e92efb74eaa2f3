"""The customer-success library on the sample project (metric_defs/sample, which includes it).

The sample's revenue data (subscriptions.csv and friends) must tell every part of the story the
library distinguishes; the MRR bridge must hold in every month; and the revenue and retention
scorecard must equal revenue_oracle.py (plain Python over the CSVs) and the literals pinned
below, which pin the data itself.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections import defaultdict
from pathlib import Path

import metricsmith
import pytest
import revenue_oracle
from library_support import months
from revenue_oracle import DATA_DIR, parse_time, read_csv, scorecard

SAMPLE_DIR = DATA_DIR.parent
#: The files added for the library; the first six (accounts ... csat_responses) are pinned by
#: tests/sample/test_sample_data.py.
LIBRARY_FILES = (
    "subscriptions",
    "renewals",
    "payments",
    "costs",
    "milestones",
    "referrals",
    "sessions",
    "ces_responses",
)
SAMPLE_MONTHS = months(dt.date(2023, 12, 1), 14)  # December 2023 to January 2025
MOVEMENTS = (
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
)
SCORECARD = (
    "mrr",
    "starting_mrr",
    *MOVEMENTS,
    "net_new_mrr",
    "customers",
    "paying_customers",
    "acquired_customers",
    "churned_customers",
    "retained_customers",
    "customer_churn_rate_incl_free",
    "logo_retention",
    "paid_customer_churn_rate",
    "gross_mrr_churn_rate",
    "ndr",
    "grr",
    "quick_ratio",
    "arpa",
    "upsell_rate",
)


def pinned_month(money: dict[str, float], counts: dict[str, int]) -> dict[str, float | int]:
    """A month's scorecard from its MRR movements and customer counts, written by hand.
    Amounts compare to 1e-9 relative (sums of twelfths are not exact); counts exactly."""
    money = {name: float(amount) for name, amount in money.items()}
    start, lost = money["starting_mrr"], money["churned_mrr"] + money["contraction_mrr"]
    gained = money["new_mrr"] + money["expansion_mrr"] + money["reactivation_mrr"]
    return {
        **money,
        "net_new_mrr": money["mrr"] - start,
        **{name: counts[name] for name in counts if not name.startswith("starting")},
        "customer_churn_rate_incl_free": counts["churned_customers"] / counts["starting_customers"],
        "logo_retention": counts["retained_customers"] / counts["starting_customers"],
        "paid_customer_churn_rate": counts["paying_lost"] / counts["starting_paying"],
        "gross_mrr_churn_rate": lost / start,
        "ndr": (start + money["expansion_mrr"] - lost) / start,
        "grr": (start - lost) / start,
        "quick_ratio": gained / lost,
        "arpa": money["mrr"] / counts["paying_customers"],
        "upsell_rate": counts["expanding"] / counts["starting_paying"],
    }


PINNED = {
    dt.date(2024, 6, 1): pinned_month(
        {
            "mrr": 16814.5,
            "starting_mrr": 12850.8333333,
            "new_mrr": 4219.83333333,
            "reactivation_mrr": 40.8333333333,
            "expansion_mrr": 399,
            "contraction_mrr": 249,
            "churned_mrr": 447,
        },
        {
            "customers": 83,
            "paying_customers": 72,
            "acquired_customers": 18,
            "churned_customers": 4,
            "retained_customers": 65,
            "starting_customers": 69,
            "starting_paying": 60,
            "paying_lost": 3,
            "expanding": 3,
        },
    ),
    dt.date(2024, 12, 1): pinned_month(
        {
            "mrr": 39256,
            "starting_mrr": 35700.6666667,
            "new_mrr": 4492.66666667,
            "reactivation_mrr": 0,
            "expansion_mrr": 1348,
            "contraction_mrr": 1789.33333333,
            "churned_mrr": 496,
        },
        {
            "customers": 166,
            "paying_customers": 160,
            "acquired_customers": 15,
            "churned_customers": 3,
            "retained_customers": 151,
            "starting_customers": 154,
            "starting_paying": 148,
            "paying_lost": 4,
            "expanding": 6,
        },
    ),
}


def load_generator():
    spec = importlib.util.spec_from_file_location("generate_data", SAMPLE_DIR / "generate_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_close(actual: object, wanted: object, where: str) -> None:
    if wanted is None or isinstance(wanted, int):
        assert actual == wanted, f"{where}: expected {wanted!r}, got {actual!r}"
    else:
        assert actual == pytest.approx(wanted, rel=1e-9, abs=1e-9), f"{where}: {actual!r}"


# ---- the data -------------------------------------------------------------------------------


def test_library_files_are_what_the_generator_makes(tmp_path: Path) -> None:
    load_generator().generate(tmp_path)
    for name in LIBRARY_FILES:
        fresh = (tmp_path / f"{name}.csv").read_bytes()
        assert fresh == (DATA_DIR / f"{name}.csv").read_bytes(), f"{name}.csv is stale"


def test_all_sample_data_stays_small() -> None:
    assert sum(path.stat().st_size for path in DATA_DIR.glob("*.csv")) < 2_500_000


def rows_by_account() -> dict[str, list[dict[str, object]]]:
    by_account: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in read_csv("subscriptions"):
        by_account[row["account_id"]].append(
            {
                **row,
                "started_at": parse_time(row["started_at"]),
                "ended_at": parse_time(row["ended_at"]),
                "mrr": int(row["amount"]) / revenue_oracle.MONTHS_PER_TERM[row["billing_period"]],
            }
        )
    return by_account


def is_month_start(moment: dt.datetime | None) -> bool:
    """Exactly midnight on the 1st: a change on a period boundary."""
    return moment is not None and moment == moment.replace(day=1, hour=0, minute=0, second=0)


def test_the_subscription_history_tells_every_story() -> None:
    signups = revenue_oracle.signups()
    changes = []  # (before, after) for rows replaced at the same instant
    for account, rows in rows_by_account().items():
        for row in rows:
            assert row["started_at"] >= signups[account], "a subscription before its sign-up"
        changes += [
            (before, after)
            for before in rows
            for after in rows
            if before["ended_at"] is not None and before["ended_at"] == after["started_at"]
        ]
    all_rows = [row for rows in rows_by_account().values() for row in rows]
    assert any(row["plan"] == "free" for row in all_rows)
    assert any(row["billing_period"] == "year" for row in all_rows)
    assert any(row["billing_period"] == "quarter" for row in all_rows)
    assert any(after["mrr"] > before["mrr"] > 0 for before, after in changes), "upgrades"
    assert any(0 < after["mrr"] < before["mrr"] for before, after in changes), "downgrades"
    assert any(before["mrr"] > 0 and after["plan"] == "free" for before, after in changes)
    assert any(
        before["billing_period"] != "month"
        and (before["plan"], before["amount"]) == (after["plan"], after["amount"])
        for before, after in changes
    ), "contract renewals at the same MRR"
    assert sum(is_month_start(row["started_at"]) for row in all_rows) >= 10
    assert sum(is_month_start(row["ended_at"]) for row in all_rows) >= 10
    stints = [
        row
        for row in all_rows
        if row["mrr"] > 0
        and row["ended_at"] is not None
        and (row["started_at"].year, row["started_at"].month)
        == (row["ended_at"].year, row["ended_at"].month)
    ]
    assert stints, "paid stints that begin and end inside one month"
    monthly = [scorecard(month.year, month.month) for month in SAMPLE_MONTHS]
    for movement in MOVEMENTS:
        assert sum(card[movement] > 0 for card in monthly) >= 3, movement


def test_renewals_match_the_contracts_they_renew() -> None:
    ends = {row["subscription_id"]: row for row in read_csv("subscriptions")}
    renewals = list(read_csv("renewals"))
    assert len(renewals) >= 10
    for renewal in renewals:
        contract = ends[renewal["subscription_id"]]
        assert contract["ended_at"] == renewal["due_at"]
        assert contract["amount"] == renewal["up_for_renewal"]
    outcomes = {
        (r["renewed_amount"] == r["up_for_renewal"], r["renewed_amount"] == "0") for r in renewals
    }
    assert {(True, False), (False, True)} <= outcomes, "renewed and lost contracts"


def test_onboarding_and_referral_rows_follow_their_accounts() -> None:
    signups = revenue_oracle.signups()
    milestones = list(read_csv("milestones"))
    assert {row["milestone"] for row in milestones} == {"onboarded", "activated", "first_value"}
    assert len({(row["account_id"], row["milestone"]) for row in milestones}) == len(milestones)
    assert all(parse_time(row["reached_at"]) >= signups[row["account_id"]] for row in milestones)
    referrals = list(read_csv("referrals"))
    accepted = [row for row in referrals if row["referred_account_id"]]
    assert accepted and len(accepted) < len(referrals)
    for row in accepted:
        assert parse_time(row["sent_at"]) < signups[row["referred_account_id"]]
    categories = {row["category"] for row in read_csv("costs")}
    assert categories == {"marketing", "sales", "cost_of_revenue"}


@pytest.mark.parametrize("month", sorted(PINNED))
def test_the_oracle_reproduces_the_pinned_scorecard(month: dt.date) -> None:
    card = scorecard(month.year, month.month)
    for name in SCORECARD:
        assert_close(card[name], PINNED[month][name], f"{name} in {month}")


# ---- metricsmith on the sample --------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> metricsmith.Project:
    return metricsmith.load_project(SAMPLE_DIR)


@pytest.fixture(scope="module")
def monthly_scorecard(sample, engine: str) -> list[dict]:
    table = sample.query(
        list(SCORECARD), grain="month", start="2023-12", end="2025-02", engine=engine
    )
    return table.to_pylist()


def test_the_mrr_bridge_holds_in_every_month(monthly_scorecard) -> None:
    assert [row["month"] for row in monthly_scorecard] == SAMPLE_MONTHS
    for row in monthly_scorecard:
        bridged = (
            row["starting_mrr"]
            + row["new_mrr"]
            + row["reactivation_mrr"]
            + row["expansion_mrr"]
            - row["contraction_mrr"]
            - row["churned_mrr"]
        )
        assert row["mrr"] == pytest.approx(bridged, rel=1e-9, abs=1e-6), row["month"]


def test_the_mrr_bridge_holds_in_every_segment(sample, engine: str) -> None:
    metrics = ["mrr", "starting_mrr", *MOVEMENTS]
    table = sample.query(
        metrics,
        by=["accounts.segment"],
        grain="month",
        start="2023-12",
        end="2025-02",
        engine=engine,
    )
    for row in table.to_pylist():
        gained = row["new_mrr"] + row["reactivation_mrr"] + row["expansion_mrr"]
        lost = row["contraction_mrr"] + row["churned_mrr"]
        where = f"{row['month']} {row['accounts.segment']}"
        assert row["mrr"] == pytest.approx(row["starting_mrr"] + gained - lost, abs=1e-6), where


def test_every_month_of_the_scorecard_equals_the_oracle(monthly_scorecard) -> None:
    for row in monthly_scorecard:
        card = scorecard(row["month"].year, row["month"].month)
        for name in SCORECARD:
            assert_close(row[name], card[name], f"{name} in {row['month']}")


@pytest.mark.parametrize("month", sorted(PINNED))
def test_the_pinned_scorecard(sample, month: dt.date, engine: str) -> None:
    following = months(month, 2)[1]
    table = sample.query(list(SCORECARD), grain="month", start=month, end=following, engine=engine)
    row = table.to_pylist()[0]
    for name in SCORECARD:
        assert_close(row[name], PINNED[month][name], f"{name} in {month}")


def test_the_readme_scorecard_runs_on_the_sample(sample) -> None:
    """Every library metric the README's revenue scorecard names exists in the sample."""
    readme = (SAMPLE_DIR / "README.md").read_text()
    for name in (
        "mrr",
        "new_mrr",
        "churned_mrr",
        "ndr",
        "customer_churn_rate_incl_free",
        "quick_ratio",
    ):
        assert name in readme and name in sample.metrics
