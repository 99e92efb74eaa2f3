"""Exact medians and percentiles agree on every engine, `where` and empty periods included.

Spark computes them from each group's sorted values (dialects.py, `Spark.quantile`), not with
its `percentile`, so the interpolation and the masking of a `where` are its own code: these
cases pin both to hand-computed values."""

from __future__ import annotations

import pyarrow as pa
import pytest
from execute_helpers import stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

DEFINITIONS = """
source t from csv("t.csv") { time at }
metric middle = median(t.x)
metric p90 = percentile(t.x, 0.9)
metric low = percentile(t.x, 0)
metric high = percentile(t.x, 1)
metric middle_of_a = median(t.x where kind == "a")
"""
# January: x = 4, 1, 3, 2, 10 (kinds a, b, a, b, a); February: 7 (b) and a null x (a);
# March: nothing.
TABLE = pa.table(
    {
        "at": stamps(*(utc(2024, 1, d) for d in (1, 2, 3, 4, 5)), utc(2024, 2, 1), utc(2024, 2, 2)),
        "x": pa.array([4, 1, 3, 2, 10, 7, None], pa.int64()),
        "kind": ["a", "b", "a", "b", "a", "b", "a"],
    }
)
EXPECTED = {
    # January sorted: 1 2 3 4 10. Median: rank (5 - 1) * 0.5 = 2, the third, 3.
    # p90: rank 4 * 0.9 = 3.6, 4 + 0.6 * (10 - 4) = 7.6. Fraction 0: 1; fraction 1: 10.
    # Kind a: 3 4 10, rank 1, 4. February: 7 alone for every fraction; kind a has only a null.
    "middle": [3.0, 7.0, None],
    "p90": [7.6, 7.0, None],
    "low": [1.0, 7.0, None],
    "high": [10.0, 7.0, None],
    "middle_of_a": [4.0, None, None],
}


def test_quantiles(define, engine):
    project = define(DEFINITIONS, t=TABLE)
    query = {"grain": "month", "start": "2024-01", "end": "2024-04"}
    table = project.query(list(EXPECTED), **query, engine=engine)
    for name, expected in EXPECTED.items():
        got = [None if v is None else round(v, 9) for v in table.column(name).to_pylist()]
        assert got == expected, name
