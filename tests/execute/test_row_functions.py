"""The built-in row functions, on Arrow data and inside queries (local time, week start)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import QueryError
from metricsmith.model.types import Type
from metricsmith.plugins.values import calendar_scope
from metricsmith.registry import get_registry

FUNCTIONS = get_registry().scalar_functions
D = dt.date


def call(name: str, *args):
    result = FUNCTIONS[name].arrow(*args)
    return result.as_py() if isinstance(result, pa.Scalar) else result.to_pylist()


def test_if_treats_a_null_condition_as_false():
    condition = pa.array([True, None, False])
    assert call("if", condition, pa.array([1, 2, 3]), pa.scalar(0)) == [1, 0, 0]


def test_if_and_coalesce_turn_dates_into_timestamps_next_to_timestamps():
    with calendar_scope("Europe/Berlin", 0):
        result = call("coalesce", stamps(None, utc(2024, 1, 1)), pa.scalar(D(2024, 6, 1)))
    assert result == [utc(2024, 5, 31, 22), utc(2024, 1, 1)]


def test_coalesce_takes_the_first_non_null():
    assert call("coalesce", pa.array([None, 2, None]), pa.array([1, 1, None])) == [1, 2, None]


def test_text_functions():
    text = pa.array(["Refund please", "hello", None])
    assert call("lower", text) == ["refund please", "hello", None]
    assert call("upper", text) == ["REFUND PLEASE", "HELLO", None]
    assert call("contains", text, pa.scalar("fund")) == [True, False, None]
    assert call("starts_with", text, pa.scalar("he")) == [False, True, None]


def test_contains_needs_a_constant():
    with pytest.raises(QueryError, match="constant"):
        call("contains", pa.array(["a"]), pa.array(["a"]))


def test_abs_and_round():
    assert call("abs", pa.array([-2, 3, None])) == [2, 3, None]
    assert call("round", pa.array([2.5, -2.5, 1.25])) == [3.0, -3.0, 1.0]
    assert call("round", pa.array([1.25, 1.35]), pa.scalar(1)) == [1.3, 1.4]
    assert call("round", pa.array([1234, 1250]), pa.scalar(-2)) == [1200, 1300]


def test_hours_and_days_between():
    opened = stamps(utc(2024, 1, 1, 8), utc(2024, 1, 1, 8), None)
    resolved = stamps(utc(2024, 1, 1, 9, 30), utc(2024, 1, 3, 8), utc(2024, 1, 1))
    assert call("hours_between", opened, resolved) == [1.5, 48.0, None]
    assert call("days_between", opened, resolved) == [1.5 / 24, 2.0, None]
    days = pa.array([D(2024, 1, 1), D(2024, 3, 1)]), pa.array([D(2024, 1, 31), D(2024, 2, 1)])
    assert call("days_between", *days) == [30, -29]
    assert call("hours_between", *days) == [720.0, -696.0]


def test_date_parts_and_truncation_of_dates():
    days = pa.array([D(2024, 5, 15), D(2024, 12, 29), None])  # Wednesday, Sunday
    assert call("year", days) == [2024, 2024, None]
    assert call("month", days) == [5, 12, None]
    assert call("day", days) == [15, 29, None]
    assert call("weekday", days) == [3, 7, None]
    week = pa.scalar("week")
    with calendar_scope("UTC", 6):  # weeks start on Sunday
        assert call("date_trunc", week, days) == [D(2024, 5, 12), D(2024, 12, 29), None]
    assert call("date_trunc", week, days) == [D(2024, 5, 13), D(2024, 12, 23), None]
    assert call("date_trunc", pa.scalar("quarter"), days) == [D(2024, 4, 1), D(2024, 10, 1), None]
    assert call("date_trunc", pa.scalar("year"), days)[0] == D(2024, 1, 1)
    with pytest.raises(QueryError, match="unit 'fortnight'"):
        call("date_trunc", pa.scalar("fortnight"), days)


@pytest.mark.parametrize(
    ("name", "types", "ok"),
    [
        ("if", [Type.BOOLEAN, Type.INTEGER, Type.FLOAT], Type.FLOAT),
        ("if", [Type.INTEGER, Type.INTEGER, Type.INTEGER], None),
        ("coalesce", [Type.STRING, Type.STRING, Type.STRING], Type.STRING),
        ("lower", [Type.INTEGER], None),
        ("round", [Type.DECIMAL, Type.INTEGER], Type.DECIMAL),
        ("round", [Type.FLOAT, Type.FLOAT], None),
        ("hours_between", [Type.TIMESTAMP, Type.TIMESTAMP], Type.FLOAT),
        ("hours_between", [Type.DATE, Type.TIMESTAMP], None),
        ("days_between", [Type.DATE, Type.DATE], Type.INTEGER),
        ("date_trunc", [Type.STRING, Type.TIMESTAMP], Type.DATE),
        ("hour", [Type.DATE], None),
        ("weekday", [Type.TIMESTAMP], Type.INTEGER),
        ("date", [Type.TIMESTAMP], Type.DATE),
    ],
)
def test_signatures(name, types, ok):
    result = FUNCTIONS[name].signature(types)
    if ok is None:
        assert isinstance(result, str) and str(types[0]) in result
    else:
        assert result == ok


def test_every_function_is_documented_with_an_example():
    for function in FUNCTIONS.values():
        assert function.doc and function.example.startswith(function.name + "(")


def test_date_parts_are_local_to_the_calendar(define, engine):
    project = define(
        """
        calendar { timezone "America/New_York" week_start sunday }
        source t from csv("t.csv") { time at }
        metric n = count(t)
        """,
        # 02:30 UTC on Jan 1st is still New Year's Eve in New York (a Sunday).
        t=pa.table({"at": stamps(utc(2024, 1, 1, 2, 30))}),
    )
    table = project.query(
        ["n"],
        by=[
            "year(t.at)",
            "month(t.at)",
            "day(t.at)",
            "hour(t.at)",
            "weekday(t.at)",
            "date(t.at)",
            'date_trunc("week", t.at)',
        ],
        engine=engine,
    )
    assert rows(table) == [(2023, 12, 31, 21, 7, D(2023, 12, 31), D(2023, 12, 31), 1)]
