"""health.metrics: the per-account health score and the health mix, read at the end of March
2024 (windows: the last 30 days are [Mar 2, Apr 1), the last 90 days [Jan 2, Apr 1)).

    account  usage                      sentiment        support             revenue
    h1       x1, x2 active in March: 1   NPS 9: 0.9       no tickets: 1       steady: 1
    h2       y2 of y1, y2 in March: 0.5  no answer: 0.5   2 tickets: 0.6      fell: 0
    h3       z1 last seen Jan 5: 0       NPS 2: 0.2       6 tickets: 0        steady: 1
    h4       no subscription: not a customer, left out of every share

    score = 100 * (0.4 usage + 0.3 sentiment + 0.2 support + 0.1 revenue)
    h1 = 100 * (0.4 + 0.27 + 0.2 + 0.1) = 97     Good
    h2 = 100 * (0.2 + 0.15 + 0.12 + 0)  = 47     Average
    h3 = 100 * (0   + 0.06 + 0   + 0.1) = 16     Poor
"""

from __future__ import annotations

import pytest
from library_support import account, by_period, library_project, one_row, subscription, table, utc

MARCH = {"grain": "month", "start": "2024-03", "end": "2024-04"}
SCORES = {"h1": 97.0, "h2": 47.0, "h3": 16.0}


@pytest.fixture(scope="module")
def project():
    accounts = [account(name, utc(2023, 12, 1)) for name in ("h1", "h2", "h3", "h4")]
    subscriptions = [
        subscription("h1", 100, utc(2023, 12, 1)),
        subscription("h2", 200, utc(2023, 12, 1), utc(2024, 3, 10)),
        subscription("h2", 100, utc(2024, 3, 10)),
        subscription("h3", 50, utc(2023, 12, 1)),
    ]
    events = [
        ("h1", "x1", utc(2024, 3, 5)),
        ("h1", "x2", utc(2024, 3, 25)),
        ("h2", "y1", utc(2024, 2, 10)),
        ("h2", "y2", utc(2024, 3, 20)),
        ("h3", "z1", utc(2024, 1, 5)),
    ]
    tickets = [("h2", utc(2024, 3, day)) for day in (4, 28)]
    tickets += [("h3", utc(2024, 3, day)) for day in (3, 8, 12, 16, 20, 31)]
    tickets.append(("h1", utc(2024, 2, 20)))  # before h1's 30-day window
    nps = [("h1", utc(2024, 2, 15), 9), ("h3", utc(2024, 2, 1), 2), ("h2", utc(2023, 12, 20), 10)]
    return health_project(accounts, subscriptions, events, tickets, nps)


def health_project(accounts, subscriptions, events, tickets, nps=None):
    """The library project over these rows: events (account, user, time), tickets (account,
    time) and NPS answers (account, time, score; without them, no NPS source)."""
    tables = {
        "accounts": table("accounts", accounts),
        "subscriptions": table("subscriptions", subscriptions),
        "events": table(
            "events",
            [{"account_id": a, "user_id": u, "occurred_at": at} for a, u, at in events],
        ),
        "tickets": table("tickets", [{"account_id": a, "opened_at": at} for a, at in tickets]),
    }
    if nps is not None:
        tables["nps_survey"] = table(
            "nps_survey", [{"account_id": a, "responded_at": at, "score": s} for a, at, s in nps]
        )
    return library_project(**tables)


def test_components_and_score_per_account(project, engine: str) -> None:
    metrics = [
        "health_usage",
        "health_sentiment",
        "health_support",
        "health_revenue",
        "health_score",
    ]
    rows = by_period(project, metrics, by=["accounts.account_id"], **MARCH, engine=engine)
    per_account = {row["accounts.account_id"]: row for row in rows}
    expected = {
        "h1": (1.0, 0.9, 1.0, 1),
        "h2": (0.5, 0.5, 0.6, 0),
        "h3": (0.0, 0.2, 0.0, 1),
    }
    for name, components in expected.items():
        actual = tuple(per_account[name][m] for m in metrics[:4])
        assert actual == pytest.approx(components), name
        assert per_account[name]["health_score"] == pytest.approx(SCORES[name]), name


def test_average_health_and_shares(project, engine: str) -> None:
    metrics = [
        "customer_accounts",
        "avg_health_score",
        "good_health_share",
        "average_health_share",
        "poor_health_share",
    ]
    row = one_row(project, metrics, **MARCH, engine=engine)
    assert row["customer_accounts"] == 3  # h4 has no subscription
    assert row["avg_health_score"] == pytest.approx(sum(SCORES.values()) / 3)
    shares = (row["good_health_share"], row["average_health_share"], row["poor_health_share"])
    assert shares == pytest.approx((1 / 3, 1 / 3, 1 / 3))


def test_health_mix_by_band(project, engine: str) -> None:
    rows = by_period(project, ["customer_accounts"], by=["health_band"], **MARCH, engine=engine)
    mix = {row["health_band"]: row["customer_accounts"] for row in rows}
    # h4 lands in a band too (score 45: no usage, neutral sentiment, no tickets, steady
    # revenue), but it is not a customer, so it adds nothing to its band's count.
    assert {band: mix.get(band, 0) for band in ("Good", "Average", "Poor")} == {
        "Good": 1,
        "Average": 1,
        "Poor": 1,
    }


@pytest.fixture(scope="module")
def mix_project():
    """g1 a customer (Good, 85, both months); n1 never a customer and without rows (45:
    Average); n2 a customer until February with six tickets in March (25: Poor at the end of
    March, 45: Average at the end of April)."""
    accounts = [account(name, utc(2023, 12, 1)) for name in ("g1", "n1", "n2")]
    subscriptions = [
        subscription("g1", 100, utc(2023, 12, 1)),
        subscription("n2", 80, utc(2023, 12, 1), utc(2024, 2, 15)),
    ]
    events = [("g1", "x1", utc(2024, 3, 5)), ("g1", "x1", utc(2024, 4, 5))]
    tickets = [("n2", utc(2024, 3, day)) for day in (3, 6, 9, 12, 15, 18)]
    return health_project(accounts, subscriptions, events, tickets)


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_bands_of_accounts_that_are_not_customers(mix_project, engine: str) -> None:
    # Every account of a month is scored, customer or not: a band only accounts that are not
    # customers land in, in any month of the range, is a row of every month with no customer
    # and no average. So the SQL keeps every account's cells, not only the customers'.
    rows = by_period(
        mix_project,
        ["customer_accounts", "avg_health_score"],
        by=["health_band"],
        grain="month",
        start="2024-03",
        end="2024-05",
        engine=engine,
    )
    mix = {
        (row["month"].month, row["health_band"]): (
            row["customer_accounts"],
            row["avg_health_score"],
        )
        for row in rows
    }
    assert mix == {
        (month, band): value
        for month in (3, 4)
        for band, value in {
            "Good": (1, pytest.approx(85.0)),
            "Average": (0, None),
            "Poor": (0, None),
        }.items()
    }
