"""Exact distinct counts agree on every engine: `where`, nulls, empty periods and integers
anywhere in the BIGINT range.

Spark counts a scan's distinct integers in two grouped passes, by bucket of 64 values first
(distinct_passes.py, `Spark.distinct_buckets`), with the scan's counts, sums, minimums and
maximums carried through both passes; these cases pin that form, and the single pass it
falls back to, to hand-computed values."""

from __future__ import annotations

import pyarrow as pa
import pytest
from execute_helpers import stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

DEFINITIONS = """
source t from csv("t.csv") { time at }
metric users = count_distinct(t.id)
metric users_a = count_distinct(t.id where kind == "a")
metric rows = count(t)
metric total = sum(t.x)
metric lowest = min(t.x)
metric highest = max(t.x)
metric kinds = count_distinct(t.kind)
metric middle = median(t.x)
"""
SMALLEST, LARGEST = -(2**63), 2**63 - 1
# Spark's buckets hold 64 values (`id >> 6`): 1 is in bucket 0 with 0; 32768 starts bucket
# 512, 32769 is beside it; -1 is the last of bucket -1, -32768 the first of bucket -512; the
# smallest and largest BIGINTs have bits 0 and 63 of their masks.
IDS = [1, 32768, 32769, 1, -1, 0, -32768, 2**62, None, None, SMALLEST, SMALLEST, LARGEST]
KINDS = ["a", "b", "a", "b", "a", "b", "a", "b", "a", "a", "b", "b", "a"]
TABLE = pa.table(
    {
        "at": stamps(
            *(utc(2024, 1, d) for d in range(1, 10)), *(utc(2024, 2, d) for d in (1, 2, 3, 4))
        ),
        "id": pa.array(IDS, pa.int64()),
        "x": pa.array(range(1, 14), pa.int64()),
        "kind": KINDS,
    }
)
QUERY = {"grain": "month", "start": "2024-01", "end": "2024-04"}


def test_distinct_integers_with_the_scans_other_aggregates(define, engine):
    project = define(DEFINITIONS, t=TABLE)
    names = ["users", "users_a", "rows", "total", "lowest", "highest"]
    table = project.query(names, **QUERY, engine=engine)
    assert table.select(names).to_pylist() == [
        # January: ids 1, 32768, 32769, 1, -1, 0, -32768, 2^62, null: 7 distinct; kind a
        # has 1, 32769, -1, -32768 and a null: 4. x = 1..9: 9 rows, sum 45.
        dict(users=7, users_a=4, rows=9, total=45, lowest=1, highest=9),
        # February: null (a), the smallest BIGINT twice (b), the largest (a): 2 distinct,
        # 1 of kind a. x = 10..13: sum 46.
        dict(users=2, users_a=1, rows=4, total=46, lowest=10, highest=13),
        # March: no rows.
        dict(users=0, users_a=0, rows=0, total=0, lowest=None, highest=None),
    ]


def test_distinct_integers_by_a_dimension(define, engine):
    project = define(DEFINITIONS, t=TABLE)
    table = project.query(["users", "rows"], by=["t.kind"], **QUERY, engine=engine)
    assert [tuple(r.values()) for r in table.select(["t.kind", "users", "rows"]).to_pylist()] == [
        # January, a: 1, 32769, -1, -32768, null; b: 32768, 1, 0, 2^62.
        ("a", 4, 5),
        ("b", 4, 4),
        # February, a: null and the largest; b: the smallest twice.
        ("a", 1, 2),
        ("b", 1, 2),
        ("a", 0, 0),
        ("b", 0, 0),
    ]


def test_a_scan_with_other_distinct_values_or_a_median(define, engine):
    project = define(DEFINITIONS, t=TABLE)
    table = project.query(["users", "kinds", "middle"], **QUERY, engine=engine)
    assert table.select(["users", "kinds", "middle"]).to_pylist() == [
        # January: x = 1..9, median 5. February: x = 10..13, median (11 + 12) / 2.
        dict(users=7, kinds=2, middle=5.0),
        dict(users=2, kinds=2, middle=11.5),
        dict(users=0, kinds=0, middle=None),
    ]


def test_which_form_spark_is_given(define):
    project = define(DEFINITIONS, t=TABLE)
    bucketed = project.explain(["users", "users_a", "rows"], **QUERY, dialect="spark")
    assert "BIT_OR" in bucketed and "DISTINCT" not in bucketed
    # Text values, and a median beside the distinct count: one pass with COUNT(DISTINCT).
    for names in (["kinds"], ["users", "middle"]):
        single = project.explain(names, **QUERY, dialect="spark")
        assert "COUNT(DISTINCT" in single and "BIT_OR" not in single
    assert "BIT_OR" not in project.explain(["users"], **QUERY, dialect="duckdb")
