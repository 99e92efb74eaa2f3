"""The charts a scorecard asks for (ChartSpec), drawn by Vega-Lite through altair and turned
into static SVG by vl-convert, without a browser or a script: the page embeds each as an image
(a `data:` URI), so it shows offline, in a mail client's preview and on paper alike."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any, Literal

import altair as alt
import vl_convert

from metricsmith.present.report.readings import (
    group_name,
    period_key,
    period_series,
    plotted,
)
from metricsmith.present.scorecard import ChartKind, ChartSpec, ScorecardView
from metricsmith.present.values import format_cell, format_period

WIDTH = 560
HEIGHT = 260
#: Start and end bars, rises and falls of a waterfall; the palette of the tables' statuses.
WATERFALL_COLOURS = {"total": "#57606a", "rise": "#2da44e", "fall": "#cf222e"}


@alt.theme.register("metricsmith_report", enable=False)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": "Helvetica, Arial, sans-serif",
            "view": {"stroke": None},
            "axis": {"labelFontSize": 11, "titleFontSize": 11, "gridColor": "#eaeef2"},
            "legend": {"orient": "bottom", "labelFontSize": 11, "titleFontSize": 11},
        }
    }


def chart_image(view: ScorecardView, spec: ChartSpec) -> str:
    """The chart as a `data:image/svg+xml` URI."""
    with alt.theme.enable("metricsmith_report"):
        chart = _CHARTS[spec.kind](view, spec)
        svg = vl_convert.vegalite_to_svg(chart.to_dict())
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _waterfall(view: ScorecardView, spec: ChartSpec) -> alt.TopLevelMixin:
    """The bridge of the current period: the first step from zero, each next one from where
    the last ended, in its sign's colour, and the total from zero again."""
    steps: list[dict[str, Any]] = []
    current = period_key(view.current) if view.current else None
    for group, by_period in period_series(view).items():
        row = by_period.get(current, {}) if current else {}
        level = 0.0
        for position, (name, sign) in enumerate(spec.metrics):
            amount = sign * float(row.get(name) or 0)
            start = 0.0 if position == 0 else level
            level = start + amount
            kind = "total" if position == 0 else ("rise" if amount >= 0 else "fall")
            steps.append(_step(view, group, name, start, level, kind, row.get(name), sign))
        if spec.total:
            steps.append(_step(view, group, spec.total, 0.0, level, "total", row.get(spec.total)))
    order = [view.metric(n).label for n, _ in spec.metrics] + (
        [view.metric(spec.total).label] if spec.total else []
    )
    base = alt.Chart(alt.Data(values=steps)).encode(
        x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=90)),
    )
    bars = base.mark_bar().encode(
        y=alt.Y("start:Q", title=None),
        y2="end:Q",
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(domain=list(WATERFALL_COLOURS), range=list(WATERFALL_COLOURS.values())),
            legend=None,
        ),
    )
    labels = base.mark_text(dy=-6, fontSize=11).encode(
        y=alt.Y("top:Q"), text="text:N", color=alt.value("#24292f")
    )
    return _faceted(view, alt.layer(bars, labels), width=WIDTH)


def _step(
    view: ScorecardView,
    group: tuple[Any, ...],
    name: str,
    start: float,
    end: float,
    kind: str,
    value: Any,
    sign: int = 1,
) -> dict[str, Any]:
    metric = view.metric(name)
    shown = metric.formatted(value)
    return {
        "group": group_name(group),
        "step": metric.label,
        "start": start,
        "end": end,
        "top": max(start, end),
        "kind": kind,
        "text": f"−{shown}" if sign < 0 and value is not None else shown,
    }


def _trend(view: ScorecardView, spec: ChartSpec) -> alt.TopLevelMixin:
    """The spec's metrics over the scorecard's periods, a line each."""
    return _over_periods(view, spec, alt.Chart.mark_line, stack=None)


def _stacked(view: ScorecardView, spec: ChartSpec) -> alt.TopLevelMixin:
    """Each period's shares stacked in one bar, in the order the spec names them."""
    return _over_periods(view, spec, alt.Chart.mark_bar, stack="zero")


def _over_periods(
    view: ScorecardView, spec: ChartSpec, mark: Any, stack: Literal["zero"] | None
) -> Any:
    """The spec's metrics by period, per group: stacked in the spec's order, or as lines
    drawn through the periods in theirs."""
    periods = [format_period(p, view.grain, view.calendar) for p in view.periods]
    names = [name for name, _ in spec.metrics]
    labels = [view.metric(n).label for n in names]
    points = [
        {
            "group": group_name(group),
            "period": periods[position],
            "metric": labels[index],
            "order": index if stack else position,
            "value": plotted(by_period.get(period_key(day), {}).get(name)),
        }
        for group, by_period in period_series(view).items()
        for position, day in enumerate(view.periods)
        for index, name in enumerate(names)
    ]
    chart = mark(alt.Chart(alt.Data(values=points))).encode(
        x=alt.X("period:O", sort=periods, title=None),
        y=alt.Y("value:Q", stack=stack, title=None),
        color=alt.Color("metric:N", sort=labels, title=None),
        order=alt.Order("order:Q"),
    )
    return _faceted(view, chart, width=WIDTH)


def _heatmap(view: ScorecardView, spec: ChartSpec) -> alt.TopLevelMixin:
    """One metric by a row dimension (a cohort) and a column one (an age), values written in
    their cells: the retention triangle."""
    if spec.cells is None or spec.rows is None or spec.columns is None:
        raise ValueError(f"the heat map {spec.title!r} has no cells")  # a bug in the view
    name = spec.metrics[0][0]
    metric = view.metric(name)
    records = spec.cells.to_pylist()
    numbers = [v for v in (plotted(c[name]) for c in records) if v is not None]
    low, high = min(numbers, default=0.0), max(numbers, default=0.0)
    cells: list[dict[str, Any]] = []
    for cell in records:
        number = plotted(cell[name])
        # White on the darker half of the greens, dark ink on the lighter half.
        dark = number is not None and high > low and (number - low) / (high - low) > 0.5
        cells.append(
            {
                "row": _heading(view, cell[spec.rows]),
                "column": _heading(view, cell[spec.columns]),
                "value": number,
                "text": metric.formatted(cell[name]),
                "ink": "white" if dark else "#24292f",
            }
        )
    rows = list(dict.fromkeys(c["row"] for c in cells))
    columns = list(dict.fromkeys(c["column"] for c in cells))
    base = alt.Chart(alt.Data(values=cells)).encode(
        x=alt.X("column:O", sort=columns, title=spec.columns, axis=alt.Axis(orient="top")),
        y=alt.Y("row:O", sort=rows, title=spec.rows),
    )
    squares = base.mark_rect().encode(
        color=alt.Color("value:Q", scale=alt.Scale(scheme="greens"), legend=None)
    )
    text = base.mark_text(fontSize=10).encode(
        text="text:N",
        color=alt.Color("ink:N", scale=None),
    )
    step = max(18, min(40, (HEIGHT * 2) // max(len(rows), 1)))
    # The text's colours are given, not scaled: its colour channel must not share the squares'.
    return (
        alt.layer(squares, text)
        .resolve_scale(color="independent")
        .properties(width=alt.Step(max(step, 44)), height=alt.Step(step))
    )


def _heading(view: ScorecardView, value: Any) -> str:
    """A cohort as a period of the scorecard's grain (2025-01), anything else as it is."""
    if isinstance(value, dt.date):
        return format_period(period_key(value), view.grain, view.calendar)
    return format_cell(value)


def _faceted(view: ScorecardView, chart: Any, width: int) -> Any:
    """A panel per group of the scorecard's `by` columns, one chart without them."""
    if not view.by:
        return chart.properties(width=width, height=HEIGHT)
    return chart.properties(width=width // 2, height=HEIGHT // 2).facet(
        facet=alt.Facet("group:N", title=None), columns=2
    )


_CHARTS = {
    ChartKind.TREND: _trend,
    ChartKind.WATERFALL: _waterfall,
    ChartKind.STACKED: _stacked,
    ChartKind.HEATMAP: _heatmap,
}
