"""Key checks: a source's key must name one row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metricsmith.errors import DataError
from metricsmith.execute.data.arrays import int64_numpy


def require_unique_key(source: str, column: pa.Array, key: str) -> None:
    """A key (the values of `column`, named `key`) that repeats would silently pick one of its
    rows; name the first repeat."""
    if column.null_count == len(column):  # no key at all (an empty file has a null-typed key)
        return
    if pc.count_distinct(column).as_py() == len(column) - column.null_count:
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
