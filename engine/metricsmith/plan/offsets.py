"""Offsets at a level: how many periods each one looks back, and how deep a level's formulas
reach before its first period."""

from __future__ import annotations

from metricsmith.errors import QueryError
from metricsmith.model import bound as b
from metricsmith.model.time import Grain
from metricsmith.plan.formatting import format_expr
from metricsmith.plan.periods import PERIODS_PER_YEAR


def offset_shift(node: b.BOffset, grain: Grain | None, who: str) -> int:
    """The number of periods of `grain` the offset looks back (0 for `cohort_start`, which
    reads each cohort's own period instead)."""
    if node.unit is b.OffsetUnit.COHORT:
        return 0
    text = node_text(node)
    if grain is None:
        raise QueryError(
            f"{who} uses `{text}`, which compares with an earlier period, but the "
            "query has no grain to count periods in",
            hint="query with a grain, e.g. `--grain month`",
        )
    if node.unit is not b.OffsetUnit.YEAR:
        return node.periods
    if grain not in PERIODS_PER_YEAR:
        raise QueryError(
            f"{who} uses `{text}`, the same period one year earlier, which does not "
            f"exist at {grain} grain: a year is not a whole number of {grain}s, so no {grain} "
            "a year back lines up with this one",
            hint=f"query by month, quarter or year, or compare a fixed number of {grain}s "
            f"back, e.g. `m[-{52 if grain == Grain.WEEK else 364}]`",
        )
    return node.periods * PERIODS_PER_YEAR[grain]


def reach(
    node: b.BExpr, grain: Grain | None, who: str, found: dict[b.BExpr, int], back: int = 0
) -> None:
    """Record in `found`, for each leaf of the formula at its own level (aggregates, windowed
    aggregates, `per` aggregates, whose bodies belong to another level), how many periods
    before a cell it is read at most: the deepest chain of offsets above it."""
    if isinstance(node, b.BOffset):
        reach(node.operand, grain, who, found, back + offset_shift(node, grain, who))
    elif isinstance(node, b.BPer | b.BAggregate | b.BWindow):
        found[node] = max(found.get(node, 0), back)
    else:
        for child in b.bchildren(node):
            reach(child, grain, who, found, back)


def node_text(node: b.BExpr) -> str:
    return node.span.text or format_expr(node)
