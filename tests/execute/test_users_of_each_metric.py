"""An identifier's values are those the rows a `per` formula reads name, in the cell
(docs/time-intelligence.md, Entities), so a metric's value does not depend on the other
metrics of the query. Every engine iterated the users of all the `per user` aggregates of a
level together: `avg(per user: count(events) over last 7 days)` was 1.0 queried alone and
0.5 beside a metric reading the whole month, which named a user with no event in the last 7
days. Found by the reference oracle (tests/robustness/test_reference.py)."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pytest
from execute_helpers import rows

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

PROJECT = """
source events from csv("events.csv") {
  time at
  entity user_id as user
  column at: timestamp
  column kind: string
}
metric recent = avg(per user: count(events) over last 7 days)
metric monthly = count(per user where count(events) > 0)
metric busy = count(per user where count(events) >= 2)
metric keyed = avg(per user: count(events where kind == "key"))
metric before = avg(per user: count(events)[-1])
metric daily = sum(per day: count(per user where count(events) > 0))
"""
MARCH = dt.date(2024, 3, 1)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "p.metrics").write_text(PROJECT)
    # u1: 5 and 6 March; u2: 29 March (in March's last 7 days); u3: 20 February only.
    (tmp_path / "events.csv").write_text(
        "at,user_id,kind\n"
        "2024-03-05T10:00:00Z,u1,key\n"
        "2024-03-06T10:00:00Z,u1,other\n"
        "2024-03-29T10:00:00Z,u2,other\n"
        "2024-02-20T10:00:00Z,u3,key\n"
    )
    return metricsmith.load_project(tmp_path / "p.metrics")


def _march(project, metrics, engine):
    table = project.query(metrics, grain="month", start="2024-03", end="2024-04", engine=engine)
    return rows(table)


def test_each_metric_iterates_the_users_its_rows_name(project, engine):
    # recent: u2 alone (1 event in the last 7 days); monthly: u1 and u2; busy: u1; keyed:
    # u1 (1 key event) and u2 (none), as the same rows are read; before: the users March's
    # rows name, u1 and u2, had no event in February (u3 is not one of them); daily: one user
    # on each of 5, 6 and 29 March.
    metrics = ["recent", "monthly", "busy", "keyed", "before", "daily"]
    assert _march(project, metrics, engine) == [(MARCH, 1.0, 2, 1, 0.5, 0.0, 3)]


@pytest.mark.parametrize(
    ("metric", "value"), [("recent", 1.0), ("keyed", 0.5), ("before", 0.0), ("daily", 3)]
)
def test_a_metric_has_its_value_whatever_else_is_asked(project, metric, value, engine):
    assert _march(project, [metric], engine) == [(MARCH, value)]


STICKINESS = """
calendar { timezone "Europe/Berlin" week_start sunday }
source accounts from csv("accounts.csv") { key account_id column segment: string }
source events from csv("events.csv") {
  time at
  entity account_id -> accounts
  entity user_id as user
  column at: timestamp
}
metric weekly_users = count(per user where count(events) over last 7 days > 0)
metric monthly_users = count(per user where count(events) > 0)
metric stickiness = weekly_users / monthly_users
metric users_before = monthly_users[-1]
"""


def test_stickiness_by_segment_with_last_months_users(tmp_path, engine):
    # Tried as a new user would: two per-user metrics over other rows, their ratio and an
    # offset, by a segment, in Berlin. u9 (ent) is Berlin's 28 February; u3 (no segment) is
    # 30 March 23:30 in Berlin, the night before summer time, in March's last 7 days; the
    # row without a user names no one. ent shows for February's u9, whom `users_before` reads.
    (tmp_path / "p.metrics").write_text(STICKINESS)
    (tmp_path / "accounts.csv").write_text("account_id,segment\na0,smb\na1,ent\na2,\n")
    (tmp_path / "events.csv").write_text(
        "at,account_id,user_id\n"
        "2024-02-27T23:30:00Z,a1,u9\n"
        "2024-03-01T10:00:00+01:00,a0,u1\n"
        "2024-03-28T10:00:00Z,a0,u2\n"
        "2024-03-30T22:30:00Z,a2,u3\n"
        "2024-03-15T10:00:00Z,a1,\n"
    )
    project = metricsmith.load_project(tmp_path / "p.metrics")
    metrics = ["weekly_users", "monthly_users", "stickiness", "users_before"]
    table = project.query(
        metrics,
        grain="month",
        start="2024-03",
        end="2024-05",
        by=["accounts.segment"],
        engine=engine,
    )
    april = dt.date(2024, 4, 1)
    assert rows(table) == [
        (MARCH, "ent", 0, 0, None, 1),
        (MARCH, "smb", 1, 2, 0.5, 0),
        (MARCH, None, 1, 1, 1.0, 0),
        (april, "ent", 0, 0, None, 0),
        (april, "smb", 0, 0, None, 2),
        (april, None, 0, 0, None, 1),
    ]
