"""Overrides and namespaces: a project adapting the metrics of a library it includes.

Every metric of an included file belongs to its namespace (`customer_success`), and
`customer_success.nps` always names the library's own definition. `override nps ...` changes
the clauses it writes; a formula after `=` replaces the library's under the same name, so
metrics using `nps` see the project's version, while `customer_success.nps` keeps the
library's (docs/language.md, "override").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import Diagnostic
from metricsmith.model.decl import MetricDecl, OverrideDecl
from metricsmith.model.targets import directed
from metricsmith.model.types import Type

#: The clauses an override may change, as fields of both declarations.
CLAUSES = ("label", "description", "unit", "format", "direction", "target")


@attrs.frozen
class Overridden:
    """The metrics once the overrides are applied, by name: each overridden one merged, and
    the library's original under its qualified name."""

    metrics: dict[str, MetricDecl]
    #: The namespace each included metric comes from, by name (qualified ones too).
    origins: dict[str, str]
    #: What each overridden metric changed: the clauses, and "formula".
    changes: dict[str, tuple[str, ...]]
    #: Qualified names (`customer_success.nps`) and the metric each names.
    aliases: dict[str, str]
    problems: list[Diagnostic]


def apply_overrides(
    metrics: Mapping[str, MetricDecl],
    overrides: Sequence[OverrideDecl],
    namespaces: Mapping[str, str],
) -> Overridden:
    """`metrics` (the first of each name) with `overrides` applied. `namespaces` gives the
    namespace of each included file, by path; the project's own files have none."""
    origins = {
        name: namespaces[decl.span.path]
        for name, decl in metrics.items()
        if decl.span.path in namespaces
    }
    aliases = {f"{origin}.{name}": name for name, origin in origins.items()}
    merged = dict(metrics)
    changes: dict[str, tuple[str, ...]] = {}
    problems: list[Diagnostic] = []
    seen: dict[str, OverrideDecl] = {}
    for override in overrides:
        name = override.name.name
        problem = _refusal(override, metrics, origins, seen)
        seen.setdefault(name, override)
        if problem is not None:
            problems.append(problem)
            continue
        original = metrics[name]
        qualified = f"{origins[name]}.{name}"
        merged[qualified] = original
        origins[qualified] = origins[name]
        aliases[qualified] = qualified
        merged[name], changes[name] = _merge(original, override)
        problems.append(
            Diagnostic(
                code="overridden",
                message=f"`{name}` overrides `{qualified}`: {', '.join(changes[name])}",
                span=override.name.span,
                hint=f"`{qualified}` still names the library's definition",
                severity="info",
            )
        )
    return Overridden(merged, origins, changes, aliases, problems)


def _refusal(
    override: OverrideDecl,
    metrics: Mapping[str, MetricDecl],
    origins: Mapping[str, str],
    seen: Mapping[str, OverrideDecl],
) -> Diagnostic | None:
    name = override.name.name
    span = override.name.span
    if name in seen:
        return Diagnostic(
            code="duplicate-override",
            message=f"`{name}` is already overridden at {seen[name].name.span}",
            span=span,
            hint="write every change in one `override`",
        )
    if name not in metrics:
        hint = did_you_mean(name, origins) or "`metricsmith list` shows the included metrics"
        return Diagnostic(
            code="unknown-override",
            message=f"`override {name}`: no included metric is named `{name}`",
            span=span,
            hint=hint,
        )
    if name not in origins:
        return Diagnostic(
            code="override-own-metric",
            message=f"`{name}` is the project's own metric (at {metrics[name].name.span}); "
            "only an included library's metric is overridden",
            span=span,
            hint=f"change `metric {name}` itself",
        )
    if override.target is None and override.warn is not None and metrics[name].target is None:
        return Diagnostic(
            code="band-without-target",
            message=f"`override {name}` sets a `warn` band, and `{name}` has no target",
            span=override.warn.span,
            hint="add the target the band is around, e.g. `target >= 40 warn >= 30`",
        )
    return None


def _merge(original: MetricDecl, override: OverrideDecl) -> tuple[MetricDecl, tuple[str, ...]]:
    """The library's metric with the override's clauses; spans point at the override, so a
    problem with what it changed is shown where it was written."""
    changed = {c: getattr(override, c) for c in CLAUSES if getattr(override, c) is not None}
    target = changed.get("target")
    direction = changed.get("direction", original.direction)
    if target is None and override.warn is not None and original.target is not None:
        # A band alone goes around the library's target.
        target = changed["target"] = attrs.evolve(original.target, warn=override.warn)
    if target is not None:
        # A bare target follows the direction, the library's when the override sets none.
        changed["target"] = directed(target, direction)
    if override.formula is not None:
        changed["formula"] = override.formula
    merged = attrs.evolve(original, span=override.span, **changed)
    return merged, tuple(changed)


def type_mismatch(name: str, override: MetricDecl, new: Type, old: Type) -> Diagnostic | None:
    """The problem when an overriding formula's type differs from the library's (numbers of
    any kind agree): the metrics using the name were written for the library's type."""
    if Type.UNKNOWN in (new, old) or new == old or (new.is_numeric and old.is_numeric):
        return None
    return Diagnostic(
        code="override-type",
        message=f"the override of `{name}` is of type {new}; the library's is {old}",
        span=override.formula.span,
        hint=f"an override keeps the metric's type: metrics using `{name}` expect {old}",
    )
