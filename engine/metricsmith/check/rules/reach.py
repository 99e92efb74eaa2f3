"""Walking a formula through the metrics it references, for rules that look for a kind of
node wherever a metric's value comes from."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from metricsmith.model.bound import BExpr, BMetric, bchildren

Found = TypeVar("Found", bound=BExpr)


def reached(
    roots: Iterable[BExpr],
    formula_of: Callable[[str], BExpr],
    match: Callable[[BExpr], Found | None],
    *,
    below_matches: bool,
) -> list[tuple[Found, BMetric | None]]:
    """The nodes `match` accepts below the roots, through metric references too (each metric
    once), each with the reference it was reached through (None when written in the roots
    themselves). With `below_matches` false, the walk does not go below a match: only the
    nearest are found."""
    seen: set[str] = set()
    found: list[tuple[Found, BMetric | None]] = []
    stack: list[tuple[BExpr, BMetric | None]] = [(root, None) for root in roots]
    while stack:
        node, via = stack.pop()
        matched = match(node)
        if matched is not None:
            found.append((matched, via))
            if not below_matches:
                continue
        if isinstance(node, BMetric):
            if node.name not in seen:
                seen.add(node.name)
                stack.append((formula_of(node.name), via or node))
            continue
        stack.extend((child, via) for child in bchildren(node))
    return found
