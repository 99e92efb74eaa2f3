"""How single values read in a terminal: numbers by metric format, periods by grain, targets."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import assert_never

import attrs

from metricsmith.model.decl import MetricDecl, Target, Written
from metricsmith.model.time import DEFAULT_RULES, CalendarRules, Grain
from metricsmith.plugins.formats import SECONDS_PER_UNIT

MISSING = "–"  # an en dash: a null value, which is not the same as zero


def format_metric_value(value: object, metric: MetricDecl) -> str:
    """A metric's value as its `format` asks: `percent` treats the value as a fraction
    (0.724 → 72.4%), `currency` shows cents, `integer` rounds, `duration` reads as 2d 4h (for
    durations, and for numbers whose unit is seconds ... days); whole numbers stay whole."""
    if _is_missing(value):
        return MISSING
    if isinstance(value, dt.timedelta):
        return format_duration(value.total_seconds())
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    number = float(value)
    match metric.format:
        case "percent":
            return f"{number * 100:,.1f}%"
        case "currency":
            return f"{number:,.2f}"
        case "integer":
            return f"{round(number):,}"
        case "duration" if (unit := (metric.unit or "").lower()) in SECONDS_PER_UNIT:
            return format_duration(number * SECONDS_PER_UNIT[unit])
    if isinstance(value, int):
        return f"{value:,}"
    return format_number(number)


def format_number(number: float) -> str:
    """Two decimals from 1 up; below 1, three significant digits so 0.0042 does not read 0.00."""
    if number == 0 or abs(number) >= 1:
        return f"{number:,.2f}"
    decimals = 2 - math.floor(math.log10(abs(number)))
    return f"{number:.{decimals}f}"


def format_duration(seconds: float) -> str:
    """The two largest units: `2d 4h`, `3h 20m`, `45m 10s`, `12s`."""
    sign = "-" if seconds < 0 else ""
    remaining = round(abs(seconds))
    parts: list[str] = []
    for suffix, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, remaining = divmod(remaining, size)
        if amount or parts:
            parts.append(f"{amount}{suffix}")
        if len(parts) == 2:
            break
    parts = [p for p in parts if not p.startswith("0")] or ["0s"]
    return sign + " ".join(parts)


def format_cell(value: object) -> str:
    """A dimension value: text as is, numbers as numbers, null as a dash."""
    if _is_missing(value):
        return MISSING
    if isinstance(value, float | Decimal):
        return format_number(float(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def format_period(
    start: dt.date | None, grain: Grain, calendar: CalendarRules = DEFAULT_RULES
) -> str:
    """A period by its first day, written the way people name it: 2024-03, 2024 Q1, 2024, and
    fiscal periods by the calendar's naming of fiscal years: FY2025 Q1, FY2025."""
    if start is None:
        return MISSING
    match grain:
        case Grain.DAY | Grain.WEEK:
            return start.isoformat()
        case Grain.MONTH:
            return f"{start:%Y-%m}"
        case Grain.QUARTER:
            return f"{start.year} Q{(start.month - 1) // 3 + 1}"
        case Grain.YEAR:
            return str(start.year)
        case Grain.FISCAL_QUARTER:
            return f"FY{calendar.fiscal_year(start)} Q{calendar.fiscal_quarter(start)}"
        case Grain.FISCAL_YEAR:
            return f"FY{calendar.fiscal_year(start)}"
        case _:
            assert_never(grain)


def describe_target(metric: MetricDecl, goal: object = None) -> str | None:
    """`≥ 40`, `≥ 70.0%`, `60 – 80`, `≥ 40 (warn ≥ 30)`, `≥ max(goals.nps_goal)`: the target
    in the metric's own format; None without one. A target read from the data reads as its
    formula, or as its value `goal` in one period and slice when given (`≥ 45`)."""
    target = metric.target
    if target is None or not target.op:
        return None
    if target.goal is not None and not _is_missing(goal):
        target = attrs.evolve(target, goal=None, value=float(goal))  # type: ignore[arg-type]
    text = _band(target, metric)
    return f"{text} (warn {_band(target.warn, metric)})" if target.warn is not None else text


def _band(target: Target, metric: MetricDecl) -> str:
    if target.goal is not None:
        return f"{_SYMBOLS.get(target.op, target.op)} {target.goal.span.text}"
    if target.op == "between":
        low, high = (_threshold(v, target, metric) for v in (target.value, target.high))
        return f"{low} – {high}"
    return f"{_SYMBOLS.get(target.op, target.op)} {_threshold(target.value, target, metric)}"


_SYMBOLS = {">=": "≥", "<=": "≤", "==": "="}


def _threshold(value: float | None, target: Target, metric: MetricDecl) -> str:
    if value is None:
        return MISSING
    if target.written is Written.DURATION:
        return format_duration(value)  # a duration-typed metric's target, in seconds
    shown: float | int = int(value) if float(value).is_integer() else value
    return format_metric_value(shown, metric)


def heading_details(metric: MetricDecl) -> str:
    """What a column heading says under a metric's label: its unit (a percentage's is the `%`
    on its values) and its target, `points (1-5), target ≥ 4`; empty for neither."""
    unit = metric.unit if metric.format != "percent" else None
    target = describe_target(metric)
    return ", ".join(part for part in (unit, target and f"target {target}") if part)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
