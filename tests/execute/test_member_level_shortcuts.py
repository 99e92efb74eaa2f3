"""Two shortcuts of the Arrow engine's per-entity levels over a source with a key
(execute/arrow/levels.py), each answering to the bit as the general way does:

- a distinct count of the rows' own entity (`count_distinct(plans.account_id)` per account)
  is a count of the rows naming the entity in each period, capped at 1, taken from the rows'
  period ranges instead of repeating every row in its periods and sorting the pairs;
- a distinct count per entity of another value (`count_distinct(events.user_id)` per
  account, over a window) counts the (entity, value) pairs of each period in a bitmap, where
  the general way sorts every placed (group, value) pair;
- by `age`, the members of a cohort outside the range are left out of the entity set, and
  the rows of such a cohort out of the query level's passes: they only add to cells of
  cohorts that the answer has no row for.

Each is compared with the general way on random tables (whole and in 500-row row groups),
and checked on a hand-computed case."""

# Arrow only: how the Arrow engine computes a level; the SQL engines are compared in the
# conformance and differential suites (tests/execute/test_cohorts.py among them).

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from execute_helpers import TIMESTAMP, project_from_text, rows, stamps, utc
from metricsmith.execute.arrow import combine, levels
from metricsmith.execute.arrow.members import Members

SOURCES = """
calendar { timezone "UTC" }
source accounts from parquet("accounts.parquet") {
  key account_id
  time signed_up_at
}
source events from parquet("events.parquet") {
  entity account_id -> accounts
  time at
}
source plans from parquet("plans.parquet") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
"""
METRICS = """
metric customers = count_distinct(plans.account_id)
metric paying = count_distinct(plans.account_id where mrr > 0)
metric active = count_distinct(events.account_id) over last 30 days
metric active_ever = count_distinct(events.account_id) over all time
metric usage = avg(per account: coalesce(count_distinct(events.user_id) over last 30 days
                                         / count_distinct(events.user_id) over all time, 0))
metric a_users = sum(per account: count_distinct(events.user_id where kind == "a") over last 10 days
                                  + 10 * customers)
metric customer_accounts = count(per account where customers > 0)
metric paying_and_active = count(per account where paying > 0 and active > 0)
metric ever_and_paying = sum(per account: active_ever + paying)
metric kept = count(per account where customers > 0 and cohort_start(customers) > 0)
    / cohort_start(customers)
metric kept_paying = sum(per account: paying where cohort_start(paying) > 0)
metric recent_plans = count(plans) over last 60 days
metric grew = count(per account where customers > 0 and paying > paying[-1])
dimension band = bucket(customers + paying + usage_of_account, 1, "low", 2, "mid", "high")
metric usage_of_account = coalesce(count_distinct(events.user_id) over last 30 days, 0) / 4
"""
PER_ACCOUNT = ["customer_accounts", "paying_and_active", "ever_and_paying", "usage", "a_users"]
COHORT = "cohort(accounts.signed_up_at, month)"
ROWS = 3000


def _tables() -> dict[str, pa.Table]:
    random = np.random.default_rng(11)
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    day = 24 * 3600 * 10**6
    account_count = 40
    accounts = pa.table(
        {
            "account_id": np.arange(account_count),
            "segment": random.choice(["smb", "ent", None], account_count),
            "signed_up_at": pa.array(
                start + random.integers(-120 * day, 150 * day, account_count),
                TIMESTAMP,
                mask=random.random(account_count) < 0.05,
            ),
        }
    )
    at = np.sort(start + random.integers(-60 * day, 180 * day, ROWS))
    events = pa.table(
        {
            # Some name no account, some are empty.
            "account_id": pa.array(random.integers(0, 44, ROWS), mask=random.random(ROWS) < 0.03),
            # Users mostly of one account, some of several.
            "user_id": pa.array(random.integers(0, 120, ROWS), mask=random.random(ROWS) < 0.05),
            "kind": pa.array(random.choice(["a", "b"], ROWS), pa.string()),
            "at": pa.array(at, TIMESTAMP, mask=random.random(ROWS) < 0.01),
        }
    )
    plan_rows = 400
    # Starts and ends on period bounds too: a state row in force exactly at a month end.
    started = start + np.where(
        random.random(plan_rows) < 0.2,
        random.integers(-3, 6, plan_rows) * 31 * day,
        random.integers(-90 * day, 170 * day, plan_rows),
    )
    started = np.where(random.random(plan_rows) < 0.1, start + 31 * day, started)
    plans = pa.table(
        {
            "account_id": pa.array(
                random.integers(0, 44, plan_rows), mask=random.random(plan_rows) < 0.03
            ),
            "mrr": pa.array(
                random.integers(0, 4, plan_rows) * 10, mask=random.random(plan_rows) < 0.1
            ),
            "started_at": pa.array(started, TIMESTAMP),
            "ended_at": pa.array(
                started + random.integers(day, 90 * day, plan_rows),
                TIMESTAMP,
                mask=random.random(plan_rows) < 0.3,
            ),
        }
    )
    return {"accounts": accounts, "events": events, "plans": plans}


@pytest.fixture(params=[ROWS, 500], ids=["whole", "row-groups"])
def project(tmp_path, request):
    for name, table in _tables().items():
        pq.write_table(table, tmp_path / f"{name}.parquet", row_group_size=request.param)
    return project_from_text(tmp_path, SOURCES + METRICS, {})


QUERIES = [
    {"grain": "month", "by": ["accounts.segment"]},
    {"grain": "week"},
    {"grain": "month", "where": ['accounts.segment != "ent"']},
    {"grain": "month", "by": [COHORT]},
]


@pytest.mark.parametrize("options", QUERIES)
def test_distinct_counts_per_entity_answer_as_the_sorted_pairs_do(project, options, monkeypatch):
    span = {"start": "2024-01-01", "end": "2024-06-01", "engine": "arrow"}
    fast = project.query(PER_ACCOUNT, **options, **span).to_arrow()
    monkeypatch.setattr(levels, "_counts_own_entity", lambda scan: False)
    by_pairs = project.query(PER_ACCOUNT, **options, **span).to_arrow()
    monkeypatch.setattr(levels, "member_distinct_counts", lambda *arguments: {})
    general = project.query(PER_ACCOUNT, **options, **span).to_arrow()
    assert fast.equals(general)
    assert by_pairs.equals(general)
    assert fast.num_rows > 0


@pytest.mark.parametrize("start", ["2024-01-01", "2024-03-01"])
def test_by_age_the_members_of_other_cohorts_change_no_cell(project, start, monkeypatch):
    span = {"grain": "month", "start": start, "end": "2024-07-01", "engine": "arrow"}
    query = (["kept", "kept_paying", "customer_accounts", "recent_plans"], [COHORT, "age"])
    kept = project.query(query[0], by=list(query[1]), **span).to_arrow()
    monkeypatch.setattr(Members, "of_cohorts", lambda self, *arguments: self)
    monkeypatch.setattr(levels.LevelRunner, "_of_cohorts", lambda self, *arguments: None)
    every = project.query(query[0], by=list(query[1]), **span).to_arrow()
    assert kept.equals(every)
    assert kept.num_rows > 0


@pytest.mark.parametrize(
    ("metrics", "by"),
    [
        (["customer_accounts", "usage", "grew", "a_users"], ["band"]),
        (["kept", "kept_paying", "customer_accounts"], [COHORT, "age"]),
    ],
)
def test_combining_cells_in_slices_answers_as_all_at_once(project, metrics, by, monkeypatch):
    """A child level's formulas are evaluated a slice of cells at a time when combined
    (combine.py, `_at_cells`): per-entity dimensions, offsets, `cohort_start` and `where`
    read the same values in slices of 7 cells as over every cell at once."""
    span = {"grain": "month", "start": "2024-01-01", "end": "2024-06-01", "engine": "arrow"}
    monkeypatch.setattr(combine, "_CELLS_AT_ONCE", 7)
    sliced = project.query(metrics, by=by, **span).to_arrow()
    monkeypatch.setattr(combine, "_CELLS_AT_ONCE", 1 << 40)
    at_once = project.query(metrics, by=by, **span).to_arrow()
    assert sliced.equals(at_once)
    assert sliced.num_rows > 0


def test_customers_per_account_hand_computed(define):
    """Account 1: a plan over January (ends at its end) and another from mid-February on;
    account 2: two overlapping plans over February, the second with mrr 0; account 3 signs up
    in March, no plan; a plan naming account 9, which does not exist, and one naming none."""
    D = dt.date
    accounts = pa.table(
        {
            "account_id": [1, 2, 3],
            "signed_up_at": stamps(utc(2023, 12, 1), utc(2024, 1, 20), utc(2024, 3, 5)),
        }
    )
    plans = pa.table(
        {
            "account_id": pa.array([1, 1, 2, 2, 9, None], pa.int64()),
            "mrr": [10, 10, 20, 0, 5, 5],
            "started_at": stamps(
                utc(2024, 1, 1),
                utc(2024, 2, 15),
                utc(2024, 2, 1),
                utc(2024, 2, 10),
                utc(2024, 1, 1),
                utc(2024, 1, 1),
            ),
            "ended_at": stamps(
                utc(2024, 2, 1), None, utc(2024, 3, 1), utc(2024, 3, 20), None, None
            ),
        }
    )
    project = define(
        'calendar { timezone "UTC" }\n'
        'source accounts from csv("accounts.csv") {\n  key account_id\n  time signed_up_at\n}\n'
        'source plans from csv("plans.csv") {\n  entity account_id -> accounts\n'
        "  valid from started_at to ended_at\n}\n"
        "metric customers = count_distinct(plans.account_id)\n"
        "metric customer_accounts = count(per account where customers > 0)\n"
        "metric paid_accounts = sum(per account: count_distinct(plans.account_id where mrr > 0))\n",
        accounts=accounts,
        plans=plans,
    )
    result = project.query(
        ["customer_accounts", "paid_accounts"],
        grain="month",
        start="2024-01-01",
        end="2024-04-01",
        engine="arrow",
    )
    # Read at each month end (a plan is in force when started_at < e <= ended_at, or no end):
    # Jan 31/Feb 1: account 1's first plan ends at Feb 1, in force (1); account 2's start in
    # February: 1 account, 1 paid. Feb 29/Mar 1: account 1's second plan (1); account 2's
    # first plan ends Mar 1, in force, and its second too: still one account (2 rows, 1),
    # paid by the first: 2 accounts, 2 paid. Mar 31/Apr 1: account 1 (paid); account 2's
    # second plan ended Mar 20: 1 account, 1 paid.
    assert rows(result) == [(D(2024, 1, 1), 1, 1), (D(2024, 2, 1), 2, 2), (D(2024, 3, 1), 1, 1)]
