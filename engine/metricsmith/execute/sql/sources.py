"""Where a query's SQL reads each source from, and the projection that gives its columns the
types the engine computes with — the SQL twin of execute/data/reading.py:

- a declared column type (`column score: int`) is a CAST;
- a timestamp without a zone is wall-clock time in the calendar's zone, turned into an
  instant; a declared timestamp read from text is an instant when the text carries a zone
  offset and wall-clock time otherwise;
- dates stay dates (placing rows in periods uses their local midnight).
"""

from __future__ import annotations

import pyarrow as pa
from attrs import frozen
from sqlglot import exp

from metricsmith.check.checked import SourceInfo
from metricsmith.execute.sql.dialects import SqlDialect, string
from metricsmith.execute.sql.errors import UnsupportedConstruct
from metricsmith.execute.sql.kinds import (
    KIND_OF_TYPE,
    is_naive_timestamp,
    is_zoned_timestamp,
)
from metricsmith.model.types import ARROW_FOR_TYPE, Type, type_of_arrow

# A text timestamp that ends in a zone offset (Z, +02:00, -0500) names an instant.
_ZONE_SUFFIX = r"(Z|[+-][0-9]{2}:?[0-9]{2})$"


@frozen
class Relation:
    """How an engine reaches a source's rows: the FROM item, and the Arrow schema of the
    columns it yields (the connector's schema for a native read)."""

    table: exp.Expression
    schema: pa.Schema


def table_relation(name: str, schema: pa.Schema) -> Relation:
    """A source read from a table (or view) of the given, possibly qualified, name."""
    return Relation(
        exp.to_table(name, quoted=True) if "." not in name else exp.to_table(name), schema
    )


def normalised(
    source: str,
    info: SourceInfo,
    relation: Relation,
    columns: tuple[str, ...],
    dialect: SqlDialect,
    timezone: str,
) -> exp.Select:
    """SELECT of the `columns` a query needs from a source, each with its language type."""
    projections: list[exp.Expr] = []
    for name in columns:
        if name not in relation.schema.names:
            raise UnsupportedConstruct(
                f"column `{name}` of source `{source}`",
                dialect.name,
                "the engine's view of the source has no such column",
            )
        dtype = relation.schema.field(name).type
        declared = info.declared.get(name)
        value = _column_value(exp.column(name, quoted=True), dtype, declared, dialect, timezone)
        if (declared or type_of_arrow(dtype)) == Type.FLOAT:
            value = dialect.not_a_number_as_null(value)
        if isinstance(value, exp.Column):
            projections.append(value)
        else:
            projections.append(exp.alias_(value, name, quoted=True))
    return exp.select(*projections).from_(relation.table)


def _column_value(
    column: exp.Expression,
    dtype: pa.DataType,
    declared: Type | None,
    dialect: SqlDialect,
    timezone: str,
) -> exp.Expression:
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if pa.types.is_timestamp(dtype) and dtype.unit == "ns":
        column = dialect.whole_micros(column, zoned=dtype.tz is not None)
    physical = type_of_arrow(dtype)
    if physical == Type.NULL and declared is None:
        # No value to infer a type from (an empty file): every engine reads nulls.
        return exp.Null()
    if physical == Type.DURATION or (physical == Type.UNKNOWN and declared is None):
        raise UnsupportedConstruct(
            f"a column of Arrow type {dtype}", dialect.name, "no SQL type holds it the same way"
        )
    if declared == Type.TIMESTAMP and not is_zoned_timestamp(dtype):
        return _declared_timestamp(column, dtype, dialect, timezone)
    if declared is not None and declared != Type.TIMESTAMP and dtype != ARROW_FOR_TYPE[declared]:
        if declared == Type.DURATION:
            raise UnsupportedConstruct(
                "a column declared duration", dialect.name, "no SQL type holds it the same way"
            )
        return dialect.cast(column, KIND_OF_TYPE[declared])  # every declarable type has one
    if is_naive_timestamp(dtype):
        return dialect.instant_from_local(column, timezone)
    return column


def zoned_text(column: exp.Expression) -> exp.Expression:
    """Whether a text timestamp ends in a zone offset."""
    return exp.RegexpLike(this=column, expression=string(_ZONE_SUFFIX))


def text_timestamps(info: SourceInfo, relation: Relation, columns: tuple[str, ...]) -> list[str]:
    """The columns declared `timestamp` that the engine reads as text."""
    found = []
    for name in columns:
        dtype = relation.schema.field(name).type if name in relation.schema.names else None
        is_text = dtype is not None and (
            pa.types.is_string(dtype) or pa.types.is_large_string(dtype)
        )
        if info.declared.get(name) == Type.TIMESTAMP and is_text:
            found.append(name)
    return found


def _declared_timestamp(
    column: exp.Expression, dtype: pa.DataType, dialect: SqlDialect, timezone: str
) -> exp.Expression:
    """A column declared `timestamp` that does not hold instants, read as every engine casts
    it (execute/data/reading.py)."""
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        zoned = zoned_text(column)
        column = dialect.microsecond_text(column)
        local = dialect.instant_from_local(dialect.cast(column, "local"), timezone)
        return exp.Case().when(zoned, dialect.instant_from_text(column)).else_(local)
    if pa.types.is_integer(dtype):  # microseconds since the epoch
        return dialect.instant_from_micros(column)
    if pa.types.is_date(dtype):  # its local midnight, as when the column is not declared
        return dialect.midnight(column, timezone)
    if is_naive_timestamp(dtype):  # wall-clock time in the calendar's zone
        return dialect.instant_from_local(column, timezone)
    return dialect.cast(column, "instant")
