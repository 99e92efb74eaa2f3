"""Helpers for the SQL compiler's tests: projects from text over in-memory tables, and every
query run on the Arrow executor and on DuckDB."""

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
    return [tuple(row.values()) for row in table.to_pylist()]


def on_both(project: metricsmith.Project, metrics: list[str], **query) -> pa.Table:
    """The DuckDB answer, after checking it is the Arrow executor's answer."""
    from agreement import differences

    reference = project.query(metrics, engine="arrow", **query)
    answer = project.query(metrics, engine="duckdb", **query)
    problems = differences(reference, answer)
    assert not problems, "\n".join(problems)
    return answer
