"""The Arrow engine reads a large source in batches (execute/arrow/streaming.py): the answers
are the same to the bit as over the source read whole, and a memory budget refuses a query
that would hold more."""

# Arrow only: streaming is how the Arrow executor reads; the SQL engines read in place.

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from execute_helpers import TIMESTAMP, project_from_text
from metricsmith.errors import DataError, QueryError
from metricsmith.execute.arrow import executor, streaming
from metricsmith.execute.arrow.streaming import (
    MEMORY_VARIABLE,
    THREADS_VARIABLE,
    memory_budget,
    scan_threads,
)

SOURCES = """
calendar { timezone "UTC" }
source accounts from parquet("accounts.parquet") {
  key account_id
}
source events from parquet("events.parquet") {
  entity account_id -> accounts
  time at
}
"""
METRICS = """
metric event_count = count(events)
metric big_events = count(events where amount > 50)
metric users = count_distinct(events.user_id)
metric kinds = count_distinct(events.kind)
metric total = sum(events.amount)
metric units = sum(events.units)
metric mean = avg(events.amount where kind != "c")
metric middle = median(events.amount)
metric p90 = percentile(events.amount, 0.9)
metric spread = stddev(events.amount)
metric first_kind = min(events.kind)
metric latest = max(events.at)
parameter floor: float = 50.0
metric above_floor = count(events where amount > $floor)
metric last_units = last(events.units)
metric kind_at_most = max_by(events.kind, events.amount)
"""
NAMES = [
    "event_count",
    "big_events",
    "users",
    "kinds",
    "total",
    "units",
    "mean",
    "middle",
    "p90",
    "spread",
    "first_kind",
    "latest",
    "above_floor",
    "last_units",
    "kind_at_most",
]
ROWS = 3000


def _data() -> tuple[pa.Table, pa.Table]:
    random = np.random.default_rng(7)
    accounts = pa.table(
        {"account_id": np.arange(40), "segment": random.choice(["smb", "mid", None], 40)}
    )
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    year = 366 * 24 * 3600 * 10**6
    amounts = random.gamma(2.0, 30.0, ROWS)
    events = pa.table(
        {
            # Some events name no account, some lie outside the range.
            "account_id": random.integers(0, 45, ROWS),
            "user_id": random.integers(0, 300, ROWS),
            "kind": random.choice(["a", "b", "c", "d"], ROWS),
            "amount": pa.array(amounts, mask=random.random(ROWS) < 0.1),
            "units": random.integers(-5, 1000, ROWS),
            "at": pa.array(start + random.integers(-year // 12, year, ROWS), TIMESTAMP),
        }
    )
    return accounts, events


def _project(folder, row_group_size: int):
    accounts, events = _data()
    pq.write_table(accounts, folder / "accounts.parquet")
    # Small row groups: the events are read in many batches.
    pq.write_table(events, folder / "events.parquet", row_group_size=row_group_size)
    return project_from_text(folder, SOURCES + METRICS, {})


def _query(project, **range_):
    return project.query(NAMES, by=["accounts.segment"], grain="month", **range_)


def test_many_batches_give_the_answer_of_one(tmp_path):
    (tmp_path / "many").mkdir()
    (tmp_path / "one").mkdir()
    many = _query(_project(tmp_path / "many", 97), start="2024-01-01", end="2025-01-01")
    one = _query(_project(tmp_path / "one", ROWS), start="2024-01-01", end="2025-01-01")
    assert many.num_rows == 12 * 3
    assert many.equals(one)


def test_streamed_answer_is_that_of_the_whole_source(tmp_path):
    """Without a range the periods come from the data, so the source is read whole: over the
    same periods, the answers agree to the bit."""
    project = _project(tmp_path, 97)
    streamed = _query(project, start="2023-12-01", end="2025-01-01")
    whole = _query(project)
    assert whole.column("month")[0].as_py().isoformat() == "2023-12-01"
    assert streamed.num_rows == whole.num_rows
    assert streamed.equals(whole)


def test_aggregates_of_the_same_values_keep_them_once(tmp_path, monkeypatch):
    """The median, a percentile and the spread of the same amounts keep the amounts once
    (they are put together in row order once, not once each), and still give the answers of
    the source read in one batch; a count and an average with a `where` keep their own."""
    (tmp_path / "many").mkdir()
    (tmp_path / "one").mkdir()
    names = ["middle", "p90", "spread", "mean", "event_count"]
    ranged = {"by": ["accounts.segment"], "grain": "month"}
    ranged |= {"start": "2024-01-01", "end": "2025-01-01"}
    one = _project(tmp_path / "one", ROWS).query(names, **ranged)
    numbered = []
    put_together = streaming._Kept.numbered

    def counted(kept):
        numbered.append(kept.request.name)
        return put_together(kept)

    monkeypatch.setattr(streaming._Kept, "numbered", counted)
    many = _project(tmp_path / "many", 97).query(names, **ranged)
    assert len(numbered) == 2  # the amounts, and the amounts where kind != "c"
    assert many.equals(one)


@pytest.mark.parametrize("threads", ["1", "3"])
def test_budget_refuses_a_query_that_would_hold_more(tmp_path, monkeypatch, threads):
    project = _project(tmp_path, 97)
    monkeypatch.setenv(THREADS_VARIABLE, threads)
    monkeypatch.setenv(MEMORY_VARIABLE, "2KB")
    with pytest.raises(QueryError) as raised:
        _query(project, start="2024-01-01", end="2025-01-01")
    message = str(raised.value)
    assert "source `events`" in message
    assert "2.0 KB" in message
    assert MEMORY_VARIABLE in message


@pytest.mark.parametrize(
    ("setting", "budget"),
    [("", None), ("512MB", 512 << 20), ("1.5 GB", int(1.5 * (1 << 30))), ("4096", 4096)],
)
def test_budget_setting(monkeypatch, setting, budget):
    monkeypatch.setenv(MEMORY_VARIABLE, setting)
    assert memory_budget() == budget


def test_budget_setting_that_is_no_amount_is_refused(monkeypatch):
    monkeypatch.setenv(MEMORY_VARIABLE, "lots")
    with pytest.raises(QueryError, match="not an amount of memory"):
        memory_budget()


@pytest.mark.parametrize("threads", ["2", "3"])
def test_batches_on_threads_give_the_answer_of_one_thread(tmp_path, monkeypatch, threads):
    """Batches grouped side by side are folded in the order they were read: every answer
    (float sums, averages and spreads, medians and percentiles, distinct counts, the first
    and last rows) is the one thread's, to the bit."""
    project = _project(tmp_path, 53)  # about 57 batches
    answers = {}
    for setting in ("1", threads):
        monkeypatch.setenv(THREADS_VARIABLE, setting)
        answers[setting] = _query(project, start="2024-01-01", end="2025-01-01").to_arrow()
    assert answers["1"].num_rows == 12 * 3
    assert answers["1"].equals(answers[threads])


def test_budget_with_threads_counts_every_batch_held(tmp_path, monkeypatch):
    """Threads hold the batches not yet folded: a budget one thread keeps to can be too
    small for three, and the refusal says how many batches it counted."""
    project = _project(tmp_path, 97)
    # A count keeps little: what is held is mostly the batches (97 rows of 2 columns, 1.5 KB
    # each). One thread holds one batch and its counts (2.5 KB at most); three hold four.
    options = {"by": ["accounts.segment"], "grain": "month"}
    options |= {"start": "2024-01-01", "end": "2025-01-01"}
    monkeypatch.setenv(MEMORY_VARIABLE, "4KB")
    monkeypatch.setenv(THREADS_VARIABLE, "1")
    project.query(["event_count"], **options)
    monkeypatch.setenv(THREADS_VARIABLE, "3")
    with pytest.raises(QueryError, match=r"\(4 batches and the values kept"):
        project.query(["event_count"], **options)


@pytest.mark.parametrize(("setting", "threads"), [("1", 1), ("3", 3), (" 2 ", 2)])
def test_threads_setting(monkeypatch, setting, threads):
    monkeypatch.setenv(THREADS_VARIABLE, setting)
    assert scan_threads() == threads


def test_threads_by_default_are_the_cores_up_to_a_few(monkeypatch):
    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    assert 1 <= scan_threads() <= 4


@pytest.mark.parametrize("setting", ["0", "two", "-1", "1.5"])
def test_threads_setting_that_is_no_number_is_refused(monkeypatch, setting):
    monkeypatch.setenv(THREADS_VARIABLE, setting)
    with pytest.raises(QueryError, match="not a number of threads"):
        scan_threads()


def test_streamed_ordered_aggregates_and_parameters_agree_with_duckdb(tmp_path):
    """The aggregates that pick one row (`last`, `max_by`) and a filter reading a parameter
    give, streamed in many batches, what DuckDB gives reading the file whole."""
    project = _project(tmp_path, 97)
    names = ["above_floor", "last_units", "kind_at_most"]
    options = {"by": ["accounts.segment"], "grain": "month", "start": "2024-01-01"}
    options |= {"end": "2025-01-01", "params": {"floor": 80.0}}
    streamed = project.query(names, engine="arrow", **options).to_arrow()
    whole = project.query(names, engine="duckdb", **options).to_arrow()
    assert streamed.num_rows == 12 * 3
    assert streamed.to_pylist() == whole.to_pylist()


@pytest.mark.parametrize(
    ("low", "high", "type_"),
    [
        (0, 300, pa.int64()),  # ids: pairs as integers
        (-(2**31), 2**31 - 1, pa.int32()),  # negative and 32-bit
        (-(2**62), 2**62, pa.int64()),  # too wide for one integer per pair: hashed
    ],
)
def test_streamed_distinct_integers_agree_with_duckdb(tmp_path, low, high, type_):
    """A distinct count of integers (nulls among them) streamed in many batches gives the
    counts DuckDB gives reading the file whole, however wide the integers."""
    random = np.random.default_rng(5)
    count = 2000
    # Few distinct values, each repeated across batches and months.
    pool = random.integers(low, high, 40)
    values = pa.array(random.choice(pool, count), type_, mask=random.random(count) < 0.1)
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    year = 366 * 24 * 3600 * 10**6
    events = pa.table(
        {
            "thing": values,
            "kind": random.choice(["a", "b", None], count),
            "at": pa.array(np.sort(start + random.integers(0, year, count)), TIMESTAMP),
        }
    )
    pq.write_table(events, tmp_path / "events.parquet", row_group_size=61)
    text = """
calendar { timezone "UTC" }
source events from parquet("events.parquet") { time at }
metric things = count_distinct(events.thing)
metric a_things = count_distinct(events.thing where kind == "a")
"""
    project = project_from_text(tmp_path, text, {})
    options = {"by": ["events.kind"], "grain": "month", "start": "2024-01-01", "end": "2025-01-01"}
    streamed = project.query(["things", "a_things"], engine="arrow", **options).to_arrow()
    whole = project.query(["things", "a_things"], engine="duckdb", **options).to_arrow()
    assert streamed.num_rows == 12 * 3
    assert streamed.to_pylist() == whole.to_pylist()


def test_batches_on_threads_see_the_query_calendar(tmp_path, monkeypatch):
    """The threads evaluate formulas in the query's calendar (a context variable a new thread
    does not inherit): weeks starting on Sunday in New York, as on one thread."""
    _, events = _data()
    pq.write_table(events, tmp_path / "events.parquet", row_group_size=97)
    text = """
calendar { timezone "America/New_York"  week_start sunday }
source events from parquet("events.parquet") { time at }
dimension week_of = date_trunc("week", events.at)
metric event_count = count(events)
metric sunday_events = count(events where date_trunc("week", at) == date_trunc("day", at))
"""
    project = project_from_text(tmp_path, text, {})
    options = {"by": ["week_of"], "grain": "month", "start": "2024-01-01", "end": "2025-01-01"}
    answers = {}
    for setting in ("1", "3"):
        monkeypatch.setenv(THREADS_VARIABLE, setting)
        answers[setting] = project.query(["event_count", "sunday_events"], **options).to_arrow()
    # Every week_of is a Sunday (weekday 6): the calendar's, not the default Monday.
    assert {day.weekday() for day in answers["3"].column("week_of").to_pylist()} == {6}
    assert answers["1"].equals(answers["3"])


@pytest.mark.parametrize(("threads", "beside"), [("1", False), ("2", True)])
def test_sources_read_whole_are_read_beside_the_first_batch(tmp_path, monkeypatch, threads, beside):
    """With threads to spare, the accounts (read whole, linked to) are read on another thread
    while the first batch of the events is read: the two files are decoded side by side, and
    the answer is the one thread's."""
    project = _project(tmp_path, 97)
    readers = []
    read_whole = executor.read_source

    def recorded(read, info, timezone):
        readers.append((read.source, threading.get_ident()))
        return read_whole(read, info, timezone)

    monkeypatch.setattr(executor, "read_source", recorded)
    monkeypatch.setenv(THREADS_VARIABLE, threads)
    answer = _query(project, start="2024-01-01", end="2025-01-01").to_arrow()
    assert [source for source, _ in readers] == ["accounts"]
    assert (readers[0][1] != threading.get_ident()) == beside
    monkeypatch.setenv(THREADS_VARIABLE, "1")
    assert answer.equals(_query(project, start="2024-01-01", end="2025-01-01").to_arrow())


@pytest.mark.parametrize("threads", ["1", "2"])
@pytest.mark.parametrize(
    ("bad_accounts", "bad_events", "failing"),
    [(True, True, "accounts"), (True, False, "accounts"), (False, True, "events")],
)
def test_a_source_read_whole_fails_first_as_on_one_thread(
    tmp_path, monkeypatch, threads, bad_accounts, bad_events, failing
):
    """The data errors of the sources read whole come before the first batch's, as when
    they were read before any batch: the same error on threads as on one."""
    accounts, events = _data()
    # Text declared as integers: "smb" and "a" (the events' kinds) are not.
    segments = ["smb" if bad_accounts else "2", *["1"] * 39]
    accounts = accounts.set_column(1, "segment", pa.array(segments))
    if not bad_events:
        events = events.set_column(2, "kind", pa.array(["7"] * ROWS))
    pq.write_table(accounts, tmp_path / "accounts.parquet")
    pq.write_table(events, tmp_path / "events.parquet", row_group_size=97)
    declared = SOURCES.replace("key account_id", "key account_id\n  column segment: integer")
    declared = declared.replace("time at", "time at\n  column kind: integer")
    project = project_from_text(
        tmp_path, declared + "metric kinds = count_distinct(events.kind)", {}
    )
    monkeypatch.setenv(THREADS_VARIABLE, threads)
    with pytest.raises(DataError) as raised:
        project.query(["kinds"], by=["accounts.segment"], start="2024-01-01", end="2025-01-01")
    assert raised.value.source == failing
