"""Bound formulas as sqlglot expressions, with the language's semantics rather than SQL's.

The language's rules (docs/language.md, "Operators and precedence", "Numbers: decimals and
overflow", "Nulls"):

- `x / 0` is null: every divisor goes through NULLIF; integers divide as doubles.
- Decimals stay decimals where both sides are exact (see `SqlDialect.decimal_arithmetic`); a
  float operand makes the result a double.
- Comparisons and `and`/`or`/`not` are SQL's three-valued logic already.
- A date meets a timestamp as the instant of its local midnight.
- Durations are BIGINT microseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, assert_never
from zoneinfo import ZoneInfo

from sqlglot import exp

from metricsmith.errors import InternalError
from metricsmith.execute.sql.dialects import SqlDialect, number, paren, string
from metricsmith.execute.sql.kinds import kind_of
from metricsmith.execute.sql.parameters import placeholder
from metricsmith.model import bound as b
from metricsmith.model.time import CalendarRules
from metricsmith.model.types import Type

MICROS_PER_DAY = 86_400_000_000
_COMPARISONS: dict[str, type[exp.Expression]] = {
    "==": exp.EQ,
    "!=": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}
_ORDERINGS = frozenset({"<", "<=", ">", ">="})
_ARITHMETIC: dict[str, type[exp.Expression]] = {
    "+": exp.Add,
    "-": exp.Sub,
    "*": exp.Mul,
    "/": exp.Div,
}
_NUMERIC = (Type.INTEGER, Type.FLOAT, Type.DECIMAL)

#: A column of a row formula, or an aggregate of a cell formula, as SQL.
Leaf = Callable[[b.BExpr], exp.Expression]
#: An offset of a cell formula (`m[-k]`), as SQL.
Offset = Callable[[b.BOffset], exp.Expression]


class ExpressionCompiler:
    """Compiles formulas; `leaf` says what a column (row formulas) or an aggregate (cell
    formulas: plain or windowed) stands for, `offset` how an offset reads an earlier cell,
    and `functions` compiles calls (see scalar_functions.py)."""

    def __init__(
        self,
        dialect: SqlDialect,
        timezone: str,
        rules: CalendarRules,
        leaf: Leaf,
        functions,
        offset: Offset | None = None,
    ):
        self.dialect = dialect
        self.timezone = timezone
        #: Where weeks and fiscal years start.
        self.rules = rules
        self.leaf = leaf
        self.functions = functions
        self.offset = offset

    def compile(self, node: b.BExpr) -> exp.Expression:
        match node:
            case b.BLiteral():
                return self.literal(node)
            case b.BParameter():
                return placeholder(node, self.dialect)
            case b.BColumn() | b.BAggregate() | b.BWindow() | b.BPer():
                return self.leaf(node)
            case b.BOffset() if self.offset is not None:
                return self.offset(node)
            case b.BUnary(op="not", operand=operand):
                return exp.Not(this=paren(self.compile(operand)))
            case b.BUnary(operand=operand):
                return exp.Neg(this=paren(self.compile(operand)))
            case b.BBinary():
                return self.binary(node)
            case b.BIsNull(operand=operand, negated=negated):
                test: exp.Expression = exp.Is(
                    this=paren(self.compile(operand)), expression=exp.Null()
                )
                return exp.Not(this=exp.Paren(this=test)) if negated else test
            case b.BInList(operand=operand, items=items, negated=negated):
                values = [self.compile(item) for item in items]
                test = exp.In(this=paren(self.compile(operand)), expressions=values)
                return exp.Not(this=exp.Paren(this=test)) if negated else test
            case b.BCase():
                return self.case(node)
            case b.BCall():
                return self.functions.compile(self, node)
            case b.BOffset() | b.BMetric():
                # Offsets compile where a level's formulas do; metrics are expanded by check.
                raise InternalError(f"the SQL compiler cannot compile {node!r} here")
            case _:
                assert_never(node)

    # ---- literals -------------------------------------------------------------------------
    def literal(self, node: b.BLiteral) -> exp.Expression:
        # The value's Python type follows `node.type` (the checker makes them agree).
        value: Any = node.value
        dialect = self.dialect
        if value is None:
            kind = kind_of(node.type)
            return dialect.cast(exp.Null(), kind) if kind else exp.Null()
        match node.type:
            case Type.BOOLEAN:
                return exp.Boolean(this=bool(value))
            case Type.INTEGER:
                return number(int(value))
            case Type.FLOAT:
                # A bare 1.5 is a DECIMAL in most engines; the language means a float.
                return dialect.cast(number(float(value)), "double")
            case Type.DECIMAL:
                return dialect.cast(number(value), "decimal")
            case Type.STRING:
                return string(str(value))
            case Type.DATE:
                return dialect.date_literal(value)
            case Type.TIMESTAMP:
                if value.tzinfo is None:  # wall-clock time in the calendar's zone
                    value = value.replace(tzinfo=ZoneInfo(self.timezone))
                return dialect.instant_literal(value)
            case Type.DURATION:
                return number(value // dt.timedelta(microseconds=1))
        raise InternalError(f"no SQL literal for {node!r}")

    # ---- operators ------------------------------------------------------------------------
    def binary(self, node: b.BBinary) -> exp.Expression:
        left, right = node.left, node.right
        kinds = _operand_types(left, right)
        if node.op in ("and", "or"):
            connector = exp.And if node.op == "and" else exp.Or
            return connector(this=paren(self.compile(left)), expression=paren(self.compile(right)))
        if node.op in _COMPARISONS:
            sql_left, sql_right = self.comparable(left, right, kinds)
            if node.op in _ORDERINGS and kinds == (Type.STRING, Type.STRING):
                sql_left, sql_right = (self.dialect.binary_text(s) for s in (sql_left, sql_right))
            return _COMPARISONS[node.op](this=paren(sql_left), expression=paren(sql_right))
        if kinds[0] in _NUMERIC and kinds[1] in _NUMERIC:
            return self.numeric(node.op, left, right, kinds)
        return self.temporal(node.op, left, right, kinds)

    def comparable(
        self, left: b.BExpr, right: b.BExpr, kinds: tuple[Type, Type]
    ) -> tuple[exp.Expression, exp.Expression]:
        sql = (self.compile(left), self.compile(right))
        if set(kinds) == {Type.DATE, Type.TIMESTAMP}:
            return self.instant(sql[0], kinds[0]), self.instant(sql[1], kinds[1])
        if set(kinds) == {Type.DECIMAL, Type.FLOAT}:
            return self.dialect.cast(sql[0], "double"), self.dialect.cast(sql[1], "double")
        return sql

    def instant(self, value: exp.Expression, type_: Type) -> exp.Expression:
        """A date or timestamp as an instant (a date is its local midnight)."""
        return self.dialect.midnight(value, self.timezone) if type_ == Type.DATE else value

    def numeric(
        self, op: str, left: b.BExpr, right: b.BExpr, kinds: tuple[Type, Type]
    ) -> exp.Expression:
        sql_left, sql_right = self.compile(left), self.compile(right)
        exact = Type.FLOAT not in kinds and (op != "/" or kinds == (Type.DECIMAL, Type.DECIMAL))
        if exact and Type.DECIMAL in kinds:
            return self.dialect.decimal_arithmetic(op, sql_left, sql_right)
        if not exact:
            sql_left = self.dialect.cast(sql_left, "double")
            sql_right = self.dialect.cast(sql_right, "double")
        if op == "/":
            return divide(sql_left, sql_right)
        return _ARITHMETIC[op](this=paren(sql_left), expression=paren(sql_right))

    def temporal(
        self, op: str, left: b.BExpr, right: b.BExpr, kinds: tuple[Type, Type]
    ) -> exp.Expression:
        dialect = self.dialect
        sql_left, sql_right = self.compile(left), self.compile(right)
        temporal = (Type.DATE, Type.TIMESTAMP)
        match op, kinds:
            case "-", (Type.DATE, Type.DATE):
                days = dialect.days_between(sql_right, sql_left)
                return exp.Mul(this=paren(days), expression=number(MICROS_PER_DAY))
            case "-", (l_kind, r_kind) if l_kind in temporal and r_kind in temporal:
                return exp.Sub(
                    this=dialect.epoch_micros(self.instant(sql_left, l_kind)),
                    expression=dialect.epoch_micros(self.instant(sql_right, r_kind)),
                )
            case "+" | "-", (l_kind, Type.DURATION) if l_kind in temporal:
                step = sql_right if op == "+" else exp.Neg(this=paren(sql_right))
                return dialect.add_micros(self.instant(sql_left, l_kind), step)
            case "+", (Type.DURATION, r_kind) if r_kind in temporal:
                return dialect.add_micros(self.instant(sql_right, r_kind), sql_left)
            case "+" | "-", (Type.DURATION, Type.DURATION):
                return _ARITHMETIC[op](this=paren(sql_left), expression=paren(sql_right))
            case "*", (Type.DURATION, r_kind) if r_kind in _NUMERIC:
                return self.scaled_duration(sql_left, sql_right, exp.Mul)
            case "*", (l_kind, Type.DURATION) if l_kind in _NUMERIC:
                return self.scaled_duration(sql_right, sql_left, exp.Mul)
            case "/", (Type.DURATION, r_kind) if r_kind in _NUMERIC:
                return self.scaled_duration(sql_left, sql_right, exp.Div)
            case "/", (Type.DURATION, Type.DURATION):
                return divide(dialect.cast(sql_left, "double"), dialect.cast(sql_right, "double"))
        raise InternalError(f"no SQL for `{op}` between {kinds[0]} and {kinds[1]}")

    def scaled_duration(
        self, micros: exp.Expression, factor: exp.Expression, operation: type[exp.Expression]
    ) -> exp.Expression:
        as_double = self.dialect.cast(micros, "double")
        factor = self.dialect.cast(factor, "double")
        if operation is exp.Div:
            scaled = divide(as_double, factor)
        else:
            scaled = operation(this=paren(as_double), expression=paren(factor))
        return self.dialect.cast(self.dialect.round_even(scaled), "bigint")

    # ---- CASE -----------------------------------------------------------------------------
    def case(self, node: b.BCase) -> exp.Expression:
        branches = [value for _, value in node.whens]
        if node.default is not None:
            branches.append(node.default)
        aligned = self.aligned([self.compile(v) for v in branches], branches, node.type)
        case = exp.Case()
        for (condition, _), value in zip(node.whens, aligned, strict=False):
            case = case.when(self.compile(condition), value)
        if node.default is not None:
            case = case.else_(aligned[-1])
        return self.typed(case, node.type)

    def aligned(
        self, compiled: list[exp.Expression], nodes: Sequence[b.BExpr], result: Type
    ) -> list[exp.Expression]:
        """Compiled branches of a choice; dates among timestamps become local midnights."""
        if result != Type.TIMESTAMP:
            return compiled
        return [self.instant(sql, node.type) for sql, node in zip(compiled, nodes, strict=True)]

    def typed(self, value: exp.Expression, type_: Type) -> exp.Expression:
        """The value cast to the language type's kind (a decimal to the language's scale)."""
        kind = kind_of(type_)
        if kind is None:
            return value
        cast = self.dialect.cast(value, kind)
        if isinstance(value, exp.Cast) and value.to == cast.to:
            return value  # a decimal operator's result is cast already
        return cast


def divide(dividend: exp.Expression, divisor: exp.Expression) -> exp.Expression:
    """`dividend / divisor`, null where the divisor is 0."""
    guarded = exp.Nullif(this=divisor, expression=number(0))
    return exp.Div(this=paren(dividend), expression=guarded, typed=False, safe=False)


def _operand_types(left: b.BExpr, right: b.BExpr) -> tuple[Type, Type]:
    """The operands' types, a bare null taking the other side's type."""
    left_type, right_type = left.type, right.type
    if left_type == Type.NULL:
        left_type = right_type
    if right_type == Type.NULL:
        right_type = left_type
    return left_type, right_type
