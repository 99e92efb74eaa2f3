"""The SQL value kinds of the language's types and of the Arrow types sources hold."""

from __future__ import annotations

import pyarrow as pa

from metricsmith.model.types import Type

#: The kind (see `dialects.KINDS`) a value of each language type is computed as in SQL.
KIND_OF_TYPE: dict[Type, str] = {
    Type.INTEGER: "bigint",
    Type.FLOAT: "double",
    Type.DECIMAL: "decimal",
    Type.STRING: "text",
    Type.BOOLEAN: "boolean",
    Type.DATE: "date",
    Type.TIMESTAMP: "instant",
    Type.DURATION: "bigint",  # microseconds
}


def kind_of(type_: Type) -> str | None:
    """None for types without a SQL kind of their own (null, unknown)."""
    return KIND_OF_TYPE.get(type_)


def is_naive_timestamp(dtype: pa.DataType) -> bool:
    return pa.types.is_timestamp(dtype) and dtype.tz is None


def is_zoned_timestamp(dtype: pa.DataType) -> bool:
    return pa.types.is_timestamp(dtype) and dtype.tz is not None


def duckdb_type_name(dtype: pa.DataType) -> str | None:
    """DuckDB's name for an Arrow type (for `read_csv(columns=...)`); None when it has none."""
    return _engine_type_name(dtype, _DUCKDB_NAMES, "TIMESTAMPTZ", "TIMESTAMP", "VARCHAR")


def spark_type_name(dtype: pa.DataType) -> str | None:
    """Spark's DDL name for an Arrow type (for a CSV schema); None when it has none."""
    return _engine_type_name(dtype, _SPARK_NAMES, "TIMESTAMP", "TIMESTAMP_NTZ", "STRING")


_DUCKDB_NAMES = {
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.uint8(): "UTINYINT",
    pa.uint16(): "USMALLINT",
    pa.uint32(): "UINTEGER",
    pa.uint64(): "UBIGINT",
    pa.float32(): "FLOAT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.date64(): "DATE",
}
_SPARK_NAMES = {
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INT",
    pa.int64(): "BIGINT",
    pa.float32(): "FLOAT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.date64(): "DATE",
}


def _engine_type_name(
    dtype: pa.DataType, names: dict[pa.DataType, str], zoned: str, naive: str, text: str
) -> str | None:
    if dtype in names:
        return names[dtype]
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_null(dtype):
        return text
    if pa.types.is_dictionary(dtype):
        return _engine_type_name(dtype.value_type, names, zoned, naive, text)
    if pa.types.is_timestamp(dtype):
        return zoned if dtype.tz is not None else naive
    if pa.types.is_decimal(dtype):
        return f"DECIMAL({dtype.precision}, {dtype.scale})"
    return None
