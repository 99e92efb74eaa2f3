"""-0.0 is 0.0 on every engine. Arrow hashes a double's bits, so the Arrow engine counted the
two zeros as two distinct values and sliced them into two rows of a `by`, where DuckDB, Spark
and PostgreSQL see one value; and the engines' `min` of the two zeros picked either sign. A
negative zero is common in data: a rounded small loss (`round(-0.001, 2)`), a product with a
negative number. Values are now encoded as the language compares them
(`metricsmith.plugins.values.dictionary_encode`) and an answer's float zero is 0.0
(execute/data/conform.py)."""

from __future__ import annotations

import datetime as dt
import math

import metricsmith
import pytest
from execute_helpers import rows

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

PROJECT = """
source t from csv("t.csv") {
  time at
  column at: timestamp
  column y: float
  column rounded = round(y, 2)
}
metric kinds = count_distinct(t.y)
metric rounded_kinds = count_distinct(t.rounded)
metric zeros = count(t where y == 0)
metric smallest = min(t.y)
metric largest_rounded = max(t.rounded)
metric rows_seen = count(t)
"""
# January: 0.0, -0.0, 1.5 and -0.001 (rounded: 0.0, -0.0, 1.5, -0.0).
DATA = (
    "at,y\n"
    "2024-01-05T00:00:00Z,0.0\n"
    "2024-01-06T00:00:00Z,-0.0\n"
    "2024-01-07T00:00:00Z,1.5\n"
    "2024-01-08T00:00:00Z,-0.001\n"
)
JANUARY = {"grain": "month", "start": "2024-01", "end": "2024-02"}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "p.metrics").write_text(PROJECT)
    (tmp_path / "t.csv").write_text(DATA)
    return metricsmith.load_project(tmp_path / "p.metrics")


def test_the_two_zeros_are_one_value(project, engine):
    # y: 0, 1.5 and -0.001 (the two zeros are one); rounded: 0 and 1.5. The smallest y is
    # -0.001; the rounded values' largest 1.5.
    metrics = ["kinds", "rounded_kinds", "zeros", "smallest", "largest_rounded"]
    table = project.query(metrics, **JANUARY, engine=engine)
    assert rows(table) == [(dt.date(2024, 1, 1), 3, 2, 2, -0.001, 1.5)]


def test_a_slice_by_a_rounded_value_has_one_zero(project, engine):
    table = project.query(["rows_seen"], by=["t.rounded"], **JANUARY, engine=engine)
    assert rows(table) == [(dt.date(2024, 1, 1), 0.0, 3), (dt.date(2024, 1, 1), 1.5, 1)]
    zero = table.column("t.rounded")[0].as_py()
    assert math.copysign(1.0, zero) == 1.0  # 0.0 in the answer, never -0.0
