"""A level's spine: one row per period it computes.

Each row holds the period's number, its label (first local day, at the query's own level with
a grain), its `[start, end)` as UTC instants, where each window of the level starts at its end,
and below the top the number of the parent period containing it (null for the periods a child
computes only for its own offsets). The boundaries come from zoneinfo (`plan/periods.py`), so
they are DST-correct in every dialect. Without a grain or range there is one period with no
start whose end is the plan's "now".

Where every column follows a rule of the period number (local days or months apart,
progressions.py) the spine is a generated series of numbers with a formula per column: three
years of days is a few lines, not 1,100 rows. Otherwise (a few periods, or boundaries no rule
gives, such as a midnight a clock change skips) its rows are listed as VALUES.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from attrs import frozen
from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect, number, values
from metricsmith.execute.sql.positions import Boundaries, Evenly, LocalDays, arithmetic, placed
from metricsmith.execute.sql.progressions import Progression, Value, fit_dates, fit_instants
from metricsmith.model.time import Grain
from metricsmith.plan.nodes import WindowSpec
from metricsmith.plan.periods import from_epoch_micros
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
    #: The parent level's period bounds (µs), below the top: where the parent periods are.
    parent_bounds: np.ndarray | None = None

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
    """The level's periods: computed from the period number where every column follows a
    rule (`_generated`), else listed."""
    generated = _generated(level, dialect)
    return generated if generated is not None else _listed(level, dialect)


#: Up to this many periods the spine is listed even when it follows rules: as short, and
#: plainer to read.
_LISTED = 8


def _generated(level: LevelSpine, dialect: SqlDialect) -> exp.Select | None:
    """The spine as a series of period numbers, each column a formula of the number
    (progressions.py), or None where a column follows no rule. A child's parent period is
    the position of its start among the parent's bounds, worked out on the spine's rows."""
    timeline = level.timeline
    if timeline.bounds is None or timeline.count <= _LISTED:
        return None
    zone = level.timezone
    bounds = [int(b) for b in timeline.bounds]
    rules: dict[str, Progression | None] = {}
    if level.labels:
        assert timeline.labels is not None, "rows carry labels only where periods have them"
        rules[LABEL] = fit_dates(timeline.labels)
    rules[PERIOD_START] = fit_instants(bounds[:-1], zone)
    rules[PERIOD_END] = fit_instants(bounds[1:], zone)
    no_start = set()
    for index, starts in enumerate(level.window_starts):
        if all(start is None for start in starts):
            no_start.add(window_column(index))  # an all-time window has no start
        else:
            instants = [int(s) if s is not None else None for s in starts]
            fitted = None
            if None not in instants:
                fitted = fit_instants(instants, zone, like=rules[PERIOD_END])  # type: ignore[arg-type]
            rules[window_column(index)] = fitted
    parent = None if level.parents is None else _parent_period(level, dialect)
    if any(rule is None for rule in rules.values()) or (
        level.parents is not None and parent is None
    ):
        return None
    period = exp.column(PERIOD)
    outputs: list[exp.Expr] = [period]
    for name in _columns(level):
        if name in no_start:
            outputs.append(exp.alias_(dialect.cast(exp.Null(), "instant"), name))
        elif name in rules:
            rule = rules[name]
            assert rule is not None
            literal = _date_literal(dialect) if name == LABEL else _instant_literal(dialect)
            outputs.append(exp.alias_(rule.sql(period, dialect, literal), name))
    query = exp.select(*outputs, copy=False).from_(
        dialect.numbers(timeline.count, PERIOD), copy=False
    )
    if parent is None:
        return query
    if PERIOD_START not in {c.name for c in parent.find_all(exp.Column)}:
        return query.select(exp.alias_(parent, PARENT_PERIOD), copy=False)
    # The parent period reads the start computed above: a query over that one.
    names = [name for name in _columns(level) if name != PARENT_PERIOD]
    return exp.select(PERIOD, *names, exp.alias_(parent, PARENT_PERIOD)).from_(
        query.subquery(_PERIODS)
    )


_PERIODS = "periods"


def _parent_period(level: LevelSpine, dialect: SqlDialect) -> exp.Expression | None:
    """The parent period of each period (below the top): its own number less the periods
    before the parent's first where the level has the parent's periods (and its own offsets
    before them), else the position of its start (`period_start`) among the parent's bounds,
    null outside them. None where neither gives the plan's parents."""
    parents, parent_bounds = level.parents, level.parent_bounds
    assert parents is not None, "only a level below the top has parent periods"
    bounds = level.timeline.bounds
    if parent_bounds is None or bounds is None or len(parent_bounds) < 2:
        return None
    parent_count = len(parent_bounds) - 1
    numbers = np.arange(len(parents))
    before = int(np.argmax(parents >= 0)) if (parents >= 0).any() else 0
    shifted = numbers - before
    inside = (shifted >= 0) & (shifted < parent_count)
    period = exp.column(PERIOD)
    if np.array_equal(np.where(inside, shifted, -1), parents):
        number_ = exp.Sub(this=period, expression=number(before)) if before else period
        if inside.all():
            return number_
        within = exp.and_(
            exp.GTE(this=period.copy(), expression=number(before)),
            exp.LT(this=period.copy(), expression=number(before + parent_count)),
        )
        return exp.Case().when(within, number_, copy=False)
    found = np.searchsorted(parent_bounds, bounds[:-1], side="right") - 1
    if not np.array_equal(np.where(found < parent_count, found, -1), parents):
        return None  # not the parent's bounds after all: list the spine
    inner = tuple(int(b) for b in parent_bounds[1:-1])
    # A rule read off the inner bounds alone carries on past them, so it must fit the first
    # and last parent periods too: quarters of 91, 91 and 92 days put a week starting in the
    # third under a fourth quarter.
    whole = tuple(int(b) for b in parent_bounds)
    zone = level.timezone
    rule = (Evenly.of(inner) if Evenly.of(whole) else None) or (
        LocalDays.of(inner, zone) if LocalDays.of(whole, zone) else None
    )
    start = exp.column(PERIOD_START)
    if rule is not None:
        position = rule.index(start, dialect)
    elif len(inner) <= _LISTED:
        position = placed(start, Boundaries(inner, "", None), dialect)
    else:
        return None
    first, last = (
        dialect.instant_literal(from_epoch_micros(int(b))) for b in parent_bounds[[0, -1]]
    )
    within = exp.and_(
        exp.GTE(this=start.copy(), expression=first), exp.LT(this=start.copy(), expression=last)
    )
    return exp.Case().when(within, position, copy=False)


def _columns(level: LevelSpine) -> list[str]:
    """The spine's columns after its period number, in order."""
    columns = [*([LABEL] if level.labels else []), PERIOD_START, PERIOD_END]
    columns += [window_column(i) for i in range(len(level.windows))]
    return [*columns, PARENT_PERIOD] if level.parents is not None else columns


def _instant_literal(dialect: SqlDialect) -> Callable[[Value], exp.Expr]:
    def literal(value: Value) -> exp.Expr:
        if value is None:
            return dialect.cast(exp.Null(), "instant")
        assert isinstance(value, int)
        return dialect.instant_literal(from_epoch_micros(value))

    return literal


def _date_literal(dialect: SqlDialect) -> Callable[[Value], exp.Expr]:
    def literal(value: Value) -> exp.Expr:
        assert isinstance(value, dt.date)
        return dialect.date_literal(value)

    return literal


def _listed(level: LevelSpine, dialect: SqlDialect) -> exp.Select:
    """The spine as a VALUES table of its periods, one row each."""
    columns = [PERIOD, *_columns(level)]
    count = level.timeline.count
    rows = [_row(period, level, dialect) for period in range(count)]
    empty = not rows
    if empty:  # VALUES needs a row: take a typed one and keep none of it
        rows = [_row(None, level, dialect)]
    table = values(rows, level.name, columns)
    # The instants are inlined as µs since the epoch and turned into instants once per
    # period: a row of numbers prints on one line, where literals take one line each.
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
