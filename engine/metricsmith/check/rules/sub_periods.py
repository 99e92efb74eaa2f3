"""Rule: a `per <period>` splits the period it iterates inside.

Inside `per fiscal_quarter`, `per month` iterates over the quarter's months; `per quarter`
would iterate over calendar quarters that are as long as the fiscal quarter but start in
other months, so neither splits the other (model/time.py, `Grain.finer_or_equal`). The
planner refuses such a query; where the outer period is written in a definition (a nested
`per`, a scorecard's grain) it is known here, so the definition is refused with a position
instead of every query."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from metricsmith.check.checked import ScorecardInfo
from metricsmith.check.rules.reach import reached
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
            for inner, via in _periods_below(bchildren(per), formula_of):
                if not Grain(inner.entity.name).finer_or_equal(outer):
                    found.append(_problem(outer, inner, via))
    return list(dict.fromkeys(found))


def scorecard_periods_that_do_not_split(
    scorecards: Mapping[str, ScorecardInfo],
    formulas: Mapping[str, BExpr],
    formula_of: Callable[[str], BExpr],
) -> list[Diagnostic]:
    """A scorecard's metrics iterate only over periods that split its grain's."""
    found = []
    for info in scorecards.values():
        for written in (m for s in info.decl.sections for m in s.metrics if m.name in formulas):
            for inner, _ in _periods_below([formulas[written.name]], formula_of):
                sub = Grain(inner.entity.name)
                if not sub.finer_or_equal(info.grain):
                    found.append(
                        Diagnostic(
                            code="bad-scorecard",
                            message=f"scorecard `{info.name}` is by {info.grain}, but metric "
                            f"`{written.name}` iterates `per {sub}`: {_why(info.grain, sub)}",
                            span=written.span,
                            hint=f"review by a grain that {sub}s split, or iterate the metric "
                            "over a shorter period",
                        )
                    )
    return list(dict.fromkeys(found))


def _over_periods(node: BExpr) -> bool:
    return isinstance(node, BPer) and node.entity.kind is EntityKind.PERIOD


def _period_per(node: BExpr) -> BPer | None:
    return node if isinstance(node, BPer) and _over_periods(node) else None


def _periods_below(
    roots: Iterable[BExpr], formula_of: Callable[[str], BExpr]
) -> list[tuple[BPer, BMetric | None]]:
    """The `per <period>` nearest below the roots (not below another one), through metric
    references too, each with the reference it was reached through (None when written in
    the roots themselves)."""
    return reached(roots, formula_of, _period_per, below_matches=False)


def _why(outer: Grain, sub: Grain) -> str:
    if outer.finer_or_equal(sub):
        return f"a {sub} is longer than a {outer}, so no {sub} lies within a {outer}"
    return (
        f"a {sub} and a {outer} are as long but start in other months, so no {sub} lies "
        f"within a {outer}"
    )


def _problem(outer: Grain, inner: BPer, via: BMetric | None) -> Diagnostic:
    sub = Grain(inner.entity.name)
    where = via if via is not None and via.span.line else inner
    through = f" (through metric `{via.name}`)" if via is not None else ""
    return Diagnostic(
        code="sub-period",
        message=f"`per {sub}` inside `per {outer}`{through}: {_why(outer, sub)}",
        span=where.span,
        hint=f"inside `per {outer}`, iterate over a shorter period, e.g. `per day`",
    )
