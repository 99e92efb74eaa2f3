"""Bound formulas back to readable text, for `explain` and for messages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import assert_never

from metricsmith.model import bound as b
from metricsmith.model.types import Type
from metricsmith.plan.nodes import WindowSpec

# Binding strength of each operator; a child that binds more loosely gets parentheses.
_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "not": 3,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
}
_ATOM = 8


def format_expr(node: b.BExpr, names: Mapping[b.BExpr, str] | None = None) -> str:
    """The formula in the language's syntax; leaves listed in `names` (aggregates, windowed
    aggregates, `per` aggregates) appear by name."""
    return _Formatter(names or {}).text(node)


class _Formatter:
    def __init__(self, names: Mapping[b.BExpr, str]):
        self.names = names

    def text(self, node: b.BExpr) -> str:
        return self._format(node)[0]

    def _wrapped(self, node: b.BExpr, minimum: int) -> str:
        text, strength = self._format(node)
        return f"({text})" if strength < minimum else text

    def _format(self, node: b.BExpr) -> tuple[str, int]:
        if node in self.names:
            return self.names[node], _ATOM
        match node:
            case b.BLiteral(value=value, type=type_):
                return _literal(value, type_), _ATOM
            case b.BColumn(source=source, path=path, column=column):
                return (f"{source}.{column}" if path else column), _ATOM
            case b.BMetric(name=name):
                return name, _ATOM
            case b.BParameter(name=name):
                return f"${name}", _ATOM
            case b.BUnary(op="not", operand=operand):
                return f"not {self._wrapped(operand, 3)}", 3
            case b.BUnary(op=op, operand=operand):
                return f"{op}{self._wrapped(operand, 7)}", 7
            case b.BBinary(op=op, left=left, right=right):
                strength = _PRECEDENCE[op]
                # Left-associative: a right operand of equal strength needs parentheses.
                left_text = self._wrapped(left, strength)
                right_text = self._wrapped(right, strength + 1)
                return f"{left_text} {op} {right_text}", strength
            case b.BIsNull(operand=operand, negated=negated):
                suffix = "is not null" if negated else "is null"
                return f"{self._wrapped(operand, 5)} {suffix}", 4
            case b.BInList(operand=operand, items=items, negated=negated):
                listed = ", ".join(self.text(item) for item in items)
                keyword = "not in" if negated else "in"
                return f"{self._wrapped(operand, 5)} {keyword} ({listed})", 4
            case b.BCase(whens=whens, default=default):
                parts = ["case"]
                for condition, value in whens:
                    parts.append(f"when {self.text(condition)} then {self.text(value)}")
                if default is not None:
                    parts.append(f"else {self.text(default)}")
                parts.append("end")
                return " ".join(parts), _ATOM
            case b.BCall(function=function, args=args):
                return f"{function}({', '.join(self.text(a) for a in args)})", _ATOM
            case b.BAggregate():
                return self._aggregate(node), _ATOM
            case b.BOffset(unit=b.OffsetUnit.COHORT, operand=operand):
                return f"cohort_start({self.text(operand)})", _ATOM
            case b.BOffset(unit=b.OffsetUnit.YEAR, operand=operand):
                return f"same_period_last_year({self.text(operand)})", _ATOM
            case b.BOffset(operand=operand, periods=periods):
                return f"{self._wrapped(operand, _ATOM)}[-{periods}]", _ATOM
            case b.BWindow():
                return f"{self.text(node.operand)} over {WindowSpec.of(node).describe()}", 7
            case b.BPer():
                return self._per(node), _ATOM
            case _:
                assert_never(node)

    def _per(self, node: b.BPer) -> str:
        body = f": {self.text(node.body)}" if node.body is not None else ""
        where = f" where {self.text(node.where)}" if node.where is not None else ""
        return f"{node.function}(per {node.entity.name}{body}{where})"

    def _aggregate(self, node: b.BAggregate) -> str:
        inner = node.source if node.arg is None else self._qualified(node.arg, node.source)
        params = "".join(f", {p:g}" for p in node.params)
        if node.order is not None and node.order_written:
            params = f", {self._qualified(node.order, node.source)}{params}"
        where = f" where {self.text(node.where)}" if node.where is not None else ""
        placed = f" at {node.time}" if node.time is not None else ""
        return f"{node.function}({inner}{params}{where}){placed}"

    def _qualified(self, arg: b.BExpr, root: str) -> str:
        """A bare root column reads `root.column`, as the author wrote it."""
        if isinstance(arg, b.BColumn) and not arg.path:
            return f"{root}.{arg.column}"
        return self.text(arg)


def _literal(value: object, type_: Type) -> str:
    if value is None:
        return "null"
    if type_ == Type.STRING:
        return json.dumps(value, ensure_ascii=False)
    if type_ == Type.BOOLEAN:
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return "@" + value.isoformat()
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    return repr(value) if isinstance(value, float) else str(value)


#: The units a duration is written in, largest first.
_DURATION_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60))


def format_duration(value: dt.timedelta) -> str:
    """`30 days`, `36 hours`, `90 seconds`: in the largest unit that counts it whole (explain
    shows windows and parameter values so)."""
    seconds = value.total_seconds()
    for unit, size in _DURATION_UNITS:
        if seconds and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'' if abs(count) == 1 else 's'}"
    whole = int(seconds) if seconds == int(seconds) else seconds
    return f"{whole} second{'' if whole in (1, -1) else 's'}"
