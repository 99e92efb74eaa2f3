"""A shortcut of the Arrow engine's grouped passes (execute/arrow/grouping.py,
`linked_distinct_cells`): the distinct count of a link column by dimensions behind that link
(`count_distinct(plans.account_id)` by `cohort(accounts.signed_up_at, month)`) counts the
linked rows each period's rows name — read from a per-account level's presence of the same
rows when one found it, else marked from the rows' period ranges — instead of placing every
row in its periods and counting (group, value) pairs. It answers to the bit as the general
way does, and stands aside where a value could name no linked row or differ from the key it
names.

Each case is compared with the general way on random tables, whole and in 500-row row
groups, and a hand-computed case is checked."""

# Arrow only: how the Arrow engine computes a pass; the SQL engines are compared with it in
# the conformance and differential suites (tests/execute/test_cohorts.py among them).

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from execute_helpers import TIMESTAMP, project_from_text, rows, stamps, utc
from metricsmith.execute.arrow import grouping, levels

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
source members from parquet("members.parquet") {
  key name
}
source visits from parquet("visits.parquet") {
  entity name -> members
  time at
}
"""
METRICS = """
metric customers = count_distinct(plans.account_id)
metric customers_again = count_distinct(plans.account_id)
metric active = count_distinct(events.account_id) over last 30 days
metric active_ever = count_distinct(events.account_id) over all time
metric visitors = count_distinct(visits.name)
metric kept = count(per account where customers > 0 and cohort_start(customers) > 0)
    / cohort_start(customers)
metric customer_accounts = count(per account where customers > 0)
metric active_accounts = count(per account where active > 0)
metric visiting = count(per member where visitors > 0)
metric paying = count_distinct(plans.account_id where mrr > 0)
metric plans_and_customers = count(plans) + customers
"""
COHORT = "cohort(accounts.signed_up_at, month)"
ROWS = 3000
ACCOUNTS = 40


def _tables(every_row_named: bool) -> dict[str, pa.Table]:
    """Random tables, every account signed up before the range's end; unless
    `every_row_named`, some rows name an account that does not exist (ids past the last) or
    is not read (no sign-up time), and some name none."""
    random = np.random.default_rng(5)
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    day = 24 * 3600 * 10**6
    last_id = ACCOUNTS if every_row_named else ACCOUNTS + 4

    def account_ids(count: int) -> pa.Array:
        missing = random.random(count) < (0 if every_row_named else 0.03)
        return pa.array(random.integers(0, last_id, count), pa.int64(), mask=missing)

    accounts = pa.table(
        {
            "account_id": pa.array(np.arange(ACCOUNTS), pa.int64()),
            "segment": random.choice(["smb", "ent", None], ACCOUNTS),
            "signed_up_at": pa.array(
                start + random.integers(-120 * day, 150 * day, ACCOUNTS),
                TIMESTAMP,
                # An account without a sign-up is not read (nor one after the range): the
                # rows naming it name no row read.
                mask=random.random(ACCOUNTS) < (0 if every_row_named else 0.05),
            ),
        }
    )
    at = np.sort(start + random.integers(-60 * day, 180 * day, ROWS))
    events = pa.table(
        {
            "account_id": account_ids(ROWS),
            "at": pa.array(at, TIMESTAMP, mask=random.random(ROWS) < 0.01),
        }
    )
    plan_rows = 400
    # Starts on period bounds too: a state row in force exactly at a month end.
    started = start + np.where(
        random.random(plan_rows) < 0.2,
        random.integers(-3, 6, plan_rows) * 31 * day,
        random.integers(-90 * day, 170 * day, plan_rows),
    )
    plans = pa.table(
        {
            "account_id": account_ids(plan_rows),
            "mrr": pa.array(random.integers(0, 3, plan_rows) * 10, pa.int64()),
            "started_at": pa.array(started, TIMESTAMP),
            "ended_at": pa.array(
                started + random.integers(day, 90 * day, plan_rows),
                TIMESTAMP,
                mask=random.random(plan_rows) < 0.3,
            ),
        }
    )
    names = [f"a{i}" for i in range(ACCOUNTS)]
    members = pa.table({"name": names, "tier": random.choice(["x", "y"], ACCOUNTS)})
    visits = pa.table(
        {
            "name": pa.array(random.choice(names, ROWS), pa.string()),
            "at": pa.array(at, TIMESTAMP),
        }
    )
    return {
        "accounts": accounts,
        "events": events,
        "plans": plans,
        "members": members,
        "visits": visits,
    }


def _project(folder, every_row_named: bool, row_group_size: int):
    for name, table in _tables(every_row_named).items():
        pq.write_table(table, folder / f"{name}.parquet", row_group_size=row_group_size)
    return project_from_text(folder, SOURCES + METRICS, {})


@pytest.fixture(params=[ROWS, 500], ids=["whole", "row-groups"])
def named(tmp_path, request):
    """Every row names an account: the shortcut applies."""
    return _project(tmp_path, True, request.param)


@pytest.fixture(params=[ROWS, 500], ids=["whole", "row-groups"])
def unnamed(tmp_path, request):
    """Some rows name no account: the shortcut applies only where such rows count nowhere
    (by age, they are of no cohort of the range; a filter they fail)."""
    return _project(tmp_path, False, request.param)


@pytest.fixture
def taken(monkeypatch):
    """Whether the shortcut answered each pass it was asked for, in order."""
    answered = []

    def counted(*arguments):
        found = grouping.linked_distinct_cells(*arguments)
        answered.append(found is not None)
        return found

    monkeypatch.setattr(levels, "linked_distinct_cells", counted)
    return answered


SPAN = {"start": "2024-01-01", "end": "2024-07-01", "engine": "arrow"}
# Each with a `per` metric: a source a `per` level reads is read whole, and the query's own
# level's passes over it are grouped here (a source only the query's level reads is read
# in batches: streaming.py).
QUERIES = [
    (["customers", "customers_again", "kept"], {"grain": "month", "by": [COHORT]}),
    (["customers", "customer_accounts"], {"grain": "month", "by": ["accounts.segment", COHORT]}),
    (["customers", "customer_accounts"], {"grain": "week", "by": ["accounts.segment"]}),
    (
        ["customers", "customer_accounts"],
        {"grain": "month", "by": [COHORT], "where": ['accounts.segment != "ent"']},
    ),
    (["active", "active_ever", "active_accounts"], {"grain": "month", "by": ["accounts.segment"]}),
    (["active", "active_accounts"], {"grain": "day", "by": [COHORT]}),
    (["visitors", "visiting"], {"grain": "month", "by": ["members.tier"]}),
    (["customers", "kept"], {"grain": "month", "by": [COHORT, "age"]}),
]


@pytest.fixture
def shared(monkeypatch):
    """Whether each pass the shortcut answered read a per-account level's presence."""
    read = []

    def presence(*arguments):
        found = shared_presence(*arguments)
        read.append(found is not None)
        return found

    shared_presence = grouping._shared_presence
    monkeypatch.setattr(grouping, "_shared_presence", presence)
    return read


def _general(project, metrics, options, monkeypatch) -> pa.Table:
    with monkeypatch.context() as patched:
        patched.setattr(levels, "linked_distinct_cells", lambda *arguments: None)
        return project.query(metrics, **options, **SPAN).to_arrow()


@pytest.mark.parametrize(("metrics", "options"), QUERIES)
def test_linked_distinct_counts_answer_as_the_general_way(
    named, metrics, options, taken, monkeypatch
):
    fast = named.query(metrics, **options, **SPAN).to_arrow()
    assert taken and all(taken)
    general = _general(named, metrics, options, monkeypatch)
    assert fast.equals(general)
    assert fast.num_rows > 0


@pytest.mark.parametrize(("metrics", "options"), QUERIES)
def test_rows_naming_no_linked_row_answer_as_the_general_way(
    unnamed, metrics, options, monkeypatch
):
    fast = unnamed.query(metrics, **options, **SPAN).to_arrow()
    assert fast.equals(_general(unnamed, metrics, options, monkeypatch))
    assert fast.num_rows > 0


@pytest.mark.parametrize(
    ("options", "shortcut"),
    [
        ({"grain": "month", "by": [COHORT]}, False),
        # Rows of an unknown or no account are of no cohort of the range: counted nowhere.
        ({"grain": "month", "by": [COHORT, "age"]}, True),
        # Nor do they pass the filter (their segment is null).
        (
            {"grain": "month", "by": ["accounts.segment"], "where": ['accounts.segment != "ent"']},
            True,
        ),
    ],
)
def test_rows_naming_no_linked_row_take_the_general_way_where_they_count(
    unnamed, options, shortcut, taken
):
    """All the rows naming no account land on the linked source's null row, however many
    different values they hold: where they count, the general way counts them."""
    per_account = "kept" if COHORT in options.get("by", []) else "customer_accounts"
    unnamed.query(["customers", per_account], **options, **SPAN)
    assert taken == [shortcut]


@pytest.mark.parametrize(
    "metrics", [["paying", "customer_accounts"], ["plans_and_customers", "customer_accounts"]]
)
def test_other_aggregates_in_the_pass_take_the_general_way(named, metrics, taken):
    """A `where` (a row not counted still makes its group) or another aggregate in the
    same pass: not the shortcut's."""
    named.query(metrics, grain="month", by=[COHORT], **SPAN)
    assert taken == [False]


@pytest.mark.parametrize(
    ("metrics", "options", "read"),
    [
        # The per-account `customers` places the same plans at the same month ends: read.
        (["customers", "kept"], {"grain": "month", "by": [COHORT, "age"]}, True),
        (["customers", "customer_accounts"], {"grain": "month", "by": ["accounts.segment"]}, True),
        # Nothing per account counts the plans: marked here.
        (["customers", "active_accounts"], {"grain": "month", "by": ["accounts.segment"]}, False),
        # Events over a window: each level finds its own periods.
        (["active", "active_accounts"], {"grain": "month", "by": ["accounts.segment"]}, False),
    ],
)
def test_a_per_account_presence_of_the_same_rows_is_read_not_marked_again(
    named, metrics, options, read, shared, monkeypatch
):
    fast = named.query(metrics, **options, **SPAN).to_arrow()
    assert shared == [read]
    assert fast.equals(_general(named, metrics, options, monkeypatch))


def test_a_pass_without_dimensions_takes_the_general_way(named, taken):
    """No dimension behind the link: the general way does not follow it (nor need the
    linked source to be read)."""
    named.query(["customers", "customer_accounts"], grain="month", **SPAN)
    assert taken == [False]


def test_values_of_another_type_than_the_key_take_the_general_way(tmp_path, taken):
    """Account ids written as int32 beside int64 keys: equal once cast, so not counted by
    the keys they name."""
    tables = _tables(every_row_named=True)
    plans = tables["plans"]
    tables["plans"] = plans.set_column(0, "account_id", plans["account_id"].cast(pa.int32()))
    for name, table in tables.items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
    project = project_from_text(tmp_path, SOURCES + METRICS, {})
    project.query(["customers", "customer_accounts"], grain="month", by=[COHORT], **SPAN)
    assert taken == [False]


def test_customers_by_segment_hand_computed(define, taken):
    """Account 1 (smb): a plan over January and another from mid-February on; account 2
    (smb): two overlapping plans over February; account 3 (ent): a plan from March on."""
    D = dt.date
    accounts = pa.table({"account_id": [1, 2, 3], "segment": ["smb", "smb", "ent"]})
    plans = pa.table(
        {
            "account_id": pa.array([1, 1, 2, 2, 3], pa.int64()),
            "started_at": stamps(
                utc(2024, 1, 1),
                utc(2024, 2, 15),
                utc(2024, 2, 1),
                utc(2024, 2, 10),
                utc(2024, 3, 2),
            ),
            "ended_at": stamps(utc(2024, 2, 1), None, utc(2024, 3, 1), utc(2024, 3, 20), None),
        }
    )
    project = define(
        'calendar { timezone "UTC" }\n'
        'source accounts from csv("accounts.csv") {\n  key account_id\n}\n'
        'source plans from csv("plans.csv") {\n  entity account_id -> accounts\n'
        "  valid from started_at to ended_at\n}\n"
        "metric customers = count_distinct(plans.account_id)\n"
        "metric customer_accounts = count(per account where customers > 0)\n",
        accounts=accounts,
        plans=plans,
    )
    result = project.query(
        ["customers", "customer_accounts"],
        by=["accounts.segment"],
        grain="month",
        start="2024-01-01",
        end="2024-04-01",
        engine="arrow",
    )
    assert taken == [True]
    # In force when started_at < month end <= ended_at (or no end). Jan 31/Feb 1: account
    # 1's first plan (smb 1). Feb 29/Mar 1: account 1's second plan, both of account 2's
    # (smb 2). Mar 31/Apr 1: account 1's second plan (smb 1), account 3's (ent 1). A
    # segment without customers in a month has its cell (0), as on every engine.
    assert rows(result) == [
        (D(2024, 1, 1), "ent", 0, 0),
        (D(2024, 1, 1), "smb", 1, 1),
        (D(2024, 2, 1), "ent", 0, 0),
        (D(2024, 2, 1), "smb", 2, 2),
        (D(2024, 3, 1), "ent", 1, 1),
        (D(2024, 3, 1), "smb", 1, 1),
    ]
