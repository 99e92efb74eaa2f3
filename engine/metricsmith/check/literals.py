"""Numbers written in formulas must fit the types every engine computes with.

An integer beyond 64 bits would be a 128-bit integer in DuckDB, a decimal in Spark and an
error in Arrow; a float beyond ±1.8e308 would be an infinity (and `inf`, a column name, in SQL).
Both are refused with the literal's position rather than left to disagree.
"""

from __future__ import annotations

import math

from metricsmith.model.span import Span
from metricsmith.model.types import INTEGER_RANGE, Type

_SHOWN_DIGITS = 30


def literal_problem(value: object, type_: Type, span: Span) -> tuple[str, str] | None:
    """What is wrong with a number literal written at `span`, and what to do (None: fine)."""
    text = _written(span) or str(value)
    if type_ == Type.INTEGER and not (isinstance(value, int) and value in INTEGER_RANGE):
        return (
            f"the integer {_shown(text)} does not fit in 64 bits "
            f"(the largest is {INTEGER_RANGE.stop - 1})",
            "write it as a float (`1e20`) if an approximate value will do",
        )
    if type_ == Type.FLOAT and isinstance(value, float) and not math.isfinite(value):
        return (
            f"the number {_shown(text)} is beyond the range of a float (about ±1.8e308)",
            "use a smaller number: every engine computes floats as 64-bit doubles",
        )
    return None


def _written(span: Span) -> str:
    if span.line == 0 or span.end_line != span.line:
        return ""
    return span.line_text[span.column - 1 : span.end_column - 1]


def _shown(text: str) -> str:
    if len(text) <= _SHOWN_DIGITS:
        return text
    return f"{text[:12]}…{text[-6:]} ({len(text)} digits)"
