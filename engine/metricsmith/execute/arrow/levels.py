"""Running a level: its grouped passes and child levels, laid out as dense cells, and its
formulas evaluated over them.

A level's cells are period-major (`period * units + unit`), so an offset is a shift of the
whole column by whole periods, and a per-entity level over a source with a key is a plain
(period × entity) array: no join is ever hashed to line values up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import pyarrow as pa

from metricsmith.check.checked import Calendar
from metricsmith.execute.arrow.cells import build_grid, fill_empty
from metricsmith.execute.arrow.combine import combine
from metricsmith.execute.arrow.frame import Sources, all_true
from metricsmith.execute.arrow.grid import LevelCells, LevelGrid, key_labels
from metricsmith.execute.arrow.grouping import (
    KeptCodes,
    LinkPresence,
    ScanCells,
    group_cells,
    group_members,
    linked_distinct_cells,
    member_distinct_counts,
    placed_rows,
    range_totals,
    rows_read,
)
from metricsmith.execute.arrow.members import (
    Members,
    in_cohorts,
    load_members,
)
from metricsmith.execute.arrow.placement import Placer, Ranges, TimeColumns
from metricsmith.execute.arrow.values import take_indices
from metricsmith.model import bound as b
from metricsmith.plan.formatting import format_expr
from metricsmith.plan.nodes import Level, PerLevel, ScanPhysical, SourceScan
from metricsmith.plan.timeline import LevelTimeline, Timeline
from metricsmith.plugins.functions import Additive, AggregateFunction, ScalarFunction


class LevelRunner:
    """Runs the levels of one query over the tables it read."""

    def __init__(
        self,
        sources: Sources,
        calendar: Calendar,
        scalars: Mapping[str, ScalarFunction],
        aggregates: Mapping[str, AggregateFunction],
        cohort_label: str | None,
        by_age: bool = False,
    ):
        """`by_age`: only the rows and members of the range's cohorts can reach the answer
        (`Plan.range_cohorts_only`)."""
        self.sources = sources
        self.calendar = calendar
        self.scalars = scalars
        self.aggregates = aggregates
        self.cohort_label = cohort_label
        self.by_age = by_age
        self.times = TimeColumns(sources, calendar.timezone)
        self._member_rows: dict[tuple[str, b.BExpr, str], np.ndarray] = {}
        #: What the per-entity levels' passes found of which linked rows are named in each
        #: period (`_keep_presence`).
        self._presence: list[LinkPresence] = []

    def run(
        self,
        resolved: LevelTimeline,
        streamed: Mapping[int, ScanCells] | None = None,
        cohorts: Sequence[dt.date] = (),
        of_cohorts: Sequence[dt.date] = (),
    ) -> LevelGrid:
        """The level's grid; `streamed` holds the groups of some of its scans (by position),
        already computed over sources read in batches (streaming.py); `cohorts`: the cohorts
        of the range, for the query's own level (`Plan.cohorts`); `of_cohorts` (a child of
        the query's level, by age): the only cohorts whose members count."""
        level, timeline = resolved.level, resolved.timeline
        streamed = streamed or {}
        placer = Placer(resolved, self.calendar, self.times)
        keys = key_labels(level)
        children: list[ScanCells] = []
        without_rows: dict[int, ScanCells] = {}
        for child, periods in zip(level.children, resolved.children, strict=True):
            if child.without_rows is not None:
                assert periods.without_rows is not None, "resolved with the child"
                twin = self._child(child.without_rows, keys, timeline, periods.without_rows)
                without_rows[len(level.scans) + len(children)] = twin
            # By age, the answer's rows are the range's cohorts: a member of another cohort
            # only adds to parent cells that no row shows.
            only = cohorts if self.by_age else ()
            children.append(self._child(child, keys, timeline, periods, only))
        empty = self._empty_values(level)
        if level.members is not None:
            assert not without_rows, "a level over members has a cell for every member"
            members = load_members(level.members, self.sources, self.times, timeline)
            if of_cohorts and self.cohort_label in level.labels:
                position = level.labels.index(self.cohort_label)
                members = members.of_cohorts(position, of_cohorts)
            return self._member_grid(level, timeline, placer, members, children, empty)
        scans = [
            streamed[i] if i in streamed else self._scan(level, scan, placer, cohorts)
            for i, scan in enumerate(level.scans)
        ]
        self._presence.clear()  # (read by these scans alone: not kept through the query)
        cohort_keys = None
        if cohorts and self.cohort_label in level.labels:
            position = level.labels.index(self.cohort_label)
            cohort_keys = position, pa.array(cohorts, pa.date32())
        grid = build_grid(
            [*scans, *children],
            timeline.count,
            len(keys),
            empty,
            len(scans),
            without_rows,
            cohort_keys,
        )
        return LevelGrid(
            level=level,
            timeline=timeline,
            keys=keys,
            units=grid.units,
            unit_count=grid.unit_count,
            columns=grid.columns,
            # At an identifier level the entity set is what the passes read.
            in_set=grid.present if level.entity is not None else None,
        )

    def cells(self, grid: LevelGrid) -> LevelCells:
        return LevelCells(
            grid,
            grid.level.leaf_columns(),
            self.cohort_label,
            functions=self.scalars,
            timezone=self.calendar.timezone,
            origin="the cells",
            parameters=self.sources.parameters,
        )

    # ---- child levels -------------------------------------------------------------------
    def _child(
        self,
        child: PerLevel,
        parent_keys: tuple[str, ...],
        parent: Timeline,
        resolved: LevelTimeline,
        of_cohorts: Sequence[dt.date] = (),
    ) -> ScanCells:
        grid = self.run(resolved, of_cohorts=of_cohorts)
        assert resolved.parents is not None, "a child level has parent periods"
        return combine(
            child,
            grid,
            self.cells(grid),
            resolved.parents,
            parent.count,
            parent_keys,
            self.aggregates,
        )

    # ---- per-entity levels over a source with a key -------------------------------------
    def _member_grid(
        self,
        level: Level,
        timeline: Timeline,
        placer: Placer,
        members: Members,
        children: list[ScanCells],
        empty: dict[str, int | float | None],
    ) -> LevelGrid:
        periods, count = timeline.count, members.count
        columns: dict[str, pa.Array] = {}
        for scan, scan_physical in zip(level.scans, level.physical, strict=True):
            results = self._member_scan(scan, scan_physical, placer, members, periods)
            columns.update((name, fill_empty(v, empty[name])) for name, v in results.items())
        for cells in children:
            # A sub-period level below keeps the entities: its groups name theirs.
            entity = members.positions(cells.dimensions[-1], members.source, members.key)
            cell = cells.periods * count + entity
            position = np.full(periods * count, -1, dtype=np.int64)
            position[cell[entity >= 0]] = np.flatnonzero(entity >= 0)
            indices = take_indices(position)
            for name, values in cells.aggregates.items():
                columns[name] = fill_empty(values.take(indices), empty[name])
        return LevelGrid(
            level=level,
            timeline=timeline,
            keys=key_labels(level),
            units=(*members.dimensions, members.keys),
            unit_count=count,
            columns=columns,
            in_set=members.in_set(periods),
        )

    def _member_scan(
        self,
        scan: SourceScan,
        physical: ScanPhysical,
        placer: Placer,
        members: Members,
        periods: int,
    ) -> dict[str, pa.Array]:
        """A scan's aggregates per (period, entity): from each row's range of periods when
        they are additive (the plan's `ScanPhysical.weights`; the dense period x member
        cells make that cheap for every pass with periods, windowed or not), else over the
        rows repeated in their periods."""
        rows = self._members_of_rows(scan, members)
        frame = self.sources.frame(scan.source)
        count, weights = members.count, physical.weights
        # A distinct count of the rows' own entity is 1 in a (period, entity) cell with a
        # row naming it and 0 without: a count of those rows, capped at 1, which comes from
        # the rows' period ranges as any count does (no row repeated, no pairs sorted).
        presence = weights is None and _counts_own_entity(scan)
        if presence:
            weights = tuple(Additive.COUNT for _ in scan.aggregates)
        ranges = placer.ranges(scan)
        if weights is not None and ranges is not None:
            keep = all_true(frame, scan.filters)
            totals = range_totals(
                scan, weights, frame, ranges, keep, rows, periods, count, capped=presence
            )
            if totals is not None:
                if presence:
                    self._keep_presence(scan, ranges, members, totals, periods)
                return totals
        read = rows_read(scan, frame, ranges, self.aggregates)
        distinct = member_distinct_counts(scan, frame, ranges, read, rows, periods, count)
        others = tuple(f for f in scan.aggregates if f.name not in distinct)
        if not others:
            return distinct
        rest = attrs.evolve(scan, aggregates=others)
        placed = placed_rows(frame, ranges, read)
        return {**distinct, **group_members(rest, placed, rows, periods, count, self.aggregates)}

    def _scan(
        self, level: Level, scan: SourceScan, placer: Placer, cohorts: Sequence[dt.date]
    ) -> ScanCells:
        """The groups of a scan of a level without members."""
        frame = self.sources.frame(scan.source)
        count = placer.timeline.count
        only = self._of_cohorts(level, scan, cohorts)
        linked = linked_distinct_cells(scan, placer, frame, count, only, self._presence)
        if linked is not None:
            return linked
        rows = None if only is None else only.rows(frame)
        return group_cells(scan, placer, frame, count, self.aggregates, rows)

    def _keep_presence(
        self,
        scan: SourceScan,
        ranges: Ranges,
        members: Members,
        totals: Mapping[str, pa.Array],
        periods: int,
    ) -> None:
        """Keeps the (period, entity) presence a pass counting the rows' own entity found,
        when its entity is a link to the members and no aggregate has a `where` (each then
        counts the same rows): a distinct count of that link by what lies behind it at the
        level above reads it instead of marking the rows again (`linked_distinct_cells`)."""
        link = self._entity_link(scan, members)
        if link is None or any(f.aggregate.where is not None for f in scan.aggregates):
            return
        counts = next(iter(totals.values())).to_numpy(zero_copy_only=False)
        rows = np.arange(members.count) if members.rows is None else members.rows
        found = LinkPresence(
            scan.source,
            link,
            ranges,
            tuple(scan.filters),
            rows,
            counts.reshape(periods, members.count),
        )
        self._presence.append(found)

    def _of_cohorts(
        self, level: Level, scan: SourceScan, cohorts: Sequence[dt.date]
    ) -> KeptCodes | None:
        """By age, which rows of a scan of the query's own level count: those of the range's
        cohorts (None: every row counts); the others only add to cells no row of the answer
        shows."""
        if not (self.by_age and cohorts and self.cohort_label in level.labels):
            return None
        if len(scan.dimensions) != len(level.labels):
            return None  # (dimensions of the entities below: not the rows' to tell apart)
        node = scan.dimensions[level.labels.index(self.cohort_label)]
        # Told apart by the cohorts' codes: a cohort read through a link is coded over the
        # linked source's rows (the accounts, not every subscription).
        kept = in_cohorts(self.sources.frame(scan.source).dictionary(node), cohorts)
        return None if kept is None else KeptCodes(node, np.append(kept, False))  # null: none

    def _entity_link(self, scan: SourceScan, members: Members) -> str | None:
        """The scan's entity when it is a link to the members' source (by its key)."""
        entity = scan.entity
        info = self.sources.project.sources
        if (
            isinstance(entity, b.BColumn)
            and not entity.path
            and info[scan.source].links.get(entity.column) == members.source
            and info[members.source].key == members.key
        ):
            return entity.column
        return None

    def _members_of_rows(self, scan: SourceScan, members: Members) -> np.ndarray:
        assert scan.entity is not None
        frame = self.sources.frame(scan.source)
        entity = scan.entity
        link = self._entity_link(scan, members)
        if link is not None:
            # The entity is a link to the members' source: its rows there, looked up once
            # for the link (the frame keeps them) and the members both.
            rows = frame.linked_rows(link)
            return members.of_source_rows(rows, self.sources.frame(members.source).num_rows)
        # Every level iterating over all of a source's entities reads the same rows of it.
        key = (scan.source, entity, members.source)
        if members.rows is not None or key not in self._member_rows:
            values = frame.evaluate(entity)
            numbers = members.positions(values, scan.source, format_expr(entity))
            if members.rows is not None:
                return numbers  # (some of the entities: numbered among them)
            self._member_rows[key] = numbers
        return self._member_rows[key]

    # ---- shared -------------------------------------------------------------------------
    def _empty_values(self, level: Level) -> dict[str, int | float | None]:
        empty = {
            f.name: self.aggregates[f.aggregate.function].empty
            for scan in level.scans
            for f in scan.aggregates
        }
        for child in level.children:
            empty.update((a.name, self.aggregates[a.per.function].empty) for a in child.aggregates)
        return empty


def _counts_own_entity(scan: SourceScan) -> bool:
    """Whether every aggregate of the scan is a distinct count of the entity its rows are
    grouped by (`count_distinct(subscriptions.account_id)` per account), with or without a
    `where`."""
    return scan.entity is not None and all(
        fused.aggregate.function == "count_distinct" and fused.aggregate.arg == scan.entity
        for fused in scan.aggregates
    )
