"""engagement.metrics on a hand-made April 2024 (30 days; April 1st is a Monday).

    u1 (account a1)  every weekday at 09:00 and 15:00; the 09:00 events are key actions
    u2 (account a1)  every day from the 1st to the 15th at 11:00, all key actions
    u3 (account a2)  the 1st, 10th and 20th at 11:00; uses the tracked feature
    u4 (account a2)  the 30th at 11:00

Daily active users add up to 22 (u1's weekdays) + 15 + 3 + 1 = 41 over 30 days, and nobody is
active on the 21st, 27th and 28th. Sessions: u1 30 and 60 minutes, u2 15 minutes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from library_support import by_period, column, library_project, one_row, table, utc

APRIL = {"start": "2024-04-01", "end": "2024-05-01"}
ACTIVE_DAYS = {
    "u1": [d for d in range(1, 31) if dt.date(2024, 4, d).weekday() < 5],
    "u2": list(range(1, 16)),
    "u3": [1, 10, 20],
    "u4": [30],
}


def april_events() -> list[dict[str, object]]:
    rows = []
    for user, days in ACTIVE_DAYS.items():
        for day in days:
            for hour in (9, 15) if user == "u1" else (11,):
                rows.append(
                    {
                        "account_id": "a1" if user in ("u1", "u2") else "a2",
                        "user_id": user,
                        "name": "meeting_held" if hour != 15 else "login",
                        "occurred_at": utc(2024, 4, day, hour),
                        "key_action": (user, hour) in (("u1", 9), ("u2", 11)),
                        "tracked_feature": user == "u3",
                    }
                )
    return rows


@pytest.fixture(scope="module")
def project():
    sessions = [
        ("u1", utc(2024, 4, 2, 10), utc(2024, 4, 2, 10, 30)),
        ("u1", utc(2024, 4, 3, 10), utc(2024, 4, 3, 11)),
        ("u2", utc(2024, 4, 5, 9), utc(2024, 4, 5, 9, 15)),
        ("u3", utc(2024, 5, 2, 9), utc(2024, 5, 2, 10)),
    ]
    return library_project(
        events=table("events", april_events()),
        sessions=table(
            "sessions",
            [
                {"account_id": "a1", "user_id": user, "started_at": start, "ended_at": end}
                for user, start, end in sessions
            ],
        ),
    )


def test_monthly_activity_and_stickiness(project, engine: str) -> None:
    metrics = ["active_users", "active_accounts", "dau", "mau", "stickiness"]
    row = one_row(project, metrics, grain="month", **APRIL, engine=engine)
    assert (row["active_users"], row["active_accounts"], row["mau"]) == (4, 2, 4)
    assert row["dau"] == pytest.approx(41 / 30)  # quiet days count as 0
    assert row["stickiness"] == pytest.approx(41 / 120)


def test_daily_values(project, engine: str) -> None:
    rows = by_period(project, ["active_users", "dau", "mau"], grain="day", **APRIL, engine=engine)
    assert len(rows) == 30
    assert [rows[d - 1]["active_users"] for d in (1, 21, 30)] == [3, 0, 2]
    assert column(rows, "dau") == column(rows, "active_users")
    # MAU on a day: users active in the calendar month up to that day's end.
    assert rows[14]["mau"] == 3  # April 15th: [March 16, April 16) holds u1, u2, u3
    assert rows[29]["mau"] == 4


def test_weekly_active_users(project, engine: str) -> None:
    rows = by_period(
        project, ["wau"], grain="week", start="2024-04-01", end="2024-05-06", engine=engine
    )
    # Weeks from Monday: 1-7 (u1 u2 u3), 8-14 (u1 u2 u3), 15-21 (u1 u2 u3), 22-28 (u1),
    # 29 April - 5 May (u1 u4).
    assert column(rows, "wau") == [3, 3, 3, 1, 2]


def test_engaged_users_need_two_key_actions_in_seven_days(project, engine: str) -> None:
    # April's last 7 days (24-30): u1 has key actions on the 24th-26th, 29th and 30th; u2's
    # stopped on the 15th; u3 and u4 have none.
    row = one_row(
        project,
        ["engaged_users_7d", "wau", "engaged_user_share_7d"],
        grain="month",
        **APRIL,
        engine=engine,
    )
    assert row["engaged_users_7d"] == 1
    assert row["engaged_user_share_7d"] == pytest.approx(1 / row["wau"])
    days = by_period(project, ["engaged_users_7d"], grain="day", **APRIL, engine=engine)
    # April 15th: the window 9-15 holds u1 (five weekdays) and u2 (seven days).
    # April 21st: the window 15-21 holds u1, and only one day (the 15th) of u2.
    assert (days[14]["engaged_users_7d"], days[20]["engaged_users_7d"]) == (2, 1)


def test_feature_adoption(project, engine: str) -> None:
    row = one_row(
        project, ["feature_users", "feature_adoption_rate"], grain="month", **APRIL, engine=engine
    )
    assert row["feature_users"] == 1
    assert row["feature_adoption_rate"] == pytest.approx(1 / 4)


def test_time_in_app(project, engine: str) -> None:
    row = one_row(
        project,
        ["time_in_app_minutes", "avg_session_minutes"],
        grain="month",
        **APRIL,
        engine=engine,
    )
    assert row["time_in_app_minutes"] == pytest.approx((30 + 60 + 15) / 2)  # u1 and u2
    assert row["avg_session_minutes"] == pytest.approx(105 / 3)


def test_seats_are_each_accounts_last_snapshot_in_the_period(project, engine: str) -> None:
    # docs/library/engagement.md, "Seats": A's last April snapshot is 12 (the 22nd); B's only
    # one, 5 (the 8th), counts though B has none after; C's null of the 15th is skipped: 3.
    snapshots = [
        ("a", dt.date(2024, 4, 1), 10),
        ("a", dt.date(2024, 4, 22), 12),
        ("b", dt.date(2024, 4, 8), 5),
        ("c", dt.date(2024, 4, 8), 3),
        ("c", dt.date(2024, 4, 15), None),
    ]
    seats = library_project(
        accounts=table("accounts", [{"account_id": a, "signed_up_at": utc(2024)} for a in "abc"]),
        events=table("events", april_events()),
        seat_snapshots=table(
            "seat_snapshots",
            [{"account_id": a, "snapshot_date": d, "seats": n} for a, d, n in snapshots],
        ),
    )
    row = one_row(
        seats, ["licensed_seats", "seat_utilization"], grain="month", **APRIL, engine=engine
    )
    assert row["licensed_seats"] == 12 + 5 + 3
    assert row["seat_utilization"] == pytest.approx(4 / 20)  # u1-u4 active in April
