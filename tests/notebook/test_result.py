"""A query result is the Arrow table for code: its methods, `len`, indexing, equality, the
Arrow stream protocol, and conversions to pandas and polars."""

from __future__ import annotations

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from metricsmith import Project
from metricsmith.present.result import QueryResult
from notebook_project import METRICS


@pytest.fixture
def result(project: Project) -> QueryResult:
    return project.query(METRICS, grain="month", start="2024-01", end="2024-04")


def test_a_result_behaves_as_its_arrow_table(result: QueryResult) -> None:
    table = result.to_arrow()
    assert isinstance(table, pa.Table)
    assert result.num_rows == len(result) == 3
    assert result.column_names == ["month", *METRICS]
    assert result["tickets_opened"].to_pylist() == [3, 2, 3]
    assert result.column(2).to_pylist() == pytest.approx([5 / 3, 3.0, 8 / 3])
    assert result.schema == table.schema
    assert result.to_pylist() == table.to_pylist()
    assert {"num_rows", "to_pylist", "to_polars", "chart"} <= set(dir(result))


def test_a_result_equals_its_table_both_ways(result: QueryResult, project: Project) -> None:
    table = result.to_arrow()
    assert result == table
    assert table == result
    assert result.equals(table)
    assert result == project.query(METRICS, grain="month", start="2024-01", end="2024-04")
    assert result != table.slice(1)
    assert result != "a table"


def test_arrow_consumers_take_a_result_as_it_is(result: QueryResult) -> None:
    assert pa.table(result).equals(result.to_arrow())
    assert pl.DataFrame(result).shape == (3, 3)
    assert duckdb.sql("select sum(tickets_opened) from result").fetchall() == [(8,)]


def test_to_pandas_and_to_polars(result: QueryResult) -> None:
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["tickets_opened"]) == [3, 2, 3]
    polars_frame = result.to_polars()
    assert isinstance(polars_frame, pl.DataFrame)
    assert polars_frame["tickets_opened"].to_list() == [3, 2, 3]


def test_transforming_a_result_gives_a_plain_table(result: QueryResult) -> None:
    sliced = result.slice(0, 1)
    assert isinstance(sliced, pa.Table)
    assert sliced.num_rows == 1


def test_the_text_is_the_tables(result: QueryResult) -> None:
    assert str(result) == str(result.to_arrow())
    assert repr(result) == repr(result.to_arrow())


def test_a_result_knows_its_columns(project: Project) -> None:
    result = project.query(METRICS, grain="month", by=["segment"], start="2024-01", end="2024-02")
    assert result.keys == ["month", "segment"]
    assert result.grain == "month"
    assert result.heading("segment") == "Customer <segment>"
    assert result.key_texts("month") == ["2024-01", "2024-01"]
    assert [m.label for m in result.metrics] == ["Tickets opened", "Contacts <per> ticket & co"]


def test_a_result_without_periods_has_no_grain(project: Project) -> None:
    result = project.query(["tickets_opened"], start="2024-01", end="2024-04")
    assert result.keys == []
    assert result.grain is None
    assert result["tickets_opened"].to_pylist() == [8]
