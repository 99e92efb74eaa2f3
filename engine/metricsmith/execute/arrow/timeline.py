"""The periods of each level of a query.

The periods' boundaries are computed once per query in Python (local midnights in the
calendar's zone, so daylight-saving changes are exact); rows then find their periods with
vectorised binary searches over int64 microseconds since the epoch (see placement.py).

The query's own timeline spans its range (or the data); offsets prepend the periods they read
(`extend`); a sub-period level (`per day`) splits its parent's periods into finer ones
(`subdivide`), cut at the parent's boundaries so each falls in exactly one parent period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import evolve, frozen

from metricsmith.check.checked import Calendar
from metricsmith.errors import DataError
from metricsmith.execute.arrow.values import int64_numpy, valid_numpy
from metricsmith.model.time import Grain
from metricsmith.plan.nodes import EventTime, Plan, StateTime
from metricsmith.plan.periods import (
    epoch_micros,
    from_epoch_micros,
    local_midnight,
    period_starts,
    require_at_most,
    starts_before,
    widen_to_periods,
)


@frozen
class Timeline:
    """The periods of a level. `bounds` holds the n+1 instants (µs) delimiting n periods — the
    first and last are the range's own ends — or is None when the query has neither grain nor
    range (one period, every row). `labels` are the periods' first local days at the query's
    own level (None without a grain and below the top). `as_of` is the instant state sources
    are read at in an unbounded query. `max_periods` bounds the periods of its finer levels
    (`subdivide`) as the plan bounds the query's own (None: no limit)."""

    grain: Grain | None
    labels: tuple[dt.date, ...] | None
    bounds: np.ndarray | None
    as_of: int
    max_periods: int | None = None

    @property
    def count(self) -> int:
        return 1 if self.bounds is None else len(self.bounds) - 1

    @property
    def ends(self) -> np.ndarray:
        """The instant each period ends at: where state sources are read."""
        return np.array([self.as_of]) if self.bounds is None else self.bounds[1:]


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


def build_timeline(plan: Plan, extents: list[tuple[int, int]]) -> Timeline:
    """The periods of the query's range; a missing end of the range is taken from the data
    (`extents` of every source read on a time axis), widened to whole periods."""
    calendar = plan.calendar
    as_of = epoch_micros(plan.as_of)
    first = min((e[0] for e in extents), default=None)
    last = max((e[1] for e in extents), default=None)
    start, end = plan.start, plan.end
    if plan.grain is None:
        if start is None and end is None:
            return Timeline(grain=None, labels=None, bounds=None, as_of=as_of)
        low = epoch_micros(start) if start else (first if first is not None else as_of)
        high = epoch_micros(end) if end else (last + 1 if last is not None else low)
        return Timeline(
            grain=None, labels=None, bounds=np.array([low, max(low, high)]), as_of=as_of
        )
    if start is None or end is None:
        if first is None:
            return _no_periods(plan.grain, as_of)
        widened = widen_to_periods(
            from_epoch_micros(first),
            from_epoch_micros(last),
            plan.grain,
            calendar.timezone,
            calendar.week_start_index,
        )
        start, end = start or widened[0], end or widened[1]
    if epoch_micros(start) >= epoch_micros(end):
        return _no_periods(plan.grain, as_of)
    zone, week_start = calendar.timezone, calendar.week_start_index
    require_at_most(plan.max_periods, start, end, plan.grain, zone, week_start)
    labels = period_starts(start, end, plan.grain, calendar.timezone, calendar.week_start_index)
    inner = [epoch_micros(local_midnight(day, calendar.timezone)) for day in labels[1:]]
    bounds = np.array([epoch_micros(start), *inner, epoch_micros(end)], dtype=np.int64)
    return Timeline(
        grain=plan.grain,
        labels=tuple(labels),
        bounds=bounds,
        as_of=as_of,
        max_periods=plan.max_periods,
    )


def _no_periods(grain: Grain, as_of: int) -> Timeline:
    return Timeline(grain=grain, labels=(), bounds=np.zeros(1, dtype=np.int64), as_of=as_of)


def extend(timeline: Timeline, count: int, calendar: Calendar) -> Timeline:
    """The timeline with `count` more periods before its first (whole periods of its grain,
    the last of them cut short where the timeline starts if that is not a boundary)."""
    if count == 0 or timeline.bounds is None or timeline.count == 0:
        return timeline
    assert timeline.grain is not None
    first = from_epoch_micros(int(timeline.bounds[0]))
    days = starts_before(first, timeline.grain, count, calendar.timezone, calendar.week_start_index)
    before = [epoch_micros(local_midnight(day, calendar.timezone)) for day in days]
    labels = None if timeline.labels is None else (*days, *timeline.labels)
    bounds = np.concatenate([np.array(before, dtype=np.int64), timeline.bounds])
    return evolve(timeline, labels=labels, bounds=bounds)


def drop_first(timeline: Timeline, count: int) -> Timeline:
    """The timeline without its first `count` periods."""
    if count <= 0 or timeline.bounds is None or timeline.count == 0:
        return timeline
    labels = None if timeline.labels is None else timeline.labels[count:]
    return evolve(timeline, labels=labels, bounds=timeline.bounds[count:])


def subdivide(timeline: Timeline, grain: Grain, calendar: Calendar) -> Timeline:
    """The periods of `grain` inside the timeline's, cut at its boundaries."""
    assert timeline.bounds is not None, "the planner requires a range for sub-periods"
    if timeline.count == 0:
        return evolve(timeline, grain=grain, labels=None)
    start = from_epoch_micros(int(timeline.bounds[0]))
    end = from_epoch_micros(int(timeline.bounds[-1]))
    zone, week_start = calendar.timezone, calendar.week_start_index
    require_at_most(timeline.max_periods, start, end, grain, zone, week_start)
    days = period_starts(start, end, grain, zone, week_start)
    inner = [epoch_micros(local_midnight(day, calendar.timezone)) for day in days[1:]]
    bounds = np.union1d(timeline.bounds, np.array(inner, dtype=np.int64))
    return Timeline(
        grain=grain,
        labels=None,
        bounds=bounds,
        as_of=timeline.as_of,
        max_periods=timeline.max_periods,
    )


def parent_periods(child: Timeline, parent: Timeline) -> np.ndarray:
    """For each period of a child level, the parent period containing it (-1: before the
    parent's first, computed only for the child's offsets)."""
    if child.bounds is None or parent.bounds is None:
        return np.zeros(child.count, dtype=np.int64)
    found = np.searchsorted(parent.bounds, child.bounds[:-1], side="right") - 1
    return np.where(found < parent.count, found, -1)


def grain_boundaries_before(timeline: Timeline, earliest: int, calendar: Calendar) -> np.ndarray:
    """The ends of the periods of the timeline's grain from the one containing `earliest` up
    to the timeline's start (the last is the timeline's start itself); empty when `earliest` is
    not before it or the timeline has no grain."""
    if timeline.bounds is None or timeline.grain is None or timeline.count == 0:
        return np.zeros(0, dtype=np.int64)
    first = int(timeline.bounds[0])
    if earliest >= first:
        return np.zeros(0, dtype=np.int64)
    days = period_starts(
        from_epoch_micros(earliest),
        from_epoch_micros(first),
        timeline.grain,
        calendar.timezone,
        calendar.week_start_index,
    )
    ends = [epoch_micros(local_midnight(day, calendar.timezone)) for day in days[1:]]
    return np.array([*ends, first], dtype=np.int64)
