"""Scorecards to lay out, made by hand: declarations parsed from a small `.metrics` text and
values computed here, so the report's tests need no data and no query."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
from metricsmith.dsl.parser import parse_source
from metricsmith.model.decl import MetricDecl
from metricsmith.model.span import SourceFile
from metricsmith.model.time import Grain
from metricsmith.present.scorecard import (
    ChartKind,
    ChartSpec,
    Comparison,
    MetricView,
    ScorecardView,
    Section,
)

DEFINITIONS = """
metric starting_mrr "Starting MRR" = sum(mrr.amount)
  format currency
metric new_mrr "New MRR" = sum(mrr.amount)
  format currency
  higher is better
metric expansion_mrr "Expansion MRR" = sum(mrr.amount)
  format currency
  higher is better
metric churned_mrr "Churned MRR" = sum(mrr.amount)
  format currency
  lower is better
  target <= 9000
metric mrr "MRR" = sum(mrr.amount)
  description "Monthly recurring revenue at the end of the month."
  format currency
  higher is better
  target >= 120000
metric healthy_share "Healthy accounts" = 1
  format percent
  higher is better
  target >= 0.6
metric at_risk_share "At-risk accounts" = 1
  format percent
  lower is better
metric critical_share "Critical accounts" = 1
  format percent
  lower is better
  target <= 0.1
metric nps "NPS" = 1
  description "Promoters minus detractors, per 100 answers."
  higher is better
  target >= 40
metric first_response "Time to first response" = 1
  unit "hours"
  format duration
  lower is better
  target <= 4
metric logo_retention "Logo retention" = 1
  format percent
  higher is better
  target >= 0.9
"""

MRR_BRIDGE = ChartSpec(
    ChartKind.WATERFALL,
    "MRR bridge",
    (("starting_mrr", 1), ("new_mrr", 1), ("expansion_mrr", 1), ("churned_mrr", -1)),
    total="mrr",
)
HEALTH_MIX = ChartSpec(
    ChartKind.STACKED,
    "Health mix",
    (("healthy_share", 1), ("at_risk_share", 1), ("critical_share", 1)),
)


def declarations(text: str = DEFINITIONS) -> dict[str, MetricDecl]:
    module, problems = parse_source(SourceFile("scorecard.metrics", text))
    assert not problems, problems
    return {d.name.name: d for d in module.decls if isinstance(d, MetricDecl)}


def months(count: int, last: dt.date = dt.date(2025, 6, 1)) -> list[dt.date]:
    """`count` month starts ending with `last`, oldest first."""
    index = last.year * 12 + last.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def value(metric: str, month: int) -> object:
    """A made-up value of a metric in the month numbered `month` (0 the oldest)."""
    wave = math.sin(month / 3)
    mrr = 100_000.0 + 1_500 * month
    match metric:
        case "starting_mrr":
            return mrr - 1_500
        case "new_mrr":
            return 6_000 + 800 * wave
        case "expansion_mrr":
            return 4_000.0
        case "churned_mrr":
            return 8_500 - 600 * wave
        case "mrr":
            return mrr
        case "healthy_share":
            return 0.62 + 0.05 * wave
        case "at_risk_share":
            return 0.28 - 0.03 * wave
        case "critical_share":
            return 0.10 - 0.02 * wave
        case "nps":
            return round(38 + 4 * wave)
        case "first_response":
            return 3.5 + wave
        case "logo_retention":
            return 0.93 - 0.05 * wave
    return 1000.0 + 10 * month + 50 * wave  # the made-up metrics of a large scorecard


def values_table(
    metrics: list[str], periods: list[dt.date], comparisons: tuple[Comparison, ...]
) -> pa.Table:
    """`values` as the contract has it: the month, then per metric its value and one column
    per comparison (the month before, the month a year before; null before the data)."""
    history = 12  # months computed before the first one shown, for the comparisons
    shift = {Comparison.PREVIOUS: 1, Comparison.SAME_PERIOD_LAST_YEAR: 12}
    columns: dict[str, list[object]] = {"month": list(periods)}
    for metric in metrics:
        columns[metric] = [value(metric, history + i) for i in range(len(periods))]
        for comparison in comparisons:
            columns[f"{metric}:{comparison}"] = [
                value(metric, history + i - shift[comparison]) for i in range(len(periods))
            ]
    return pa.table(columns)


def retention_cells(cohorts: int = 6) -> pa.Table:
    """A retention triangle: each monthly cohort's retention after 1 ... n months."""
    rows = [
        {"cohort": cohort, "months": age, "logo_retention": round(0.97**age - 0.01 * i, 3)}
        for i, cohort in enumerate(months(cohorts))
        for age in range(1, cohorts - i + 1)
    ]
    return pa.Table.from_pylist(rows)


def monthly_view(periods: int = 13) -> ScorecardView:
    """The monthly customer-success scorecard: revenue, health and retention."""
    decls = declarations()
    shown = months(periods)
    comparisons = (Comparison.PREVIOUS, Comparison.SAME_PERIOD_LAST_YEAR)
    retention = ChartSpec(
        ChartKind.HEATMAP,
        "Logo retention by cohort",
        (("logo_retention", 1),),
        rows="cohort",
        columns="months",
        cells=retention_cells(),
    )
    sections = (
        Section("Revenue", ("mrr", "new_mrr", "expansion_mrr", "churned_mrr"), (MRR_BRIDGE,)),
        Section(
            "Customer health",
            ("healthy_share", "at_risk_share", "critical_share", "nps", "first_response"),
            (HEALTH_MIX,),
        ),
        Section("Retention", ("logo_retention",), (retention,)),
    )
    return ScorecardView(
        name="monthly_cs",
        title="Monthly customer success",
        description="The metrics the customer-success team reviews on the first Monday.",
        grain=Grain.MONTH,
        by=(),
        comparisons=comparisons,
        metrics=tuple(MetricView(d) for d in decls.values()),
        sections=sections,
        periods=tuple(shown),
        values=values_table(list(decls), shown, comparisons),
    )


def large_view(metric_count: int = 20, periods: int = 36) -> ScorecardView:
    """A scorecard of `metric_count` rows over `periods` months, in four sections, with the
    three kinds of chart: the size the issue's time limit speaks of."""
    base = monthly_view(periods)
    rows = sum(len(s.metrics) for s in base.sections)
    extra = [f"metric_{i}" for i in range(metric_count - rows)]
    text = DEFINITIONS + "".join(
        f'metric {n} "Made-up metric {i}" = 1\n  format number\n  higher is better\n'
        f"  target >= 1200\n"
        for i, n in enumerate(extra)
    )
    decls = declarations(text)
    shown = list(base.periods)
    return ScorecardView(
        name="large",
        title="A large scorecard",
        grain=Grain.MONTH,
        by=(),
        comparisons=base.comparisons,
        metrics=tuple(MetricView(d) for d in decls.values()),
        sections=(*base.sections, Section("More", tuple(extra))),
        periods=base.periods,
        values=values_table(list(decls), shown, base.comparisons),
    )


def segmented_view() -> ScorecardView:
    """Two metrics by segment over four months, with gaps: the Enterprise segment has no
    value in the latest month, and nothing before the data to compare with."""
    decls = declarations()
    shown = months(4)

    def mrr(segment: str, i: int) -> float | None:
        return None if (segment == "Enterprise" and i == 3) else 50_000.0 + 1_000 * i

    def nps(segment: str, i: int) -> int:
        return 30 + i if segment == "SMB" else 45 - i

    rows = [
        {
            "month": month,
            "segment": segment,
            "mrr": mrr(segment, i),
            "mrr:previous": None if i == 0 else mrr(segment, i - 1),
            "nps": nps(segment, i),
            "nps:previous": None if i == 0 else nps(segment, i - 1),
        }
        for i, month in enumerate(shown)
        for segment in ("SMB", "Enterprise")
    ]
    return ScorecardView(
        name="by_segment",
        title="MRR and NPS by segment",
        grain=Grain.MONTH,
        by=("segment",),
        comparisons=(Comparison.PREVIOUS,),
        metrics=(MetricView(decls["mrr"]), MetricView(decls["nps"])),
        sections=(
            Section(
                "By segment",
                ("mrr", "nps"),
                (ChartSpec(ChartKind.TREND, "MRR and NPS", (("mrr", 1), ("nps", 1))),),
            ),
        ),
        periods=tuple(shown),
        values=pa.Table.from_pylist(rows),
    )
