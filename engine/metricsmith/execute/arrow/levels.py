"""Running a level: its grouped passes and child levels, laid out as dense cells, and its
formulas evaluated over them.

A level's cells are period-major (`period * units + unit`), so an offset is a shift of the
whole column by whole periods, and a per-entity level over a source with a key is a plain
(period × entity) array: no join is ever hashed to line values up.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
from attrs import frozen

from metricsmith.check.checked import Calendar
from metricsmith.execute.arrow.cells import build_grid, fill_empty
from metricsmith.execute.arrow.combine import combine
from metricsmith.execute.arrow.evaluate import Evaluator
from metricsmith.execute.arrow.frame import Sources, all_true
from metricsmith.execute.arrow.grouping import (
    PlacedRows,
    ScanCells,
    group_cells,
    group_members,
    range_totals,
)
from metricsmith.execute.arrow.instants import date_instants
from metricsmith.execute.arrow.members import Members, load_members
from metricsmith.execute.arrow.placement import Placer, TimeColumns
from metricsmith.execute.arrow.values import Datum, as_array
from metricsmith.execute.data.arrays import int64_numpy, valid_numpy
from metricsmith.model import bound as b
from metricsmith.plan.formatting import format_expr
from metricsmith.plan.nodes import Level, PerLevel, SourceScan
from metricsmith.plan.offsets import offset_shift
from metricsmith.plan.physical import ScanPhysical, level_physical
from metricsmith.plan.timeline import LevelTimeline, Timeline
from metricsmith.plugins.functions import AggregateFunction, ScalarFunction

#: Stands for the entity among the keys of a per-entity level's units (never a label).
ENTITY_KEY = "\0entity"


@frozen
class LevelGrid:
    """A level's cells: `units` holds one array per key named in `keys` (one value per
    unit), `columns` one value per cell for each leaf column, `in_set` whether each cell's
    entity belongs to the cell's entity set (None: every cell counts)."""

    level: Level
    timeline: Timeline
    keys: tuple[str, ...]
    units: tuple[pa.Array, ...]
    unit_count: int
    columns: dict[str, pa.Array]
    in_set: np.ndarray | None

    @property
    def size(self) -> int:
        return self.timeline.count * self.unit_count


def key_labels(level: Level) -> tuple[str, ...]:
    """The keys of a level's units: its dimensions, then the entity at a per-entity level."""
    return level.labels if level.entity is None else (*level.labels, ENTITY_KEY)


class LevelRunner:
    """Runs the levels of one query over the tables it read."""

    def __init__(
        self,
        sources: Sources,
        calendar: Calendar,
        scalars: Mapping[str, ScalarFunction],
        aggregates: Mapping[str, AggregateFunction],
        cohort_label: str | None,
    ):
        self.sources = sources
        self.calendar = calendar
        self.scalars = scalars
        self.aggregates = aggregates
        self.cohort_label = cohort_label
        self.times = TimeColumns(sources, calendar.timezone)
        self._member_rows: dict[tuple[str, b.BExpr, str], np.ndarray] = {}

    def run(self, resolved: LevelTimeline) -> LevelGrid:
        level, timeline = resolved.level, resolved.timeline
        placer = Placer(resolved, self.calendar, self.times)
        keys = key_labels(level)
        children = [
            self._child(child, keys, resolved.timeline, periods)
            for child, periods in zip(level.children, resolved.children, strict=True)
        ]
        empty = self._empty_values(level)
        if level.members is not None:
            members = load_members(level.members, self.sources, self.times, timeline)
            return self._member_grid(level, timeline, placer, members, children, empty)
        scans = [
            group_cells(scan, self._placed(scan, placer), timeline.count, self.aggregates)
            for scan in level.scans
        ]
        grid = build_grid([*scans, *children], timeline.count, len(keys), empty, len(scans))
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
        )

    # ---- child levels -------------------------------------------------------------------
    def _child(
        self,
        child: PerLevel,
        parent_keys: tuple[str, ...],
        parent: Timeline,
        resolved: LevelTimeline,
    ) -> ScanCells:
        grid = self.run(resolved)
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
        empty: dict[str, object],
    ) -> LevelGrid:
        periods, count = timeline.count, members.count
        columns: dict[str, pa.Array] = {}
        physical = level_physical(level, self.aggregates)
        for scan, scan_physical in zip(level.scans, physical, strict=True):
            results = self._member_scan(scan, scan_physical, placer, members, periods)
            columns.update((name, fill_empty(v, empty[name])) for name, v in results.items())
        for cells in children:
            # A sub-period level below keeps the entities: its groups name theirs.
            entity = members.positions(cells.dimensions[-1], members.source, members.key)
            cell = cells.periods * count + entity
            position = np.full(periods * count, -1, dtype=np.int64)
            position[cell[entity >= 0]] = np.flatnonzero(entity >= 0)
            indices = pa.array(position, mask=position < 0)
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
        they are additive (the plan's `weights`, plan/physical.py; the dense period x member
        cells make that cheap for every pass with periods, windowed or not), else over the
        rows repeated in their periods."""
        rows = self._members_of_rows(scan, members)
        frame = self.sources.frame(scan.source)
        ranges = placer.ranges(scan) if physical.weights is not None else None
        count, functions = members.count, self.aggregates
        if ranges is not None:
            assert physical.weights is not None
            keep = all_true(frame, scan.filters)
            totals = range_totals(scan, physical.weights, frame, ranges, keep, rows, periods, count)
            if totals is not None:
                return totals
        return group_members(scan, self._placed(scan, placer), rows, periods, count, functions)

    def _members_of_rows(self, scan: SourceScan, members: Members) -> np.ndarray:
        assert scan.entity is not None
        # Every level iterating over a source's entities reads the same rows of it.
        key = (scan.source, scan.entity, members.source)
        if key not in self._member_rows:
            values = self.sources.frame(scan.source).evaluate(scan.entity)
            column = format_expr(scan.entity)
            self._member_rows[key] = members.positions(values, scan.source, column)
        return self._member_rows[key]

    # ---- shared -------------------------------------------------------------------------
    def _placed(self, scan: SourceScan, placer: Placer) -> PlacedRows:
        frame = self.sources.frame(scan.source)
        placement = placer.place(scan, frame.num_rows)
        placed = PlacedRows(frame, placement.rows, placement.periods)
        return placed.keep(all_true(frame, scan.filters)) if scan.filters else placed

    def _empty_values(self, level: Level) -> dict[str, object]:
        empty = {
            f.name: self.aggregates[f.aggregate.function].empty
            for scan in level.scans
            for f in scan.aggregates
        }
        for child in level.children:
            empty.update((a.name, self.aggregates[a.per.function].empty) for a in child.aggregates)
        return empty


class LevelCells(Evaluator):
    """Evaluates a level's formulas over its cells: a leaf is its column; `m[-k]` is the
    column shifted by k periods; `cohort_start(m)` reads each unit's cohort period."""

    def __init__(
        self,
        grid: LevelGrid,
        columns: dict[b.BExpr, str],
        cohort_label: str | None,
        **options,
    ):
        super().__init__(**options)
        self.grid = grid
        self.columns = columns
        self.cohort_label = cohort_label
        self._cohort_cells: pa.Array | None = None

    def leaf(self, node: b.BExpr) -> Datum:
        name = self.columns.get(node)
        if name is None:
            return super().leaf(node)
        return self.grid.columns[name]

    def _compute(self, node: b.BExpr) -> Datum:
        match node:
            case b.BOffset():
                return self._offset(node)
            case b.BWindow() | b.BPer():
                return self.leaf(node)
        return super()._compute(node)

    def _offset(self, node: b.BOffset) -> Datum:
        value = self.evaluate(node.operand)
        if isinstance(value, pa.Scalar):
            return value
        size = self.grid.size
        value = as_array(value, size)
        if node.unit == "cohort":
            return value.take(self.cohort_cells())
        # The planner has checked the offset against the level's grain.
        shift = offset_shift(node, self.grid.timeline.grain, "") * self.grid.unit_count
        if shift >= size:
            return pa.nulls(size, value.type)
        return pa.concat_arrays([pa.nulls(shift, value.type), value.slice(0, size - shift)])

    def cohort_cells(self) -> pa.Array:
        """For each cell, the cell of the same unit in its cohort's period (null when that
        period is not computed)."""
        if self._cohort_cells is None:
            grid = self.grid
            assert self.cohort_label is not None, "the planner requires a cohort"
            first = cohort_periods(grid, self.cohort_label, self.timezone)
            count = grid.timeline.count
            units = np.arange(grid.unit_count)
            known = np.tile(first >= 0, count)
            cells = np.tile(np.maximum(first, 0) * grid.unit_count + units, count)
            self._cohort_cells = pa.array(cells, mask=~known)
        return self._cohort_cells


def cohort_periods(grid: LevelGrid, label: str, timezone: str) -> np.ndarray:
    """For each unit, the period its cohort (a date) falls in (-1: none computed)."""
    dates = grid.units[grid.keys.index(label)]
    timeline = grid.timeline
    if timeline.bounds is None:
        return np.where(valid_numpy(dates), 0, -1)
    starts = date_instants(dates, timezone)
    found = np.searchsorted(timeline.bounds, int64_numpy(starts), side="right") - 1
    inside = valid_numpy(dates) & (found >= 0) & (found < timeline.count)
    return np.where(inside, found, -1)
