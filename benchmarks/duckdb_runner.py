"""Run a hand-written DuckDB query file the way every benchmark does: on one in-memory database
kept by the process, the session in UTC, relative file paths resolved from the benchmarks
folder.

The connection is kept because metricsmith's DuckDB engine keeps one per thread (opening one
costs about 26 ms of CPU, half of a small family's query): both sides pay it once, in their
warm-up run. As metricsmith does, the memory a run's buffers held is handed back after it unless
it is little (`keeps_memory`), so the engine timed next does not start where DuckDB left it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
from metricsmith.execute.sql.duckdb_engine import keeps_memory, resident_bytes

BENCHMARKS_DIR = Path(__file__).resolve().parent
_KEPT: list[duckdb.DuckDBPyConnection] = []
#: The process's resident memory when the kept connection last handed its memory back.
_GIVEN_BACK_AT: list[int | None] = [None]


def _connection() -> duckdb.DuckDBPyConnection:
    if not _KEPT:
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET file_search_path = ?", [str(BENCHMARKS_DIR)])
        _KEPT.append(connection)
        _GIVEN_BACK_AT[0] = resident_bytes()
    return _KEPT[0]


def run_sql_file(name: str, params: dict[str, object]) -> pa.Table:
    """One end-to-end run of benchmarks/`name`: read the files, compute, fetch as Arrow."""
    sql = (BENCHMARKS_DIR / name).read_text()
    connection = _connection()
    try:
        return connection.sql(sql, params=params).to_arrow_table()
    finally:
        if not keeps_memory(_GIVEN_BACK_AT[0]):
            connection.execute("SET memory_limit = '1MB'")
            connection.execute("RESET memory_limit")
            _GIVEN_BACK_AT[0] = resident_bytes()
