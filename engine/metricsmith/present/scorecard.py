"""A scorecard as its readers see it: what every view of one (the HTML report, the Markdown
digest, the spreadsheet, the notebook) is made from.

`Project.scorecard(name, ...)` runs a scorecard declared in the definitions and returns a
`ScorecardView`: its metrics with their labels, units, formats and targets, its sections, the
charts it asks for, and the values of every period with the comparisons it declares. The views
only lay it out; none of them computes a number (docs/reports.md).

Status: green, amber or red against the metric's target and its `warn` band, as
model/targets.py defines it for every view; a value without a target, or a missing value, has
no status. A target read from the data has its value per period (and slice) in the column
`<metric>:target` of `values`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pyarrow as pa
from attrs import field, frozen

# Comparisons and chart kinds are words of the language (model/decl.py, where the checker
# reads them too); a view imports them from here with the rest of the contract.
from metricsmith.model.decl import ChartKind, Comparison, MetricDecl

# The status is the model's (model/targets.py); the views import it from here as above.
from metricsmith.model.targets import Status, status, target_column
from metricsmith.model.time import DEFAULT_RULES, CalendarRules, Grain
from metricsmith.present.values import describe_target, format_metric_value


@frozen
class MetricView:
    """A metric as a scorecard shows it: its declaration's label, description, unit, format,
    direction and target (`present/values.py` formats its values from the same)."""

    decl: MetricDecl

    @property
    def name(self) -> str:
        return self.decl.name.name

    @property
    def label(self) -> str:
        return self.decl.label or self.decl.name.name

    def formatted(self, value: object) -> str:
        """The value as the metric's format shows it (`72.4%`, `1,204.50`, `–` for none)."""
        return format_metric_value(value, self.decl)

    def target_text(self, row: Mapping[str, object] | None = None) -> str | None:
        """The target in the metric's format (`≥ 40`), None without one; a target read from
        the data as its value in `row` (of `values`), when given."""
        goal = row.get(target_column(self.name)) if row is not None else None
        return describe_target(self.decl, goal)

    def status(self, value: object, goal: object = None) -> Status | None:
        """The value's status against the target (model/targets.py); `goal` is the target's
        value in the value's period and slice when the target is read from the data."""
        return status(value, self.decl.target, goal)

    def status_in(self, row: Mapping[str, object]) -> Status | None:
        """The status of the metric's value in a row of a scorecard's `values` (or of a
        result), against the row's own target when the target is read from the data."""
        return self.status(row.get(self.name), row.get(target_column(self.name)))


@frozen
class ChartSpec:
    """A chart a scorecard asks for beyond each metric's trend.

    WATERFALL: `metrics` are the bridge's steps in order, each with its sign (+1 or -1); the
    first is the start and `total` the end (`starting_mrr`, +new_mrr, ..., -churned_mrr, total
    `mrr`). STACKED: `metrics` are the shares stacked per period. HEATMAP: one metric in
    `metrics`, its values in `cells`, a table with the row dimension (`rows`, a cohort), the
    column (`columns`, an age) and the metric."""

    kind: ChartKind
    title: str
    metrics: tuple[tuple[str, int], ...]
    total: str | None = None
    rows: str | None = None
    columns: str | None = None
    cells: pa.Table | None = field(default=None, eq=False)


@frozen
class Section:
    """A themed group of the scorecard's metrics, shown together."""

    title: str
    metrics: tuple[str, ...]
    charts: tuple[ChartSpec, ...] = ()


@frozen
class ScorecardView:
    """A scorecard's computed contents.

    `values` has the period column (named after the grain), then the `by` columns, then per
    metric its column and one column per comparison, named `<metric>:<comparison>`
    (`nps:previous`), holding the compared period's value (null when that period is outside
    the data). `periods` are the period starts shown, oldest first; `current` is the latest.

    A metric whose target is read from the data has that target per period (and slice) in
    the column `<metric>:target`, after its own.

    `metrics` are every metric with a column in `values`: those the sections list, then those
    only their charts draw (a waterfall's steps); each section names the ones it shows as rows.
    `chart_metrics` are the metrics only a heat map shows, from its own `cells`: their labels
    and formats, without a column in `values`. With `by`, `values` has one row per period and
    slice, and a comparison reads the same slice's earlier period."""

    name: str
    title: str
    grain: Grain
    by: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    metrics: tuple[MetricView, ...]
    sections: tuple[Section, ...]
    periods: tuple[dt.date | dt.datetime, ...]
    values: pa.Table = field(eq=False)
    description: str | None = None
    chart_metrics: tuple[MetricView, ...] = ()
    #: How the project's calendar names fiscal periods (`FY2025 Q1`).
    calendar: CalendarRules = DEFAULT_RULES

    @property
    def current(self) -> dt.date | dt.datetime | None:
        return self.periods[-1] if self.periods else None

    @property
    def shown(self) -> tuple[MetricView, ...]:
        """The metrics shown as rows: those the sections name, in their order (a metric only
        a chart reads, such as a waterfall's step, has a column but no row)."""
        if not self.sections:
            return self.metrics
        names = dict.fromkeys(name for section in self.sections for name in section.metrics)
        return tuple(self.metric(name) for name in names)

    def metric(self, name: str) -> MetricView:
        return next(m for m in (*self.metrics, *self.chart_metrics) if m.name == name)

    def column(self, metric: str, comparison: Comparison | None = None) -> str:
        """The column of `values` holding a metric, or its comparison."""
        return metric if comparison is None else f"{metric}:{comparison}"


def comparison_columns(metrics: Sequence[str], comparisons: Sequence[Comparison]) -> list[str]:
    """Every value column of a scorecard's `values`, in order."""
    return [c for m in metrics for c in (m, *(f"{m}:{k}" for k in comparisons))]
