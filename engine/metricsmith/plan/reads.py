"""One read per source: the columns every grouped pass, join and entity set needs, and the
time range the reader may restrict rows to; and the passes given a filter where their read
gives them rows they must not place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import assert_never

from attrs import evolve, frozen

from metricsmith.check.checked import CheckedProject
from metricsmith.model import bound as b
from metricsmith.plan.binding import columns_of
from metricsmith.plan.nodes import (
    EventTime,
    Join,
    Level,
    PerLevel,
    SourceRead,
    SourceScan,
    StateTime,
    TimeAxis,
)
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


@frozen
class OwnRows:
    """What keeps a pass to the rows that count in its periods, where its read may give it
    more (plan/levels.py `_own_rows`): `keep`, a row formula over its source, needless when
    the read's range starts no earlier than `enough` (None: always needed)."""

    enough: TimeRange | None
    keep: b.BExpr


def kept_to_own_rows(
    top: Level, reads: Sequence[SourceRead], own_rows: Mapping[SourceScan, OwnRows]
) -> Level:
    """The level tree with the passes in `own_rows` filtered to their own rows where their
    reads give them more: a link target is read whole, a source read by several passes in
    the union of their ranges, and a state source from its first row. Such a pass belongs to
    a level whose offsets read periods before the pass's first; a row counting only there
    would give the answer its dimension values, which only the rows the metrics read may do
    (docs/language.md, Periods, ranges and the time spine)."""
    given = {read.source: read.time_range for read in reads}

    def scan(pass_: SourceScan) -> SourceScan:
        own = own_rows.get(pass_)
        if own is None or _starts_as_late(given.get(pass_.source), own.enough):
            return pass_
        return evolve(pass_, filters=(*pass_.filters, own.keep))

    def level(node: Level) -> Level:
        return evolve(
            node,
            scans=tuple(scan(s) for s in node.scans),
            children=tuple(child(c) for c in node.children),
        )

    def child(node: PerLevel) -> PerLevel:
        twin = node.without_rows
        return evolve(
            node, level=level(node.level), without_rows=None if twin is None else child(twin)
        )

    return level(top)


def _starts_as_late(read: TimeRange | None, own: TimeRange | None) -> bool:
    """Whether the read gives no row before `own` starts (a row after it ends is in no period
    of the level)."""
    if read is None or own is None or read.column != own.column or read.start is None:
        return False
    return own.start is None or read.start >= own.start
