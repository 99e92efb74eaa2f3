"""Checking scorecards: every metric and dimension they name exists, their grain and
comparisons are ones the engines compute, and each chart has its kind's shape.

A scorecard's queries are formed from these names only, so a checked scorecard runs whenever
its metrics do: `Project.scorecard` never meets a name it has not seen here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs

from metricsmith.check.checked import ChartInfo, ScorecardInfo, SectionInfo
from metricsmith.check.query import AGE
from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import Diagnostic
from metricsmith.model import expr as e
from metricsmith.model.decl import (
    DECLARED_CHARTS,
    ChartDecl,
    ChartKind,
    Comparison,
    DimensionDecl,
    Ident,
    ScorecardDecl,
    SectionDecl,
)
from metricsmith.model.span import Span
from metricsmith.model.time import GRAINS, Grain

DEFAULT_PERIODS = 12
DEFAULT_GRAIN = Grain.MONTH
#: Grains a year does not divide into whole periods of (docs/time-intelligence.md).
YEARLESS_GRAINS = (Grain.DAY, Grain.WEEK)
#: How each chart is written, for the hint when one is not.
CHART_FORMS = {
    ChartKind.WATERFALL: "a waterfall adds and subtracts metrics up to a total: "
    "`= starting_mrr + new_mrr - churned_mrr -> mrr`",
    ChartKind.STACKED: "stacked bars list the metrics they stack: `= good_share, poor_share`",
    ChartKind.HEATMAP: "a heat map shows one metric by cohort and age: "
    "`= cohort_logo_retention by cohort(accounts.signed_up_at, month), age`",
}

#: Checks that a row formula reads a source; its problems go where the binder's go.
RowCheck = Callable[[e.Expr], None]


def check_scorecards(
    decls: Sequence[ScorecardDecl],
    metrics: Mapping[str, object],
    dimensions: Mapping[str, DimensionDecl],
    check_row: RowCheck,
) -> tuple[dict[str, ScorecardInfo], list[Diagnostic]]:
    """The scorecards (the first of each name: the duplicates rule reports the others) and
    their problems."""
    infos: dict[str, ScorecardInfo] = {}
    found: list[Diagnostic] = []
    for decl in decls:
        if decl.name.name in infos:
            continue
        checker = _Checker(decl, metrics, dimensions, check_row)
        infos[decl.name.name] = checker.info()
        found += checker.found
    return infos, found


@attrs.define
class _Checker:
    decl: ScorecardDecl
    metrics: Mapping[str, object]
    dimensions: Mapping[str, DimensionDecl]
    check_row: RowCheck
    found: list[Diagnostic] = attrs.field(factory=list)

    def problem(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.found.append(Diagnostic(code=code, message=message, span=span, hint=hint))

    def info(self) -> ScorecardInfo:
        sections = tuple(self.section(s) for s in self.decl.sections)
        written = self.decl.sections
        if not any(s.metrics for s in written) and all(
            c.kind.name.lower() == ChartKind.HEATMAP for s in written for c in s.charts
        ):
            self.problem(
                "bad-scorecard",
                f"scorecard `{self.decl.name.name}` lists no metric",
                self.decl.name.span,
                "list its metrics, in a `section` or outside one: `metrics nps, csat`; a heat "
                "map alone is not a scorecard",
            )
        grain = self.grain()
        return ScorecardInfo(
            decl=self.decl,
            grain=grain,
            periods=self.decl.periods or DEFAULT_PERIODS,
            comparisons=self.comparisons(grain),
            by=tuple(self.dimension(formula) for formula in self.decl.by),
            sections=sections,
        )

    def grain(self) -> Grain:
        word = self.decl.grain
        if word is None:
            return DEFAULT_GRAIN
        if word.name.lower() not in GRAINS:
            self.problem(
                "bad-scorecard",
                f"unknown grain `{word.name}` for scorecard `{self.decl.name.name}`",
                word.span,
                did_you_mean(word.name.lower(), GRAINS) or f"use one of {', '.join(GRAINS)}",
            )
            return DEFAULT_GRAIN
        return Grain(word.name.lower())

    def comparisons(self, grain: Grain) -> tuple[Comparison, ...]:
        found: list[Comparison] = []
        for word in self.decl.comparisons:
            name = word.name.lower()
            if name not in set(Comparison):
                self.problem(
                    "bad-scorecard",
                    f"unknown comparison `{word.name}`",
                    word.span,
                    did_you_mean(name, Comparison) or f"compare with {', '.join(Comparison)}",
                )
                continue
            comparison = Comparison(name)
            if comparison is Comparison.SAME_PERIOD_LAST_YEAR and grain in YEARLESS_GRAINS:
                self.problem(
                    "bad-scorecard",
                    f"scorecard `{self.decl.name.name}` is by {grain}: no {grain} lines up "
                    "with the same period last year",
                    word.span,
                    "a year is not a whole number of weeks or days; compare with `previous`, "
                    "or review by month, quarter or year",
                )
                continue
            found.append(comparison)
        return tuple(dict.fromkeys(found))

    def section(self, decl: SectionDecl) -> SectionInfo:
        metrics = tuple(m.name for m in decl.metrics if self.metric(m))
        charts = tuple(chart for c in decl.charts if (chart := self.chart(c)) is not None)
        return SectionInfo(title=decl.title, metrics=metrics, charts=charts)

    def metric(self, name: Ident) -> bool:
        if name.name in self.metrics:
            return True
        self.problem(
            "unknown-name",
            f"unknown metric `{name.name}` in scorecard `{self.decl.name.name}`",
            name.span,
            did_you_mean(name.name, self.metrics) or "`metricsmith list` shows the metrics",
        )
        return False

    def dimension(self, formula: e.Expr) -> tuple[str, e.Expr]:
        """A `by` dimension as a query's `by` item: its label and formula. A bare name is a
        named dimension; anything else is a row formula (`accounts.segment`, `cohort(...)`)."""
        if isinstance(formula, e.Name) and len(formula.parts) == 1:
            name = formula.parts[0]
            if name not in self.dimensions:
                self.problem(
                    "unknown-name",
                    f"unknown dimension `{name}` in scorecard `{self.decl.name.name}`",
                    formula.span,
                    did_you_mean(name, self.dimensions)
                    or "slice by a named dimension or `source.column`",
                )
                return name, formula
            return name, self.dimensions[name].expr
        self.check_row(formula)
        label = ".".join(formula.parts) if isinstance(formula, e.Name) else formula.span.text
        return label, formula

    def chart(self, decl: ChartDecl) -> ChartInfo | None:
        kind = decl.kind.name.lower()
        if kind not in DECLARED_CHARTS:
            self.problem(
                "bad-chart",
                f"unknown chart `{decl.kind.name}`",
                decl.kind.span,
                did_you_mean(kind, DECLARED_CHARTS) or f"use {', '.join(DECLARED_CHARTS)}",
            )
            return None
        chart = _shape(ChartKind(kind), decl)
        if chart is None:
            self.problem(
                "bad-chart",
                f"chart `{decl.title}` does not have the shape of a {kind} chart",
                decl.span,
                CHART_FORMS[ChartKind(kind)],
            )
            return None
        names = [*chart.metrics, *([(chart.total, 1)] if chart.total else [])]
        spans = {n.name: n.span for n in _names_in(decl)}
        # A list, not a generator: every unknown name is reported, not just the first.
        if not all([self.metric(Ident(name=name, span=spans[name])) for name, _ in names]):
            return None
        if chart.kind is not ChartKind.HEATMAP:
            return chart
        rows = self.dimension(decl.by[0])
        if not _is_cohort(rows[1]):
            self.problem(
                "bad-chart",
                f"the heat map `{decl.title}` counts ages from `{rows[0]}`, which is not a cohort",
                decl.by[0].span,
                "put a cohort first: `by cohort(accounts.signed_up_at, month), age`",
            )
            return None
        return attrs.evolve(chart, by=(rows, (AGE, decl.by[1])))


def _shape(kind: ChartKind, decl: ChartDecl) -> ChartInfo | None:
    """The chart its formulas describe, or None when they do not have its kind's shape."""
    formulas, total, by = decl.formulas, decl.total, decl.by
    if kind is ChartKind.WATERFALL:
        steps = _signed_names(formulas[0]) if len(formulas) == 1 else None
        if steps is None or total is None or by or steps[0][1] < 0:
            return None
        return ChartInfo(kind=kind, title=decl.title, metrics=steps, total=total.name)
    names = [f.parts[0] for f in formulas if isinstance(f, e.Name) and len(f.parts) == 1]
    if len(names) < len(formulas) or total is not None:
        return None
    if kind is ChartKind.STACKED:
        if len(names) < 2 or by:
            return None
        return ChartInfo(kind=kind, title=decl.title, metrics=tuple((n, 1) for n in names))
    if len(names) != 1 or len(by) != 2 or not _is_age(by[1]):
        return None
    return ChartInfo(kind=kind, title=decl.title, metrics=((names[0], 1),))


def _signed_names(formula: e.Expr) -> tuple[tuple[str, int], ...] | None:
    """`a + b - c` as ((a, 1), (b, 1), (c, -1)); None for anything but names added and
    subtracted."""
    if isinstance(formula, e.Name) and len(formula.parts) == 1:
        return ((formula.parts[0], 1),)
    if isinstance(formula, e.Binary) and formula.op in ("+", "-"):
        left = _signed_names(formula.left)
        right = _signed_names(formula.right)
        if left is None or right is None or len(right) != 1:
            return None
        return (*left, (right[0][0], 1 if formula.op == "+" else -1))
    return None


def _names_in(decl: ChartDecl) -> list[Ident]:
    found = [
        Ident(name=n.parts[0], span=n.span)
        for f in decl.formulas
        for n in e.walk(f)
        if isinstance(n, e.Name)
    ]
    return [*found, *([decl.total] if decl.total else [])]


def _is_cohort(formula: e.Expr) -> bool:
    return isinstance(formula, e.Call) and formula.name == "cohort"


def _is_age(formula: e.Expr) -> bool:
    return isinstance(formula, e.Name) and formula.parts == (AGE,)
