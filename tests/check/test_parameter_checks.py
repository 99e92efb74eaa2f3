"""A query's parameter values read as the declared type (check/parameters.py): text as the
command line writes it, or a Python value of the type; anything else names the parameter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from metricsmith.check.parameters import ParameterInfo, parameter_value, query_values
from metricsmith.errors import QueryError
from metricsmith.model.span import NO_SPAN
from metricsmith.model.types import Type


def info(type_: Type, default: object = None, name: str = "p") -> ParameterInfo:
    return ParameterInfo(name=name, type=type_, default=default, span=NO_SPAN)


@pytest.mark.parametrize(
    ("type_", "given", "value"),
    [
        (Type.DURATION, "14d", dt.timedelta(days=14)),
        (Type.DURATION, "14 days", dt.timedelta(days=14)),
        (Type.DURATION, "1 day", dt.timedelta(days=1)),
        (Type.DURATION, "36h", dt.timedelta(hours=36)),
        (Type.DURATION, "1.5 hours", dt.timedelta(minutes=90)),
        (Type.DURATION, "90 minutes", dt.timedelta(minutes=90)),
        (Type.DURATION, "2w", dt.timedelta(weeks=2)),
        (Type.DURATION, "30s", dt.timedelta(seconds=30)),
        (Type.DURATION, dt.timedelta(hours=2), dt.timedelta(hours=2)),
        (Type.DATE, "2024-03-01", dt.date(2024, 3, 1)),
        (Type.DATE, "@2024-03-01", dt.date(2024, 3, 1)),
        (Type.DATE, dt.date(2024, 3, 1), dt.date(2024, 3, 1)),
        (Type.TIMESTAMP, "2024-03-01T09:00:00Z", dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)),
        (Type.INTEGER, "5", 5),
        (Type.INTEGER, "-5", -5),
        (Type.INTEGER, 5, 5),
        (Type.FLOAT, "0.25", 0.25),
        (Type.FLOAT, 2, 2.0),
        (Type.DECIMAL, "19.99", Decimal("19.99")),
        (Type.DECIMAL, 3, Decimal(3)),
        (Type.BOOLEAN, "true", True),
        (Type.BOOLEAN, "FALSE", False),
        (Type.BOOLEAN, False, False),
        (Type.STRING, " pro ", " pro "),  # a string is taken as written
        (Type.STRING, "x' or 1=1 --", "x' or 1=1 --"),
    ],
)
def test_a_value_is_read_as_the_declared_type(type_, given, value):
    assert parameter_value(info(type_), given) == value


@pytest.mark.parametrize(
    ("type_", "given"),
    [
        (Type.DURATION, "14"),
        (Type.DURATION, "14 fortnights"),
        (Type.DURATION, "9999999 weeks"),  # beyond 1,000 years
        (Type.DURATION, 14),
        (Type.DATE, "2024-02-30"),
        (Type.DATE, dt.datetime(2024, 3, 1)),
        (Type.INTEGER, "2.5"),
        (Type.INTEGER, True),
        (Type.INTEGER, 2**63),
        (Type.FLOAT, "nan"),
        (Type.FLOAT, "fast"),
        (Type.DECIMAL, 0.1),  # a float is not exact
        (Type.BOOLEAN, "yes"),
        (Type.BOOLEAN, 1),
        (Type.STRING, 5),
    ],
)
def test_a_value_not_of_the_type_names_the_parameter_and_the_type(type_, given):
    with pytest.raises(QueryError, match=rf"^parameter `p` is an? {type_}: .* is not one\n"):
        parameter_value(info(type_), given)


def test_undeclared_parameters_are_refused_and_the_others_keep_their_defaults():
    declared = {
        "window": info(Type.DURATION, dt.timedelta(days=30), "window"),
        "plan": info(Type.STRING, "pro", "plan"),
    }
    assert query_values(declared, {"window": "14d"}) == {
        "window": dt.timedelta(days=14),
        "plan": "pro",
    }
    assert query_values(declared, {"$plan": "team"})["plan"] == "team"
    with pytest.raises(QueryError, match=r"unknown parameter `windw`\n.*did you mean `window`"):
        query_values(declared, {"windw": "14d"})
    with pytest.raises(QueryError, match="declare it with `parameter <name>"):
        query_values({}, {"window": "14d"})
