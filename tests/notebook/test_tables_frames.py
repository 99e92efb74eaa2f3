"""`tables=` takes pandas and polars frames, and anything speaking the Arrow stream
protocol, as well as Arrow tables; one that cannot be converted is an error naming its
source."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from metricsmith import DataError, load_project

TICKETS = {
    "ticket_id": ["t1", "t2", "t3"],
    "account_id": ["a1", "a1", "a2"],
    "opened_at": pd.to_datetime(
        ["2024-01-03T09:00:00Z", "2024-01-10T09:00:00Z", "2024-02-02T09:00:00Z"]
    ),
    "contacts": [1, 3, 2],
}
ACCOUNTS = {"account_id": ["a1", "a2"], "segment": ["SMB", "Enterprise"]}


class _Stream:
    """Not a table of any library: only the Arrow stream protocol."""

    def __init__(self, table: pa.Table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self._table.__arrow_c_stream__(requested_schema)


def _tickets_per_month(project_path: Path, tables: dict[str, object]) -> list[int]:
    project = load_project(project_path, tables=tables)
    return project.query(["tickets_opened"], grain="month", start="2024-01", end="2024-03")[
        "tickets_opened"
    ].to_pylist()


def test_pandas_frames(project_path: Path) -> None:
    tables = {"tickets": pd.DataFrame(TICKETS), "accounts": pd.DataFrame(ACCOUNTS)}
    assert _tickets_per_month(project_path, tables) == [2, 1]


def test_polars_frames(project_path: Path) -> None:
    tables = {"tickets": pl.DataFrame(TICKETS), "accounts": pl.DataFrame(ACCOUNTS)}
    assert _tickets_per_month(project_path, tables) == [2, 1]


def test_anything_with_the_arrow_stream_protocol(project_path: Path) -> None:
    tickets = _Stream(pa.Table.from_pandas(pd.DataFrame(TICKETS)))
    assert _tickets_per_month(project_path, {"tickets": tickets}) == [2, 1]


def test_a_frame_that_cannot_be_converted_names_its_source(project_path: Path) -> None:
    mixed = pd.DataFrame({**TICKETS, "contacts": [1, "two", 3.5]})
    with pytest.raises(DataError) as raised:
        load_project(project_path, tables={"tickets": mixed})
    assert raised.value.source == "tickets"
    assert "DataFrame given for `tickets`" in str(raised.value)
    assert "contacts" in str(raised.value)


def test_something_that_is_no_table_names_its_source(project_path: Path) -> None:
    with pytest.raises(DataError) as raised:
        load_project(project_path, tables={"tickets": [1, 2, 3]})
    assert raised.value.source == "tickets"
    assert "the list given for `tickets` is not a table" in str(raised.value)
