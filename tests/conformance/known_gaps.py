"""What the SQL compiler does not compile yet: conformance cases that need it are expected to
fail with `UnsupportedConstruct` (pytest xfail, strict) rather than skipped."""

from __future__ import annotations

from metricsmith.execute.sql.compiler import NOT_COMPILED_YET
from metricsmith.model import bound as b
from metricsmith.plan.nodes import Plan

KNOWN_GAP_REASONS = frozenset(NOT_COMPILED_YET.values())


def gaps_of(plan: Plan) -> list[str]:
    """The reasons the compiler will give for refusing this plan (empty: it compiles)."""
    found = []
    if plan.top.children:
        found.append(NOT_COMPILED_YET["per"])
    offsets = [n for m in plan.metrics for n in b.bwalk(m.formula) if isinstance(n, b.BOffset)]
    if any(node.unit == "cohort" for node in offsets):
        found.append(NOT_COMPILED_YET["cohort_start"])
    if any(isinstance(n, b.BOffset) for node in offsets for n in b.bwalk(node.operand)):
        found.append(NOT_COMPILED_YET["nested_offset"])
    if plan.cohort_axis is not None:
        found.append(NOT_COMPILED_YET["age"])
    return found
