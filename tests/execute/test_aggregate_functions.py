"""The built-in aggregates: exact quantiles, distinct counts on every path, types."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import QueryError
from metricsmith.model.types import Type
from metricsmith.registry import get_registry

AGGREGATES = get_registry().aggregate_functions


def grouped(name: str, values: pa.Array, groups, count: int, *params: float) -> list:
    function = AGGREGATES[name]
    return function.grouped(values, np.asarray(groups, dtype=np.int64), count, params).to_pylist()


@pytest.fixture(scope="module")
def random_groups():
    rng = np.random.default_rng(7)
    size = 5000
    groups = rng.integers(0, 40, size)
    values = rng.normal(50, 20, size).round(1)  # many ties
    valid = rng.random(size) > 0.1
    return groups, pa.array(values, mask=~valid), values, valid


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.25, 0.5, 0.9, 0.999, 1.0])
def test_percentile_matches_numpy_linear_interpolation(random_groups, fraction):
    groups, array, values, valid = random_groups
    result = grouped("percentile", array, groups, 41, fraction)
    for group in range(41):
        chosen = values[(groups == group) & valid]
        expected = np.quantile(chosen, fraction) if len(chosen) else None
        assert result[group] == (pytest.approx(expected, rel=1e-12) if len(chosen) else None)


def test_median_and_percentile_match_duckdb(random_groups):
    groups, array, _, _ = random_groups
    connection = duckdb.connect()
    connection.register("samples", pa.table({"g": groups, "v": array}))
    reference = connection.sql(
        "select g, median(v), quantile_cont(v, 0.9) from samples group by g order by g"
    ).fetchall()
    medians = grouped("median", array, groups, 40)
    p90 = grouped("percentile", array, groups, 40, 0.9)
    for group, median, percentile in reference:
        assert medians[group] == pytest.approx(median, rel=1e-12)
        assert p90[group] == pytest.approx(percentile, rel=1e-12)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert grouped("median", pa.array([4, 1, 3, 2, None]), [0, 0, 0, 0, 0], 2) == [2.5, None]


def test_percentile_needs_a_fraction():
    with pytest.raises(QueryError, match="between 0 and 1"):
        grouped("percentile", pa.array([1.0]), [0], 1, 90.0)


def test_stddev_is_the_sample_deviation(random_groups):
    groups, array, values, valid = random_groups
    result = grouped("stddev", array, groups, 40)
    for group in range(40):
        chosen = values[(groups == group) & valid]
        assert result[group] == pytest.approx(np.std(chosen, ddof=1), rel=1e-10)
    assert grouped("stddev", pa.array([3.0, 4.0]), [0, 1], 2) == [None, None]


def test_avg_of_integers_and_decimals_is_a_float():
    from decimal import Decimal

    decimals = pa.array([Decimal("0.1"), Decimal("0.2"), None], pa.decimal128(38, 9))
    assert grouped("avg", decimals, [0, 0, 0], 1) == [pytest.approx(0.15)]
    assert grouped("avg", pa.array([1, 2, 4]), [0, 0, 1], 3) == [1.5, 4.0, None]


@pytest.mark.parametrize(
    "values",
    [
        pa.array([3, 1, 3, None, 1, 7], pa.int64()),  # compact integers: bitmap
        pa.array([3, 10**15, 3, None, 10**15, -(10**15)], pa.int64()),  # sparse: encoded
        pa.array(["b", "a", "b", None, "a", "c"]),
        pa.array([1.5, 0.5, 1.5, None, 0.5, 2.5]),
        stamps(
            utc(2024, 1, 2),
            utc(2024, 1, 1),
            utc(2024, 1, 2),
            None,
            utc(2024, 1, 1),
            utc(2024, 1, 3),
        ),
        pa.array(
            [
                dt.date(2024, 1, 2),
                dt.date(2024, 1, 1),
                dt.date(2024, 1, 2),
                None,
                dt.date(2024, 1, 1),
                dt.date(2024, 1, 3),
            ],
            pa.date32(),
        ),
    ],
)
def test_count_distinct_per_group(values):
    assert grouped("count_distinct", values, [0, 0, 1, 1, 1, 2], 4) == [2, 2, 1, 0]


def test_count_distinct_when_the_bitmap_would_be_too_large(monkeypatch):
    from metricsmith.builtin import functions

    monkeypatch.setattr(functions, "_BITMAP_LIMIT", 4)
    values = pa.array([5, 6, 5, 7, 5])
    assert grouped("count_distinct", values, [0, 0, 0, 1, 1], 3) == [2, 2, 0]


def test_count_distinct_of_nothing_is_zero():
    assert grouped("count_distinct", pa.array([None, None], pa.int64()), [0, 1], 3) == [0, 0, 0]


@pytest.mark.parametrize(
    ("name", "argument", "expected"),
    [
        ("sum", Type.INTEGER, Type.INTEGER),
        ("sum", Type.DECIMAL, Type.DECIMAL),
        ("sum", Type.FLOAT, Type.FLOAT),
        ("avg", Type.INTEGER, Type.FLOAT),
        ("avg", Type.DECIMAL, Type.FLOAT),
        ("min", Type.STRING, Type.STRING),
        ("max", Type.TIMESTAMP, Type.TIMESTAMP),
        ("median", Type.DECIMAL, Type.FLOAT),
        ("count", None, Type.INTEGER),
        ("count_distinct", Type.STRING, Type.INTEGER),
    ],
)
def test_result_types(name, argument, expected):
    assert AGGREGATES[name].signature(argument) == expected


@pytest.mark.parametrize("name", ["sum", "avg", "median", "stddev"])
def test_numbers_only(name):
    message = AGGREGATES[name].signature(Type.STRING)
    assert isinstance(message, str) and "string" in message


def test_min_max_of_strings_and_timestamps_in_a_query(define, engine):
    project = define(
        """
        source t from csv("t.csv") { time at }
        metric first_name = min(t.name)
        metric last_seen = max(t.at)
        metric p50 = median(t.x)
        metric spread = stddev(t.x)
        """,
        t=pa.table(
            {
                "at": stamps(utc(2024, 1, 1), utc(2024, 1, 3), utc(2024, 1, 2)),
                "name": ["b", "a", None],
                "x": [1, 2, 10],
            }
        ),
    )
    table = project.query(["first_name", "last_seen", "p50", "spread"], engine=engine)
    ((first, last, median, spread),) = rows(table)
    assert first == "a"
    assert last == utc(2024, 1, 3)
    assert median == 2.0
    assert spread == pytest.approx(np.std([1, 2, 10], ddof=1))


def test_aggregates_of_durations(define, engine):
    project = define(
        """
        source t from csv("t.csv") { time opened_at }
        metric longest = max(t.resolved_at - t.opened_at)
        metric shortest = min(t.resolved_at - t.opened_at)
        metric answered = count(t.resolved_at - t.opened_at)
        """,
        t=pa.table(
            {
                "opened_at": stamps(utc(2024, 1, 1), utc(2024, 1, 2), utc(2024, 1, 3)),
                "resolved_at": stamps(utc(2024, 1, 1, 5), utc(2024, 1, 4), None),
            }
        ),
    )
    assert rows(project.query(["longest", "shortest", "answered"], engine=engine)) == [
        (dt.timedelta(days=2), dt.timedelta(hours=5), 2)
    ]
