"""What the SQL compiler and its runners raise."""

from __future__ import annotations

from metricsmith.errors import QueryError


class UnsupportedConstruct(QueryError):
    """A query uses something the SQL compiler cannot express in the chosen dialect. Raised
    at compile time, before any SQL runs: metricsmith never emits SQL it knows to be wrong."""

    def __init__(self, construct: str, dialect: str, reason: str, hint: str | None = None):
        self.construct = construct
        self.dialect = dialect
        self.reason = reason
        super().__init__(
            f"cannot compile {construct} to {dialect} SQL: {reason}",
            hint=hint or "run the query with --engine arrow, which computes every construct",
        )


# How the engines report a value not fitting its type while computing: DuckDB's
# OutOfRangeException ("Overflow in addition of INT64") and the conversion of a 128-bit sum or
# a double back to BIGINT or DECIMAL (not "Could not convert string", a value read from a
# file); Spark's error conditions (ANSI mode, its default).
_DUCKDB_OVERFLOW = ("Overflow in", "out of range for the destination type", "Could not cast value")
_SPARK_OVERFLOW = frozenset(
    {"ARITHMETIC_OVERFLOW", "NUMERIC_VALUE_OUT_OF_RANGE", "CAST_OVERFLOW", "DECIMAL_PRECISION"}
)

_OUT_OF_RANGE = "22003"


def is_overflow(error: BaseException | None) -> bool:
    """Whether an engine's error says a computed value overflowed its type."""
    if error is None:
        return False
    if getattr(error, "sqlstate", None) == _OUT_OF_RANGE:
        return True
    if "duckdb" in type(error).__module__:
        kind = type(error).__name__
        text = str(error)
        return kind in ("OutOfRangeException", "ConversionException") and any(
            sign in text for sign in _DUCKDB_OVERFLOW
        )
    condition = getattr(error, "getCondition", None) or getattr(error, "getErrorClass", None)
    if not callable(condition):
        return False
    return (condition() or "").split(".")[0] in _SPARK_OVERFLOW
