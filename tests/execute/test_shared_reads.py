"""Sources over the same data (one file declared twice, with its own time column each) are
read once when the Arrow engine reads them in batches (execute/data/reading.py,
`read_shared_batches`): each source gets the rows its own read would give, so the cells are
those of separate reads, to the bit."""

# Arrow only: how the Arrow executor reads; the SQL engines read the files in place.

from __future__ import annotations

import shutil

import metricsmith.execute.data.reading as reading
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from execute_helpers import TIMESTAMP, project_from_text
from metricsmith.execute.arrow.streaming import THREADS_VARIABLE

DEFINITIONS = """
calendar { timezone "UTC" }
source accounts from parquet("accounts.parquet") {
  key account_id
}
source tickets from parquet("tickets.parquet") {
  entity account_id -> accounts
  time opened_at
}
source resolved_tickets from parquet("RESOLVED.parquet") {
  entity account_id -> accounts
  time resolved_at
}
metric opened = count(tickets)
metric resolved = count(resolved_tickets)
metric opening_accounts = count_distinct(tickets.account_id)
metric hours = sum(tickets.hours)
metric resolution_hours = avg(resolved_tickets.hours)
metric middle = median(resolved_tickets.hours)
metric p90 = percentile(tickets.hours, 0.9)
"""
NAMES = ["opened", "resolved", "opening_accounts", "hours", "resolution_hours", "middle", "p90"]
ROWS = 2000


def _write(folder) -> None:
    random = np.random.default_rng(11)
    pq.write_table(pa.table({"account_id": np.arange(30)}), folder / "accounts.parquet")
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    year = 366 * 24 * 3600 * 10**6
    opened = start + random.integers(-year // 6, year, ROWS)
    # Resolved after opening, some past the range's end, some not yet (null).
    resolved = opened + random.integers(0, year // 4, ROWS)
    tickets = pa.table(
        {
            "account_id": random.integers(0, 35, ROWS),
            "opened_at": pa.array(opened, TIMESTAMP),
            "resolved_at": pa.array(resolved, TIMESTAMP, mask=random.random(ROWS) < 0.1),
            "hours": pa.array(random.gamma(2.0, 7.5, ROWS), mask=random.random(ROWS) < 0.05),
        }
    )
    # Small row groups: many batches.
    pq.write_table(tickets, folder / "tickets.parquet", row_group_size=89)


def _project(folder, resolved_file: str):
    _write(folder)
    if resolved_file != "tickets":
        shutil.copy(folder / "tickets.parquet", folder / f"{resolved_file}.parquet")
    return project_from_text(folder, DEFINITIONS.replace("RESOLVED", resolved_file), {})


@pytest.fixture
def reads(monkeypatch):
    """The tickets' files the batch reader opens, one entry per read (the accounts' key is
    checked in batches too)."""
    opened: list[str] = []
    for name in ("read_batches", "read_batches_in_any"):
        monkeypatch.setattr(reading, name, _counting(getattr(reading, name), opened))
    return opened


def _counting(read, opened: list[str]):
    def counted(reader, columns, time_ranges):
        name = reader.location.rsplit("/", 1)[-1]
        if name != "accounts.parquet":
            opened.append(name)
        return read(reader, columns, time_ranges)

    return counted


@pytest.mark.parametrize("threads", ["1", "2"])
def test_sources_over_one_file_read_once_give_the_cells_of_separate_reads(
    tmp_path, monkeypatch, reads, threads
):
    monkeypatch.setenv(THREADS_VARIABLE, threads)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    options = {"by": ["accounts.account_id"], "grain": "month"}
    options |= {"start": "2024-01-01", "end": "2025-01-01"}
    shared = _project(tmp_path / "one", "tickets").query(NAMES, **options).to_arrow()
    assert reads == ["tickets.parquet"]
    separate = _project(tmp_path / "two", "copy").query(NAMES, **options).to_arrow()
    assert reads[1:] == ["tickets.parquet", "copy.parquet"]
    assert shared.num_rows == 12 * 31  # 30 accounts and the tickets naming none
    assert shared.equals(separate)


def test_sources_over_one_file_without_a_range_read_once(tmp_path, reads):
    """Without a grain or range every row is read: one read, one cell, as read apart."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    shared = _project(tmp_path / "one", "tickets").query(NAMES).to_arrow()
    separate = _project(tmp_path / "two", "copy").query(NAMES).to_arrow()
    assert reads == ["tickets.parquet", "tickets.parquet", "copy.parquet"]
    assert shared.column("opened").to_pylist() == [ROWS]
    assert shared.equals(separate)


def test_sources_declaring_other_types_are_read_apart(tmp_path, reads):
    """A column declared with a type in one source only: the reads differ, so each source
    reads the file itself."""
    _write(tmp_path)
    text = DEFINITIONS.replace("RESOLVED", "tickets").replace(
        "  time resolved_at\n", "  time resolved_at\n  column hours: decimal\n"
    )
    project = project_from_text(tmp_path, text, {})
    project.query(["opened", "resolved"], grain="month", start="2024-01-01", end="2025-01-01")
    assert reads == ["tickets.parquet", "tickets.parquet"]


def test_sources_over_one_file_in_other_ranges_read_what_either_needs(tmp_path, reads):
    """Ranges on two time columns: the file is read once, keeping the rows in either range;
    each source's cells are those of its own read."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    options = {"grain": "month", "start": "2024-03-01", "end": "2024-06-01"}
    shared = _project(tmp_path / "one", "tickets").query(NAMES, **options).to_arrow()
    separate = _project(tmp_path / "two", "copy").query(NAMES, **options).to_arrow()
    assert reads == ["tickets.parquet", "tickets.parquet", "copy.parquet"]
    assert shared.num_rows == 3
    assert shared.equals(separate)


def test_sources_over_one_file_read_whole_each_read_themselves(tmp_path):
    """A file read whole (CSV is checked whole, not in batches): each source reads it."""
    _write(tmp_path)
    pq.read_table(tmp_path / "tickets.parquet").to_pandas().to_csv(
        tmp_path / "tickets.csv", index=False
    )
    text = DEFINITIONS.replace("RESOLVED", "tickets")
    text = text.replace('parquet("tickets.parquet")', 'csv("tickets.csv")')
    project = project_from_text(tmp_path, text, {})
    options = {"grain": "month", "start": "2024-01-01", "end": "2025-01-01"}
    answer = project.query(["opened", "resolved"], **options).to_arrow()
    opened = pq.read_table(tmp_path / "tickets.parquet").column("opened_at").to_numpy()
    # Tickets opened in 2024, by month: 12 months summing to those opened in the year.
    in_year = (opened >= np.datetime64("2024-01-01")) & (opened < np.datetime64("2025-01-01"))
    assert sum(answer.column("opened").to_pylist()) == int(in_year.sum())
    assert answer.num_rows == 12
