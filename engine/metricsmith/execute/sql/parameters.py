"""Parameters in SQL: a named placeholder in the query, its value bound when the query runs.

A `$plan` in a formula compiles to a placeholder (`:plan` in Spark's SQL, `$plan` in DuckDB's)
cast to its kind, and the engine hands the driver the value beside the SQL text
(`bound_values`), so a value never becomes SQL text, whatever characters it holds. Values
travel in the form the language computes them in SQL: durations and instants as microseconds
(BIGINT), decimals as their exact text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect
from metricsmith.execute.sql.kinds import kind_of
from metricsmith.model.bound import BLiteral, BParameter
from metricsmith.model.types import Type
from metricsmith.plan.formatting import format_expr

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def placeholder(node: BParameter, dialect: SqlDialect) -> exp.Expression:
    """The parameter's value in a query: its placeholder, of the parameter's SQL kind."""
    marker = exp.Placeholder(this=node.name)
    if node.type is Type.TIMESTAMP:
        return dialect.instant_from_micros(dialect.cast(marker, "bigint"))
    kind = kind_of(node.type)
    assert kind is not None, "a parameter is declared with a type of the language"
    return dialect.cast(marker, kind)


def placeholders(query: exp.Expression) -> list[str]:
    """The parameters a query reads, each once, in the order they first appear."""
    names = (node.name for node in query.find_all(exp.Placeholder))
    return list(dict.fromkeys(names))


def bound_values(
    query: exp.Expression, values: Mapping[str, BLiteral], timezone: str
) -> dict[str, object]:
    """The value of each parameter `query` reads, as the driver binds it; `values` are the
    plan's (`Plan.parameter_values`)."""
    return values_of(placeholders(query), values, timezone)


def values_of(
    names: Iterable[str], values: Mapping[str, BLiteral], timezone: str
) -> dict[str, object]:
    """The value of each of the parameters `names`, as the driver binds it (`bound_values`)."""
    return {name: sql_value(values[name], timezone) for name in names}


def sql_value(literal: BLiteral, timezone: str) -> object:
    """A parameter's value as bound to its placeholder (see `placeholder`)."""
    value, type_ = literal.value, literal.type
    if type_ is Type.DURATION:
        assert isinstance(value, dt.timedelta)
        return value // _MICROSECOND
    if type_ is Type.TIMESTAMP:
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:  # wall-clock time in the calendar's zone, as a literal
            value = value.replace(tzinfo=ZoneInfo(timezone))
        return (value - _EPOCH) // _MICROSECOND
    if type_ is Type.DECIMAL:
        assert isinstance(value, Decimal)
        return str(value)
    return value


def listed(query: exp.Expression, values: Mapping[str, BLiteral], timezone: str) -> str:
    """The values of the parameters `query` reads as SQL comments, one a line, for SQL shown
    rather than run: each as the language writes it, and as the driver binds it when that
    differs."""
    lines = []
    for name, bound in bound_values(query, values, timezone).items():
        literal = values[name]
        as_bound = "" if bound == literal.value else f" (bound as {bound!r})"
        lines.append(f"-- {name}: {literal.type} = {format_expr(literal)}{as_bound}\n")
    if not lines:
        return ""
    return "-- parameters, bound as values when the query runs:\n" + "".join(lines)
