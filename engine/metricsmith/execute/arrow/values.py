"""Small conversions between the language's values and Arrow data."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metricsmith.model.bound import BLiteral
from metricsmith.model.types import ARROW_FOR_TYPE, Type
from metricsmith.plugins.values import Datum


def arrow_type(type_: Type, timezone: str) -> pa.DataType | None:
    """The Arrow type values of a language type have in the executor (timestamps carry the
    calendar's zone); None for types without one (null, unknown)."""
    if type_ == Type.TIMESTAMP:
        return pa.timestamp("us", tz=timezone)
    return ARROW_FOR_TYPE.get(type_)


def literal(node: BLiteral, timezone: str) -> pa.Scalar:
    value = node.value
    if node.type == Type.TIMESTAMP and isinstance(value, dt.datetime) and value.tzinfo is None:
        # A timestamp written without an offset is wall-clock time in the calendar's zone.
        value = value.replace(tzinfo=ZoneInfo(timezone))
    dtype = arrow_type(node.type, timezone)
    if dtype is None:
        return pa.scalar(None)
    return pa.scalar(value, type=dtype)


def as_array(value: Datum, length: int) -> pa.Array:
    """One contiguous array of `length` values (a scalar is repeated)."""
    if isinstance(value, pa.Scalar):
        return pa.repeat(value, length)
    if isinstance(value, pa.ChunkedArray):
        return value.combine_chunks()
    return value


def true_array(length: int) -> pa.Array:
    return pa.array(np.ones(length, dtype=bool))


def int64_numpy(values: pa.Array | pa.ChunkedArray, null_as: int = 0) -> np.ndarray:
    """Integer-like values (integers, timestamps, durations) as an int64 numpy array, nulls
    replaced by `null_as`."""
    if values.type != pa.int64():
        values = pc.cast(values, pa.int64())
    if values.null_count:
        values = pc.fill_null(values, null_as)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def valid_numpy(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean numpy mask of the non-null values."""
    if values.null_count == 0:
        return np.ones(len(values), dtype=bool)
    return pc.is_valid(values).to_numpy(zero_copy_only=False)
