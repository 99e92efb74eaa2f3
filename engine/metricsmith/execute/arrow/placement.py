"""Placing a source's rows in the periods of a level.

Every placement gives each row a contiguous range of period indices `[first, last]` — found
with binary searches over the periods' boundaries (`Ranges`) — and repeats the row once per
period in it (numpy repeat and cumulative sums, no loop over rows or periods):

- an event counts in the period containing its time;
- a state row (docs/time-intelligence.md, "State sources") counts in every period whose end
  it is in force at;
- with a window, an event counts at every period end whose window holds its time, and a state
  row at every period end whose window holds one of the period ends it is in force at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

import numpy as np
import pyarrow as pa
from attrs import frozen

from metricsmith.check.checked import Calendar
from metricsmith.execute.arrow.frame import Sources
from metricsmith.execute.arrow.instants import instants
from metricsmith.plan.nodes import EventTime, SourceScan, StateTime, WindowSpec
from metricsmith.plan.timeline import LevelTimeline, grain_boundaries_before

_BEGINNING = np.iinfo(np.int64).min
_DAY = 86_400_000_000  # µs
# Fewer times than this are placed by binary search alone (the table would not pay).
_TABLE_FROM_TIMES = 4096
# Times looked up in the table at once.
_SLICE = 1 << 20


@frozen
class Ranges:
    """For each source row, the periods `[first, last]` it counts in (none when last < first);
    `first` is never negative. Period numbers may be 32-bit (`period_type`): a product of a
    period and a count of entities or pairs is widened to int64 first."""

    first: np.ndarray
    last: np.ndarray


@frozen
class Placement:
    """Which rows of a source are in the level (`rows`, in table order, repeated for a row in
    several periods; None: all rows once) and each one's period."""

    rows: np.ndarray | None
    periods: np.ndarray


class Placer:
    """Places the rows of scans in one level's periods; window starts are made arrays once per
    window."""

    def __init__(self, resolved: LevelTimeline, calendar: Calendar, times: TimeColumns):
        self.resolved = resolved
        self.timeline = resolved.timeline
        self.calendar = calendar
        self.times = times
        self._window_starts: dict[WindowSpec, np.ndarray] = {}
        # The period ending after each event (source, time column): shared by its windows.
        self._periods_after: dict[tuple[str, str], np.ndarray] = {}

    def over(self, sources: Sources) -> Placer:
        """This placer for the rows of `sources` (a batch of a source read in batches); the
        window starts are shared."""
        placer = Placer(self.resolved, self.calendar, TimeColumns(sources, self.times.timezone))
        placer._window_starts = self._window_starts
        return placer

    def ranges(self, scan: SourceScan) -> Ranges | None:
        """The periods each row counts in; None when every row counts once, in the only
        period (no time axis, or an event source in a query without grain or range)."""
        timeline = self.timeline
        match scan.time:
            case EventTime(column=column):
                if scan.window is None:
                    if timeline.bounds is None:
                        return None  # the time is not read (plan/reads.py `one_period`)
                    return _events(*self.times(scan.source, column), timeline.bounds)
                times, valid = self.times(scan.source, column)
                # An event at t counts at each period end e with window start <= t < e:
                # from the first period ending after t to the last whose window starts
                # at or before t.
                key = (scan.source, column)
                if key not in self._periods_after:
                    self._periods_after[key] = at_or_before(timeline.ends, times)
                first = self._periods_after[key]
                last = at_or_before(self.window_starts(scan.window), times)
                last -= 1  # (in place: a new array, as large as the source)
                last[~valid] = -1
                return Ranges(first, last)
            case StateTime(start=start, end=end):
                start_times = self.times(scan.source, start)
                end_times = self.times(scan.source, end)
                if scan.window is not None:
                    return self._windowed_states(start_times, end_times, scan.window)
                return self.times.state_ranges(
                    (scan.source, start, end, timeline.ends.tobytes()),
                    lambda: _states(start_times, end_times, timeline.ends),
                )
            case None:
                return None
            case _:
                assert_never(scan.time)
        return None

    def window_starts(self, window: WindowSpec) -> np.ndarray:
        """Where the window ending at each period end starts (µs; the beginning of time for
        all-time windows)."""
        if window not in self._window_starts:
            starts = self.resolved.starts_of(window)
            self._window_starts[window] = np.array(
                [_BEGINNING if start is None else start for start in starts], dtype=np.int64
            )
        return self._window_starts[window]

    def _windowed_states(
        self,
        starts: tuple[np.ndarray, np.ndarray],
        ends: tuple[np.ndarray, np.ndarray],
        window: WindowSpec,
    ) -> Ranges:
        """A state row counts at period end e when it is in force at some period end (of the
        level's grain) in (window start, e]. The period ends it is in force at are a range
        [f, l] of an axis reaching back to the first window (to the first row for all-time
        windows); the windows of periods p hold the ends [lo_p, p], and lo grows with p."""
        (start, has_start), (end, has_end) = starts, ends
        window_starts = self.window_starts(window)
        if not len(window_starts):
            # No periods (a range taken from data that has none, or that lies outside the
            # range's given end): no window to hold a row.
            return Ranges(np.zeros(len(start), dtype=np.int64), np.full(len(start), -1))
        earliest = int(window_starts[0])
        if earliest == _BEGINNING:
            earliest = int(start[has_start].min()) if has_start.any() else 0
        before = grain_boundaries_before(self.timeline, earliest, self.calendar)
        axis = np.concatenate([before, self.timeline.ends])
        first = at_or_before(axis, start)
        last = np.where(has_end, at_or_before(axis, end) - 1, len(axis) - 1)
        in_force = has_start & (first <= last)
        window_first = np.searchsorted(axis, window_starts, side="right")
        period_first = np.maximum(first - len(before), 0)
        period_last = np.searchsorted(window_first, last, side="right") - 1
        return Ranges(period_first, np.where(in_force, period_last, -1))


def period_type(bounds: int) -> type[np.signedinteger]:
    """The integers counts of `bounds` period boundaries are kept in: 32-bit while they fit
    (half the memory of int64: over 10M events, 40 MB less per array), else int64."""
    return np.int32 if bounds <= _NARROW_PERIODS else np.int64


# The most boundaries counted in 32 bits (a module name, so a test can make it small).
_NARROW_PERIODS = np.iinfo(np.int32).max - 1


def at_or_before(bounds: np.ndarray, times: np.ndarray) -> np.ndarray:
    """For each time, how many of the sorted `bounds` are at or before it
    (`np.searchsorted(bounds, times, side="right")`). When the bounds all lie whole days
    apart (periods of a day or longer in a zone without daylight saving, such as UTC), no
    bound falls inside a day after the first bound, so each time's answer is that of its day:
    one division and a lookup in a table of days instead of a binary search per time."""
    if len(bounds) < 2 or len(times) < _TABLE_FROM_TIMES:
        return np.searchsorted(bounds, times, side="right")
    first, last = int(bounds[0]), int(bounds[-1])
    if first == last:
        # One bound repeated (the starts of all-time windows): all of them or none.
        kind = period_type(len(bounds))
        return np.where(times >= first, kind(len(bounds)), kind(0))
    days = (last - first) // _DAY
    if days > len(times) or np.any((bounds - first) % _DAY):
        return np.searchsorted(bounds, times, side="right")
    day_starts = first + np.arange(days + 1, dtype=np.int64) * _DAY
    # Entry 0 stands for every time before the first bound (none at or before it), entry
    # d + 1 for day d from the first bound: one clip bounds both ends and, done first, keeps
    # the subtraction from overflowing.
    table = np.concatenate([[0], np.searchsorted(bounds, day_starts, side="right")])
    table = table.astype(period_type(len(bounds)))
    origin = first - _DAY
    # Slice by slice, so the temporaries stay small (over 10M times, four of 80 MB at once),
    # and in place: four passes over each slice, not six. One buffer for every slice's days:
    # a new array per slice costs the pages of fresh memory each time (over 1.5M times, 6 ms
    # a call against 2).
    found = np.empty(len(times), dtype=table.dtype)
    days_buffer = np.empty(min(len(times), _SLICE), dtype=np.int64)
    for start in range(0, len(times), _SLICE):
        part = times[start : start + _SLICE]
        day = days_buffer[: len(part)]
        np.clip(part, origin, last, out=day)
        day -= origin
        day //= _DAY
        # `clip` (the days are clipped already): with an `out`, the default mode writes
        # through a buffer and checks every index (1.6 ms per 1M times, against 0.7).
        np.take(table, day, out=found[start : start + _SLICE], mode="clip")
    return found


def _events(times: np.ndarray, valid: np.ndarray, bounds: np.ndarray) -> Ranges:
    periods = at_or_before(bounds, times) - 1
    keep = valid & (periods >= 0) & (periods < len(bounds) - 1)
    return Ranges(np.where(keep, periods, 0), np.where(keep, periods, -1))


def _states(
    starts: tuple[np.ndarray, np.ndarray], ends: tuple[np.ndarray, np.ndarray], period_ends
) -> Ranges:
    """A state row is in force at the end e of a period when start < e <= end (or the end is
    null)."""
    (start, has_start), (end, has_end) = starts, ends
    first = at_or_before(period_ends, start)
    # In place: the arrays are as long as the source (1.5M subscriptions).
    last = at_or_before(period_ends, end)
    last -= 1
    last[~has_end] = len(period_ends) - 1
    last[~has_start] = -1
    return Ranges(first, last)


def place(ranges: Ranges | None, row_count: int, keep: np.ndarray | None = None) -> Placement:
    """The rows marked in `keep` (all: None) placed in their `ranges` (None: every row once,
    in the only period)."""
    if ranges is None:
        if keep is None:
            return Placement(rows=None, periods=np.zeros(row_count, dtype=np.int64))
        rows = np.flatnonzero(keep)
        return Placement(rows=rows, periods=np.zeros(len(rows), dtype=np.int64))
    return spread(ranges, keep)


def spread(ranges: Ranges, keep: np.ndarray | None = None) -> Placement:
    """Row i (of those marked in `keep`; all: None) repeated for each period in
    [first[i], last[i]]."""
    first = ranges.first
    counts = ranges.last - first
    counts += 1
    placed = counts > 0
    if keep is not None:
        placed &= keep
    if placed.all():
        rows = None
    else:
        # Only the rows placed at all (a third of the subscriptions in a year's month ends):
        # the repeats below pass over them alone.
        rows = np.flatnonzero(placed)
        counts = counts[rows]
    starts = first if rows is None else first[rows]
    if counts.max(initial=0) <= 1:
        # Each row lands in at most one period (an event without a window, a window no
        # longer than the periods are apart): its first, nothing to repeat.
        return Placement(rows=rows, periods=starts)
    repeated = np.repeat(np.arange(len(counts)) if rows is None else rows, counts)
    # Each placed row's period: its first, plus its position among its row's repeats.
    periods = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    periods += np.arange(len(periods))
    return Placement(rows=repeated, periods=periods)


class TimeColumns:
    """The instants of the time columns of the sources read, read or derived (each converted
    once per query), and the periods of state rows (`state_ranges`)."""

    def __init__(self, sources: Sources, timezone: str):
        self.sources = sources
        self.timezone = timezone
        self._instants: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._ranges: dict[tuple[str, str, str, bytes], Ranges] = {}

    def state_ranges(
        self, key: tuple[str, str, str, bytes], compute: Callable[[], Ranges]
    ) -> Ranges:
        """The periods of a state source's rows at some period ends, computed once per query:
        the levels of a query over the same periods place the same rows (a cohort query's
        per-account level and its own both read the subscriptions at each month end)."""
        if key not in self._ranges:
            self._ranges[key] = compute()
        return self._ranges[key]

    def __call__(self, source: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        key = (source, column)
        if key not in self._instants:
            values = pa.table({column: self.sources.frame(source).named(column)})
            self._instants[key] = instants(values, column, source, self.timezone)
        return self._instants[key]
