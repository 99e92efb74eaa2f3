"""voice_of_customer.metrics on hand-made survey and referral tables."""

from __future__ import annotations

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

Q1 = {"grain": "month", "start": "2024-01", "end": "2024-04"}


def answers(source: str, scores_by_month: dict[int, list[int | None]]):
    """One response per score, on consecutive hours of the month's 3rd day."""
    rows = [
        {"account_id": "A", "responded_at": utc(2024, month, 3, hour), "score": score}
        for month, scores in scores_by_month.items()
        for hour, score in enumerate(scores)
    ]
    return table(source, rows)


def test_nps_and_its_parts(engine: str) -> None:
    # January: 10 9 9 10 promoters, 8 7 passives, 6 3 0 detractors, one blank (not a
    # response); February: 9 and 2; March: no survey at all.
    survey = answers("nps_survey", {1: [10, 9, 9, 8, 7, 6, 3, 0, None, 10], 2: [9, 2]})
    metrics = [
        "nps_responses",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "promoter_share",
        "detractor_share",
        "avg_nps_score",
    ]
    rows = by_period(library_project(nps_survey=survey), metrics, **Q1, engine=engine)
    assert column(rows, "nps_responses") == [9, 2, 0]
    assert column(rows, "promoters") == [4, 1, 0]
    assert column(rows, "passives") == [2, 0, 0]
    assert column(rows, "detractors") == [3, 1, 0]
    assert column(rows, "nps") == pytest.approx([100 * (4 - 3) / 9, 0, None])
    assert column(rows, "promoter_share") == pytest.approx([4 / 9, 1 / 2, None])
    assert column(rows, "detractor_share") == pytest.approx([3 / 9, 1 / 2, None])
    assert column(rows, "avg_nps_score") == pytest.approx([62 / 9, 11 / 2, None])


def test_csat_and_ces_ignore_skipped_answers(engine: str) -> None:
    csat = answers("csat_survey", {1: [5, 4, 3, None, 1]})
    ces = answers("ces_survey", {1: [7, 6, 2, None, 5], 2: [None]})
    metrics = ["csat", "csat_responses", "csat_pct", "ces", "ces_responses", "ces_easy_share"]
    jan, feb, _ = by_period(
        library_project(csat_survey=csat, ces_survey=ces), metrics, **Q1, engine=engine
    )
    assert jan["csat_responses"] == 4
    assert jan["csat"] == pytest.approx(13 / 4)
    assert jan["csat_pct"] == pytest.approx(2 / 4)  # the 5 and the 4
    assert jan["ces_responses"] == 4
    assert jan["ces"] == pytest.approx(20 / 4)
    assert jan["ces_easy_share"] == pytest.approx(3 / 4)  # 7, 6 and 5
    assert (feb["ces_responses"], feb["ces"], feb["ces_easy_share"]) == (0, None, None)


def referral_project():
    """Customers A-D since December; E signs up on Jan 20, invited by A on Jan 12. In January
    A also sends an invitation nobody accepts, and so does B."""
    accounts = [account(name, utc(2023, 12, 1)) for name in "ABCD"]
    accounts.append(account("E", utc(2024, 1, 20)))
    rows = [subscription(name, 100, utc(2023, 12, 2)) for name in "ABCD"]
    rows.append(subscription("E", 100, utc(2024, 1, 20)))
    referrals = [
        {"referrer_account_id": "A", "referred_account_id": "E", "sent_at": utc(2024, 1, 12)},
        {"referrer_account_id": "A", "sent_at": utc(2024, 1, 14)},
        {"referrer_account_id": "B", "sent_at": utc(2024, 1, 25)},
    ]
    return library_project(
        accounts=table("accounts", accounts),
        subscriptions=table("subscriptions", rows),
        referrals=table("referrals", referrals),
    )


def test_referrals(engine: str) -> None:
    metrics = ["referrals_sent", "referred_signups", "referral_rate", "referred_signup_share"]
    row = one_row(
        referral_project(), metrics, grain="month", start="2024-01", end="2024-02", engine=engine
    )
    assert (row["referrals_sent"], row["referred_signups"]) == (3, 1)
    assert row["referral_rate"] == pytest.approx(2 / 5)  # A and B of the 5 customers
    assert row["referred_signup_share"] == pytest.approx(1 / 1)  # E is January's only sign-up


def test_viral_coefficient(engine: str) -> None:
    # One referred sign-up over the 4 customers at the start of January.
    row = one_row(
        referral_project(),
        ["viral_coefficient"],
        grain="month",
        start="2024-01",
        end="2024-02",
        engine=engine,
    )
    assert row["viral_coefficient"] == pytest.approx(1 / 4)
