"""The scorecard as hand-written DuckDB SQL (scorecard.sql) over the Parquet files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

BENCHMARKS_DIR = Path(__file__).resolve().parent
SQL = (BENCHMARKS_DIR / "scorecard.sql").read_text()


def run_scorecard(start: dt.datetime, end: dt.datetime) -> pa.Table:
    """One end-to-end run: a fresh in-memory database reads the files and computes the cells."""
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET file_search_path = ?", [str(BENCHMARKS_DIR)])
        result = connection.sql(SQL, params={"range_start": start, "range_end": end})
        return result.to_arrow_table()
