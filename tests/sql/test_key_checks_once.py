"""The check that a linked source's key names one row runs once per version of its files in a
process: a query over unchanged files does not run it again, and a file replaced by one whose
key repeats is refused (execute/sql/runner.py, `_UNIQUE_KEYS`)."""

from __future__ import annotations

import metricsmith
import pytest
from metricsmith.errors import DataError

pytest.importorskip("duckdb")
import metricsmith.execute.sql.duckdb_engine as duckdb_engine

DEFINITIONS = """\
source accounts from csv("accounts.csv") {
  key account_id
  column account_id: string
}
source tickets from csv("tickets.csv") {
  entity account_id -> accounts
  time opened_at
}
metric opened = count(tickets)
"""
ACCOUNTS = "account_id,segment\na1,smb\na2,enterprise\n"
TICKETS = "ticket_id,account_id,opened_at\nt1,a1,2024-01-03T00:00:00Z\nt2,a2,2024-01-05T00:00:00Z\n"


def test_a_key_is_checked_once_per_version_of_its_files(tmp_path, monkeypatch):
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "tickets.csv").write_text(TICKETS)
    queries: list[str] = []
    fetch = duckdb_engine.DuckDBEngine.fetch

    def counting(self, query, sources, parameters=duckdb_engine.NO_VALUES):
        queries.append(self.dialect.sql(query))
        return fetch(self, query, sources, parameters)

    monkeypatch.setattr(duckdb_engine.DuckDBEngine, "fetch", counting)

    def opened_by_segment() -> list[tuple[str, int]]:
        project = metricsmith.load_project(tmp_path)
        answer = project.query(["opened"], by=["accounts.segment"], engine="duckdb")
        return sorted((r["accounts.segment"], r["opened"]) for r in answer.to_pylist())

    assert opened_by_segment() == [("enterprise", 1), ("smb", 1)]
    assert opened_by_segment() == [("enterprise", 1), ("smb", 1)]
    key_checks = [q for q in queries if "HAVING" in q]
    assert len(key_checks) == 1
    # The same size, and possibly the same modification time: a2 is now a1 again.
    (tmp_path / "accounts.csv").write_text(ACCOUNTS.replace("a2", "a1"))
    with pytest.raises(DataError, match="key value 'a1' appears more than once"):
        opened_by_segment()


def test_a_key_checked_before_is_found_without_building_its_query(tmp_path, monkeypatch):
    """The check's SQL is kept with the checked project: a query over unchanged definitions and
    files builds no key check at all, while edited definitions build it (and run it) again."""
    import metricsmith.execute.sql.runner as runner

    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    # Unique as written, not in lower case.
    (tmp_path / "accounts.csv").write_text(ACCOUNTS.replace("a2", "A1"))
    (tmp_path / "tickets.csv").write_text(TICKETS)
    built: list[str] = []
    key_query = runner._key_query

    def counting(source, key, plan, compilation):
        built.append(source)
        return key_query(source, key, plan, compilation)

    monkeypatch.setattr(runner, "_key_query", counting)

    def opened_by_segment() -> int:
        project = metricsmith.load_project(tmp_path)
        answer = project.query(["opened"], by=["accounts.segment"], engine="duckdb")
        return len(answer)

    assert opened_by_segment() == 2
    assert built  # checked, once
    built.clear()
    assert opened_by_segment() == 2
    assert built == []
    # An edited key formula over the same files: the edited definitions' key is checked.
    lowered = "column account_id: string\n  column code = lower(account_id)"
    edited = DEFINITIONS.replace("key account_id", "key code")
    (tmp_path / "p.metrics").write_text(edited.replace("column account_id: string", lowered))
    with pytest.raises(DataError, match="key value 'a1' appears more than once"):
        opened_by_segment()
