"""A level's spine: one row per period it computes, computed in Python and inlined as VALUES.

Each row holds the period's number, its label (first local day, at the query's own level with
a grain), its `[start, end)` as UTC instants, where each window of the level starts at its end,
and below the top the number of the parent period containing it (null for the periods a child
computes only for its own offsets). The boundaries come from zoneinfo (`plan/periods.py`), so
they are DST-correct in every dialect. Without a grain or range there is one period with no
start whose end is the plan's "now".
"""

from __future__ import annotations

import numpy as np
from attrs import frozen
from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect, number, values
from metricsmith.execute.sql.positions import Boundaries, arithmetic
from metricsmith.model.time import Grain
from metricsmith.plan.nodes import WindowSpec
from metricsmith.plan.timeline import LevelTimeline, Timeline

SPINE = "spine"
PERIOD, LABEL, PERIOD_START, PERIOD_END = "period", "label", "period_start", "period_end"
PARENT_PERIOD = "parent_period"


def window_column(index: int) -> str:
    return f"window_{index}_start"


@frozen
class LevelSpine:
    """The periods of one level as the plan resolved them (`resolved`): `name` is its CTE,
    `labels` whether rows carry a label. A column per window of the level's scans (in the
    order of `resolved.windows`) holds where it starts at each period end, and below the top
    a column the parent period of each period. `timezone` is the calendar's: where local
    days begin."""

    name: str
    resolved: LevelTimeline
    labels: bool
    timezone: str

    @property
    def timeline(self) -> Timeline:
        return self.resolved.timeline

    @property
    def windows(self) -> tuple[WindowSpec, ...]:
        return self.resolved.windows

    @property
    def window_starts(self) -> tuple[tuple[int | None, ...], ...]:
        return self.resolved.window_starts

    @property
    def parents(self) -> np.ndarray | None:
        return self.resolved.parents

    @property
    def grain(self) -> Grain | None:
        return self.timeline.grain

    def column(self, name: str) -> exp.Column:
        return exp.column(name, table=self.name)

    def window_start(self, window: WindowSpec) -> exp.Column:
        return self.column(window_column(self.windows.index(window)))

    def inner(self) -> Boundaries:
        """The boundaries between periods, for finding the one period an instant is in."""
        assert self.timeline.bounds is not None, "a level without periods has no boundaries"
        inner = tuple(int(bound) for bound in self.timeline.bounds[1:-1])
        return self._boundaries(inner, f"{self.name}_inner")

    def ends(self) -> Boundaries:
        """The period ends, for placing rows among them (positions.py)."""
        return self._boundaries(tuple(int(end) for end in self.timeline.ends), f"{self.name}_ends")

    def starts(self, window: WindowSpec) -> Boundaries:
        """Where a window (not an all-time one) starts at each period end."""
        index = self.windows.index(window)
        window_starts = self.window_starts[index]
        starts = [s for s in window_starts if s is not None]
        assert len(starts) == len(window_starts), "an all-time window has no starts"
        instants = tuple(int(s) for s in starts)
        return self._boundaries(instants, f"{self.name}_{window_column(index)}s")

    def _boundaries(self, instants: tuple[int, ...], lookup: str) -> Boundaries:
        return Boundaries(instants, lookup, arithmetic(instants, self.timezone))


def spine(level: LevelSpine, dialect: SqlDialect) -> exp.Select:
    columns = [PERIOD, *([LABEL] if level.labels else []), PERIOD_START, PERIOD_END]
    columns += [window_column(i) for i in range(len(level.windows))]
    if level.parents is not None:
        columns.append(PARENT_PERIOD)
    count = level.timeline.count
    rows = [_row(period, level, dialect) for period in range(count)]
    empty = not rows
    if empty:  # VALUES needs a row: take a typed one and keep none of it
        rows = [_row(None, level, dialect)]
    table = values(rows, level.name, columns)
    # The instants are inlined as µs since the epoch and turned into instants once per
    # period: a row of numbers prints on one line, where literals take one line each (a
    # per-day spine of three years was 6,500 of the engagement scorecard's 9,000 lines).
    instants = {PERIOD_START, PERIOD_END, *(window_column(i) for i in range(len(level.windows)))}
    outputs = [
        exp.alias_(dialect.instant_from_micros(exp.column(c)), c) if c in instants else c
        for c in columns
    ]
    query = exp.select(*outputs).from_(table)
    return query.where(exp.false()) if empty else query


def _row(period: int | None, level: LevelSpine, dialect: SqlDialect) -> tuple[exp.Expression, ...]:
    timeline = level.timeline

    def instant(micros: int | None) -> exp.Expression:
        return dialect.cast(exp.Null(), "bigint") if micros is None else number(int(micros))

    def parent() -> list[exp.Expression]:
        if level.parents is None:
            return []
        found = None if period is None else int(level.parents[period])
        if found is None or found < 0:
            return [dialect.cast(exp.Null(), "bigint")]
        return [number(found)]

    if period is None:
        label: list[exp.Expression] = [dialect.cast(exp.Null(), "date")] if level.labels else []
        starts = [instant(None) for _ in level.windows]
        null = dialect.cast(exp.Null(), "bigint")
        return (null, *label, instant(None), instant(None), *starts, *parent())
    label = []
    if level.labels:
        assert timeline.labels is not None, "rows carry labels only where periods have them"
        label = [dialect.date_literal(timeline.labels[period])]
    start = instant(None if timeline.bounds is None else timeline.bounds[period])
    end_micros = int(timeline.ends[period])
    starts = [instant(window[period]) for window in level.window_starts]
    return (number(period), *label, start, instant(end_micros), *starts, *parent())
