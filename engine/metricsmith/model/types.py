"""The language's value types and their mapping from Arrow types."""

from __future__ import annotations

import enum

import pyarrow as pa


class Type(enum.Enum):
    INTEGER = "integer"
    FLOAT = "float"
    DECIMAL = "decimal"
    STRING = "string"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    DURATION = "duration"
    NULL = "null"
    UNKNOWN = "unknown"  # a type we could not determine; never reported twice

    @property
    def is_numeric(self) -> bool:
        return self in NUMERIC

    @property
    def is_temporal(self) -> bool:
        return self in (Type.DATE, Type.TIMESTAMP)

    def __str__(self) -> str:
        return self.value


NUMERIC = frozenset({Type.INTEGER, Type.FLOAT, Type.DECIMAL})

# Names accepted in `column name: <type>` declarations.
TYPE_NAMES: dict[str, Type] = {
    "int": Type.INTEGER,
    "integer": Type.INTEGER,
    "float": Type.FLOAT,
    "number": Type.FLOAT,
    "decimal": Type.DECIMAL,
    "string": Type.STRING,
    "text": Type.STRING,
    "bool": Type.BOOLEAN,
    "boolean": Type.BOOLEAN,
    "date": Type.DATE,
    "timestamp": Type.TIMESTAMP,
    "duration": Type.DURATION,
}

#: Every decimal the language computes (an operator's result, a metric's value) has 38 digits,
#: 9 of them after the point, on every engine: exact for money, and a precision each engine
#: keeps (Spark and DuckDB would otherwise choose their own scale per operation).
DECIMAL_DIGITS = 38
DECIMAL_PLACES = 9
#: The integers the language computes with: 64-bit; larger literals are refused by `check`
#: and overflow at query time is an error on every engine.
INTEGER_RANGE = range(-(2**63), 2**63)

ARROW_FOR_TYPE: dict[Type, pa.DataType] = {
    Type.INTEGER: pa.int64(),
    Type.FLOAT: pa.float64(),
    Type.DECIMAL: pa.decimal128(DECIMAL_DIGITS, DECIMAL_PLACES),
    Type.STRING: pa.string(),
    Type.BOOLEAN: pa.bool_(),
    Type.DATE: pa.date32(),
    Type.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    Type.DURATION: pa.duration("us"),
}


def arrow_type(type_: Type, timezone: str) -> pa.DataType | None:
    """The Arrow type values of a language type have on every engine (timestamps carry the
    calendar's zone); None for types without one (null, unknown)."""
    if type_ == Type.TIMESTAMP:
        return pa.timestamp("us", tz=timezone)
    return ARROW_FOR_TYPE.get(type_)


def type_of_arrow(dtype: pa.DataType) -> Type:
    """The language type of an Arrow column type."""
    if pa.types.is_integer(dtype):
        return Type.INTEGER
    if pa.types.is_floating(dtype):
        return Type.FLOAT
    if pa.types.is_decimal(dtype):
        return Type.DECIMAL
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return Type.STRING
    if pa.types.is_dictionary(dtype):
        return type_of_arrow(dtype.value_type)
    if pa.types.is_boolean(dtype):
        return Type.BOOLEAN
    if pa.types.is_date(dtype):
        return Type.DATE
    if pa.types.is_timestamp(dtype):
        return Type.TIMESTAMP
    if pa.types.is_duration(dtype):
        return Type.DURATION
    if pa.types.is_null(dtype):
        return Type.NULL
    return Type.UNKNOWN


def numeric_result(left: Type, right: Type) -> Type:
    """The type of arithmetic on two numeric types (decimal stays exact, float wins over int)."""
    if Type.UNKNOWN in (left, right):
        return Type.UNKNOWN
    if Type.FLOAT in (left, right):
        return Type.FLOAT
    if Type.DECIMAL in (left, right):
        return Type.DECIMAL
    return Type.INTEGER
