"""A scorecard's `values`: the periods it shows, with each metric's comparisons looked up
among the periods computed.

One query computes the scorecard's metrics over the periods shown and, before them, the
periods they are compared with (a year more for `same_period_last_year`); each comparison
column is then the metric's value in the compared period of the same slice, found by lookup,
so no metric is computed twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pyarrow as pa
from attrs import frozen

from metricsmith.check.checked import Calendar, ScorecardInfo
from metricsmith.model.decl import ChartKind, Comparison
from metricsmith.model.targets import target_column
from metricsmith.model.time import CalendarRules, Grain
from metricsmith.plan.periods import (
    PERIODS_PER_YEAR,
    extended_start,
    floor_to_period,
    local_date,
    local_midnight,
    next_period,
    previous_period,
    starts_before,
)
from metricsmith.present.scorecard import (
    ChartSpec,
    MetricView,
    ScorecardView,
    Section,
)

Period = dt.date


@frozen
class ScorecardWindow:
    """Which periods a scorecard shows (`count`, ending before a boundary) and computes (as
    many more before them as its comparisons reach back: `back`)."""

    grain: Grain
    count: int
    back: int
    timezone: str
    rules: CalendarRules

    @classmethod
    def of(cls, info: ScorecardInfo, calendar: Calendar, count: int) -> ScorecardWindow:
        back = lookback(info.grain, info.comparisons)
        return cls(info.grain, count, back, calendar.timezone, calendar.rules)

    def boundary(self, end: dt.datetime | None) -> dt.datetime | None:
        """Where the periods shown end: the start of the period `end` falls in (None: where
        the data ends)."""
        if end is None:
            return None
        return self.start_of(
            floor_to_period(local_date(end, self.timezone), self.grain, self.rules)
        )

    def first_computed(self, boundary: dt.datetime | None) -> dt.datetime | None:
        """The start of the range computed: the periods shown and those compared with
        (None for a range open at both ends: the data's)."""
        if boundary is None:
            return None
        total = self.count + self.back
        return extended_start(boundary, self.grain, total, self.timezone, self.rules)

    def shown(
        self, boundary: dt.datetime | None, computed: Sequence[Period | None]
    ) -> tuple[Period, ...]:
        """The first days of the periods shown, oldest first: the `count` before the
        boundary, or without one the latest `count` of those computed."""
        if boundary is None:
            return tuple(sorted({p for p in computed if p is not None})[-self.count :])
        return tuple(starts_before(boundary, self.grain, self.count, self.timezone, self.rules))

    def start_of(self, period: Period) -> dt.datetime:
        return local_midnight(period, self.timezone)

    def end_of(self, period: Period) -> dt.datetime:
        return self.start_of(next_period(period, self.grain))


def lookback(grain: Grain, comparisons: Sequence[Comparison]) -> int:
    """How many periods before the first one shown the comparisons read."""
    back = {Comparison.PREVIOUS: 1, Comparison.SAME_PERIOD_LAST_YEAR: PERIODS_PER_YEAR.get(grain)}
    # The checker refuses a year back at grains a year does not divide into.
    return max((back[c] or 0 for c in comparisons), default=0)


def compared_period(period: Period, grain: Grain, comparison: Comparison) -> Period:
    """The first day of the period `period` is compared with."""
    if comparison is Comparison.PREVIOUS:
        return previous_period(period, grain)
    return period.replace(year=period.year - 1)  # periods of a year's grains start on day 1


def scorecard_view(
    info: ScorecardInfo,
    metrics: Mapping[str, MetricView],
    computed: pa.Table,
    shown: Sequence[Period],
    cells: Mapping[str, pa.Table],
    calendar: CalendarRules,
) -> ScorecardView:
    """The view of a scorecard from `computed` (a query's answer: the period, the `by`
    columns, the metrics, over the periods `shown` and those before them they are compared
    with) and `cells`, each heat map's own answer by its title."""
    return ScorecardView(
        name=info.name,
        title=info.title,
        grain=info.grain,
        calendar=calendar,
        by=tuple(label for label, _ in info.by),
        comparisons=info.comparisons,
        metrics=tuple(metrics[name] for name in info.metrics),
        sections=tuple(
            Section(
                title=section.title,
                metrics=section.metrics,
                charts=tuple(
                    ChartSpec(
                        kind=chart.kind,
                        title=chart.title,
                        metrics=chart.metrics,
                        total=chart.total,
                        rows=chart.by[0][0] if chart.by else None,
                        columns=chart.by[1][0] if chart.by else None,
                        cells=_from_first_cohort(cells.get(chart.title), chart.by[0][0])
                        if chart.kind is ChartKind.HEATMAP and chart.by
                        else None,
                    )
                    for chart in section.charts
                ),
            )
            for section in info.sections
        ),
        periods=tuple(shown),
        values=compared_values(info, computed, shown),
        description=info.decl.description,
        chart_metrics=tuple(
            metrics[name]
            for chart in info.charts
            if chart.kind is ChartKind.HEATMAP
            for name, _ in chart.metrics
            if name not in info.metrics
        ),
    )


def compared_values(info: ScorecardInfo, computed: pa.Table, shown: Sequence[Period]) -> pa.Table:
    """The rows of the periods `shown`, each metric followed by its target when that is read
    from the data (`<metric>:target`) and its comparisons' columns (`ScorecardView.values`)."""
    keys = [info.grain, *(label for label, _ in info.by)]
    rows = computed.select(keys).to_pylist()
    columns = {name: computed.column(name).to_pylist() for name in info.metrics}
    index = {tuple(row.values()): n for n, row in enumerate(rows)}
    wanted = set(shown)
    kept = [n for n, row in enumerate(rows) if row[info.grain] in wanted]
    out: dict[str, list[object]] = {key: [rows[n][key] for n in kept] for key in keys}
    fields = [computed.schema.field(key) for key in keys]
    for name in info.metrics:
        values = columns[name]
        out[name] = [values[n] for n in kept]
        fields.append(computed.schema.field(name))
        goal = target_column(name)
        if goal in computed.column_names:  # a target read from the data, per period and slice
            goals = computed.column(goal).to_pylist()
            out[goal] = [goals[n] for n in kept]
            fields.append(computed.schema.field(goal))
        for comparison in info.comparisons:
            column = f"{name}:{comparison}"
            out[column] = []
            for n in kept:
                period, *slice_ = rows[n].values()
                earlier = index.get((compared_period(period, info.grain, comparison), *slice_))
                out[column].append(None if earlier is None else values[earlier])
            fields.append(computed.schema.field(name).with_name(column))
    return pa.table(out, schema=pa.schema(fields))


def _from_first_cohort(cells: pa.Table | None, cohort: str) -> pa.Table | None:
    """A heat map's cells from the first cohort with a value on: the answer has a row for
    every cohort of the range (docs/time-intelligence.md, "Cohorts"), and the rows of the
    cohorts before the data begins (every value null or zero) would only push the triangle
    down the page. An empty cohort after the first is shown: that nobody signed up is news."""
    if cells is None or cells.num_rows == 0:
        return cells
    values = [name for name in cells.column_names if name not in (cohort, "age")]
    with_data = [
        row[cohort]
        for row in cells.to_pylist()
        if row[cohort] is not None and any(row[v] not in (None, 0) for v in values)
    ]
    if not with_data:
        return cells
    first = min(with_data)
    keep = [c is None or c >= first for c in cells.column(cohort).to_pylist()]
    return cells.filter(pa.array(keep))
