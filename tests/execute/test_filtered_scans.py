"""When every aggregate of a grouped pass has a `where`, the Arrow engine places only the rows
one of them holds at (execute/arrow/grouping.py, `scan_groups`): the groups the other rows
fall in are still there, with the aggregates' values over nothing, so the answers are those of
reading every row, to the bit."""

# Arrow only: how the Arrow engine places rows; the SQL engines filter inside the aggregate.

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from execute_helpers import TIMESTAMP, project_from_text, rows, stamps, utc

D = dt.date

SOURCES = """
calendar { timezone "UTC" }
source accounts from parquet("accounts.parquet") {
  key account_id
}
source events from parquet("events.parquet") {
  entity account_id -> accounts
  entity user_id as user
  time at
}
source plans from parquet("plans.parquet") {
  valid from started_at to ended_at
}
"""
# Each filtered metric and a twin that reads every row of the same pass (`count(events)` or
# `count(plans)` has no `where`, so that pass is not filtered): their values must be equal.
METRICS = """
metric a_events = count(events where kind == "a")
metric b_amount = sum(events.amount where kind == "b")
metric a_users = count_distinct(events.user_id where kind == "a")
metric none = count(events where kind == "none")
metric a_median = median(events.amount where kind == "a" and amount > 10)
metric a_week = count(events where kind == "a") over last 7 days
metric b_month_max = max(events.amount where kind == "b") over last 30 days
metric users_a_week = count(per user where count(events where kind == "a") over last 7 days >= 0)
metric users_week = count(per user where count(events) over last 7 days >= 0)
metric users_two_a = count(per user where count(events where kind == "a") over last 10 days >= 2)
metric big_plans = count(plans where mrr > 60) over last 14 days
metric plan_sum = sum(plans.mrr where mrr > 60)
metric all_events = count(events)
metric all_week = count(events) over last 7 days
metric all_month = count(events) over last 30 days
metric all_plans = count(plans) over last 14 days
metric all_plan_sum = sum(plans.mrr)
"""
FILTERED = {
    "a_events": "all_events",
    "b_amount": "all_events",
    "a_users": "all_events",
    "none": "all_events",
    "a_median": "all_events",
    "a_week": "all_week",
    "b_month_max": "all_month",
    "users_two_a": "users_week",
    "big_plans": "all_plans",
    "plan_sum": "all_plan_sum",
}
ROWS = 2500


def _tables() -> dict[str, pa.Table]:
    random = np.random.default_rng(12)
    accounts = pa.table(
        {"account_id": np.arange(30), "segment": random.choice(["smb", "mid", "ent", None], 30)}
    )
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    day = 24 * 3600 * 10**6
    at = np.sort(start + random.integers(-40 * day, 140 * day, ROWS))
    kinds = random.choice(["a", "b", "c", "a "], ROWS).astype(object)
    kinds[random.random(ROWS) < 0.05] = None
    # Kind "a" only in the first half of the rows (in time order): late batches read nothing.
    kinds[ROWS // 2 :][kinds[ROWS // 2 :] == "a"] = "c"
    events = pa.table(
        {
            "account_id": random.integers(0, 34, ROWS),  # some name no account
            "user_id": pa.array(random.integers(0, 150, ROWS), mask=random.random(ROWS) < 0.03),
            "kind": pa.array(kinds, pa.string()),
            "amount": pa.array(random.gamma(2.0, 20.0, ROWS), mask=random.random(ROWS) < 0.1),
            "at": pa.array(at, TIMESTAMP),
        }
    )
    plan_rows = 200
    started = start + random.integers(-60 * day, 120 * day, plan_rows)
    ended = started + random.integers(day, 50 * day, plan_rows)
    plans = pa.table(
        {
            "account_id": random.integers(0, 30, plan_rows),
            "mrr": pa.array(
                random.integers(0, 120, plan_rows), mask=random.random(plan_rows) < 0.1
            ),
            "started_at": pa.array(started, TIMESTAMP),
            "ended_at": pa.array(ended, TIMESTAMP, mask=random.random(plan_rows) < 0.2),
        }
    )
    return {"accounts": accounts, "events": events, "plans": plans}


def _project(folder, row_group_size: int = ROWS):
    folder.mkdir(exist_ok=True)
    for name, table in _tables().items():
        pq.write_table(table, folder / f"{name}.parquet", row_group_size=row_group_size)
    return project_from_text(folder, SOURCES + METRICS, {})


QUERIES = [
    {"grain": "month", "by": ["accounts.segment"]},
    {"grain": "week", "by": ["accounts.segment", "events.kind"]},
    {"grain": "day"},
    {"grain": "month", "by": ["events.kind"], "where": ['events.kind != "b"']},
]


@pytest.mark.parametrize("options", QUERIES)
def test_filtered_pass_answers_as_the_pass_reading_every_row(tmp_path, options):
    """Each filtered metric alone (its pass filtered) against the same metric queried with its
    twin (the pass reads every row): every cell equal, the rows of the answer the same."""
    project = _project(tmp_path / "data")
    span = {"start": "2024-01-01", "end": "2024-05-01"}
    for name, twin in FILTERED.items():
        if name in ("big_plans", "plan_sum") and (options.get("by") or options.get("where")):
            continue  # plans have no segment or kind
        alone = project.query([name], **options, **span).to_arrow()
        together = project.query([name, twin], **options, **span).to_arrow()
        assert alone.equals(together.drop_columns([twin])), name


def test_groups_whose_rows_are_all_filtered_out_are_kept(define):
    """Segment `ent` has events of kind b only: it still has its rows, with 0 and null."""
    accounts = pa.table({"account_id": [1, 2], "segment": ["smb", "ent"]})
    events = pa.table(
        {
            "account_id": [1, 1, 2, 2],
            "user_id": [10, 11, 20, 21],
            "kind": ["a", "b", "b", None],
            "amount": [5.0, 7.0, 9.0, 11.0],
            "at": stamps(utc(2024, 1, 3), utc(2024, 1, 4), utc(2024, 2, 5), utc(2024, 2, 6)),
        }
    )
    definitions = """
source accounts from csv("accounts.csv") { key account_id }
source events from csv("events.csv") {
  entity account_id -> accounts
  entity user_id as user
  time at
}
metric a_events = count(events where kind == "a")
metric a_max = max(events.amount where kind == "a")
metric a_users = count(per user where count(events where kind == "a") >= 0)
"""
    project = define(definitions, accounts=accounts, events=events)
    table = project.query(
        ["a_events", "a_max", "a_users"],
        by=["accounts.segment"],
        grain="month",
        start="2024-01-01",
        end="2024-03-01",
    )
    # January: user 10 (a) and 11 (b) of smb; February: users 20 (b) and 21 (null kind) of
    # ent. Every user with a row counts in `a_users` (0 >= 0), whatever its rows' kind.
    assert rows(table) == [
        (D(2024, 1, 1), "ent", 0, None, 0),
        (D(2024, 1, 1), "smb", 1, 5.0, 2),
        (D(2024, 2, 1), "ent", 0, None, 2),
        (D(2024, 2, 1), "smb", 0, None, 0),
    ]


def test_users_present_in_a_window_through_filtered_rows(define):
    """A per-user window repeats rows over days; the users present come from every row."""
    events = pa.table(
        {
            "user_id": [1, 1, 2, 3],
            "kind": ["b", "a", "b", "b"],
            "at": stamps(utc(2024, 1, 1), utc(2024, 1, 2), utc(2024, 1, 3), utc(2024, 1, 9)),
        }
    )
    definitions = """
source events from csv("events.csv") {
  entity user_id as user
  time at
}
metric users = count(per user where count(events where kind == "a") over last 3 days >= 0)
metric with_a = count(per user where count(events where kind == "a") over last 3 days >= 1)
"""
    project = define(definitions, events=events)
    table = project.query(["users", "with_a"], grain="day", start="2024-01-01", end="2024-01-10")
    # Days 1..9: the users with a row in the 3 days up to each day's end; user 1's "a" on the
    # 2nd is in the windows of the 2nd, 3rd and 4th.
    assert rows(table) == [
        (D(2024, 1, 1), 1, 0),  # user 1
        (D(2024, 1, 2), 1, 1),  # user 1
        (D(2024, 1, 3), 2, 1),  # users 1, 2
        (D(2024, 1, 4), 2, 1),  # users 1 (2nd), 2
        (D(2024, 1, 5), 1, 0),  # user 2
        (D(2024, 1, 6), 0, 0),
        (D(2024, 1, 7), 0, 0),
        (D(2024, 1, 8), 0, 0),
        (D(2024, 1, 9), 1, 0),  # user 3
    ]


def test_filtered_streamed_in_many_batches_gives_the_answer_of_one(tmp_path):
    """Read in batches of 97 rows (in time order: the late batches have no row of kind "a",
    some none in the range) the filtered passes answer as over the whole file, windows
    reaching across batches included."""
    names = ["a_events", "b_amount", "a_users", "none", "a_median", "a_week", "b_month_max"]
    options = {"by": ["accounts.segment"], "grain": "week"}
    options |= {"start": "2024-01-01", "end": "2024-05-01"}
    many = _project(tmp_path / "many", 97).query(names, **options).to_arrow()
    one = _project(tmp_path / "one").query(names, **options).to_arrow()
    assert many.num_rows == 18 * 4  # weeks touching the range x (ent, mid, smb, null)
    assert many.equals(one)
    # The windows (reading back a week, a month) read batches before the range's start.
    assert sum(many.column("b_month_max").is_valid().to_pylist()) > 0
