"""Runs a plan on pyarrow: read each source once, run the level tree (one grouped pass per
source and window at each level), then evaluate the metrics over the query's cells."""

from __future__ import annotations

import contextlib
import contextvars
import itertools
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import define, field

from metricsmith.check.checked import CheckedProject
from metricsmith.check.query import AGE, BoundMetric
from metricsmith.errors import ArithmeticOverflow
from metricsmith.execute.arrow.frame import Sources
from metricsmith.execute.arrow.grid import LevelGrid, cohort_periods
from metricsmith.execute.arrow.grouping import ScanCells
from metricsmith.execute.arrow.heap import keep_freed_memory
from metricsmith.execute.arrow.instants import extent
from metricsmith.execute.arrow.levels import LevelRunner
from metricsmith.execute.arrow.operators import is_overflow, language_decimal
from metricsmith.execute.arrow.placement import Placer, TimeColumns
from metricsmith.execute.arrow.streaming import (
    Batch,
    memory_budget,
    over_budget,
    scan_threads,
    stream_scans,
)
from metricsmith.execute.arrow.values import as_array, numbers_array
from metricsmith.execute.data.conform import conform
from metricsmith.execute.data.reading import (
    read_shared_batches,
    read_source,
    read_source_batches,
    same_data,
)
from metricsmith.execute.data.settling import settle
from metricsmith.model.types import Type, arrow_type
from metricsmith.plan.nodes import Plan, SourceRead
from metricsmith.plan.periods import epoch_micros
from metricsmith.plan.timeline import (
    LevelTimeline,
    Timeline,
    Timelines,
    needs_extents,
    resolve_timelines,
    timed_scans,
)
from metricsmith.plugins.values import calendar_scope


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
    dimension, one per metric; a row per cell, sorted by period and then dimensions. With
    `age`, a row per (cohort, age) and no period column."""
    functions = project.functions
    calendar = plan.calendar
    keep_freed_memory()  # a query's temporaries reuse the pages the last one freed
    with calendar_scope(calendar.timezone, calendar.week_start_index, calendar.rules.fiscal_start):
        budget, threads = memory_budget(), scan_threads()
        whole: list[SourceRead] = []
        streams: list[tuple[set[str], Iterator[Batch]]] = []
        streamable = _streamable(plan, project)
        together = _read_together(plan, project, streamable)
        for read in plan.reads:
            if stats is not None:
                stats.reads.append(read)
            if read.source in streamable:
                group = together.pop(read.source, None)
                if group is None:  # read with an earlier source over the same data
                    continue
                stream = _batches(group, project, calendar.timezone)
                if stream is None and len(group) > 1:  # not together: each as if alone
                    together.update((other.source, [other]) for other in group[1:])
                    group = [read]
                    stream = _batches(group, project, calendar.timezone)
                if stream is not None:
                    streams.append(({r.source for r in group}, _counted(stream, stats)))
                    continue
            whole.append(read)
        reading = partial(_read_whole, whole, project, calendar.timezone, budget, stats)
        if whole and streams and threads > 1:
            tables = _beside_first_batch(reading, streams)
        else:
            tables = reading()
        sources = Sources(
            project, tables, functions.scalars, calendar.timezone, plan.parameter_values()
        )
        cohort = None if plan.cohort_dimension is None else plan.dimensions[plan.cohort_dimension]
        by_age = plan.range_cohorts_only
        runner = LevelRunner(
            sources, calendar, functions.scalars, functions.aggregates, cohort, by_age
        )
        timelines = _timelines(plan, runner.times)
        output = timelines.output
        with _overflow_named(plan, plan.metrics):  # an aggregate's, for all its metrics
            streamed = _streamed(plan, timelines.top, streams, runner, budget, threads)
            grid = runner.run(timelines.top, streamed, plan.cohorts)
        cells = runner.cells(grid)
        values = {}
        for metric in plan.metrics:
            with _overflow_named(plan, [metric]):
                result = as_array(cells.evaluate(metric.formula), grid.size)
                values[metric.name] = _typed(result, metric.type, calendar.timezone)
        skipped = timelines.skipped
        if plan.cohort_axis is not None:
            answer = conform(_by_age(plan, grid, output.count, skipped, values), plan)
        else:
            answer = conform(_by_period(plan, grid, output, skipped, values), plan)
        return settle(answer, plan, output)


def _read_whole(
    reads: Sequence[SourceRead],
    project: CheckedProject,
    timezone: str,
    budget: int | None,
    stats: ExecutionStats | None,
) -> dict[str, pa.Table]:
    """The sources read whole, in the plan's order (the first that fails raises)."""
    tables: dict[str, pa.Table] = {}
    for read in reads:
        table = tables[read.source] = read_source(read, project.sources[read.source], timezone)
        if budget is not None and table.nbytes > budget:
            raise over_budget(read.source, table.nbytes, budget, "its columns")
        if stats is not None:
            stats.rows_read[read.source] = table.num_rows
    return tables


def _beside_first_batch(
    reading: Callable[[], dict[str, pa.Table]], streams: list[tuple[set[str], Iterator[Batch]]]
) -> dict[str, pa.Table]:
    """`reading()` (the sources read whole) on another thread while the first batch of the
    first source read in batches is read, so that the files are decoded side by side rather
    than one after the other (the renewals family: the accounts linked to and the renewals'
    one row group, 5 and 7 ms; 4 ms less of 27, median wall time on two idle cores). The
    batch read first is held as a later one is (by a thread grouping it, `stream_scans`); a
    failure reading it is raised when the batches are wanted: after any failure of the
    sources read whole, as on one thread."""
    with ThreadPoolExecutor(1) as pool:
        tables = pool.submit(contextvars.copy_context().run, reading)
        names, batches = streams[0]
        streams[0] = (names, _started(batches))
        return tables.result()


def _started(batches: Iterator[Batch]) -> Iterator[Batch]:
    """`batches`, the first read now; a failure reading it is raised when it is wanted."""
    try:
        first = next(batches, None)
    except Exception as error:
        return _failing(error)
    return batches if first is None else itertools.chain((first,), batches)


def _failing(error: Exception) -> Iterator[Batch]:
    yield from ()
    raise error


def _streamable(plan: Plan, project: CheckedProject) -> set[str]:
    """The sources read in batches: those only the query's own level reads (not a `per`
    level, not as the entities of one, not through a link), when the periods do not depend
    on the data."""
    top = plan.top
    if needs_extents(plan) or top.children or top.members is not None:
        return set()
    linked = {
        target for read in plan.reads for target in project.sources[read.source].links.values()
    }
    return {scan.source for scan in top.scans} - linked


def _read_together(
    plan: Plan, project: CheckedProject, streamable: set[str]
) -> dict[str, list[SourceRead]]:
    """The sources read in batches, each with the reads of the sources over the same data
    (`same_data`: one file declared as two sources with their own time columns), which are
    read once, with it: under the first of them; the others map to nothing."""
    groups: dict[Hashable, list[SourceRead]] = {}
    for read in plan.reads:
        if read.source in streamable:
            groups.setdefault(same_data(project.sources[read.source]), []).append(read)
    return {group[0].source: group for group in groups.values()}


def _batches(
    group: list[SourceRead], project: CheckedProject, timezone: str
) -> Iterator[Batch] | None:
    """The batches of the sources of `group`, read once; None when their reader does not
    read in batches."""
    if len(group) > 1:
        reads = [(read, project.sources[read.source]) for read in group]
        return read_shared_batches(reads, timezone)
    (read,) = group
    stream = read_source_batches(read, project.sources[read.source], timezone)
    return None if stream is None else ({read.source: batch} for batch in stream)


def _counted(batches: Iterator[Batch], stats: ExecutionStats | None) -> Iterator[Batch]:
    for batch in batches:
        if stats is not None:
            for source, rows in batch.items():
                stats.rows_read[source] = stats.rows_read.get(source, 0) + rows.num_rows
        yield batch


def _streamed(
    plan: Plan,
    top: LevelTimeline,
    streams: list[tuple[set[str], Iterator[Batch]]],
    runner: LevelRunner,
    budget: int | None,
    threads: int,
) -> dict[int, ScanCells]:
    """The groups of the query's level's scans over sources read in batches, by position."""
    placer = Placer(top, plan.calendar, runner.times)
    streamed: dict[int, ScanCells] = {}
    for names, stream in streams:
        positions = [i for i, scan in enumerate(plan.top.scans) if scan.source in names]
        scans = [plan.top.scans[i] for i in positions]
        count = top.timeline.count
        found = stream_scans(
            scans, stream, placer, runner.sources, count, runner.aggregates, budget, threads
        )
        streamed.update(zip(positions, found, strict=True))
    return streamed


@contextlib.contextmanager
def _overflow_named(plan: Plan, metrics: Sequence[BoundMetric]) -> Iterator[None]:
    """A value overflowing its type becomes the error naming the metrics it was computed for."""
    names = [metric.name for metric in metrics]
    sources = [read.source for read in plan.reads]
    try:
        yield
    except ArithmeticOverflow as error:
        raise ArithmeticOverflow(names, sources=sources, expression=error.expression) from error
    except pa.ArrowInvalid as error:  # rounding a metric's decimals
        if not is_overflow(error):
            raise
        raise ArithmeticOverflow(names, sources=sources) from error


def _typed(result: pa.Array, type_: Type, timezone: str) -> pa.Array:
    """A metric's values as its language type (decimals rounded to the language's places)."""
    if type_ == Type.DECIMAL and pa.types.is_decimal(result.type):
        return language_decimal(result)
    target = arrow_type(type_, timezone)
    return result if target is None or result.type == target else result.cast(target)


def _timelines(plan: Plan, times: TimeColumns) -> Timelines:
    """The periods of every level: of the range; without a range, of the data every level
    reads."""
    extents = []
    if needs_extents(plan):
        as_of = epoch_micros(plan.as_of)
        for scan in timed_scans(plan):
            found = extent(scan.time, partial(times, scan.source), as_of)
            if found is not None:
                extents.append(found)
    return resolve_timelines(plan, extents)


def _by_period(
    plan: Plan, grid: LevelGrid, output: Timeline, skipped: int, values: dict[str, pa.Array]
) -> pa.Table:
    units = grid.unit_count
    columns: dict[str, pa.Array] = {}
    if plan.grain is not None:
        labels = pa.array(output.labels or [], type=pa.date32())
        columns[plan.grain] = labels.take(numbers_array(np.repeat(np.arange(output.count), units)))
    tiled = numbers_array(np.tile(np.arange(units), output.count))
    for label, unit in zip(plan.dimensions, grid.units, strict=True):
        columns[label] = unit.take(tiled)
    first = skipped * units
    columns.update((name, value.slice(first)) for name, value in values.items())
    return pa.table(columns)


def _by_age(
    plan: Plan, grid: LevelGrid, periods: int, skipped: int, values: dict[str, pa.Array]
) -> pa.Table:
    """A row per (cohort, age 0..periods-1) for every cohort whose own period is in the range;
    a cell whose period lies beyond the range is null (the cohort is too young)."""
    axis = plan.cohort_axis
    assert axis is not None
    units = grid.unit_count
    cohort = cohort_periods(grid, plan.dimensions[axis.cohort], plan.calendar.timezone)
    cohort = np.where(cohort >= skipped, cohort, -1)
    kept = np.flatnonzero(cohort >= 0)
    unit = np.repeat(kept, periods)
    age = np.tile(np.arange(periods, dtype=np.int64), len(kept))
    period = cohort[unit] + age
    reached = period < skipped + periods
    cell = pa.array(np.where(reached, period, 0) * units + unit, mask=~reached)
    dimensions = [
        (label, grid.units[i].take(numbers_array(unit))) for i, label in enumerate(plan.dimensions)
    ]
    dimensions.insert(axis.age, (AGE, numbers_array(age)))
    table = pa.table({**dict(dimensions), **{n: v.take(cell) for n, v in values.items()}})
    if axis.age == len(plan.dimensions):
        return table
    order = pc.sort_indices(table, sort_keys=[(label, "ascending") for label, _ in dimensions])
    return table.take(order)
