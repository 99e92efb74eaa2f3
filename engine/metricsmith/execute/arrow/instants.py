"""The instants of a source's time columns, as int64 microseconds since the epoch: what rows
are placed among a level's period boundaries with (placement.py), and the extents of the data
an open range takes its periods from (`plan/timeline.py`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metricsmith.errors import DataError
from metricsmith.execute.data.arrays import int64_numpy, valid_numpy
from metricsmith.plan.nodes import EventTime, StateTime


def instants(
    table: pa.Table, column: str, source: str, timezone: str
) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since the epoch of a time column (a date is its local midnight) and a mask
    of the non-null values."""
    values = table[column]
    if pa.types.is_date(values.type):
        values = date_instants(values, timezone)
    elif not pa.types.is_timestamp(values.type):
        raise DataError(
            f"a time column must hold timestamps or dates, not {values.type}",
            source=source,
            column=column,
            hint=f"declare its type in the source: `column {column}: timestamp`",
        )
    return int64_numpy(values), valid_numpy(values)


def date_instants(values: pa.Array | pa.ChunkedArray, timezone: str) -> pa.Array:
    """The instant each local date begins."""
    midnights = pc.cast(pc.cast(values, pa.date32()), pa.timestamp("us"))
    return pc.assume_timezone(midnights, timezone, ambiguous="earliest", nonexistent="latest")


def extent(
    scan_time: EventTime | StateTime | None,
    times_of: Callable[[str], tuple[np.ndarray, np.ndarray]],
    as_of: int,
) -> tuple[int, int] | None:
    """The first and last instant of a source's rows on a time axis (None when it has none),
    given the instants of each of its time columns (`times_of`, see `instants`). A state row
    counts from its start; its end counts too unless it lies after `as_of` (an open-ended
    far-future end would otherwise stretch the periods to it)."""
    match scan_time:
        case EventTime(column=column):
            times, valid = times_of(column)
            times = times[valid]
        case StateTime(start=start, end=end):
            starts, valid_starts = times_of(start)
            ends, valid_ends = times_of(end)
            ends = ends[valid_ends & (ends <= as_of)]
            times = np.concatenate([starts[valid_starts], ends])
        case _:
            return None
    return (int(times.min()), int(times.max())) if len(times) else None
