"""Shortcuts of the Arrow engine's grouped passes (execute/arrow/grouping.py), each answering
to the bit as the general way does, on random tables (whole and in 500-row row groups):

- when every aggregate of a pass has a `where`, only the rows some `where` holds at are
  placed, and the groups only the other rows fall in come from one row per distinct (keys,
  periods) (`_present_rows`), not from every row repeated in its periods;
- (entity, value) pairs are numbered by the value alone when each value comes with one
  entity (`_last_determines`), and densely when more ids could exist than rows
  (`_present_ids`): the same partition of the rows as numbering the combinations;
- running totals down the periods go a row at a time over many entities (`_run_down`)."""

# Arrow only: how the Arrow engine groups rows; the SQL engines are compared in the
# conformance and differential suites.

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from execute_helpers import TIMESTAMP, project_from_text
from metricsmith.execute.arrow import grouping

SOURCES = """
calendar { timezone "UTC" }
source accounts from parquet("accounts.parquet") {
  key account_id
}
source events from parquet("events.parquet") {
  entity account_id -> accounts
  entity user_id as user
  entity seat_id as seat
  time at
}
"""
METRICS = """
metric a_per_user = avg(per user: count(events where kind == "a") over last 30 days)
metric ab_per_user = sum(per user: count(events where kind == "a") over last 10 days
                                   + sum(events.n where kind == "b") over last 10 days)
metric seats = avg(per account: count_distinct(events.seat_id) over last 30 days
                                / count_distinct(events.seat_id) over all time)
metric users = avg(per account: count_distinct(events.user_id) over last 20 days)
"""
ROWS = 3000


def _tables() -> dict[str, pa.Table]:
    random = np.random.default_rng(5)
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    day = 24 * 3600 * 10**6
    accounts = pa.table(
        {"account_id": np.arange(30), "segment": random.choice(["smb", "ent", None], 30)}
    )
    account = random.integers(0, 33, ROWS)  # some name no account
    events = pa.table(
        {
            "account_id": account,
            # Users of several accounts; seats of one account each (the seat numbers the
            # account), but for rows naming no account.
            "user_id": pa.array(random.integers(0, 90, ROWS), mask=random.random(ROWS) < 0.05),
            "seat_id": account * 1000 + random.integers(0, 6, ROWS),
            "kind": pa.array(random.choice(["a", "b", "c"], ROWS), pa.string()),
            "n": random.integers(0, 5, ROWS),
            "at": pa.array(
                start + random.integers(-60 * day, 150 * day, ROWS),
                TIMESTAMP,
                mask=random.random(ROWS) < 0.01,
            ),
        }
    )
    return {"accounts": accounts, "events": events}


@pytest.fixture(params=[ROWS, 500], ids=["whole", "row-groups"])
def project(tmp_path, request):
    for name, table in _tables().items():
        pq.write_table(table, tmp_path / f"{name}.parquet", row_group_size=request.param)
    return project_from_text(tmp_path, SOURCES + METRICS, {})


SPAN = {"grain": "month", "start": "2024-01-01", "end": "2024-05-01", "engine": "arrow"}


@pytest.mark.parametrize("by", [[], ["accounts.segment"]])
def test_groups_of_rows_no_where_holds_at_as_every_row_gives(project, by, monkeypatch):
    metrics = ["a_per_user", "ab_per_user"]
    fast = project.query(metrics, by=by, **SPAN).to_arrow()
    monkeypatch.setattr(grouping, "_read_rows", lambda *arguments: None)
    general = project.query(metrics, by=by, **SPAN).to_arrow()
    assert fast.equals(general)
    assert fast.num_rows > 0


@pytest.mark.parametrize("by", [[], ["accounts.segment"]])
def test_pairs_numbered_by_the_value_count_as_numbered_combinations(project, by, monkeypatch):
    metrics = ["seats", "users"]
    fast = project.query(metrics, by=by, **SPAN).to_arrow()
    monkeypatch.setattr(grouping, "_last_determines", lambda keys: None)
    combined = project.query(metrics, by=by, **SPAN).to_arrow()
    monkeypatch.setattr(grouping, "_present_ids", lambda ids, count: (ids, count))
    plain = project.query(metrics, by=by, **SPAN).to_arrow()
    assert fast.equals(combined)
    assert fast.equals(plain)
    assert fast.num_rows > 0


def _same_partition(ids: np.ndarray, keys: list[np.ndarray]) -> bool:
    """Whether equal ids are exactly equal combinations of the keys."""
    _, by_keys = np.unique(np.stack(keys, axis=1), axis=0, return_inverse=True)
    _, by_ids = np.unique(ids, return_inverse=True)
    pairs = set(zip(by_ids.ravel().tolist(), by_keys.ravel().tolist(), strict=True))
    return len(pairs) == len(set(by_ids.ravel().tolist())) == len(set(by_keys.ravel().tolist()))


@pytest.mark.parametrize("determined", [True, False])
def test_combined_ids_tell_the_combinations_apart(determined):
    random = np.random.default_rng(9)
    entity = random.integers(0, 50, 4000)
    value = entity * 7 + random.integers(0, 7, 4000) if determined else random.integers(0, 60, 4000)
    keys = [(entity, 51), (value, 351)]
    found = grouping._last_determines(keys)
    assert (found is not None) == determined
    ids, count = grouping._present_ids(*(found or grouping.group_ids(keys, 4000)))
    assert _same_partition(ids, [entity, value])
    assert ids.min() >= 0 and ids.max() < count <= 4001


def test_ids_of_wide_keys_are_renumbered_to_the_rows():
    """Few rows, keys of wide ranges: 20 rows, 300 x 300 possible ids, 20 at most present."""
    random = np.random.default_rng(2)
    a, b = random.integers(0, 300, 20), random.integers(0, 300, 20)
    ids, count = grouping._present_ids(*grouping.group_ids([(a, 300), (b, 300)], 20))
    assert count <= 20
    assert _same_partition(ids, [a, b])


@pytest.mark.parametrize("width", [7, grouping._WIDE_ROWS + 3])
@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_running_totals_down_the_periods_are_numpys_to_the_bit(width, dtype):
    """Running totals down the periods of (period x entity) cells (`range_totals`), a row at
    a time over many entities: the same additions in the same order as numpy's cumulative
    sum, so the same numbers to the bit (floats too)."""
    random = np.random.default_rng(11)
    change = random.normal(0, 1e6, (13, width)).astype(dtype)
    expected = np.cumsum(change, axis=0)
    grouping._run_down(change)
    assert change.tobytes() == expected.tobytes()
