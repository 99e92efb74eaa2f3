"""The scorecard as hand-written DuckDB SQL (scorecard.sql) over the Parquet files."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from duckdb_runner import run_sql_file


def run_scorecard(start: dt.datetime, end: dt.datetime) -> pa.Table:
    """One end-to-end run: a fresh in-memory database reads the files and computes the cells."""
    return run_sql_file("scorecard.sql", {"range_start": start, "range_end": end})
