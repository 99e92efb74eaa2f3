"""Arrow data as numpy arrays: integer-like values as int64, and masks of the valid values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


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
