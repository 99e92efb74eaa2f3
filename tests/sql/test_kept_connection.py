"""DuckDB queries in one thread share one connection, kept from the first (execute/sql/
duckdb_engine.py, `_kept_connection`): it keeps nothing of a query's data for the next one (a
file rewritten between two queries is read afresh, the tables a query registered are gone),
and a query that fails leaves the next one a fresh connection. It keeps the relation of each
query text it ran, which reads the files afresh each time it runs."""

from __future__ import annotations

import concurrent.futures
import os

import metricsmith
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from metricsmith.errors import DataError

pytest.importorskip("duckdb")
import duckdb
import metricsmith.execute.sql.duckdb_engine as duckdb_engine

DEFINITIONS = """\
source tickets from parquet("tickets.parquet") {
  time opened_at
  column minutes: int
}
metric opened = count(tickets)
metric minutes = sum(tickets.minutes)
"""
QUERY = {"grain": "month", "start": "2024-01-01", "end": "2024-02-01", "engine": "duckdb"}


def _tickets(minutes: list[int]) -> pa.Table:
    opened = pa.array([f"2024-01-0{day}T00:00:00Z" for day in range(1, len(minutes) + 1)]).cast(
        pa.timestamp("us", tz="UTC")
    )
    return pa.table({"opened_at": opened, "minutes": pa.array(minutes, pa.int64())})


@pytest.fixture
def connections(monkeypatch) -> list[object]:
    """The connections DuckDB opens, from a fresh start of this thread's kept one."""
    duckdb_engine._drop_kept_connection()
    opened: list[object] = []
    connect = duckdb.connect

    def recording(*args, **kwargs):
        opened.append(connection := connect(*args, **kwargs))
        return connection

    monkeypatch.setattr(duckdb, "connect", recording)
    return opened


def test_a_file_rewritten_between_two_queries_is_read_again(tmp_path, connections):
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    path = tmp_path / "tickets.parquet"
    pq.write_table(_tickets([10, 20]), path)

    def minutes() -> list[int]:
        return metricsmith.load_project(tmp_path).query(["minutes"], **QUERY)["minutes"]

    assert minutes().to_pylist() == [30]  # 10 + 20
    before = path.stat()
    # The same size and modification time, other values: nothing but the bytes tell them apart.
    pq.write_table(_tickets([11, 21]), path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert minutes().to_pylist() == [32]  # 11 + 21
    assert len(connections) == 1


def _kept_relations() -> list[object]:
    return list(duckdb_engine._kept.relations.values())


def test_a_repeated_query_runs_its_kept_relation(tmp_path, connections):
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    pq.write_table(_tickets([10, 20]), tmp_path / "tickets.parquet")
    answers = [
        metricsmith.load_project(tmp_path).query(["minutes"], **QUERY)["minutes"].to_pylist()
        for _ in range(3)
    ]
    assert answers == [[30]] * 3
    [relation] = _kept_relations()
    assert relation.type == "QUERY_RELATION"  # runs its text afresh, not rows held


def test_the_kept_relation_reads_a_file_rewritten_with_other_columns(tmp_path, connections):
    """The project is not loaded again, so the text and its relation stay the same; what the
    relation read when it was made (the file's columns, their order and types) is read again
    each time it runs."""
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    path = tmp_path / "tickets.parquet"
    pq.write_table(_tickets([10, 20]), path)
    project = metricsmith.load_project(tmp_path)

    def minutes(engine: str = "duckdb") -> list[int]:
        return project.query(["minutes"], **{**QUERY, "engine": engine})["minutes"].to_pylist()

    assert minutes() == [30]
    [kept] = _kept_relations()
    tickets = _tickets([1, 2, 4])
    rewritten = pa.table(
        {
            "note": pa.array(["a", "b", "c"]),
            "minutes": tickets["minutes"].cast(pa.int32()),
            "opened_at": tickets["opened_at"],
        }
    )
    pq.write_table(rewritten, path)
    assert minutes() == minutes("arrow") == [7]  # 1 + 2 + 4
    assert _kept_relations() == [kept]


def test_a_query_leaves_no_table_registered(tmp_path, connections):
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    tables = {"tickets": _tickets([10, 20, 30])}
    project = metricsmith.load_project(tmp_path, tables=tables)
    assert project.query(["opened"], **QUERY)["opened"].to_pylist() == [3]
    assert project.query(["opened"], **QUERY)["opened"].to_pylist() == [3]
    [connection] = connections
    assert connection.execute("SHOW TABLES").fetchall() == []
    # Its text names the table registered for it, which the next query registers anew.
    assert _kept_relations() == []


def test_a_failed_query_leaves_the_next_one_a_fresh_connection(tmp_path, connections):
    linked = DEFINITIONS.replace(
        "time opened_at", "entity account_id -> accounts\n  time opened_at"
    )
    (tmp_path / "p.metrics").write_text(
        linked + 'source accounts from csv("accounts.csv") {\n  key account_id\n}\n'
    )
    tickets = _tickets([10]).append_column("account_id", pa.array(["a1"]))
    pq.write_table(tickets, tmp_path / "tickets.parquet")
    (tmp_path / "accounts.csv").write_text("account_id,segment\na1,smb\na1,enterprise\n")
    by_segment = {**QUERY, "by": ["accounts.segment"]}
    with pytest.raises(DataError, match="appears more than once"):
        metricsmith.load_project(tmp_path).query(["opened"], **by_segment)
    (tmp_path / "accounts.csv").write_text("account_id,segment\na1,smb\na2,enterprise\n")
    answer = metricsmith.load_project(tmp_path).query(["opened"], **by_segment)
    assert answer.to_pylist() == [
        {"month": answer["month"][0].as_py(), "accounts.segment": "smb", "opened": 1}
    ]
    assert len(connections) == 2


def test_each_thread_keeps_a_connection_of_its_own(tmp_path, connections):
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    pq.write_table(_tickets([10, 20]), tmp_path / "tickets.parquet")
    project = metricsmith.load_project(tmp_path)

    def opened() -> int:
        return project.query(["opened"], **QUERY)["opened"].to_pylist()[0]

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as other:
        assert [opened(), other.submit(opened).result(), opened()] == [2, 2, 2]
        assert other.submit(opened).result() == 2
    assert len(connections) == 2


class _Recording:
    """A connection that records the statements run on it."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def execute(self, statement: str) -> None:
        self.statements.append(statement)


@pytest.mark.parametrize(
    ("since", "now", "given_back"),
    [
        (100 * 2**20, 100 * 2**20 + duckdb_engine._MEMORY_KEPT, False),  # a small query's
        (100 * 2**20, 101 * 2**20 + duckdb_engine._MEMORY_KEPT, True),  # a big one's
        (None, 100 * 2**20, True),  # the size unknown: always
    ],
)
def test_a_query_gives_duckdb_memory_back_when_the_process_grew_more_than_a_little(
    monkeypatch, since, now, given_back
):
    """DuckDB keeps a query's memory for the next one, which takes it again faster: kept while
    the process has grown by no more than `_MEMORY_KEPT` since the memory was last given back."""
    monkeypatch.setattr(duckdb_engine._kept, "resident", since, raising=False)
    monkeypatch.setattr(duckdb_engine, "resident_bytes", lambda: now)
    connection = _Recording()
    duckdb_engine._give_back_memory(connection)
    assert bool(connection.statements) == given_back
    # Given back, the process's size then is where the next growth counts from.
    assert duckdb_engine._kept.resident == (now if given_back else since)


def test_the_process_size_is_known_on_linux():
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("only Linux says the resident memory in a file")
    resident = duckdb_engine.resident_bytes()
    assert resident is not None and resident > 0
