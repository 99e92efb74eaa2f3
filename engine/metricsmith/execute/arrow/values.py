"""Small conversions between the language's values and Arrow data."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from metricsmith.model.bound import BLiteral
from metricsmith.model.types import Type, arrow_type
from metricsmith.plugins.values import Datum


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


def numbers_array(values: np.ndarray) -> pa.Array:
    """Numpy numbers as an Arrow array, zero-copy, with the type spelled out: pyarrow 26
    scans an int64 array whose type it has to infer (23 ms over the 2.6M cells of a
    per-account level, for a conversion that is otherwise free)."""
    return pa.array(values, type=pa.from_numpy_dtype(values.dtype))


def take_indices(positions: np.ndarray) -> pa.Array:
    """Positions (-1: none) as indices for Arrow's `take`, null where there is none. Without
    a negative position, no validity bitmap is built (1.7 ms over 1.5M positions) and the
    conversion is free."""
    if not len(positions) or positions.min() >= 0:
        return numbers_array(positions)
    return pa.array(positions, type=pa.from_numpy_dtype(positions.dtype), mask=positions < 0)


def true_array(length: int) -> pa.Array:
    return pa.array(np.ones(length, dtype=bool))
