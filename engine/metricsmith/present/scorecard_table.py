"""A scorecard in the terminal: per metric its current value, target and status, its change
against each comparison with an arrow, and a sparkline of the periods shown."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from rich.table import Table
from rich.text import Text

from metricsmith.builtin.markdown import STATUS_MARKS
from metricsmith.model.decl import Comparison
from metricsmith.present.scorecard import MetricView, ScorecardView, Status
from metricsmith.present.tables import STATUS_COLOURS
from metricsmith.present.values import MISSING, format_cell, format_period

COMPARISON_HEADERS = {
    Comparison.PREVIOUS: "vs previous",
    Comparison.SAME_PERIOD_LAST_YEAR: "vs last year",
}
UP, DOWN, FLAT = "▲", "▼", "="
SPARKS = "▁▂▃▄▅▆▇█"


def scorecard_table(view: ScorecardView) -> Table:
    """The scorecard's current period, a row per metric its sections list, grouped by section
    (and by slice, with `by`)."""
    current = view.current
    heading = f"{view.title} · {format_period(current, view.grain, view.calendar)}"
    out = Table(title=heading, title_style="bold", show_edge=False, header_style="bold")
    for label in view.by:
        out.add_column(label)
    out.add_column("metric")
    out.add_column("value", justify="right")
    out.add_column("target", justify="right")
    out.add_column("", justify="center")  # the status
    for comparison in view.comparisons:
        out.add_column(COMPARISON_HEADERS[comparison], justify="right")
    out.add_column("trend")
    rows = view.values.to_pylist()
    for key in _slices(view, rows):
        history = [row for row in rows if _slice_of(view, row) == key]
        now = next((row for row in history if row[view.grain] == current), None)
        for section in view.sections:
            if not section.metrics:
                continue
            out.add_section()
            slice_cells = [format_cell(v) for v in key]
            title = Text(section.title, style="bold")
            out.add_row(*slice_cells, title, *[""] * (3 + len(view.comparisons) + 1))
            for name in section.metrics:
                metric = view.metric(name)
                value = now[name] if now else None
                out.add_row(
                    *[""] * len(key),
                    f"  {metric.label}",
                    metric.formatted(value),
                    metric.target_text(now) or "",
                    _status(metric.status_in(now) if now else None),
                    *(
                        _change(metric, value, now[f"{name}:{c}"] if now else None)
                        for c in view.comparisons
                    ),
                    sparkline([row[name] for row in history]),
                )
    return out


def _slices(view: ScorecardView, rows: Sequence[dict[str, object]]) -> list[tuple[object, ...]]:
    return list(dict.fromkeys(_slice_of(view, row) for row in rows)) or [()]


def _slice_of(view: ScorecardView, row: dict[str, object]) -> tuple[object, ...]:
    return tuple(row[label] for label in view.by)


def _status(status: Status | None) -> Text | str:
    if status is None:
        return ""
    return Text(STATUS_MARKS[status], style=STATUS_COLOURS[status])


def _change(metric: MetricView, value: object, earlier: object) -> Text | str:
    """`▲ +814.50 (+13.4%)`: the difference in the metric's format (percentage points for a
    share), and the relative change; green when it goes the metric's better way, red when
    the other."""
    if not (_is_number(value) and _is_number(earlier)):
        return MISSING
    then = float(earlier)  # type: ignore[arg-type]
    # Counts stay whole: 18 tickets after 31 is 13 fewer, not 13.00.
    whole = isinstance(value, int) and isinstance(earlier, int)
    difference = value - earlier if whole else float(value) - then  # type: ignore[operator,arg-type]
    if math.isclose(difference, 0.0, abs_tol=1e-12):
        return FLAT
    arrow = UP if difference > 0 else DOWN
    if metric.decl.format == "percent":
        text = f"{arrow} {difference * 100:+,.1f} pts"
    else:
        shown = metric.formatted(abs(difference))
        text = f"{arrow} {'+' if difference > 0 else '-'}{shown}"
        if then != 0:
            text += f" ({difference / abs(then):+.1%})"
    better = {"higher": difference > 0, "lower": difference < 0}.get(metric.decl.direction or "")
    return Text(text, style="" if better is None else ("green" if better else "red"))


def sparkline(values: Sequence[object]) -> str:
    """The values as a line of block characters, lowest to highest; a gap for a missing one."""
    numbers = [float(v) if _is_number(v) else None for v in values]  # type: ignore[arg-type]
    present = [n for n in numbers if n is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    top = len(SPARKS) - 1
    return "".join(" " if n is None else SPARKS[round((n - low) / span * top)] for n in numbers)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    return not (isinstance(value, float) and math.isnan(value))
