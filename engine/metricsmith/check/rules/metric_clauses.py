"""Rule: a metric's presentation clauses make sense (format names, targets with a direction)."""

from __future__ import annotations

from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import Diagnostic
from metricsmith.model.decl import MetricDecl

FORMATS = ("number", "integer", "percent", "currency", "duration")


def check_metric_clauses(decl: MetricDecl) -> list[Diagnostic]:
    found = []
    if decl.format is not None and decl.format not in FORMATS:
        found.append(
            Diagnostic(
                code="bad-format",
                message=f"unknown format `{decl.format}` for metric `{decl.name.name}`",
                span=decl.span,
                hint=did_you_mean(decl.format, FORMATS) or "use " + ", ".join(FORMATS),
            )
        )
    if decl.target is not None and not decl.target.op and decl.direction is None:
        found.append(
            Diagnostic(
                code="bad-target",
                message=f"metric `{decl.name.name}` has a target but no direction",
                span=decl.target.span,
                hint="add `higher is better` / `lower is better`, or write `target >= 40`",
            )
        )
    return found
