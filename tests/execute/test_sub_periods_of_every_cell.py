"""Sub-periods iterate over every sub-period of a cell, quiet ones included
(docs/time-intelligence.md, Sub-periods): also in a cell whose combination of dimensions the
sub-periods' own rows never show, which exists through another metric. Such a cell took the
`per` aggregate's value over no sub-periods (null for an average, 0 for a count) on every
engine: `avg(per day: count(tickets))` was null, not 0, for a segment without tickets, and
`count(per week)` was 0 weeks by a dimension while 5 without one."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pytest
from execute_helpers import rows

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

PROJECT = """
source accounts from csv("accounts.csv") {
  key account_id
  column segment: string
  column employees: int
  column big = employees >= 50
}
source events from csv("events.csv") {
  time at
  entity account_id -> accounts
  column at: timestamp
}
source tickets from csv("tickets.csv") {
  time at
  entity account_id -> accounts
  entity user_id as user
  column at: timestamp
}
metric events = count(events)
metric weeks = count(per week)
metric daily_tickets = avg(per day: count(tickets))
metric quiet_days = count(per day where count(tickets) == 0)
metric busiest_week = max(per week: sum(per day: count(tickets)))
metric account_daily = avg(per account: avg(per day: count(events)))
metric raisers = sum(per day: count(per account where count(tickets) > 0))
metric active_accounts = max(per week: count(per account where count(events) > 0))
metric user_days = sum(per day: count(per user: count(tickets) over last 7 days))
"""
FEBRUARY = dt.date(2024, 2, 1)
METRICS = ["events", "weeks", "daily_tickets", "quiet_days", "busiest_week", "account_daily"]


@pytest.fixture
def project(tmp_path):
    (tmp_path / "p.metrics").write_text(PROJECT)
    (tmp_path / "accounts.csv").write_text(
        "account_id,segment,employees\na0,smb,80\na1,ent,\na2,ent,10\n"
    )
    (tmp_path / "events.csv").write_text(
        "at,account_id\n2024-02-03T10:00:00Z,a0\n2024-02-04T10:00:00Z,a1\n"
    )
    (tmp_path / "tickets.csv").write_text("at,account_id,user_id\n2024-02-03T10:00:00Z,a0,u7\n")
    return metricsmith.load_project(tmp_path / "p.metrics")


def test_a_segment_without_tickets_has_quiet_days(project, engine):
    answer = project.query(
        METRICS,
        grain="month",
        start="2024-02",
        end="2024-03",
        by=["accounts.segment"],
        engine=engine,
    )
    # February 2024 has 29 days and touches 5 weeks (Monday starts); a2 has no events.
    assert rows(answer) == [
        (FEBRUARY, "ent", 1, 5, 0.0, 29, 0, pytest.approx(1 / 29 / 2)),
        (FEBRUARY, "smb", 1, 5, pytest.approx(1 / 29), 28, 1, pytest.approx(1 / 29)),
    ]


def test_the_same_without_a_dimension(project, engine):
    answer = project.query(METRICS, grain="month", start="2024-02", end="2024-03", engine=engine)
    assert rows(answer) == [
        (FEBRUARY, 2, 5, pytest.approx(1 / 29), 28, 1, pytest.approx(2 / 29 / 3)),
    ]


def test_a_boolean_dimension_no_level_of_sub_periods_reads(project, engine):
    # The weeks read no source: their level's empty set of combinations is typed like the
    # dimension (PostgreSQL refused to unite a bare NULL, text, with the boolean).
    answer = project.query(
        ["events", "weeks"],
        grain="month",
        start="2024-02",
        end="2024-03",
        by=["accounts.big"],
        engine=engine,
    )
    assert answer.schema.field("accounts.big").type == "bool"
    assert sorted(rows(answer), key=str) == sorted(
        [(FEBRUARY, True, 1, 5), (FEBRUARY, None, 1, 5)],
        key=str,
    )


def test_iterations_over_entities_inside_the_sub_periods(project, engine):
    # For a segment without tickets, every day's ticket raisers are none: 0 each day (the
    # users are found in rows: planning the iteration over them for a unit without rows
    # failed, "reads no source").
    metrics = ["events", "raisers", "active_accounts", "user_days"]
    answer = project.query(
        metrics,
        grain="month",
        start="2024-02",
        end="2024-03",
        by=["accounts.segment"],
        engine=engine,
    )
    # u7's ticket of February 3 is in the last 7 days of February 3 to 9: 7 user-days.
    assert rows(answer) == [(FEBRUARY, "ent", 1, 0, 1, 0), (FEBRUARY, "smb", 1, 1, 1, 7)]


def test_a_dimension_no_metric_reads_keeps_its_type(project, engine):
    # The weeks read no source, so nothing shows a combination: no row, and the dimension
    # still has its type (it was null).
    answer = project.query(
        ["weeks"],
        grain="month",
        start="2024-02",
        end="2024-03",
        by=["accounts.big"],
        engine=engine,
    )
    assert answer.num_rows == 0
    assert answer.schema.field("accounts.big").type == "bool"


def test_a_source_without_rows_leaves_every_day_quiet(project, engine):
    # Tried as a new user would: the tickets file has its header and no row yet, so no
    # segment's days read a ticket, and each is quiet.
    (project.path.parent / "tickets.csv").write_text("at,account_id,user_id\n")
    fresh = metricsmith.load_project(project.path)
    answer = fresh.query(
        ["events", "daily_tickets", "quiet_days"],
        grain="month",
        start="2024-02",
        end="2024-03",
        by=["accounts.segment"],
        engine=engine,
    )
    assert rows(answer) == [(FEBRUARY, "ent", 1, 0.0, 29), (FEBRUARY, "smb", 1, 0.0, 29)]
