"""Rule: a `per <period>` nested inside another splits it.

Inside `per fiscal_quarter`, `per month` iterates over the quarter's months; `per quarter`
would iterate over calendar quarters that are as long as the fiscal quarter but start in
other months, so neither splits the other (model/time.py, `Grain.finer_or_equal`). The
planner refuses such a query; where both periods are written in definitions the grain is
known here, so the definition is refused with a position instead of every query."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from metricsmith.errors import Diagnostic
from metricsmith.model.bound import BExpr, BMetric, BPer, EntityKind, bchildren, bwalk
from metricsmith.model.time import Grain


def sub_periods_that_do_not_split(
    formulas: Mapping[str, BExpr], formula_of: Callable[[str], BExpr]
) -> list[Diagnostic]:
    found = []
    for formula in formulas.values():
        for per in (n for n in bwalk(formula) if _over_periods(n)):
            assert isinstance(per, BPer)
            outer = Grain(per.entity.name)
            for inner, via in _periods_inside(per, formula_of):
                if not Grain(inner.entity.name).finer_or_equal(outer):
                    found.append(_problem(outer, inner, via))
    return list(dict.fromkeys(found))


def _over_periods(node: BExpr) -> bool:
    return isinstance(node, BPer) and node.entity.kind is EntityKind.PERIOD


def _periods_inside(
    per: BPer, formula_of: Callable[[str], BExpr]
) -> list[tuple[BPer, BMetric | None]]:
    """The `per <period>` nearest below `per` (not below another one), through metric
    references too, each with the reference it was reached through (None when written in
    `per` itself)."""
    seen: set[str] = set()
    found: list[tuple[BPer, BMetric | None]] = []
    stack: list[tuple[BExpr, BMetric | None]] = [(child, None) for child in bchildren(per)]
    while stack:
        node, via = stack.pop()
        if _over_periods(node):
            assert isinstance(node, BPer)
            found.append((node, via))
            continue
        if isinstance(node, BMetric):
            if node.name not in seen:
                seen.add(node.name)
                stack.append((formula_of(node.name), via or node))
            continue
        stack.extend((child, via) for child in bchildren(node))
    return found


def _problem(outer: Grain, inner: BPer, via: BMetric | None) -> Diagnostic:
    sub = Grain(inner.entity.name)
    why = (
        f"a {sub} is longer than a {outer}"
        if outer.finer_or_equal(sub)
        else f"a {sub} and a {outer} are as long but start in other months"
    )
    where = via if via is not None and via.span.line else inner
    through = f" (through metric `{via.name}`)" if via is not None else ""
    return Diagnostic(
        code="sub-period",
        message=f"`per {sub}` inside `per {outer}`{through}: {why}, so no {sub} lies "
        f"within a {outer}",
        span=where.span,
        hint=f"inside `per {outer}`, iterate over a shorter period, e.g. `per day`",
    )
