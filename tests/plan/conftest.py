"""One project for the planner tests: accounts, their tickets and surveys, and a lookup table
without time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest

DEFINITIONS = """
calendar { timezone "Europe/Berlin" week_start monday }

source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
  entity plan_id -> plans
}
source plans from csv("plans.csv") {
  key plan_id
}
source tickets from csv("tickets.csv") {
  key ticket_id
  entity account_id -> accounts
  time opened_at
  column resolution_hours = hours_between(opened_at, resolved_at)
}
source csat from csv("csat.csv") {
  entity ticket_id -> tickets
  time answered_at
}

metric tickets_opened = count(tickets)
metric resolved = count(tickets where resolved_at is not null)
metric resolution_share = resolved / tickets_opened
metric slow_share = count(tickets where resolution_hours > 24) / resolved
metric mean_resolution = avg(tickets.resolution_hours)
metric csat = avg(csat.score)
metric signups = count(accounts)
metric plan_count = count(plans)
metric ticket_growth = tickets_opened - tickets_opened[-1]
metric tickets_last_year = same_period_last_year(tickets_opened)
metric tickets_7d = count(tickets) over last 7 days
metric resolved_7d = count(tickets where resolved_at is not null) over last 7 days
metric tickets_ever = count(tickets) over all time
metric busy_accounts = count(per account where count(tickets) > 2)
metric mean_tickets = avg(per account: count(tickets) - count(tickets)[-1])
metric daily_tickets = avg(per day: count(tickets))

dimension size = if(accounts.employees < 50, "small", "large")
dimension tier = plans.tier
dimension channel = tickets.channel
"""

TIMESTAMP = pa.timestamp("us", tz="UTC")
NOON = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
TABLES = {
    "accounts": pa.table(
        {
            "account_id": [1],
            "plan_id": [1],
            "employees": [10],
            "segment": ["smb"],
            "signed_up_at": pa.array([NOON], TIMESTAMP),
        }
    ),
    "plans": pa.table({"plan_id": [1], "tier": ["gold"]}),
    "tickets": pa.table(
        {
            "ticket_id": [1],
            "account_id": [1],
            "channel": ["chat"],
            "opened_at": pa.array([NOON], TIMESTAMP),
            "resolved_at": pa.array([NOON], TIMESTAMP),
        }
    ),
    "csat": pa.table({"ticket_id": [1], "score": [5], "answered_at": pa.array([NOON], TIMESTAMP)}),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> metricsmith.Project:
    path: Path = tmp_path_factory.mktemp("plan") / "plan.metrics"
    path.write_text(DEFINITIONS)
    return metricsmith.load_project(path, tables=TABLES)
