"""Checking a metric's target and its amber band (docs/language.md, "Targets").

A target compares numbers in the metric's own terms: `80%` only for a metric of `format
percent`, `4 hours` for a metric counting time (a duration, or numbers with a unit of seconds
... days, into which the checker converts it). A `warn` band lies between green and red: it
admits every value the target admits, and more (`target >= 40 warn >= 30`, not `warn >= 50`).
A target read from the data (`target >= max(goals.nps_goal)`) is bound here like a metric's
formula; the query computes it beside the metric (check/query.py).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from metricsmith.errors import Diagnostic
from metricsmith.model import expr as e
from metricsmith.model.bound import BExpr
from metricsmith.model.decl import MetricDecl, Target, Written
from metricsmith.model.targets import AT_LEAST, AT_MOST
from metricsmith.model.types import Type
from metricsmith.plugins.formats import SECONDS_PER_UNIT


@attrs.frozen
class CheckedTarget:
    """The metric with its target in its own unit, the bound goal formula of a target read
    from the data (None for a constant), and what is wrong."""

    decl: MetricDecl
    goal: BExpr | None
    problems: list[Diagnostic]


def check_target(
    decl: MetricDecl, metric_type: Type, bind: Callable[[e.Expr], BExpr]
) -> CheckedTarget:
    target = decl.target
    if target is None or not target.op:
        return CheckedTarget(decl, None, [])  # no target, or one without a direction (reported)
    name = decl.name.name
    problems: list[Diagnostic] = []
    if metric_type not in (Type.UNKNOWN, Type.DURATION) and not metric_type.is_numeric:
        problems.append(
            _bad_target(
                f"metric `{name}` is {metric_type}; a target compares numbers",
                target.span,
                "remove the target, or give one to a metric counting or measuring something",
            )
        )
        return CheckedTarget(decl, None, problems)
    resolved = _in_unit(target, decl, metric_type, problems)
    warn = target.warn
    if warn is not None:
        warn = _in_unit(warn, decl, metric_type, problems)
        if warn.goal is not None:
            problems.append(
                _bad_target(
                    "a `warn` band is a constant, not read from the data",
                    warn.span,
                    "write a number, e.g. `warn >= 30`",
                )
            )
        elif not problems:
            problems += _band_problems(resolved, warn)
        resolved = attrs.evolve(resolved, warn=warn)
    goal = None
    if target.goal is not None:
        goal = bind(target.goal)
        if goal.type not in (Type.UNKNOWN, Type.DURATION) and not goal.type.is_numeric:
            problems.append(
                _bad_target(
                    f"the target of `{name}` is {goal.type}, not a number",
                    target.goal.span,
                    "read a number from the goals, e.g. `max(goals.nps_goal)`",
                )
            )
    return CheckedTarget(attrs.evolve(decl, target=resolved), goal, problems)


def _in_unit(target: Target, decl: MetricDecl, metric_type: Type, problems: list) -> Target:
    """The target's numbers in the metric's unit: a duration's seconds in the unit the
    metric's numbers count (a duration-typed metric compares seconds as they are)."""
    name = decl.name.name
    if target.op == "between" and None not in (target.value, target.high):
        assert target.value is not None and target.high is not None
        if target.value > target.high:
            problems.append(
                _bad_target(
                    "a target range runs from its low end to its high end",
                    target.span,
                    f"write `between {_number(target.high)} and {_number(target.value)}`",
                )
            )
    if target.written is Written.PERCENT and decl.format != "percent":
        problems.append(
            _bad_target(
                f"`{name}` is not a percentage (`format percent`); its target is written as one",
                target.span,
                "write the target as a plain number in the metric's terms",
            )
        )
    if target.written is not Written.DURATION:
        if metric_type == Type.DURATION and target.goal is None:
            problems.append(
                _bad_target(
                    f"`{name}` is a duration; its target is a number",
                    target.span,
                    "write the target as a duration, e.g. `target <= 4 hours`",
                )
            )
        return target
    if metric_type == Type.DURATION:
        return target
    seconds = SECONDS_PER_UNIT.get((decl.unit or "").lower())
    if seconds is None:
        problems.append(
            _bad_target(
                f"`{name}` does not count time (its unit is "
                f"{f'`{decl.unit}`' if decl.unit else 'not given'}); its target is a duration",
                target.span,
                'give the metric a unit of time (`unit "hours"`), or write a plain number',
            )
        )
        return target

    def convert(value: float | None) -> float | None:
        return None if value is None else value / seconds

    return attrs.evolve(
        target, value=convert(target.value), high=convert(target.high), written=Written.NUMBER
    )


def _band_problems(target: Target, warn: Target) -> list[Diagnostic]:
    """A band on the wrong side of its target, or of another kind."""
    op = target.op
    # Around an exact target (`== 100`) only a range is a band.
    family = AT_LEAST if op in AT_LEAST else AT_MOST if op in AT_MOST else ("between",)
    fits = warn.op in family
    if not fits:
        return [
            _bad_target(
                f"the warn band `{_text(warn)}` does not go with the target `{_text(target)}`",
                warn.span,
                f"write the band as the target is written, e.g. `warn {_example(target)}`",
            )
        ]
    if target.value is None or warn.value is None:
        return []  # a goal read from the data: its side is only known per period
    low, high = target.value, target.high if target.high is not None else target.value
    w_low, w_high = warn.value, warn.high if warn.high is not None else warn.value
    wrong = (
        (op in AT_LEAST and w_low > low)
        or (op in AT_MOST and w_low < low)
        or (warn.op == "between" and (w_low > low or w_high < high))
    )
    if not wrong:
        return []
    return [
        _bad_target(
            f"the warn band `{_text(warn)}` is on the wrong side of the target `{_text(target)}`: "
            "amber lies between meeting the target (green) and missing it by far (red)",
            warn.span,
            f"widen the band past the target, e.g. `warn {_example(target)}`",
        )
    ]


def _text(target: Target) -> str:
    if target.op == "between":
        return f"between {_number(target.value)} and {_number(target.high)}"
    return f"{target.op} {_number(target.value)}" if target.value is not None else target.op


def _example(target: Target) -> str:
    """A band that fits the target: 25% wider, on the side away from green."""
    value = target.value if target.value is not None else 0.0
    if target.op in AT_LEAST:
        return f"{target.op} {_number(value - abs(value) * 0.25)}"
    if target.op in AT_MOST:
        return f"{target.op} {_number(value + abs(value) * 0.25)}"
    high = target.high if target.high is not None else value
    spread = (high - value) * 0.25 or abs(value) * 0.1 or 1.0
    return f"between {_number(value - spread)} and {_number(high + spread)}"


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bad_target(message: str, span, hint: str) -> Diagnostic:
    return Diagnostic(code="bad-target", message=message, span=span, hint=hint)
