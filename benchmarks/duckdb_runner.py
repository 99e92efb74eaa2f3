"""Run a hand-written DuckDB query file the way every benchmark does: on one in-memory database
kept by the process, the session in UTC, relative file paths resolved from the benchmarks
folder.

The connection is kept because metricsmith's DuckDB engine keeps one per thread (opening one
costs about 26 ms of CPU, half of a small family's query): both sides pay it once, in their
warm-up run. As metricsmith does, the memory a run's buffers held is handed back after it, so
the engine timed next does not start where DuckDB left it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

BENCHMARKS_DIR = Path(__file__).resolve().parent
_KEPT: list[duckdb.DuckDBPyConnection] = []


def _connection() -> duckdb.DuckDBPyConnection:
    if not _KEPT:
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET file_search_path = ?", [str(BENCHMARKS_DIR)])
        _KEPT.append(connection)
    return _KEPT[0]


def run_sql_file(name: str, params: dict[str, object]) -> pa.Table:
    """One end-to-end run of benchmarks/`name`: read the files, compute, fetch as Arrow."""
    sql = (BENCHMARKS_DIR / name).read_text()
    connection = _connection()
    try:
        return connection.sql(sql, params=params).to_arrow_table()
    finally:
        connection.execute("SET memory_limit = '1MB'")
        connection.execute("RESET memory_limit")
