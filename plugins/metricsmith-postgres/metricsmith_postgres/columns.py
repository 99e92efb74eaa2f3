"""How PostgreSQL columns become the Arrow columns metricsmith computes with.

ADBC's driver already returns Arrow; this module narrows its types to the language's:

| PostgreSQL                      | ADBC gives                 | the source's column            |
|---------------------------------|----------------------------|--------------------------------|
| smallint, integer, bigint       | int16, int32, int64        | int64                          |
| real, double precision          | float32, float64           | float64                        |
| numeric(p, s), p <= 38          | text (an opaque extension) | decimal128(p, s)               |
| numeric, numeric(p > 38, s)     | text (an opaque extension) | decimal128(38, 9), rounded     |
| timestamp with time zone        | timestamp[us, UTC]         | timestamp[us, UTC]             |
| timestamp (without time zone)   | timestamp[us]              | timestamp[us]: local time      |
| date, boolean, text, varchar    | date32, bool, string       | the same                       |
| anything else (json, uuid, ...) | various                    | its text (`::text` in the SQL) |

A timestamp without a zone stays wall-clock time: the engine reads it in the calendar's zone,
as it does a CSV's. Numeric text is converted here, in Python, so a value no decimal holds
(`NaN`, `Infinity`) is a data error naming it.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from metricsmith.model.types import DECIMAL_DIGITS, DECIMAL_PLACES, type_of_arrow

#: The field metadata where ADBC's driver says a column's PostgreSQL type and modifier.
_TYPE, _TYPMOD = b"POSTGRESQL:type", b"POSTGRESQL:typmod"
#: numeric's type modifier holds (precision << 16 | scale) + 4 (VARHDRSZ).
_VARHDRSZ = 4


class ValueMismatch(Exception):
    """A value of `column` that its Arrow type cannot hold."""

    def __init__(self, column: str, message: str):
        self.column = column
        super().__init__(message)


def source_type(field: pa.Field) -> pa.DataType:
    """The Arrow type of the source's column for a column as the driver describes it."""
    kind = field.type
    if _is_numeric(field):
        return _decimal(field)
    if pa.types.is_integer(kind):
        return pa.int64()
    if pa.types.is_floating(kind):
        return pa.float64()
    if pa.types.is_timestamp(kind):
        return pa.timestamp("us", tz="UTC" if kind.tz is not None else None)
    if pa.types.is_large_string(kind) or pa.types.is_string(kind):
        return pa.string()
    if pa.types.is_date32(kind) or pa.types.is_boolean(kind) or pa.types.is_binary(kind):
        return kind
    return pa.string()


def postgres_type(field: pa.Field) -> str:
    """The column's PostgreSQL type name, for messages (`numeric`, `timestamptz`, ...)."""
    return (field.metadata or {}).get(_TYPE, b"?").decode()


def select_item(field: pa.Field, column_sql: str) -> str:
    """The SELECT item reading the column as `source_type` expects it: numeric narrowed to
    the decimal's precision and scale by PostgreSQL (which rounds), and any type without an
    Arrow counterpart as its text."""
    target = source_type(field)
    if _is_numeric(field):
        return f"{column_sql}::numeric({target.precision}, {target.scale})"
    if target == pa.string() and not (
        pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
    ):
        return f"{column_sql}::text"
    return column_sql


def converted(values: pa.ChunkedArray, name: str, target: pa.DataType) -> pa.ChunkedArray:
    """A fetched column as `target`; raises ValueMismatch for a value it cannot hold."""
    if values.type == target:
        return values
    chunks = [
        chunk.storage if isinstance(chunk, pa.ExtensionArray) else chunk for chunk in values.chunks
    ]
    text = pa.chunked_array(chunks, type=chunks[0].type if chunks else pa.string())
    try:
        return pc.cast(text, target)
    except pa.ArrowInvalid:
        pass
    for chunk in text.chunks:
        for value in chunk.to_pylist():
            try:
                pc.cast(pa.array([value], chunk.type), target)
            except pa.ArrowInvalid:
                raise ValueMismatch(name, f"{value!r} is not a {type_of_arrow(target)}") from None
    raise ValueMismatch(name, f"cannot convert the column to {target}")


def _is_numeric(field: pa.Field) -> bool:
    return (field.metadata or {}).get(_TYPE) == b"numeric"


def _decimal(field: pa.Field) -> pa.Decimal128Type:
    typmod = int((field.metadata or {}).get(_TYPMOD, b"-1"))
    if typmod < _VARHDRSZ:  # `numeric` without precision: any number of digits
        return pa.decimal128(DECIMAL_DIGITS, DECIMAL_PLACES)
    precision, scale = (typmod - _VARHDRSZ) >> 16, (typmod - _VARHDRSZ) & 0xFFFF
    if precision > DECIMAL_DIGITS or scale > precision:
        return pa.decimal128(DECIMAL_DIGITS, DECIMAL_PLACES)
    return pa.decimal128(precision, scale)
