"""Run a hand-written DuckDB query file the way every benchmark does: a fresh in-memory
database per run, the session in UTC, relative file paths resolved from the benchmarks folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

BENCHMARKS_DIR = Path(__file__).resolve().parent


def run_sql_file(name: str, params: dict[str, object]) -> pa.Table:
    """One end-to-end run of benchmarks/`name`: read the files, compute, fetch as Arrow."""
    sql = (BENCHMARKS_DIR / name).read_text()
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET file_search_path = ?", [str(BENCHMARKS_DIR)])
        return connection.sql(sql, params=params).to_arrow_table()
