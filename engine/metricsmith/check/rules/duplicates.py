"""Rule: a name is defined once per kind (metrics and dimensions share one namespace;
sources and scorecards have their own)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from metricsmith.errors import Diagnostic
from metricsmith.model.decl import Decl, DimensionDecl, MetricDecl, ScorecardDecl, SourceDecl

Named = SourceDecl | MetricDecl | DimensionDecl | ScorecardDecl
KIND = {
    SourceDecl: "source",
    MetricDecl: "metric",
    DimensionDecl: "dimension",
    ScorecardDecl: "scorecard",
}
NAMESPACE = {
    SourceDecl: "sources",
    MetricDecl: "values",
    DimensionDecl: "values",
    ScorecardDecl: "scorecards",
}


def duplicate_names(decls: Sequence[Decl], included: Collection[str] = ()) -> list[Diagnostic]:
    """Every name defined twice. `included` are the paths of included (library) files: a
    project metric named as one of theirs is told how to override it instead."""
    first: dict[tuple[str, str], Named] = {}
    found = []
    for decl in decls:
        if not isinstance(decl, Named):
            continue
        key = (NAMESPACE[type(decl)], decl.name.name)
        if key not in first:
            first[key] = decl
            continue
        earlier = first[key]
        found.append(
            Diagnostic(
                code="duplicate-name",
                message=(
                    f"{KIND[type(decl)]} `{decl.name.name}` is already defined as a "
                    f"{KIND[type(earlier)]} at {earlier.name.span}"
                ),
                span=decl.name.span,
                hint="names are global across the project's files; rename one of them"
                + (
                    f", or change the included one with `override {decl.name.name} ...`"
                    if isinstance(decl, MetricDecl)
                    and isinstance(earlier, MetricDecl)
                    and (decl.span.path in included) != (earlier.span.path in included)
                    else ""
                ),
            )
        )
    return found
