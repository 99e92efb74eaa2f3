"""Runs a plan on pyarrow: read each source once, one grouped pass per scan, then the metric
arithmetic over the cells."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
from attrs import define, field

from metricsmith.check.checked import CheckedProject
from metricsmith.execute.arrow.cells import Grid, build_grid
from metricsmith.execute.arrow.evaluate import Evaluator
from metricsmith.execute.arrow.frame import RowFrame, Sources
from metricsmith.execute.arrow.grouping import ScanCells, group_scan
from metricsmith.execute.arrow.reading import read_source
from metricsmith.execute.arrow.timeline import Timeline, build_timeline, extent, place
from metricsmith.execute.arrow.values import Datum, arrow_type, as_array
from metricsmith.model import bound as b
from metricsmith.plan.nodes import Plan, SourceRead, SourceScan
from metricsmith.plan.periods import epoch_micros
from metricsmith.plugins.builtin.functions import calendar_scope
from metricsmith.plugins.functions import AggregateFunction, ScalarFunction


@define
class ExecutionStats:
    """What an execution did, for tests and diagnostics: every source read, in order."""

    reads: list[SourceRead] = field(factory=list)
    rows_read: dict[str, int] = field(factory=dict)

    def read_count(self, source: str) -> int:
        return sum(1 for read in self.reads if read.source == source)


def execute_plan(
    plan: Plan, project: CheckedProject, stats: ExecutionStats | None = None
) -> pa.Table:
    """The query's answer: a column named after the grain (each period's first day), one per
    dimension, one per metric; a row per cell, sorted by period and then dimensions."""
    from metricsmith.plugins.manager import get_registry

    registry = get_registry()
    calendar = plan.calendar
    with calendar_scope(calendar.timezone, calendar.week_start_index):
        tables = {}
        for read in plan.reads:
            tables[read.source] = read_source(read, project.sources[read.source], calendar.timezone)
            if stats is not None:
                stats.reads.append(read)
                stats.rows_read[read.source] = tables[read.source].num_rows
        sources = Sources(project, tables, registry.scalar_functions, calendar.timezone)
        timeline = _timeline(plan, tables)
        scans = [
            _run_scan(scan, sources, timeline, registry.aggregate_functions) for scan in plan.scans
        ]
        empty = {
            f.name: registry.aggregate_functions[f.aggregate.function].empty
            for scan in plan.scans
            for f in scan.aggregates
        }
        grid = build_grid(scans, timeline.count, len(plan.dimensions), empty)
        return _result(plan, grid, timeline, registry.scalar_functions)


def _timeline(plan: Plan, tables: Mapping[str, pa.Table]) -> Timeline:
    extents = []
    if plan.start is None or plan.end is None:
        as_of = epoch_micros(plan.as_of)
        for scan in plan.scans:
            found = extent(scan, tables[scan.source], plan.calendar.timezone, as_of)
            if found is not None:
                extents.append(found)
    return build_timeline(plan, extents)


def _run_scan(
    scan: SourceScan,
    sources: Sources,
    timeline: Timeline,
    functions: Mapping[str, AggregateFunction],
) -> ScanCells:
    table = sources.tables[scan.source]
    placement = place(scan, table, timeline, sources.timezone)
    periods = placement.periods
    if placement.rows is not None:
        table = table.take(pa.array(placement.rows))
    frame = sources.frame(scan.source, table)
    if scan.filters:
        keep = _all_true(frame, scan.filters)
        if not keep.all():
            frame = sources.frame(scan.source, table.filter(pa.array(keep)))
            periods = periods[keep]
    return group_scan(scan, frame, periods, timeline.count, functions)


def _all_true(frame: RowFrame, conditions: tuple[b.BExpr, ...]) -> np.ndarray:
    """Rows where every condition is true (null counts as false)."""
    keep = np.ones(frame.num_rows, dtype=bool)
    for condition in conditions:
        values = as_array(frame.evaluate(condition), frame.num_rows)
        keep &= values.fill_null(False).to_numpy(zero_copy_only=False)
    return keep


class _Cells(Evaluator):
    """Evaluates metric formulas over the grid: an aggregate is its column of cells."""

    def __init__(self, grid: Grid, columns: dict[b.BAggregate, str], **options):
        super().__init__(**options)
        self.grid = grid
        self.columns = columns

    def leaf(self, node: b.BColumn | b.BAggregate) -> Datum:
        if isinstance(node, b.BAggregate):
            return self.grid.aggregates[self.columns[node]]
        return super().leaf(node)


def _result(
    plan: Plan, grid: Grid, timeline: Timeline, functions: Mapping[str, ScalarFunction]
) -> pa.Table:
    timezone = plan.calendar.timezone
    cells = _Cells(
        grid,
        plan.aggregate_columns(),
        functions=functions,
        timezone=timezone,
        origin=", ".join(scan.source for scan in plan.scans) or "the query",
    )
    columns: dict[str, pa.Array] = {}
    if plan.grain is not None:
        labels = pa.array(timeline.labels or [], type=pa.date32())
        columns[plan.grain] = labels.take(pa.array(grid.periods))
    columns.update(zip(plan.dimensions, grid.dimensions, strict=True))
    for metric in plan.metrics:
        values = as_array(cells.evaluate(metric.formula), grid.size)
        target = arrow_type(metric.type, timezone)
        if target is not None and not pa.types.is_decimal(target) and values.type != target:
            values = values.cast(target)
        columns[metric.name] = values
    return pa.table(columns)
