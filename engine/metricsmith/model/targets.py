"""A value's status against its metric's target: green, amber or red (docs/language.md,
"Targets"). Every view of a status (the terminal, scorecards, the HTML report, the digest, the
spreadsheet, a result's `<metric>:status` column) reads it from here.

- green: the value meets the target (`>= 40`, `between 60 and 80`);
- amber: it misses the target but meets the `warn` band (`warn >= 30`); a target without a
  `warn` band keeps a fixed one, `AMBER_TOLERANCE` of the target's size past it (of 1 when
  the target is 0): 10% under a target of 30 NPS is 27;
- red: it misses both;
- none: the metric has no target (or no comparison), or the value (or a goal read from the
  data) is missing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum

import attrs
import pyarrow as pa

from metricsmith.model.decl import Target

#: The amber band of a target written without `warn`, as a share of the target's size.
AMBER_TOLERANCE = 0.10

#: The comparisons a value meets when it is at least, or at most, the threshold.
AT_LEAST = (">=", ">")
AT_MOST = ("<=", "<")


def target_column(metric: str) -> str:
    """The result column holding a metric's target per period and slice, when the target is
    read from the data (`nps:target`)."""
    return f"{metric}:target"


def status_column_name(metric: str) -> str:
    """The result column holding each value's status, on request (`nps:status`)."""
    return f"{metric}:status"


class Status(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


def status(value: object, target: Target | None, goal: object = None) -> Status | None:
    """The status of `value` against `target`; `goal` is the target's value for this period
    and slice when the target is read from the data (`target.goal`)."""
    number = _number(value)
    if target is None or not target.op or number is None:
        return None
    threshold = _number(goal) if target.goal is not None else target.value
    if threshold is None:
        return None
    if meets(number, target.op, threshold, target.high):
        return Status.GREEN
    warn = target.warn
    if warn is not None:
        assert warn.value is not None, "the checker allows only constant warn bands"
        return Status.AMBER if meets(number, warn.op, warn.value, warn.high) else Status.RED
    bounds = [threshold] if target.high is None else [threshold, target.high]
    close = any(abs(number - bound) <= AMBER_TOLERANCE * (abs(bound) or 1.0) for bound in bounds)
    return Status.AMBER if close else Status.RED


def directed(target: Target, direction: str | None) -> Target:
    """A bare `target 40` compared by the metric's direction (`>=` when higher is better,
    `<=` when lower), and a bare `warn 30` by its target's comparison."""
    op = target.op or {"higher": ">=", "lower": "<="}.get(direction or "", "")
    warn = target.warn
    if warn is not None and not warn.op and op != "between":
        warn = attrs.evolve(warn, op=op)
    return attrs.evolve(target, op=op, warn=warn)


def meets(number: float, op: str, value: float, high: float | None = None) -> bool:
    """Whether `number` satisfies one band: `>= value`, ..., or `between value and high`."""
    match op:
        case ">=":
            return number >= value
        case ">":
            return number > value
        case "<=":
            return number <= value
        case "<":
            return number < value
        case "==":
            return math.isclose(number, value)
        case "between":
            assert high is not None
            return value <= number <= high
    raise ValueError(f"not a target comparison: {op!r}")


def status_column(
    values: Sequence[object], target: Target | None, goals: Sequence[object] | None = None
) -> pa.Array:
    """A result's `<metric>:status` column: each value's status as its word, null for none."""
    goals = goals if goals is not None else [None] * len(values)
    words = [status(v, target, g) for v, g in zip(values, goals, strict=True)]
    return pa.array([None if s is None else str(s) for s in words], pa.string())


def _number(value: object) -> float | None:
    """A value as a number to compare: durations in seconds; None for a missing value."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def with_statuses(table: pa.Table, metrics: Sequence[tuple[str, Target | None]]) -> pa.Table:
    """A query's answer with each metric's status: `table` holds the keys, the `metrics`
    (name, target) and, for each target read from the data, its `<metric>:target` column;
    the answer ends, after the metrics, with each metric's `<metric>:target` (when its target
    varies) and its `<metric>:status`."""
    companions = {target_column(name) for name, _ in metrics}
    out = table.select([c for c in table.column_names if c not in companions])
    for name, target in metrics:
        values = table.column(name).to_pylist()
        goals = None
        if target is not None and target.goal is not None:
            goal = table.column(target_column(name))
            out = out.append_column(target_column(name), goal)
            goals = goal.to_pylist()
        out = out.append_column(status_column_name(name), status_column(values, target, goals))
    return out
