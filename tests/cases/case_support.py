"""Helpers for the published-example cases: tiny Arrow tables and one-row queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import metricsmith
import pyarrow as pa

DEFS_DIR = Path(__file__).parent / "defs"
TIMESTAMP = pa.timestamp("us", tz="UTC")


def at(month: int, day: int = 1, hour: int = 12) -> dt.datetime:
    """A moment in 2024, UTC."""
    return dt.datetime(2024, month, day, hour, tzinfo=dt.UTC)


def stamps(count: int, month: int = 1) -> pa.Array:
    """`count` distinct moments inside one month, an hour apart."""
    start = at(month, 1, 0)
    return pa.array([start + dt.timedelta(hours=n) for n in range(count)], TIMESTAMP)


def survey(scores: Sequence[int | None], time_column: str = "responded_at") -> pa.Table:
    """A survey table: one row per response, `score` null where the answer was skipped."""
    return pa.table({time_column: stamps(len(scores)), "score": pa.array(scores, pa.int64())})


def load_case(defs_file: str, **tables: pa.Table) -> metricsmith.Project:
    return metricsmith.load_project(DEFS_DIR / defs_file, tables=tables)


def whole_table(
    project: metricsmith.Project, metrics: Sequence[str], engine: str
) -> dict[str, object]:
    """The metrics over every row of the tables: no grain, no range, so exactly one row."""
    table = project.query(list(metrics), engine=engine)
    assert table.num_rows == 1
    return table.to_pylist()[0]
