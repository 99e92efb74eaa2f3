"""Rule: inside `per <entity>`, every aggregate must be attributable to one entity value."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from metricsmith.check.entities import EntityCatalog
from metricsmith.errors import Diagnostic
from metricsmith.model.bound import BAggregate, BExpr, BMetric, BPer, EntityKind, bchildren, bwalk


def unattributable_aggregates(
    formulas: Mapping[str, BExpr], formula_of: Callable[[str], BExpr], catalog: EntityCatalog
) -> list[Diagnostic]:
    found = []
    for formula in formulas.values():
        for per in (n for n in bwalk(formula) if isinstance(n, BPer)):
            if per.entity.kind is EntityKind.PERIOD:
                continue
            for aggregate in _aggregates_inside(per, formula_of):
                if catalog.value(per.entity, aggregate.source) is None:
                    found.append(_problem(per, aggregate))
    return list(dict.fromkeys(found))


def _aggregates_inside(per: BPer, formula_of: Callable[[str], BExpr]) -> list[BAggregate]:
    """The aggregates a per-entity formula reads, through metric references too."""
    seen: set[str] = set()
    found: list[BAggregate] = []
    stack: list[BExpr] = list(bchildren(per))
    while stack:
        node = stack.pop()
        if isinstance(node, BAggregate):
            found.append(node)
        elif isinstance(node, BMetric):
            if node.name not in seen:
                seen.add(node.name)
                stack.append(formula_of(node.name))
            continue
        stack.extend(bchildren(node))
    return found


def _problem(per: BPer, aggregate: BAggregate) -> Diagnostic:
    entity = per.entity.name
    source = aggregate.source
    if per.entity.kind is EntityKind.KEY:
        hint = f"link `{source}` to `{per.entity.source}`: `entity <column> -> {per.entity.source}`"
    else:
        hint = f"declare the identifier in `{source}`: `entity <column> as {entity}`"
    return Diagnostic(
        code="per-entity",
        message=f"`{aggregate.function}` over `{source}` cannot be computed per `{entity}`: "
        f"rows of `{source}` do not say which `{entity}` they belong to",
        span=aggregate.span if aggregate.span.line else per.span,
        hint=hint,
    )
