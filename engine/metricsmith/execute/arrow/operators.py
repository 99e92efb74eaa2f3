"""The language's operators on Arrow data, with its semantics rather than Arrow's.

- `x / 0` is null, never an error, infinity or NaN; integer division gives a float.
- Decimals stay exact decimals when both sides are decimal (an integer joins a decimal as an
  exact decimal; a float makes the result a float). Arrow widens decimal precision with every
  operation and fails beyond 38 digits, so operands are first narrowed to the digits their
  values actually use and computed as 256-bit decimals; every result is the language's decimal
  (`types.DECIMAL_PLACES` after the point, rounded half away from zero), as on the SQL engines.
- Comparisons and `and`/`or`/`not` follow three-valued logic: null is "unknown".
- Dates meet timestamps as the instant of their local midnight.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from metricsmith.errors import InternalError
from metricsmith.execute.arrow.values import Datum
from metricsmith.model.types import ARROW_FOR_TYPE, DECIMAL_PLACES, Type
from metricsmith.plugins.values import as_float, local_timestamps

COMPARISONS = {
    "==": pc.equal,
    "!=": pc.not_equal,
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
}
_CHECKED = {"+": pc.add_checked, "-": pc.subtract_checked, "*": pc.multiply_checked}
_MICROS_PER_DAY = 86_400_000_000
# How Arrow words a value not fitting its type: checked integer arithmetic, a decimal beyond
# 38 digits, a 38-digit integer sum cast back to 64 bits.
_OVERFLOW_SIGNS = (
    "overflow",
    "does not fit in precision",
    "precision out of range",
    "Integer value",
)


def binary(op: str, left: Datum, right: Datum) -> Datum:
    left, right = _typed_nulls(left, right)
    if op == "and":
        return pc.and_kleene(left, right)
    if op == "or":
        return pc.or_kleene(left, right)
    if op in COMPARISONS:
        left, right = _comparable(left, right)
        return COMPARISONS[op](left, right)
    return _arithmetic(op, left, right)


def is_overflow(error: BaseException | None) -> bool:
    """Whether Arrow failed because a value does not fit its type (checked integer arithmetic,
    a decimal beyond 38 digits)."""
    if not isinstance(error, pa.ArrowInvalid):
        return False
    text = str(error)
    return any(sign in text for sign in _OVERFLOW_SIGNS)


def negate(value: Datum) -> Datum:
    return pc.negate_checked(value)


def _typed_nulls(left: Datum, right: Datum) -> tuple[Datum, Datum]:
    """A bare `null` takes the type of the other side (boolean when both are null)."""
    left_null, right_null = pa.types.is_null(left.type), pa.types.is_null(right.type)
    if left_null and right_null:
        return pc.cast(left, pa.bool_()), pc.cast(right, pa.bool_())
    if left_null:
        return pc.cast(left, right.type), right
    if right_null:
        return left, pc.cast(right, left.type)
    return left, right


def _comparable(left: Datum, right: Datum) -> tuple[Datum, Datum]:
    kinds = {_kind(left.type), _kind(right.type)}
    if kinds == {"date", "timestamp"}:
        return local_timestamps(left), local_timestamps(right)
    if kinds in ({"integer", "float"}, {"decimal", "float"}):
        return as_float(left), as_float(right)  # as the SQL engines compare them
    return left, right


def _kind(dtype: pa.DataType) -> str:
    if pa.types.is_integer(dtype):
        return "integer"
    if pa.types.is_floating(dtype):
        return "float"
    if pa.types.is_decimal(dtype):
        return "decimal"
    if pa.types.is_date(dtype):
        return "date"
    if pa.types.is_timestamp(dtype):
        return "timestamp"
    if pa.types.is_duration(dtype):
        return "duration"
    return str(dtype)


def _arithmetic(op: str, left: Datum, right: Datum) -> Datum:
    kinds = (_kind(left.type), _kind(right.type))
    numeric = {"integer", "float", "decimal"}
    if kinds[0] in numeric and kinds[1] in numeric:
        if "float" in kinds or (op == "/" and kinds != ("decimal", "decimal")):
            return _float(op, left, right)
        if "decimal" in kinds:
            return _decimal(op, left, right)
        return _CHECKED[op](left, right)
    return _temporal(op, left, right, kinds)


def _nonzero(value: Datum) -> Datum:
    """The divisor with zeros replaced by null, so the quotient is null there."""
    zero = pc.equal(value, pa.scalar(0, value.type) if _kind(value.type) == "integer" else 0)
    return pc.if_else(zero, pa.scalar(None, value.type), value)


def _float(op: str, left: Datum, right: Datum) -> Datum:
    left, right = as_float(left), as_float(right)
    if op == "/":
        return pc.divide(left, _nonzero(right))
    return _CHECKED[op](left, right)


# ---- exact decimals -----------------------------------------------------------------------
def _decimal(op: str, left: Datum, right: Datum) -> Datum:
    left, right = _narrowest(left), _narrowest(right)
    if op == "/":
        right = _nonzero(right)
        # Give the dividend enough digits that the quotient has more than we keep.
        natural_scale = left.type.scale + right.type.precision - right.type.scale + 1
        extra = max(0, DECIMAL_PLACES + 1 - natural_scale)
        left = pc.cast(left, pa.decimal256(left.type.precision + extra, left.type.scale + extra))
        result = pc.divide(left, right)
    else:
        result = _CHECKED[op](left, right)
    return language_decimal(result)


def _narrowest(value: Datum) -> Datum:
    """The same decimal (or integer) values as a 256-bit decimal with no more digits than the
    largest of them needs."""
    if _kind(value.type) == "integer":
        value = pc.cast(pc.cast(value, pa.int64()), pa.decimal256(19, 0))
    scale = value.type.scale
    largest = pc.max(pc.abs(value)) if not isinstance(value, pa.Scalar) else pc.abs(value)
    magnitude = abs(largest.as_py() or 0)
    whole_digits = len(str(int(magnitude)))
    return pc.cast(value, pa.decimal256(max(1, whole_digits + scale), scale))


def language_decimal(value: Datum) -> Datum:
    """A decimal as the language's decimal type, rounded half away from zero."""
    if value.type.scale > DECIMAL_PLACES:
        value = pc.round(value, ndigits=DECIMAL_PLACES, round_mode="half_towards_infinity")
    return pc.cast(value, ARROW_FOR_TYPE[Type.DECIMAL])


# ---- dates, timestamps, durations ---------------------------------------------------------
def _temporal(op: str, left: Datum, right: Datum, kinds: tuple[str, str]) -> Datum:
    match op, kinds:
        case "-", ("date", "date"):
            days = pc.subtract(pc.cast(left, pa.int32()), pc.cast(right, pa.int32()))
            micros = pc.multiply(pc.cast(days, pa.int64()), _MICROS_PER_DAY)
            return pc.cast(micros, pa.duration("us"))
        case "-", ("date" | "timestamp", "date" | "timestamp"):
            return pc.subtract_checked(local_timestamps(left), local_timestamps(right))
        case "+" | "-", ("date" | "timestamp", "duration"):
            return _CHECKED[op](local_timestamps(left), right)
        case "+", ("duration", "date" | "timestamp"):
            return pc.add_checked(local_timestamps(right), left)
        case "+" | "-", ("duration", "duration"):
            return _CHECKED[op](left, right)
        case "*", ("duration", "integer" | "float" | "decimal"):
            return _scaled_duration(left, right, pc.multiply)
        case "*", ("integer" | "float" | "decimal", "duration"):
            return _scaled_duration(right, left, pc.multiply)
        case "/", ("duration", "integer" | "float" | "decimal"):
            return _scaled_duration(left, _nonzero(right), pc.divide)
        case "/", ("duration", "duration"):
            return _float("/", _micros(left), _micros(right))
    raise InternalError(f"no operator `{op}` for {left.type} and {right.type}")


def _micros(duration: Datum) -> Datum:
    return pc.cast(pc.cast(duration, pa.duration("us")), pa.int64())


def _scaled_duration(duration: Datum, factor: Datum, operation) -> Datum:
    scaled = operation(as_float(_micros(duration)), as_float(factor))
    return pc.cast(pc.cast(pc.round(scaled), pa.int64()), pa.duration("us"))
