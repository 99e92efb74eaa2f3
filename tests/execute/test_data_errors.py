"""Bad data is reported as a DataError naming the source, column, value and row."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import DataError
from metricsmith.execute.arrow.instants import instants

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

DEFINITIONS = """
calendar { timezone "Europe/Berlin" week_start monday }
source t from csv("t.csv") {
  time at
  column score: integer
  column closed: timestamp
}
metric n = count(t)
metric total = sum(t.score)
metric closed_count = count(t.closed)
metric huge = sum(t.score * 9223372036854775807)
"""


def table(scores, closed=("2024-01-01T10:00:00Z",) * 4, times=None):
    times = times or stamps(*(utc(2024, 1, day) for day in range(1, len(scores) + 1)))
    return pa.table({"at": times, "score": pa.array(scores), "closed": pa.array(closed)})


def test_a_value_that_does_not_fit_the_declared_type(define, engine):
    project = define(DEFINITIONS, t=table(["1", "2", "x", "4"]))
    with pytest.raises(DataError) as caught:
        project.query(["total"], engine=engine)
    error = caught.value
    assert (error.source, error.column, error.row) == ("t", "score", 3)
    assert "cannot read 'x' as integer" in str(error)
    assert "change the declared type" in str(error)


def test_a_bad_row_is_numbered_in_the_whole_source_when_only_a_range_was_read(define, engine):
    project = define(DEFINITIONS, t=table(["1", "2", "x", "4"]))
    with pytest.raises(DataError) as caught:
        project.query(["total"], start="2024-01-02", end="2024-02-01", engine=engine)
    # The Arrow executor reads only the range and numbers the row in the whole source, as the
    # SQL engines (which read every row before cutting to the range) do.
    assert caught.value.column == "score"
    assert caught.value.row == 3


def test_timestamps_as_text_with_and_without_offsets(define, engine):
    with_offsets = ["2024-01-01T10:00:00Z", "2024-01-01T10:00:00+05:00", None, "2024-01-02T00:00Z"]
    project = define(DEFINITIONS, t=table(["1"] * 4, closed=with_offsets))
    assert rows(project.query(["closed_count"], engine=engine)) == [(3,)]
    # Text without an offset is wall-clock time in the calendar's zone.
    naive = ["2024-01-01 10:00:00"] * 4
    project = define(DEFINITIONS, t=table(["1"] * 4, closed=naive))
    info = project.checked.sources["t"]
    assert info.declared["closed"].value == "timestamp"
    assert rows(project.query(["closed_count"], engine=engine)) == [(4,)]


def test_mixing_text_with_and_without_offsets_is_a_data_error(define, engine):
    mixed = ["2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z", "2024-01-01 10:00:00", None]
    project = define(DEFINITIONS, t=table(["1"] * 4, closed=mixed))
    with pytest.raises(DataError) as caught:
        project.query(["closed_count"], engine=engine)
    assert (caught.value.column, caught.value.row) == ("closed", 3)


def test_integer_overflow_names_the_metric_and_on_arrow_the_formula(define, engine):
    project = define(DEFINITIONS, t=table(["1", "2", "3", "4"]))
    with pytest.raises(DataError, match="metric `huge`: arithmetic overflow") as caught:
        project.query(["huge"], engine=engine)
    assert str(caught.value).startswith("data error in source `t`: cannot compute ")
    # DuckDB and Spark compute the metric in one statement: only Arrow can name the formula.
    if engine == "arrow":
        assert "cannot compute `score * 9223372036854775807`" in str(caught.value)


def test_a_time_column_that_is_not_a_time():
    # The checker rejects such a column; a reader whose data drifted from its schema lands here.
    with pytest.raises(DataError) as caught:
        instants(pa.table({"at": ["2024-01-01", "soon"]}), "at", "t", "UTC")
    assert (caught.value.source, caught.value.column) == ("t", "at")
    assert "column at: timestamp" in str(caught.value)


def test_dates_as_time_column_are_fine(define, engine):
    text = 'source t from csv("t.csv") { time at }\nmetric n = count(t)'
    project = define(text, t=pa.table({"at": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]}))
    assert rows(project.query(["n"], grain="year", engine=engine)) == [(dt.date(2024, 1, 1), 2)]


def test_an_unreadable_time_is_read_only_by_queries_that_place_rows_in_time(define, engine):
    # Like any column a query does not use: a count over all time reads no time, so every
    # engine counts the row; a grain or a range reads it, so every engine reports it.
    text = DEFINITIONS.replace("  time at\n", "  time at\n  column at: timestamp\n")
    times = pa.array(["2024-01-05 10:00:00", "not-a-date", "2024-02-01 09:00:00"])
    project = define(text, t=table([10, 5, 7], closed=("2024-01-01T10:00:00Z",) * 3, times=times))
    assert rows(project.query(["n", "total"], engine=engine)) == [(3, 22)]
    for query in ({"grain": "month"}, {"start": "2024-01-01"}):
        with pytest.raises(DataError) as caught:
            project.query(["n"], engine=engine, **query)
        assert (caught.value.column, caught.value.row) == ("at", 2)
