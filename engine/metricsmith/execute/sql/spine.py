"""The spine: one row per period of the query, computed in Python and inlined as VALUES.

Each row holds the period's number, its label (first local day, with a grain), its
`[start, end)` as UTC instants, and where each window of the query starts at its end. The
boundaries come from zoneinfo (`plan/periods.py`), so they are DST-correct in every dialect.
Without a grain or range there is one period with no start whose end is the plan's "now".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from metricsmith.execute.arrow.timeline import Timeline
from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.plan.nodes import Plan, WindowSpec
from metricsmith.plan.periods import from_epoch_micros, window_start

SPINE = "spine"
PERIOD, LABEL, PERIOD_START, PERIOD_END = "period", "label", "period_start", "period_end"


def window_column(index: int) -> str:
    return f"window_{index}_start"


def spine(
    plan: Plan, timeline: Timeline, windows: Sequence[WindowSpec], dialect: SqlDialect
) -> exp.Select:
    columns = [PERIOD, *([LABEL] if plan.grain else []), PERIOD_START, PERIOD_END]
    columns += [window_column(i) for i in range(len(windows))]
    rows = [_row(period, plan, timeline, windows, dialect) for period in range(timeline.count)]
    empty = not rows
    if empty:  # VALUES needs a row: take a typed one and keep none of it
        rows = [_row(None, plan, timeline, windows, dialect)]
    values = exp.values(rows, alias=SPINE, columns=columns)
    query = exp.select(*columns).from_(values)
    return query.where(exp.false()) if empty else query


def _row(
    period: int | None,
    plan: Plan,
    timeline: Timeline,
    windows: Sequence[WindowSpec],
    dialect: SqlDialect,
) -> tuple[exp.Expression, ...]:
    def instant(micros: int | None) -> exp.Expression:
        if micros is None:
            return dialect.cast(exp.Null(), "instant")
        return dialect.instant_literal(from_epoch_micros(int(micros)))

    if period is None:
        label = dialect.cast(exp.Null(), "date")
        start = end = instant(None)
        starts = [instant(None) for _ in windows]
        return (
            dialect.cast(exp.Null(), "bigint"),
            *([label] if plan.grain else []),
            start,
            end,
            *starts,
        )
    label = dialect.date_literal(timeline.labels[period]) if timeline.labels else None
    start = instant(None if timeline.bounds is None else timeline.bounds[period])
    end_micros = int(timeline.ends[period])
    calendar = plan.calendar
    starts = []
    for window in windows:
        begins = window_start(
            from_epoch_micros(end_micros),
            window.kind,
            window.count,
            window.unit,
            calendar.timezone,
            calendar.week_start_index,
        )
        starts.append(dialect.instant_literal(begins) if begins else instant(None))
    return (number(period), *([label] if plan.grain else []), start, instant(end_micros), *starts)
