"""Rule: no `same_period_last_year` inside `per day` or `per week`.

A year is not a whole number of days or weeks, so no day or week a year back lines up with
the one iterated (docs/time-intelligence.md). Outside a `per` the grain is the query's and
the planner refuses such a query; inside `per day` / `per week` the grain is known here, so
the definition is refused with a position instead of every query."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from metricsmith.check.rules.reach import reached
from metricsmith.errors import Diagnostic
from metricsmith.model.bound import (
    BExpr,
    BMetric,
    BOffset,
    BPer,
    EntityKind,
    OffsetUnit,
    bchildren,
    bwalk,
)
from metricsmith.model.time import Grain

#: The sub-periods a year does not divide into (the planner's PERIODS_PER_YEAR has the rest).
_NOT_IN_A_YEAR = (Grain.DAY, Grain.WEEK)


def year_offsets_in_short_periods(
    formulas: Mapping[str, BExpr], formula_of: Callable[[str], BExpr]
) -> list[Diagnostic]:
    found = []
    for formula in formulas.values():
        for per in (n for n in bwalk(formula) if isinstance(n, BPer)):
            if per.entity.kind is not EntityKind.PERIOD or per.entity.name not in _NOT_IN_A_YEAR:
                continue
            for offset, via in _year_offsets_inside(per, formula_of):
                found.append(_problem(per, offset, via))
    return list(dict.fromkeys(found))


def _year_offsets_inside(
    per: BPer, formula_of: Callable[[str], BExpr]
) -> list[tuple[BOffset, BMetric | None]]:
    """Each year offset under `per`, through metric references too, with the reference it
    was reached through (None when written in the `per` itself)."""
    return reached(bchildren(per), formula_of, _year_offset, below_matches=True)


def _year_offset(node: BExpr) -> BOffset | None:
    return node if isinstance(node, BOffset) and node.unit is OffsetUnit.YEAR else None


def _problem(per: BPer, offset: BOffset, via: BMetric | None) -> Diagnostic:
    grain = per.entity.name
    where = via if via is not None and via.span.line else offset
    through = f" (through metric `{via.name}`)" if via is not None else ""
    return Diagnostic(
        code="bad-offset",
        message=f"`same_period_last_year` inside `per {grain}`{through}: a year is not a whole "
        f"number of {grain}s, so no {grain} a year back lines up with this one",
        span=where.span if where.span.line else per.span,
        hint=f"compare a fixed number of {grain}s back, e.g. "
        f"`m[-{52 if grain == 'week' else 364}]`, or iterate `per month`",
    )
