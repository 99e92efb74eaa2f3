"""Sliced by a dimension, every period has every value the dimension takes in the rows the
query's metrics read (docs/language.md, Periods, ranges and the time spine). An offset of one
metric (`earlier = raised[-1]`) gives the query's level a period before the range; a pass that
no offset reaches must not place rows there, for such a row would give the answer its value.
Every engine placed three kinds of row there: a link target's (read whole, for its links),
an event in a window of that period only, and a state row in force only at its end."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pytest
from execute_helpers import rows

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

PROJECT = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
  column segment: string
  column signed_up_at: timestamp
}
source events from csv("events.csv") {
  time at
  entity account_id -> accounts
  column at: timestamp
}
source tickets from csv("tickets.csv") {
  time at
  entity account_id -> accounts
  column at: timestamp
}
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
  column started_at: timestamp
  column ended_at: timestamp
}
metric raised = count(tickets)
metric earlier = raised[-1]
metric n = count(events)
metric before = n[-1]
metric signups = count(accounts)
metric recent = count(events) over last 7 days
metric live = count(subscriptions)
"""
MARCH = dt.date(2024, 3, 1)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "p.metrics").write_text(PROJECT)
    # a0 (ent) signed up in February; its only event is on 26 February, in the last 7 days
    # of February and of no later month; its subscription ended on 5 March, so it was in
    # force at the end of February only. a1 (smb) is the range's.
    (tmp_path / "accounts.csv").write_text(
        "account_id,segment,signed_up_at\n"
        "a0,ent,2024-02-10T00:00:00Z\n"
        "a1,smb,2024-03-10T00:00:00Z\n"
    )
    (tmp_path / "events.csv").write_text(
        "at,account_id\n2024-02-26T10:00:00Z,a0\n2024-03-12T10:00:00Z,a1\n"
    )
    (tmp_path / "tickets.csv").write_text("at,account_id\n2024-02-20T10:00:00Z,a1\n")
    (tmp_path / "subscriptions.csv").write_text(
        "account_id,started_at,ended_at\n"
        "a0,2024-01-05T00:00:00Z,2024-03-05T00:00:00Z\n"
        "a1,2024-03-10T00:00:00Z,\n"
    )
    return metricsmith.load_project(tmp_path / "p.metrics")


def _march(project, metrics, engine):
    return project.query(
        metrics,
        grain="month",
        start="2024-03",
        end="2024-04",
        by=["accounts.segment"],
        engine=engine,
    )


@pytest.mark.parametrize(
    ("metric", "value"),
    [("signups", 1), ("recent", 0), ("live", 1)],
    ids=["link target", "window", "state"],
)
def test_only_the_rows_a_metric_reads_give_the_answer_rows(project, metric, value, engine):
    # `earlier` reads February's tickets: a1's (smb). a0 (ent) has rows in February only:
    # its sign-up, an event in February's last 7 days, a subscription in force at its end.
    table = _march(project, ["earlier", metric], engine)
    assert rows(table) == [(MARCH, "smb", 1, value)]


def test_a_row_the_offset_reads_gives_its_value(project, engine):
    # An offset of the events reads a0's event of February: ent shows.
    table = _march(project, ["before", "n"], engine)
    assert rows(table) == [(MARCH, "ent", 1, 0), (MARCH, "smb", 0, 1)]
