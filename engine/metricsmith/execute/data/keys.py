"""Key checks: a source's key must name one row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metricsmith.errors import DataError
from metricsmith.execute.data.arrays import int64_numpy, valid_numpy

# Integer keys spread over at most this many values per key (plus a constant) are checked by
# marking each in a table of their range, not by hashing them.
_COMPACT_SPREAD = 4
_COMPACT_SLACK = 1 << 16


def require_unique_key(source: str, column: pa.Array, key: str) -> None:
    """A key (the values of `column`, named `key`) that repeats would silently pick one of its
    rows; name the first repeat."""
    if column.null_count == len(column):  # no key at all (an empty file has a null-typed key)
        return
    if _all_different(column):
        return
    codes = int64_numpy(pc.dictionary_encode(column).indices, null_as=-1)
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    repeated = (ordered[1:] == ordered[:-1]) & (ordered[1:] >= 0)
    row = int(order[1:][repeated].min())
    first = int(np.flatnonzero(codes == codes[row])[0])
    raise DataError(
        f"key value {column[row].as_py()!r} appears more than once (first at row "
        f"{first + 1}); a key must name one row",
        source=source,
        column=key,
        row=row + 1,
    )


def _all_different(column: pa.Array) -> bool:
    """Whether the non-null values are all different. Integer keys of a compact range (the
    usual surrogate keys) are marked in a table of the range, some 30 times faster than
    counting distinct values by hashing."""
    if pa.types.is_signed_integer(column.type):
        numbers = int64_numpy(column)[valid_numpy(column)]
        low, high = int(numbers.min()), int(numbers.max())
        if high - low <= _COMPACT_SPREAD * len(numbers) + _COMPACT_SLACK:
            seen = np.zeros(high - low + 1, dtype=bool)
            seen[numbers - low] = True
            return int(np.count_nonzero(seen)) == len(numbers)
    return bool(pc.count_distinct(column).as_py() == len(column) - column.null_count)
