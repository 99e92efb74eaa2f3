"""Rule: metrics may not depend on themselves, directly or through others."""

from __future__ import annotations

from collections.abc import Mapping

from metricsmith.errors import Diagnostic
from metricsmith.model.bound import BExpr, BMetric, bwalk
from metricsmith.model.span import Span


def metric_cycles(formulas: Mapping[str, BExpr]) -> list[Diagnostic]:
    """One diagnostic per cycle, printing the cycle, at the reference that closes it."""
    refs: dict[str, list[BMetric]] = {
        name: [n for n in bwalk(f) if isinstance(n, BMetric) and n.name in formulas]
        for name, f in formulas.items()
    }
    found: list[Diagnostic] = []
    reported: set[frozenset[str]] = set()
    done: set[str] = set()

    def visit(name: str, stack: list[str], spans: list[Span]) -> None:
        if name in stack:
            cycle = stack[stack.index(name) :]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                found.append(
                    Diagnostic(
                        code="cycle",
                        message="metrics depend on each other in a cycle: "
                        + " → ".join([*cycle, name]),
                        span=spans[-1],
                        hint="break the cycle: one of these metrics must be defined from data",
                    )
                )
            return
        if name in done:
            return
        stack.append(name)
        for ref in refs[name]:
            visit(ref.name, stack, [*spans, ref.span])
        stack.pop()
        done.add(name)

    for name in formulas:
        visit(name, [], [])
    return found
