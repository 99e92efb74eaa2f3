"""Which operators accept which types, and what they produce.

Each function returns the result type, or a message saying why the operands do not fit; the
binder turns messages into diagnostics that name the expression and both types.
"""

from __future__ import annotations

from metricsmith.model.types import Type, numeric_result

T = Type
LENIENT = (T.UNKNOWN, T.NULL)


def arithmetic(op: str, left: Type, right: Type) -> Type | str:
    if left == T.UNKNOWN or right == T.UNKNOWN:
        return T.UNKNOWN
    if T.NULL in (left, right):
        other = right if left == T.NULL else left
        return T.FLOAT if op == "/" and other.is_numeric else other
    if left.is_numeric and right.is_numeric:
        if op == "/":
            return T.DECIMAL if left == right == T.DECIMAL else T.FLOAT
        return numeric_result(left, right)
    pair = (left, right)
    if op == "-" and left.is_temporal and right.is_temporal:
        return T.DURATION
    if op in "+-" and left.is_temporal and right == T.DURATION:
        return T.TIMESTAMP
    if op == "+" and pair == (T.DURATION, T.TIMESTAMP):
        return T.TIMESTAMP
    if op in "+-" and pair == (T.DURATION, T.DURATION):
        return T.DURATION
    if op in "*/" and left == T.DURATION and right.is_numeric:
        return T.DURATION
    if op == "*" and left.is_numeric and right == T.DURATION:
        return T.DURATION
    if op == "/" and pair == (T.DURATION, T.DURATION):
        return T.FLOAT
    return f"cannot apply `{op}` to {left} and {right}"


def comparable(left: Type, right: Type) -> bool:
    if left in LENIENT or right in LENIENT or left == right:
        return True
    if left.is_numeric and right.is_numeric:
        return True
    return left.is_temporal and right.is_temporal


def comparison(op: str, left: Type, right: Type) -> Type | str:
    if comparable(left, right):
        return T.BOOLEAN
    return f"cannot compare {left} with {right}"


def logical(op: str, left: Type, right: Type) -> Type | str:
    for side in (left, right):
        if side not in (T.BOOLEAN, *LENIENT):
            return f"`{op}` needs true/false on both sides, not {side}"
    return T.BOOLEAN


def unify(types: list[Type]) -> Type | str:
    """The common type of the branches of a case/if/coalesce."""
    known = [t for t in types if t not in LENIENT]
    if not known:
        return T.UNKNOWN if T.UNKNOWN in types else T.NULL
    if all(t.is_numeric for t in known):
        result = known[0]
        for t in known[1:]:
            result = numeric_result(result, t)
        return result
    if all(t.is_temporal for t in known):
        return T.TIMESTAMP if T.TIMESTAMP in known else T.DATE
    if len(set(known)) == 1:
        return known[0]
    names = ", ".join(sorted({str(t) for t in known}))
    return f"the branches have different types ({names})"
