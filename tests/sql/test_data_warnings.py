"""Suspect data is accepted and reported: rows without a key and validity ranges that end
before they start become `DataWarning`s, with the same counts and first row on every engine,
issued through Python's `warnings` and printed on stderr by the CLI."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import metricsmith
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from metricsmith.cli import main
from metricsmith.errors import DataWarning
from metricsmith.execute import data_warnings

ENGINES = ("arrow", "duckdb")

DEFINITIONS = """
source accounts from csv("accounts.csv") { key id }
source subscriptions from csv("subscriptions.csv") {
  valid from starts to ends
  entity account -> accounts
}
source events from csv("events.csv") {
  time at
  entity account -> accounts
}
metric revenue = sum(events.amount)
metric subscribed = count(subscriptions)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    files = {
        "accounts.csv": "id,segment\n1,a\n,b\n3,a\n,a\n",
        "subscriptions.csv": "account,starts,ends\n1,2024-01-01,2024-03-01\n"
        "3,2024-03-01,2024-02-01\n3,2024-04-01,\n",
        "events.csv": "at,account,amount\n2024-01-05,1,5\n2024-02-05,3,6\n",
        "p.metrics": DEFINITIONS,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path / "p.metrics"


def _query(path: Path, engine: str) -> list[DataWarning]:
    project = metricsmith.load_project(path)
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        project.query(
            ["revenue", "subscribed"],
            by=["accounts.segment"],
            grain="month",
            start="2024-01",
            end="2024-04",
            engine=engine,
        )
    return [w.message for w in recorded if issubclass(w.category, DataWarning)]


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_without_a_key_and_reversed_validity_are_counted(project, engine):
    no_key, reversed_ = sorted(_query(project, engine), key=lambda w: w.source)
    assert (no_key.source, no_key.column, no_key.count, no_key.row) == ("accounts", "id", 2, 2)
    assert "2 rows have no key (the first is row 2)" in str(no_key)
    assert (reversed_.source, reversed_.column, reversed_.count, reversed_.row) == (
        "subscriptions",
        "ends",
        1,
        2,
    )
    assert "1 row has `ends` before `starts` (the first is row 2:" in str(reversed_)
    assert reversed_.hint.startswith("such a row is in force in no period")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_negative_difference_of_two_times_is_counted(tmp_path, engine):
    (tmp_path / "tickets.csv").write_text(
        "opened,resolved\n2024-01-02T10:00:00Z,2024-01-02T12:00:00Z\n"
        "2024-01-03T10:00:00Z,2024-01-03T09:00:00Z\n2024-01-04T10:00:00Z,\n"
    )
    (tmp_path / "p.metrics").write_text(
        'source tickets from csv("tickets.csv") { time opened }\n'
        "metric hours = avg(hours_between(tickets.opened, tickets.resolved))\n"
        "metric late = count(tickets where tickets.resolved - tickets.opened > 1 hours)\n"
        "metric opened = count(tickets)\n"
    )
    project = metricsmith.load_project(tmp_path / "p.metrics")
    with pytest.warns(DataWarning) as recorded:
        project.query(["hours", "late"], grain=None, engine=engine)
    (warning,) = [w.message for w in recorded]  # one per pair of columns
    assert (warning.column, warning.count, warning.row) == ("resolved", 1, 2)
    assert "1 row has `resolved` before `opened` (the first is row 2:" in str(warning)
    assert warning.hint.startswith(
        "`hours_between(opened, resolved)` and `resolved - opened` are negative for such a row"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        project.query(["opened"], grain=None, engine=engine)  # reads no difference


def test_clean_data_and_unread_columns_warn_about_nothing(project, tmp_path):
    (tmp_path / "accounts.csv").write_text("id,segment\n1,a\n3,a\n")
    (tmp_path / "subscriptions.csv").write_text("account,starts,ends\n1,2024-01-01,\n")
    assert _query(project, "arrow") == []
    # A query that reads neither the key nor the validity does not look at them.
    (tmp_path / "accounts.csv").write_text("id,segment\n,a\n")
    plain = metricsmith.load_project(project)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        plain.query(["revenue"], grain=None)


def test_the_cli_prints_data_warnings_on_stderr(project, capsys):
    arguments = ["query", str(project), "revenue", "--by", "accounts.segment"]
    assert main([*arguments, "--from", "2024-01", "--to", "2024-03"]) == 0
    out, err = capsys.readouterr()
    assert "data warning in source `accounts`" in err
    assert "2 rows have no key" in err
    assert "data warning" not in out


@pytest.mark.parametrize("engine", ENGINES)
def test_a_source_read_in_batches_counts_rows_across_them(tmp_path, engine):
    """A Parquet source is checked a row group at a time: the counts add up over the groups
    and the first row is counted from the start of the file, not of its group."""
    # 5 row groups of 4 rows; ids null at rows 10 and 19 (1-based), in groups 3 and 5.
    ids = [None if row in (10, 19) else row for row in range(1, 21)]
    pq.write_table(
        pa.table({"id": pa.array(ids, pa.int64())}), tmp_path / "a.parquet", row_group_size=4
    )
    (tmp_path / "p.metrics").write_text(
        'source accounts from parquet("a.parquet") { key id }\nmetric accounts = count(accounts)\n'
    )
    project = metricsmith.load_project(tmp_path / "p.metrics")
    with pytest.warns(DataWarning) as recorded:
        project.query(["accounts"], grain=None, engine=engine)
    (warning,) = [w.message for w in recorded]
    assert (warning.column, warning.count, warning.row) == ("id", 2, 10)


TWO_TIMELINES = """
source tickets from parquet("t.parquet") { time opened {declared} }
source resolved_tickets from parquet("t.parquet") { time resolved {declared} }
metric response = avg(hours_between(tickets.opened, tickets.answered))
metric resolution = avg(hours_between(tickets.opened, tickets.resolved))
metric resolved_in = avg(hours_between(resolved_tickets.opened, resolved_tickets.resolved))
"""


@pytest.mark.parametrize("declared", ["", "column contacts: integer"])
def test_sources_over_one_file_are_checked_in_one_read_each_warned_about(
    tmp_path, monkeypatch, declared
):
    """Two sources over one file (a table by two timelines) with the same declared types are
    read once for the checks of both, and each source still gets its own warnings; with
    different declared types, each is read for itself."""
    at = [dt.datetime(2024, 1, d, 10, tzinfo=dt.UTC) for d in range(1, 5)]
    hour = dt.timedelta(hours=1)
    pq.write_table(
        pa.table(
            {
                "opened": at,
                # Answered before opened at rows 2 and 4; resolved before opened at row 3.
                "answered": [at[0] + hour, at[1] - hour, at[2] + hour, at[3] - hour],
                "resolved": [at[0] + 2 * hour, at[1] + hour, at[2] - hour, None],
                "contacts": [1, 2, 1, 1],
            }
        ),
        tmp_path / "t.parquet",
        row_group_size=2,
    )
    text = TWO_TIMELINES.replace("{declared}", declared, 1).replace("{declared}", "")
    (tmp_path / "p.metrics").write_text(text)
    reads = []
    original = data_warnings._batches
    monkeypatch.setattr(
        data_warnings, "_batches", lambda read, *rest: reads.append(read) or original(read, *rest)
    )
    project = metricsmith.load_project(tmp_path / "p.metrics")
    with pytest.warns(DataWarning) as recorded:
        project.query(["response", "resolution", "resolved_in"], grain=None)
    found = sorted(
        (w.message.source, w.message.column, w.message.count, w.message.row) for w in recorded
    )
    assert found == [
        ("resolved_tickets", "resolved", 1, 3),
        ("tickets", "answered", 2, 2),
        ("tickets", "resolved", 1, 3),
    ]
    assert len(reads) == (2 if declared else 1)


def test_unchanged_files_are_not_read_again_for_the_warnings(project, monkeypatch):
    """A process querying the same files again counts from what it read the first time, and
    reads them again once they change (execute/data_warnings.py, `_TALLIES`)."""
    reads: list[str] = []
    batches = data_warnings.read_source_batches

    def counting(read, info, timezone):
        reads.append(read.source)
        return batches(read, info, timezone)

    monkeypatch.setattr(data_warnings, "read_source_batches", counting)
    first = sorted((w.source, w.count) for w in _query(project, "arrow"))
    again = sorted((w.source, w.count) for w in _query(project, "arrow"))
    assert first == again == [("accounts", 2), ("subscriptions", 1)]
    assert sorted(reads) == ["accounts", "subscriptions"]  # events has nothing to check
    # The same size: one key filled in.
    (project.parent / "accounts.csv").write_text("id,segment\n1,a\n2,b\n3,a\n,a\n")
    changed = sorted((w.source, w.count) for w in _query(project, "arrow"))
    assert changed == [("accounts", 1), ("subscriptions", 1)]
    assert sorted(reads) == ["accounts", "accounts", "subscriptions"]
