"""Helpers for executor tests: definitions as text, data as in-memory Arrow tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")


def project_from_text(folder: Path, text: str, tables: dict[str, pa.Table]) -> metricsmith.Project:
    path = folder / "test.metrics"
    path.write_text(text)
    return metricsmith.load_project(path, tables=tables)


def utc(*fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=dt.UTC)


def stamps(*instants: dt.datetime | None) -> pa.Array:
    return pa.array(instants, TIMESTAMP)


def rows(table: pa.Table) -> list[tuple]:
    """The table as tuples, for compact comparisons."""
    return [tuple(row.values()) for row in table.to_pylist()]
