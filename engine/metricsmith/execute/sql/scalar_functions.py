"""The built-in scalar functions in SQL, and how a plugin's functions get there.

Each built-in has a builder taking the compiler, the call and its compiled arguments. Time
functions read the local calendar: a timestamp is first turned into the wall-clock time of the
calendar's zone, as every engine reads timestamps in that zone (execute/data/reading.py).

A plugin function compiles through the `sql` attribute of its registration (see
`plugin_sql.py`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from sqlglot import exp

from metricsmith.errors import QueryError
from metricsmith.execute.sql.dialects import number, paren, string
from metricsmith.execute.sql.expressions import ExpressionCompiler
from metricsmith.execute.sql.kinds import kind_of
from metricsmith.execute.sql.plugin_sql import plugin_sql
from metricsmith.model import bound as b
from metricsmith.model.time import GRAINS, Grain
from metricsmith.model.types import Type
from metricsmith.plugins.functions import ScalarFunction

Builder = Callable[[ExpressionCompiler, b.BCall, list[exp.Expression]], exp.Expression]
_MICROS_PER_HOUR = 3_600_000_000.0


def _constant(node: b.BCall, index: int, what: str) -> Any:
    """A literal argument the function needs as a constant (the function's contract in
    docs/language.md, "Scalar functions"; a column or null is a query error on every
    engine)."""
    arg = node.args[index]
    if isinstance(arg, b.BLiteral) and arg.value is not None:
        return arg.value
    raise QueryError(f"`{node.function}` needs a constant {what}, not a column or null")


def _local(compiler: ExpressionCompiler, value: exp.Expression, type_: Type) -> exp.Expression:
    """A date, or a timestamp's local wall-clock time."""
    if type_ == Type.TIMESTAMP:
        return compiler.dialect.local_datetime(value, compiler.timezone)
    return value


def _local_date(compiler: ExpressionCompiler, value: exp.Expression, type_: Type) -> exp.Expression:
    if type_ == Type.TIMESTAMP:
        return compiler.dialect.local_date(value, compiler.timezone)
    return value


def _field(name: str) -> Builder:
    def build(compiler, node, args):
        return compiler.dialect.extract(name, _local(compiler, args[0], node.args[0].type))

    return build


def _weekday(compiler, node, args):
    local = _local(compiler, args[0], node.args[0].type)
    return compiler.dialect.cast(compiler.dialect.iso_weekday(local), "bigint")


def _date(compiler, node, args):
    return _local_date(compiler, args[0], node.args[0].type)


def truncate_to(compiler: ExpressionCompiler, unit: str, day: exp.Expression) -> exp.Expression:
    """The first day of the period of a grain containing a local date; weeks start on the
    calendar's week start, fiscal quarters and years in its fiscal year's first month."""
    dialect = compiler.dialect
    if unit == "day":
        return day
    if unit == "week":
        # Days since the week began: (ISO weekday - 1 - week start) mod 7, kept non-negative.
        since_monday = exp.Sub(this=dialect.iso_weekday(day), expression=number(1))
        shifted = exp.Add(this=since_monday, expression=number(7 - compiler.rules.week_start))
        into_week = exp.Mod(this=paren(shifted), expression=number(7))
        return dialect.add_days(day, exp.Neg(this=paren(into_week)))
    if unit in ("month", "quarter", "year"):
        return dialect.truncate_date(unit, day)
    if unit in (Grain.FISCAL_QUARTER, Grain.FISCAL_YEAR):
        # The calendar quarter or year of the date moved back by the fiscal year's shift,
        # moved forward again (plan/periods.py counts the same way).
        shift = compiler.rules.month_shift(Grain(unit))
        calendar_unit = "quarter" if unit == Grain.FISCAL_QUARTER else "year"
        if shift == 0:
            return dialect.truncate_date(calendar_unit, day)
        start = dialect.truncate_date(calendar_unit, dialect.add_months(day, -shift))
        return dialect.add_months(start, shift)
    raise QueryError(
        f"`date_trunc` does not know the unit {unit!r}",
        hint=f"use one of {', '.join(map(repr, GRAINS))}",
    )


def _date_trunc(compiler, node, args):
    unit = str(_constant(node, 0, "unit"))
    return truncate_to(compiler, unit, _local_date(compiler, args[1], node.args[1].type))


def _cohort(compiler, node, args):
    grain = str(_constant(node, 1, "grain"))
    if grain not in GRAINS:
        raise QueryError(
            f"`cohort` does not know the grain {grain!r}",
            hint=f"use one of {', '.join(GRAINS)}, e.g. cohort(signed_up_at, month)",
        )
    return truncate_to(compiler, grain, _local_date(compiler, args[0], node.args[0].type))


def _bucket(compiler, node, args):
    """The label of the band a number falls in: below the first threshold the first label,
    from each threshold on the next; null stays null."""
    thresholds = [float(_constant(node, i, "threshold")) for i in range(1, len(args) - 1, 2)]
    labels = [_constant(node, i, "label") for i in range(2, len(args) - 1, 2)]
    if any(low >= high for low, high in itertools.pairwise(thresholds)):
        listed = ", ".join(f"{t:g}" for t in thresholds)
        raise QueryError(
            f"the thresholds of `bucket` must increase, but they are {listed}",
            hint='list the bands from the lowest up: bucket(x, 40, "Poor", 70, "Average", "Good")',
        )
    value = compiler.dialect.cast(args[0], "double")
    case = exp.Case().when(exp.Is(this=value, expression=exp.Null()), exp.Null())
    for threshold, label in zip(thresholds, labels, strict=True):
        case = case.when(exp.LT(this=value, expression=number(threshold)), string(str(label)))
    return case.else_(args[-1])


def _hours_between(compiler, node, args):
    dialect = compiler.dialect
    if node.args[0].type == Type.DATE:
        days = dialect.days_between(args[0], args[1])
        return exp.Mul(this=dialect.cast(days, "double"), expression=number(24.0))
    elapsed = exp.Sub(this=dialect.epoch_micros(args[1]), expression=dialect.epoch_micros(args[0]))
    return exp.Div(
        this=dialect.cast(elapsed, "double"),
        expression=number(_MICROS_PER_HOUR),
        typed=False,
        safe=False,
    )


def _days_between(compiler, node, args):
    if node.args[0].type == Type.DATE:
        return compiler.dialect.days_between(args[0], args[1])
    return exp.Div(
        this=paren(_hours_between(compiler, node, args)),
        expression=number(24.0),
        typed=False,
        safe=False,
    )


def _if(compiler, node, args):
    when_true, when_false = compiler.aligned(args[1:], node.args[1:], node.type)
    case = exp.Case().when(args[0], when_true).else_(when_false)
    return compiler.typed(case, node.type)


def _coalesce(compiler, node, args):
    first, *rest = compiler.aligned(args, node.args, node.type)
    return compiler.typed(exp.Coalesce(this=first, expressions=rest), node.type)


def _contains(compiler, node, args):
    _constant(node, 1, "string to look for")
    return compiler.dialect.contains(args[0], args[1])


def _starts_with(compiler, node, args):
    _constant(node, 1, "prefix")
    return exp.StartsWith(this=args[0], expression=args[1])


def _round(compiler, node, args):
    digits = int(_constant(node, 1, "number of digits")) if len(args) > 1 else 0
    if node.type == Type.FLOAT:
        return compiler.typed(compiler.dialect.round_float(args[0], digits), node.type)
    return compiler.typed(compiler.dialect.round(args[0], digits), node.type)


def _abs(compiler, node, args):
    return exp.Abs(this=args[0])


BUILTINS: dict[str, Builder] = {
    "if": _if,
    "coalesce": _coalesce,
    "lower": lambda compiler, node, args: exp.Lower(this=args[0]),
    "upper": lambda compiler, node, args: exp.Upper(this=args[0]),
    "contains": _contains,
    "starts_with": _starts_with,
    "abs": _abs,
    "round": _round,
    "hours_between": _hours_between,
    "days_between": _days_between,
    "date_trunc": _date_trunc,
    "cohort": _cohort,
    "bucket": _bucket,
    "year": _field("year"),
    "month": _field("month"),
    "day": _field("day"),
    "weekday": _weekday,
    "hour": _field("hour"),
    "date": _date,
}


class ScalarFunctions:
    """Compiles calls: built-ins from BUILTINS, plugin functions through their `sql`."""

    def __init__(
        self, registered: Mapping[str, ScalarFunction], builtins: Mapping[str, Builder] = BUILTINS
    ):
        self.registered = registered
        self.builtins = builtins

    def compile(self, compiler: ExpressionCompiler, node: b.BCall) -> exp.Expression:
        function = self.registered.get(node.function)
        if (
            function is not None
            and function.propagates_nulls
            and any(arg.type == Type.NULL for arg in node.args)
        ):
            # `propagates_nulls` (docs/plugins.md): a null of the call's type, whatever the SQL
            # (DuckDB's date_trunc, for one, has no form taking an untyped NULL).
            kind = kind_of(node.type)
            return compiler.dialect.cast(exp.Null(), kind) if kind else exp.Null()
        args = [compiler.compile(arg) for arg in node.args]
        builder = self.builtins.get(node.function)
        if builder is not None:
            return builder(compiler, node, args)
        return plugin_sql(
            self.registered.get(node.function),
            f"the function `{node.function}`",
            compiler.dialect.name,
            *args,
        )
