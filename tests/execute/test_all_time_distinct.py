"""A distinct count over an all-time window reads only each value's earliest rows on the
Arrow engine (execute/arrow/grouping.py, `_earliest_rows`): a value's later rows count in
periods its earliest rows already count in. The answers are those of reading every row, to
the bit: each metric alone against the same metric in a pass that also counts rows (a count
does not ignore repeats, so that pass reads every row), and a hand-computed case."""

# Arrow only: how the Arrow engine reads rows; the SQL engines are compared in the
# conformance and differential suites.

from __future__ import annotations

import datetime as dt

import metricsmith
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from execute_helpers import TIMESTAMP, project_from_text, rows, stamps, utc
from metricsmith.errors import DataError

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
  entity account_id -> accounts
  valid from started_at to ended_at
}
"""
METRICS = """
metric users_ever = count_distinct(events.user_id) over all time
metric a_users_ever = count_distinct(events.user_id where kind == "a") over all time
metric kinds_ever = count_distinct(events.kind) over all time
metric events_ever = count(events) over all time
metric per_account = avg(per account: count_distinct(events.user_id) over all time)
metric per_account_twin = avg(per account: count_distinct(events.user_id) over all time
                                           + 0 * count(events) over all time)
metric plan_prices = count_distinct(plans.mrr) over all time
metric plans_ever = count(plans) over all time
"""
TWINS = {
    "users_ever": "events_ever",
    "a_users_ever": "events_ever",
    "kinds_ever": "events_ever",
    "plan_prices": "plans_ever",
}
ROWS = 3000


def _tables() -> dict[str, pa.Table]:
    random = np.random.default_rng(7)
    accounts = pa.table(
        {"account_id": np.arange(25), "segment": random.choice(["smb", "ent", None], 25)}
    )
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    day = 24 * 3600 * 10**6
    at = np.sort(start + random.integers(-60 * day, 150 * day, ROWS))
    events = pa.table(
        {
            "account_id": random.integers(0, 28, ROWS),  # some name no account
            "user_id": pa.array(random.integers(0, 200, ROWS), mask=random.random(ROWS) < 0.05),
            "kind": pa.array(random.choice(["a", "b", "c"], ROWS), pa.string()),
            "at": pa.array(at, TIMESTAMP, mask=random.random(ROWS) < 0.01),
        }
    )
    plan_rows = 300
    started = start + random.integers(-90 * day, 140 * day, plan_rows)
    plans = pa.table(
        {
            "account_id": random.integers(0, 25, plan_rows),
            "mrr": pa.array(
                random.integers(0, 12, plan_rows) * 10, mask=random.random(plan_rows) < 0.1
            ),
            "started_at": pa.array(started, TIMESTAMP),
            "ended_at": pa.array(
                started + random.integers(day, 60 * day, plan_rows),
                TIMESTAMP,
                mask=random.random(plan_rows) < 0.3,
            ),
        }
    )
    return {"accounts": accounts, "events": events, "plans": plans}


QUERIES = [
    {"grain": "month", "by": ["accounts.segment"]},
    {"grain": "week", "by": ["events.kind"]},
    {"grain": "day"},
    {"grain": "month", "where": ['events.kind != "b"']},
]


@pytest.mark.parametrize("row_group_size", [ROWS, 500])  # whole, and streamed in batches
@pytest.mark.parametrize("options", QUERIES)
def test_reading_the_earliest_rows_answers_as_reading_every_row(tmp_path, options, row_group_size):
    for name, table in _tables().items():
        pq.write_table(table, tmp_path / f"{name}.parquet", row_group_size=row_group_size)
    project = project_from_text(tmp_path, SOURCES + METRICS, {})
    span = {"start": "2024-01-01", "end": "2024-05-01"}
    for name, twin in TWINS.items():
        if name == "plan_prices" and (
            options.get("where") or "events.kind" in options.get("by", [])
        ):
            continue  # plans have no kind
        alone = project.query([name], **options, **span).to_arrow()
        together = project.query([name, twin], **options, **span).to_arrow()
        assert alone.equals(together.drop_columns([twin])), name
    if options.get("where") or "events.kind" in options.get("by", []):
        return  # a per-account level is sliced by the accounts' own columns only
    alone = project.query(["per_account"], **options, **span).to_arrow()
    twin = project.query(["per_account_twin"], **options, **span).to_arrow()
    assert alone.column("per_account").equals(twin.column("per_account_twin"))


def test_users_ever_active_by_month(define):
    """u1 in January and again in March, u2 in February only, u3 in March with kind b, and a
    user before the range (u0, December) who counts from the first month on."""
    events = pa.table(
        {
            "account_id": [1, 1, 1, 1, 1, 1],
            "user_id": ["u0", "u1", "u2", "u1", "u1", "u3"],
            "kind": ["a", "a", "a", "a", "b", "b"],
            "at": stamps(
                utc(2023, 12, 20),
                utc(2024, 1, 5),
                utc(2024, 2, 10),
                utc(2024, 3, 1),
                utc(2024, 3, 2),
                utc(2024, 3, 3),
            ),
        }
    )
    project = define(
        'calendar { timezone "UTC" }\n'
        'source events from csv("events.csv") {\n  time at\n  entity user_id as user\n}\n'
        "metric users_ever = count_distinct(events.user_id) over all time\n"
        'metric a_users_ever = count_distinct(events.user_id where kind == "a") over all time\n',
        events=events,
    )
    result = project.query(
        ["users_ever", "a_users_ever"], grain="month", start="2024-01-01", end="2024-04-01"
    )
    D = dt.date
    # January: u0, u1 (2; a: 2). February: + u2 (3; a: 3). March: + u3 (4; u3's only event
    # is kind b, so a: 3).
    assert rows(result) == [(D(2024, 1, 1), 2, 2), (D(2024, 2, 1), 3, 3), (D(2024, 3, 1), 4, 3)]


DISTINCT_EVER = """
source e from csv("e.csv") {
  time at
  column user: integer
}
metric ever = count_distinct(e.user) over all time
"""


@pytest.mark.parametrize("engine", ["arrow", "duckdb", "auto"])
def test_an_empty_source_and_an_odd_byte_as_a_stranger_meets_them(tmp_path, engine):
    """An all-time distinct count over a file with a header only is 0 in every period on
    every engine; a value that is not an integer (two bytes that are not UTF-8) is a data
    error naming the source, column and row, whichever engine `auto` picks."""
    (tmp_path / "p.metrics").write_text(DISTINCT_EVER)
    (tmp_path / "e.csv").write_text("user,at\n")
    project = metricsmith.load_project(tmp_path / "p.metrics")
    span = {"grain": "month", "start": "2024-01-01", "end": "2024-03-01", "engine": engine}
    result = project.query(["ever"], **span)
    assert rows(result) == [(dt.date(2024, 1, 1), 0), (dt.date(2024, 2, 1), 0)]
    (tmp_path / "e.csv").write_bytes(b"user,at\n1,2024-01-05\n\xff\xfe,2024-02-01\n")
    project = metricsmith.load_project(tmp_path / "p.metrics")
    with pytest.raises(DataError) as raised:
        project.query(["ever"], **span)
    assert (raised.value.source, raised.value.column, raised.value.row) == ("e", "user", 2)


@pytest.mark.parametrize("span", [13, 10**7])  # the bitmap of first periods, and without it
@pytest.mark.parametrize("slice_rows", [1 << 20, 700])  # the rows at once, and in slices
def test_one_earliest_row_per_pair(span, slice_rows, monkeypatch):
    """`_one_earliest` keeps exactly one of the rows read of each pair, one whose first
    period is the pair's smallest among them; the ids need not all be present."""
    from metricsmith.execute.arrow import grouping

    monkeypatch.setattr(grouping, "_SLICE", slice_rows)
    random = np.random.default_rng(3)
    pair = random.integers(0, 400, 5000) * 2  # odd ids never occur
    first = random.integers(0, span, 5000)
    reads = random.random(5000) < 0.8
    chosen = grouping._one_earliest(pair, 800, first, reads)
    assert reads[chosen].all()
    assert sorted(pair[chosen].tolist()) == sorted(set(pair[reads].tolist()))
    smallest = {p: first[(pair == p) & reads].min() for p in set(pair[reads].tolist())}
    assert all(first[c] == smallest[pair[c]] for c in chosen)
