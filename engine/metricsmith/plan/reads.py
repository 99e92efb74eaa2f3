"""One read per source: the columns every grouped pass, join and entity set needs, and the
time range the reader may restrict rows to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from metricsmith.check.checked import CheckedProject
from metricsmith.model import bound as b
from metricsmith.plan.binding import columns_of
from metricsmith.plan.nodes import EventTime, Join, Level, SourceRead, StateTime, TimeAxis
from metricsmith.plugins.connector import TimeRange


def plan_reads(
    project: CheckedProject,
    top: Level,
    needs: Sequence[tuple[str, TimeRange | None]],
    *,
    one_period: bool,
) -> tuple[SourceRead, ...]:
    """`needs` lists, for each grouped pass and entity set, the rows of its source it reads
    (None: all of them). `one_period`: the query has neither grain nor range, so an event
    outside a window counts in its only period whatever its time (the time is not read)."""
    columns: dict[str, dict[str, None]] = {}
    join_targets: set[str] = set()

    def need(source: str, *names: str) -> None:
        columns.setdefault(source, {}).update(dict.fromkeys(names))

    def need_value(source: str, column: str) -> None:
        # A derived key or link column reads the source's own columns (the checker says so).
        value = project.sources[source].value_of(column)
        need(source, *(c.column for c in columns_of([value])))

    def follow(root: str, joins: tuple[Join, ...], nodes: list[b.BExpr]) -> None:
        targets = {(): root, **{j.path: j.source for j in joins}}
        for join in joins:
            join_targets.add(join.source)
            need_value(targets[join.path[:-1]], join.path[-1])
            need_value(join.source, join.key)
        for column in columns_of(nodes):
            need(targets[column.path], column.column)

    def need_own(source: str, nodes: list[b.BExpr]) -> None:
        need(source, *(c.column for c in columns_of(nodes) if not c.path))

    for level in top.walk():
        for scan in level.scans:
            timeless = one_period and isinstance(scan.time, EventTime) and scan.window is None
            times = [] if timeless else time_values(project, scan.source, scan.time)
            need_own(scan.source, times)
            keys = [*scan.dimensions, *scan.filters, *([scan.entity] if scan.entity else [])]
            aggregates = [f.aggregate for f in scan.aggregates]
            follow(scan.source, scan.joins, [*times, *keys, *aggregates])
        members = level.members
        if members is not None:
            need_value(members.source, members.key)
            times = time_values(project, members.source, members.as_scan().time)
            need_own(members.source, times)
            follow(members.source, members.joins, [*times, *members.dimensions, *members.filters])
    by_source: dict[str, list[TimeRange | None]] = {}
    for source, time_range in needs:
        by_source.setdefault(source, []).append(time_range)
    return tuple(
        SourceRead(
            source=source,
            columns=tuple(names),
            # A join target needs every row (any of them may be linked to).
            time_range=None if source in join_targets else _union(by_source.get(source, [None])),
        )
        for source, names in columns.items()
    )


def time_names(time: TimeAxis | None) -> list[str]:
    """The columns of a time axis."""
    match time:
        case EventTime(column=column):
            return [column]
        case StateTime(start=start, end=end):
            return [start, end]
        case None:
            return []
        case _:
            assert_never(time)


def time_values(project: CheckedProject, source: str, time: TimeAxis | None) -> list[b.BExpr]:
    """The values of a time axis's columns as row formulas over `source` (a derived time may
    read linked sources, so the links it follows are joined like any formula's)."""
    return [project.sources[source].value_of(name) for name in time_names(time)]


def _union(ranges: list[TimeRange | None]) -> TimeRange | None:
    """The smallest range holding every range (None: every row)."""
    known = [r for r in ranges if r is not None]
    if len(known) != len(ranges) or len({r.column for r in known}) != 1:
        return None
    starts = [r.start for r in known if r.start is not None]
    ends = [r.end for r in known if r.end is not None]
    start = min(starts) if len(starts) == len(known) else None
    end = max(ends) if len(ends) == len(known) else None
    if start is None and end is None:
        return None
    return TimeRange(known[0].column, start, end)
