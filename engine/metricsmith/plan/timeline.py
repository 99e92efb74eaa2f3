"""The periods of each level of a query: the timelines every engine computes over.

The periods' boundaries are computed once per query in Python (local midnights in the
calendar's zone, so daylight-saving changes are exact), as int64 microseconds since the epoch;
engines place rows among them (binary searches on Arrow, CASE trees or lookup joins in SQL).

The query's own timeline spans its range (or the data: each engine finds the `extents` of the
rows `timed_scans` reads its own way); offsets prepend the periods they read (`extend`); a
child level starts at the periods its parent reads it at (`drop_first`) and a sub-period level
(`per day`) splits them into finer ones (`subdivide`), cut at the parent's boundaries so each
falls in exactly one parent period (`child_timeline`). `resolve_timelines` does all of it
once per query and gives every level its periods, parent periods and window starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
from attrs import evolve, frozen

from metricsmith.check.checked import Calendar
from metricsmith.model.time import Grain
from metricsmith.plan.nodes import Level, PerLevel, Plan, SourceScan, WindowSpec
from metricsmith.plan.periods import (
    epoch_micros,
    from_epoch_micros,
    local_midnight,
    period_starts,
    require_at_most,
    starts_before,
    widen_to_periods,
    window_starts_at,
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


def needs_extents(plan: Plan) -> bool:
    """Whether the query's periods depend on the data (an open end of the range)."""
    if plan.grain is None:
        return (plan.start is None) != (plan.end is None)
    return plan.start is None or plan.end is None


def timed_scans(plan: Plan) -> list[SourceScan]:
    """Every distinct (source, time axis) the levels read, as scans whose rows' extents an
    open range is taken from: the first and last event time; state starts, and state ends not
    after the plan's "now" (an open-ended far-future end would otherwise stretch the periods to
    it); the entities of a `per` over a source with a time column count as events at that
    time."""
    scans: dict[tuple, SourceScan] = {}
    for level in plan.top.walk():
        for scan in level.scans:
            if scan.time is not None:
                scans.setdefault((scan.source, scan.time), scan)
        members = level.members
        if members is not None and members.time is not None:
            scan = members.as_scan()
            scans.setdefault((scan.source, scan.time), scan)
    return list(scans.values())


def build_timeline(plan: Plan, extents: Iterable[tuple[int, int]]) -> Timeline:
    """The periods of the query's range; a missing end of the range is taken from the data
    (`extents` of every source read on a time axis), widened to whole periods."""
    calendar = plan.calendar
    as_of = epoch_micros(plan.as_of)
    extents = list(extents)
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
        if first is None or last is None:
            return _no_periods(plan.grain, as_of)
        widened = widen_to_periods(
            from_epoch_micros(first),
            from_epoch_micros(last),
            plan.grain,
            calendar.timezone,
            calendar.rules,
        )
        start, end = start or widened[0], end or widened[1]
    if epoch_micros(start) >= epoch_micros(end):
        return _no_periods(plan.grain, as_of)
    zone, rules = calendar.timezone, calendar.rules
    require_at_most(plan.max_periods, start, end, plan.grain, zone, rules)
    labels = period_starts(start, end, plan.grain, calendar.timezone, calendar.rules)
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
    days = starts_before(first, timeline.grain, count, calendar.timezone, calendar.rules)
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
    zone, rules = calendar.timezone, calendar.rules
    require_at_most(timeline.max_periods, start, end, grain, zone, rules)
    days = period_starts(start, end, grain, zone, rules)
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
        calendar.rules,
    )
    ends = [epoch_micros(local_midnight(day, calendar.timezone)) for day in days[1:]]
    return np.array([*ends, first], dtype=np.int64)


def child_timeline(
    parent_level: Level, child: PerLevel, parent: Timeline, calendar: Calendar
) -> Timeline:
    """The periods a child level computes, from those its parent computes (`parent`): the
    parent computes `parent_level.extension` periods before the ones its own parent needs,
    the child starts where the parent reads it (`child.reach` periods back), splits them into
    sub-periods for `per day`, and adds the periods its own offsets read before them."""
    level = child.level
    timeline = drop_first(parent, parent_level.extension - child.reach)
    if child.over_periods:
        assert level.grain is not None, "a sub-period level has the grain it iterates"
        timeline = subdivide(timeline, level.grain, calendar)
    return extend(timeline, level.extension, calendar)


@frozen(eq=False)
class LevelTimeline:
    """The resolved periods of one level of a plan: `timeline` the periods it computes (those
    its offsets read included), `parents` the parent period containing each (-1: before the
    parent's first; None at the top), `windows` the distinct windows of its scans in order and
    `window_starts` where each starts at each period end (µs; None: at the beginning of time),
    `children` the resolved levels of `level.children`, in order, and `without_rows` that of
    the child's `PerLevel.without_rows` when this is a child level that has one."""

    level: Level
    timeline: Timeline
    parents: np.ndarray | None
    windows: tuple[WindowSpec, ...]
    window_starts: tuple[tuple[int | None, ...], ...]
    children: tuple[LevelTimeline, ...]
    without_rows: LevelTimeline | None = None

    def starts_of(self, window: WindowSpec) -> tuple[int | None, ...]:
        return self.window_starts[self.windows.index(window)]


@frozen(eq=False)
class Timelines:
    """The periods of every level of a query, resolved once from the data's extents: `output`
    the query's own periods, `top` the query's level (its periods start `skipped` periods
    earlier, for its offsets)."""

    output: Timeline
    top: LevelTimeline

    @property
    def skipped(self) -> int:
        return self.top.timeline.count - self.output.count


def resolve_timelines(plan: Plan, extents: Iterable[tuple[int, int]]) -> Timelines:
    """Every level's periods: the query's own from its range, or the `extents` (first and last
    instant, µs) of the rows of `timed_scans` where the range is open (see `build_timeline`),
    and each child's from its parent's (`child_timeline`)."""
    output = build_timeline(plan, extents)
    top = extend(output, plan.top.extension, plan.calendar)
    return Timelines(output=output, top=_resolve(plan.top, top, None, plan.calendar))


def _resolve_child(
    parent: Level, child: PerLevel, timeline: Timeline, calendar: Calendar
) -> LevelTimeline:
    periods = child_timeline(parent, child, timeline, calendar)
    return _resolve(child.level, periods, parent_periods(periods, timeline), calendar)


def _resolve(
    level: Level, timeline: Timeline, parents: np.ndarray | None, calendar: Calendar
) -> LevelTimeline:
    children = []
    for child in level.children:
        resolved = _resolve_child(level, child, timeline, calendar)
        if child.without_rows is not None:
            twin = _resolve_child(level, child.without_rows, timeline, calendar)
            resolved = evolve(resolved, without_rows=twin)
        children.append(resolved)
    windows = tuple(dict.fromkeys(s.window for s in level.scans if s.window is not None))
    starts = tuple(
        tuple(
            window_starts_at(
                timeline.ends,
                window.kind,
                window.count,
                window.unit,
                calendar.timezone,
                calendar.rules,
            )
        )
        for window in windows
    )
    return LevelTimeline(level, timeline, parents, windows, starts, tuple(children))
