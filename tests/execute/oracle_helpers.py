"""Helpers for comparing time-intelligence results with hand-written DuckDB SQL on random data:
ranges of whole periods, a project over in-memory tables, and value comparison."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import metricsmith
import pyarrow as pa
from hypothesis import strategies as st

#: DuckDB's interval for one period of each grain.
STEPS = {"day": "1 day", "week": "7 days", "month": "1 month"}
ZONES = ["UTC", "Europe/Berlin", "America/New_York"]


def whole_periods(grain: str, week_start: str, first: dt.date, count: int):
    """`count` periods of `grain` from the one containing `first`: (start, end) local dates."""
    if grain == "day":
        return first, first + dt.timedelta(days=count)
    if grain == "week":
        start_day = 0 if week_start == "monday" else 6
        start = first - dt.timedelta(days=(first.weekday() - start_day) % 7)
        return start, start + dt.timedelta(days=7 * count)
    start = first.replace(day=1)
    index = start.year * 12 + start.month - 1 + count
    return start, dt.date(index // 12, index % 12 + 1, 1)


def periods_back(grain: str, day: dt.date, count: int) -> dt.date:
    if grain == "day":
        return day - dt.timedelta(days=count)
    if grain == "week":
        return day - dt.timedelta(days=7 * count)
    index = day.year * 12 + day.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)


def instants_between(start: dt.datetime, end: dt.datetime):
    """Instants in [start, end), to the second; a third of them at a midnight and a third on
    the first of a month (UTC), where periods begin and boundary cases live."""
    span = int((end - start).total_seconds())
    seconds = st.integers(0, span - 1).map(lambda s: start + dt.timedelta(seconds=s))
    days = st.integers(0, span // 86400 - 1).map(lambda d: start + dt.timedelta(days=d))
    midnights = days.map(lambda day: day.replace(hour=0, minute=0, second=0))
    firsts = [
        day for day in (start + dt.timedelta(days=d) for d in range(span // 86400)) if day.day == 1
    ]
    month_starts = st.sampled_from([day.replace(hour=0, minute=0, second=0) for day in firsts])
    return st.one_of(seconds, midnights, month_starts) if firsts else st.one_of(seconds, midnights)


def load(text: str, tables: dict[str, pa.Table]) -> metricsmith.Project:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.metrics"
        path.write_text(text)
        return metricsmith.load_project(path, tables=tables)


def local(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))


def duckdb_rows(sql: str, tables: dict[str, pa.Table], params: dict) -> list[dict]:
    connection = duckdb.connect()
    for name, table in tables.items():
        connection.register(name, table)
    result = connection.sql(sql, params=params)
    names = result.columns
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def same(ours, theirs) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9)
