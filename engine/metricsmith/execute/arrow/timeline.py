"""Placing rows in periods.

The periods' boundaries are computed once per query in Python (local midnights in the
calendar's zone, so daylight-saving changes are exact); each row then finds its period with
one vectorised binary search over int64 microseconds since the epoch.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.errors import DataError
from metricsmith.execute.arrow.values import int64_numpy, valid_numpy
from metricsmith.plan.nodes import EventTime, Plan, SourceScan, StateTime
from metricsmith.plan.periods import (
    epoch_micros,
    from_epoch_micros,
    local_midnight,
    period_starts,
    widen_to_periods,
)


@frozen
class Timeline:
    """The periods of a query. `bounds` holds the n+1 instants (µs) delimiting n periods —
    the first and last are the range's own ends — or is None when the query has neither grain
    nor range (one period, every row). `labels` are the periods' first local days (None
    without a grain). `as_of` is the instant state sources are read at in an unbounded query."""

    labels: tuple[dt.date, ...] | None
    bounds: np.ndarray | None
    as_of: int

    @property
    def count(self) -> int:
        return 1 if self.bounds is None else len(self.bounds) - 1


@frozen
class Placement:
    """Which rows of a scan's table are in the query (`rows`, in table order, repeated for a
    state row in force in several periods; None: all rows once) and each one's period."""

    rows: np.ndarray | None
    periods: np.ndarray


def instants(
    table: pa.Table, column: str, source: str, timezone: str
) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since the epoch of a time column (a date is its local midnight) and a mask
    of the non-null values."""
    values = table[column]
    if pa.types.is_date(values.type):
        midnights = pc.cast(pc.cast(values, pa.date32()), pa.timestamp("us"))
        values = pc.assume_timezone(midnights, timezone, ambiguous="earliest", nonexistent="latest")
    elif not pa.types.is_timestamp(values.type):
        raise DataError(
            f"a time column must hold timestamps or dates, not {values.type}",
            source=source,
            column=column,
            hint=f"declare its type in the source: `column {column}: timestamp`",
        )
    return int64_numpy(values), valid_numpy(values)


def extent(scan: SourceScan, table: pa.Table, timezone: str, as_of: int) -> tuple[int, int] | None:
    """The first and last instant of a scan's rows (None when it has none). A state row counts
    from its start; its end counts too unless it lies after `as_of` (an open-ended far-future
    end would otherwise stretch the periods to it)."""
    match scan.time:
        case EventTime(column=column):
            times, valid = instants(table, column, scan.source, timezone)
            times = times[valid]
        case StateTime(start=start, end=end):
            starts, valid_starts = instants(table, start, scan.source, timezone)
            ends, valid_ends = instants(table, end, scan.source, timezone)
            ends = ends[valid_ends & (ends <= as_of)]
            times = np.concatenate([starts[valid_starts], ends])
        case _:
            return None
    return (int(times.min()), int(times.max())) if len(times) else None


def build_timeline(plan: Plan, extents: list[tuple[int, int]]) -> Timeline:
    """The periods of the query's range; a missing end of the range is taken from the data
    (`extents` of every scan), widened to whole periods."""
    calendar = plan.calendar
    as_of = epoch_micros(plan.as_of)
    first = min((e[0] for e in extents), default=None)
    last = max((e[1] for e in extents), default=None)
    start, end = plan.start, plan.end
    if plan.grain is None:
        if start is None and end is None:
            return Timeline(labels=None, bounds=None, as_of=as_of)
        low = epoch_micros(start) if start else (first if first is not None else as_of)
        high = epoch_micros(end) if end else (last + 1 if last is not None else low)
        return Timeline(labels=None, bounds=np.array([low, max(low, high)]), as_of=as_of)
    if start is None or end is None:
        if first is None:
            return _no_periods(as_of)
        widened = widen_to_periods(
            from_epoch_micros(first),
            from_epoch_micros(last),
            plan.grain,
            calendar.timezone,
            calendar.week_start_index,
        )
        start, end = start or widened[0], end or widened[1]
    if epoch_micros(start) >= epoch_micros(end):
        return _no_periods(as_of)
    labels = period_starts(start, end, plan.grain, calendar.timezone, calendar.week_start_index)
    inner = [epoch_micros(local_midnight(day, calendar.timezone)) for day in labels[1:]]
    bounds = np.array([epoch_micros(start), *inner, epoch_micros(end)], dtype=np.int64)
    return Timeline(labels=tuple(labels), bounds=bounds, as_of=as_of)


def _no_periods(as_of: int) -> Timeline:
    return Timeline(labels=(), bounds=np.zeros(1, dtype=np.int64), as_of=as_of)


def place(scan: SourceScan, table: pa.Table, timeline: Timeline, timezone: str) -> Placement:
    match scan.time:
        case EventTime(column=column) if timeline.bounds is not None:
            times, valid = instants(table, column, scan.source, timezone)
            return _place_events(times, valid, timeline.bounds)
        case StateTime(start=start, end=end):
            return _place_states(
                instants(table, start, scan.source, timezone),
                instants(table, end, scan.source, timezone),
                timeline,
            )
    return Placement(rows=None, periods=np.zeros(table.num_rows, dtype=np.int64))


def _place_events(times: np.ndarray, valid: np.ndarray, bounds: np.ndarray) -> Placement:
    periods = np.searchsorted(bounds, times, side="right") - 1
    keep = valid & (periods >= 0) & (periods < len(bounds) - 1)
    if keep.all():
        return Placement(rows=None, periods=periods)
    return Placement(rows=np.flatnonzero(keep), periods=periods[keep])


def _place_states(
    starts: tuple[np.ndarray, np.ndarray], ends: tuple[np.ndarray, np.ndarray], timeline: Timeline
) -> Placement:
    """A state row is in force at the end e of a period when start < e <= end (or the end is
    null); it is repeated once for each such period."""
    period_ends = np.array([timeline.as_of]) if timeline.bounds is None else timeline.bounds[1:]
    (start, has_start), (end, has_end) = starts, ends
    first = np.searchsorted(period_ends, start, side="right")
    last = np.where(
        has_end, np.searchsorted(period_ends, end, side="right") - 1, len(period_ends) - 1
    )
    counts = np.where(has_start, np.maximum(last - first + 1, 0), 0)
    rows = np.repeat(np.arange(len(counts)), counts)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    return Placement(rows=rows, periods=np.repeat(first, counts) + offsets)
