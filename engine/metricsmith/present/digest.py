"""A scorecard as a few lines of Markdown, short enough for a Slack or e-mail message.

    **Weekly customer success** · week of 2024-03-04
    - 🟢 **NPS** 42 · ▲ +3 vs last week · ▲ +5 vs a year ago · on target (≥ 30)

A title with the current period, then one line per metric: its status, label and current
value, the change against each compared period (▲ up, ▼ down, ▶ no change at the value's
precision; the arrow says where the value went, the status whether that is good), and the
status in words. The words are there because a coloured circle alone says nothing to a reader
who cannot tell red from green, to a screen reader, or in a client that drops emoji. Sections
get a heading; with `by`, each group gets its own block.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from metricsmith.builtin.markdown import STATUS_MARKS as MARKS
from metricsmith.model.time import DEFAULT_RULES, CalendarRules, Grain
from metricsmith.present.scorecard import Comparison, MetricView, ScorecardView, Status
from metricsmith.present.values import MISSING, format_cell, format_period

#: A coloured circle to scan the left edge by, and the words that say the same.
STATUS_MARKS = {
    Status.GREEN: (MARKS[Status.GREEN], "on target"),
    Status.AMBER: (MARKS[Status.AMBER], "near target"),
    Status.RED: (MARKS[Status.RED], "off target"),
}
#: A line without a status keeps its label where the others have theirs.
NO_STATUS = "⚪"
UP, DOWN, LEVEL = "▲", "▼", "▶"
#: The compared period, as a reader says it.
_PREVIOUS = {
    Grain.DAY: "the day before",
    Grain.WEEK: "last week",
    Grain.MONTH: "last month",
    Grain.QUARTER: "last quarter",
    Grain.YEAR: "last year",
    Grain.FISCAL_QUARTER: "last fiscal quarter",
    Grain.FISCAL_YEAR: "last fiscal year",
}
_A_YEAR_AGO = "a year ago"
#: A value shown as a bare number (`1,204`, `4.25`), whose change keeps its decimals.
_PLAIN_NUMBER = re.compile(r"^-?[\d,]+(?P<decimals>\.\d+)?$")

Row = dict[str, Any]


def render_digest(view: ScorecardView) -> str:
    """The scorecard's current period as Markdown (see the module's docstring)."""
    blocks = [
        [f"**{_escape(view.title)}** · {period_name(view.current, view.grain, view.calendar)}"]
    ]
    current = _current_rows(view)
    for row in current:
        group = (
            [f"**{_escape(' · '.join(format_cell(row[b]) for b in view.by))}**"] if view.by else []
        )
        for index, (title, names) in enumerate(_groups(view)):
            heading = (group if index == 0 else []) + ([f"_{_escape(title)}_"] if title else [])
            blocks.append(heading + [metric_line(view, view.metric(n), row) for n in names])
    if not current:
        blocks.append(["No data for this period."])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def metric_line(view: ScorecardView, metric: MetricView, row: Row) -> str:
    """`- 🟢 **NPS** 42 · ▲ +3 vs last week · on target (≥ 30)`."""
    value = row.get(metric.name)
    status = metric.status_in(row)
    mark = STATUS_MARKS[status][0] if status else NO_STATUS
    parts = [f"- {mark} **{_escape(metric.label)}** {metric.formatted(value)}"]
    for comparison in view.comparisons:
        compared = row.get(view.column(metric.name, comparison))
        parts.append(
            f"{change(metric, value, compared)} vs {compared_name(comparison, view.grain)}"
        )
    target = metric.target_text(row)
    if status is not None:
        parts.append(f"{STATUS_MARKS[status][1]} ({target})")
    elif target is not None:
        parts.append(f"target {target}")
    return " · ".join(parts)


def change(metric: MetricView, value: object, compared: object) -> str:
    """`▲ +3`, `▼ -0.20`, `▲ +2.1 pts` (a percent's change is in points), `▶ no change`,
    or a dash when either value is missing."""
    if _missing(value) or _missing(compared):
        return MISSING
    delta: Any = value - compared  # type: ignore[operator]
    shown = metric.formatted(value)
    if metric.decl.format == "percent":
        magnitude = f"{abs(float(delta)) * 100:,.1f} pts"
    elif plain := _PLAIN_NUMBER.match(shown):  # as many decimals as the value shows
        magnitude = f"{abs(float(delta)):,.{len(plain['decimals'] or '.') - 1}f}"
    else:
        magnitude = metric.formatted(abs(delta))
    if not any(digit in magnitude for digit in "123456789"):  # zero at the shown precision
        return f"{LEVEL} no change"
    return f"{UP} +{magnitude}" if delta > 0 else f"{DOWN} -{magnitude}"


def period_name(
    start: dt.date | None, grain: Grain, calendar: CalendarRules = DEFAULT_RULES
) -> str:
    """The period as a message names it: `week of 2024-03-04`, `2024-03`, `2024 Q1`."""
    if start is None:
        return "no periods"
    name = format_period(start, grain, calendar)
    return f"week of {name}" if grain is Grain.WEEK else name


def _current_rows(view: ScorecardView) -> list[Row]:
    if view.current is None:
        return []
    period = str(view.grain)
    return [row for row in view.values.to_pylist() if row[period] == view.current]


def _groups(view: ScorecardView) -> Iterator[tuple[str | None, Sequence[str]]]:
    """The metrics shown, by section in the scorecard's order (untitled without sections);
    a metric only a chart reads has no line."""
    if not view.sections:
        yield None, [m.name for m in view.metrics]
    for section in view.sections:
        yield section.title, section.metrics


def compared_name(comparison: Comparison, grain: Grain) -> str:
    """The compared period as a reader says it: `last week`, `a year ago`."""
    return _PREVIOUS[grain] if comparison is Comparison.PREVIOUS else _A_YEAR_AGO


def _group_name(view: ScorecardView, row: Row) -> str:
    return " · ".join(format_cell(row[by]) for by in view.by)


def _missing(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and value != value)
        or not isinstance(value, int | float | Decimal | dt.timedelta)
    )


def _escape(text: str) -> str:
    """Text that Markdown shows as written: its emphasis and link characters escaped."""
    return "".join(f"\\{c}" if c in "\\*_`[]<>#|~" else c for c in text)
