"""A formula's value for a unit no row names: what a sub-period level gives each of its
parent's units its own rows do not name (plan/levels.py, `PerLevel.without_rows`), below an
identifier or below the query's own level, where a combination of dimensions may come from
other metrics' rows alone.

Such a unit is still iterated over every sub-period (docs/time-intelligence.md, Sub-periods
and Nesting), and in each every aggregate it reads is the aggregate's value over no rows (0
for counts and sums, null otherwise), and every iteration over entities is over none. So its
formulas are the level's with each aggregate and iteration over entities, windowed or not and
at any depth, replaced by that value; they read nothing, so the planner computes them once
per sub-period for every such unit.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import evolve

from metricsmith.model import bound as b
from metricsmith.plugins.functions import AggregateFunction


def without_rows(per: b.BPer, functions: Mapping[str, AggregateFunction]) -> b.BPer:
    """`per` with its body and condition as a unit without rows evaluates them."""

    def empty(node: b.BExpr) -> b.BExpr:
        # Bottom-up: a window's aggregate is already its value over no rows, the window's.
        if isinstance(node, b.BAggregate):
            value = functions[node.function].empty
            return b.BLiteral(value=value, type=node.type, span=node.span)
        if isinstance(node, b.BPer) and node.entity.kind is not b.EntityKind.PERIOD:
            # No row names an entity of such a unit, and none is a member of it (a member
            # would show its combination in the child's cells): the aggregate of no entities.
            value = functions[node.function].empty
            return b.BLiteral(value=value, type=node.type, span=node.span)
        if isinstance(node, b.BWindow):
            operand: b.BExpr = node.operand
            assert isinstance(operand, b.BLiteral), "replaced before the window"
            return b.BLiteral(value=operand.value, type=node.type, span=node.span)
        if isinstance(node, b.BOffset) and _constant(node.operand):
            # The same value in every period, those before the computed ones included.
            return node.operand
        return node

    body = None if per.body is None else b.bmap(per.body, empty)
    where = None if per.where is None else b.bmap(per.where, empty)
    return evolve(per, body=body, where=where)


def _constant(node: b.BExpr) -> bool:
    """Whether a formula has one value in every period: it reads no level below (once its
    aggregates are values) and no earlier period."""
    return not any(isinstance(inner, b.BPer | b.BOffset) for inner in b.bwalk(node))
