"""What each row of a scorecard says, ready to lay out: the current value, its status, its
change against each comparison, and its trend over the scorecard's periods.

Plain Python on the `ScorecardView`'s values, no layout library: the numbers are the
scorecard's; this module only reads them and writes them in the metric's format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from attrs import frozen

from metricsmith.model.time import Grain
from metricsmith.present.scorecard import Comparison, MetricView, ScorecardView, Status
from metricsmith.present.values import MISSING, format_cell

#: How a status reads, in words: a colour alone would be lost on a grey printer and to a
#: colour-blind reader.
STATUS_WORDS = {Status.GREEN: "On target", Status.AMBER: "Close", Status.RED: "Off target"}
NO_TARGET = "No target"
NO_VALUE = "No value"


class Tone(StrEnum):
    """Whether a change is good news, given the metric's direction."""

    GOOD = "good"
    BAD = "bad"
    NEUTRAL = "neutral"  # no direction, no change, or nothing to compare with


@frozen
class Change:
    text: str  # `▲ +2.10 (+3.4%)`, `▼ -1.2 pp`, or a dash
    tone: Tone


@frozen
class MetricRow:
    metric: MetricView
    group: tuple[Any, ...]  # the values of the scorecard's `by` columns, () without any
    value: Any
    status: Status | None
    changes: tuple[Change, ...]  # one per comparison of the scorecard, in its order
    trend: tuple[float | None, ...]  # one per period of the scorecard, oldest first
    #: The target in the metric's format, a target read from the data as its value here.
    target: str | None = None

    @property
    def status_text(self) -> str:
        if self.status is not None:
            return STATUS_WORDS[self.status]
        return NO_TARGET if self.target is None else NO_VALUE


def group_name(group: tuple[Any, ...]) -> str:
    """A group of the `by` columns' values as a reader names it: `EMEA · Enterprise`."""
    return " · ".join(format_cell(v) for v in group)


def comparison_label(comparison: Comparison, grain: Grain) -> str:
    match comparison:
        case Comparison.PREVIOUS:
            return f"vs previous {grain}"
        case Comparison.SAME_PERIOD_LAST_YEAR:
            return "vs last year"


def metric_rows(view: ScorecardView, metrics: Sequence[str]) -> list[MetricRow]:
    """A row per metric (and per group of the `by` columns, metric by metric)."""
    series = period_series(view)
    rows = []
    for name in metrics:
        metric = view.metric(name)
        for group, by_period in series.items():
            current = by_period.get(period_key(view.current)) if view.current else None
            value = current.get(name) if current else None
            changes = tuple(
                change(metric, value, current.get(view.column(name, c)) if current else None)
                for c in view.comparisons
            )
            trend = tuple(plotted(by_period.get(period_key(p), {}).get(name)) for p in view.periods)
            status = metric.status_in(current) if current else None
            target = metric.target_text(current)
            rows.append(MetricRow(metric, group, value, status, changes, trend, target))
    return rows


def period_series(view: ScorecardView) -> dict[tuple[Any, ...], dict[dt.date, dict[str, Any]]]:
    """The rows of `values` by group, then by period (a group that has no row for a period
    shows a gap there)."""
    series: dict[tuple[Any, ...], dict[dt.date, dict[str, Any]]] = {}
    for row in view.values.to_pylist():
        group = tuple(row[c] for c in view.by)
        series.setdefault(group, {})[period_key(row[str(view.grain)])] = row
    return series or {(): {}}


def period_key(period: dt.date | dt.datetime) -> dt.date:
    """A period by its first day, whether an engine gave a date or a midnight timestamp."""
    return period.date() if isinstance(period, dt.datetime) else period


def change(metric: MetricView, value: Any, compared: Any) -> Change:
    """The change from `compared` to `value` in the metric's format: a percentage's change
    in points (pp), any other's with its relative change too. A change too small to show in
    the format (`0.0 pp`) reads as none: an arrow there would point at nothing."""
    if _missing(value) or _missing(compared):
        return Change(MISSING, Tone.NEUTRAL)
    difference = value - compared
    size = metric.formatted(abs(difference))
    if metric.decl.format == "percent":
        size = size.removesuffix("%") + " pp"
    sign = _sign(difference) if any(c in "123456789" for c in size) else 0
    if sign == 0:
        return Change(f"= {size}", Tone.NEUTRAL)
    text = f"{'▲' if sign > 0 else '▼'} {'+' if sign > 0 else '-'}{size}"
    if metric.decl.format != "percent" and _is_number(compared) and compared != 0:
        text += f" ({float(difference) / abs(float(compared)):+.1%})"
    return Change(text, _tone(sign, metric.decl.direction))


def _tone(sign: int, direction: str | None) -> Tone:
    if direction not in ("higher", "lower"):
        return Tone.NEUTRAL
    return Tone.GOOD if (sign > 0) == (direction == "higher") else Tone.BAD


def _sign(difference: Any) -> int:
    if isinstance(difference, dt.timedelta):
        difference = difference.total_seconds()
    return (difference > 0) - (difference < 0)


def plotted(value: Any) -> float | None:
    """A value as a point of a sparkline: durations in seconds, a gap for a missing one."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value) if _is_number(value) and not _missing(value) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)
