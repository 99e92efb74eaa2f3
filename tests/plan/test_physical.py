"""The plan carries how each grouped pass is computed (plan/physical.py), decided once by the
planner: the engines read `Level.physical`, `PerLevel.prunes` and `Level.reads_cohort_start`
and decide none of it themselves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from metricsmith.plan import explain, plan_query
from metricsmith.plan.nodes import Pass
from metricsmith.plugins.functions import Additive

DEFINITIONS = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source events from csv("events.csv") {
  entity account_id -> accounts
  time at
}
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
metric events_7d = count(events) over last 7 days
metric value_7d = sum(events.value) over last 7 days
metric accounts_7d = count_distinct(events.account_id) over last 7 days
metric mrr = sum(subscriptions.mrr)
metric paid_before = count(subscriptions where mrr > 0) over all time
metric new = sum(per account: mrr where mrr[-1] == 0 and mrr > 0 and paid_before[-1] == 0)
metric signups = count(accounts)
metric first_signups = signups / cohort_start(signups)
"""

STAMP = pa.timestamp("us", tz="UTC")
NOON = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
TABLES = {
    "accounts": pa.table({"account_id": [1], "signed_up_at": pa.array([NOON], STAMP)}),
    "events": pa.table(
        {"account_id": [1], "value": pa.array([3], pa.int64()), "at": pa.array([NOON], STAMP)}
    ),
    "subscriptions": pa.table(
        {
            "account_id": [1],
            "mrr": pa.array([10], pa.int64()),
            "started_at": pa.array([NOON], STAMP),
            "ended_at": pa.array([None], STAMP),
        }
    ),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> metricsmith.Project:
    path: Path = tmp_path_factory.mktemp("physical") / "physical.metrics"
    path.write_text(DEFINITIONS)
    return metricsmith.load_project(path, tables=TABLES)


def planned(project, metrics, **query):
    options = {"by": (), "grain": "month", "start": None, "end": None, "where": ()} | query
    return plan_query(project.checked, project.build_query(metrics, **options))


def test_a_windowed_count_is_ranged_and_a_distinct_count_is_not(project):
    plan = planned(project, ["events_7d", "value_7d", "accounts_7d"], grain="day")
    (scan,) = plan.top.scans
    (physical,) = plan.top.physical
    # One pass for the three: a distinct count is not additive, so neither is the pass.
    assert [f.aggregate.function for f in scan.aggregates] == ["count", "sum", "count_distinct"]
    assert physical.pass_ is Pass.PLAIN
    assert physical.weights is None

    plan = planned(project, ["events_7d", "value_7d"], grain="day")
    (physical,) = plan.top.physical
    assert physical.pass_ is Pass.RANGED
    assert physical.weights == (Additive.COUNT, Additive.VALUE)


def test_an_all_time_state_count_is_counted_in_the_pass_over_the_same_rows(project):
    plan = planned(project, ["new"])
    (child,) = plan.top.children
    level = child.level
    assert len(level.physical) == len(level.scans) == 2
    passes = {
        scan.window is None: physical
        for scan, physical in zip(level.scans, level.physical, strict=True)
    }
    counted, counting = passes[False], passes[True]
    assert counted.pass_ is Pass.COUNTED
    assert counting.pass_ is Pass.PLAIN
    assert level.scans[counting.counts].window is not None
    assert child.prunes  # a level over members, no formula reading a cohort's start


def test_the_plan_says_which_levels_read_a_cohort_start(project):
    by = ["cohort(accounts.signed_up_at, month)"]
    assert planned(project, ["first_signups"], by=by).top.reads_cohort_start
    assert not planned(project, ["signups"], by=by).top.reads_cohort_start


def test_explain_shows_each_pass(project):
    text = explain(planned(project, ["events_7d", "value_7d", "new"]))
    assert "one ranged pass (each row added over its range of periods), 2 fused aggregates:" in (
        text
    )
    assert "one grouped pass (also giving the all-time a3), 1 fused aggregate:" in text
    assert "no pass of its own (counted in the pass giving a2), 1 fused aggregate:" in text
