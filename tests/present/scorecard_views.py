"""Scorecards built by hand for the views' tests: metric declarations parsed from a small
`.metrics` text and a hand-made `values` table, as `Project.scorecard` returns them."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from metricsmith.dsl.parser import parse_source
from metricsmith.model.decl import MetricDecl
from metricsmith.model.span import SourceFile
from metricsmith.model.time import Grain
from metricsmith.present.scorecard import (
    Comparison,
    MetricView,
    ScorecardView,
    Section,
    comparison_columns,
)

DEFINITIONS = """
metric nps "Net Promoter Score" = 1
  unit "points"
  higher is better
  target >= 30
metric csat "CSAT" = 1
  unit "points (1-5)"
  higher is better
  target 4
metric fcr "First contact resolution" = 1
  format percent
  higher is better
  target >= 0.7
metric first_response "Median first response" = 1
  unit "hours"
  format duration
  lower is better
  target <= 4
metric tickets "Tickets" = 1
  format integer
metric mrr "MRR" = 1
  unit "USD"
  format currency
  target >= 120000
"""

WEEKS = (dt.date(2024, 2, 19), dt.date(2024, 2, 26), dt.date(2024, 3, 4))
PREVIOUS, LAST_YEAR = Comparison.PREVIOUS, Comparison.SAME_PERIOD_LAST_YEAR


def metric_views(*names: str) -> tuple[MetricView, ...]:
    module, problems = parse_source(SourceFile("scorecard.metrics", DEFINITIONS))
    assert not problems
    decls = {d.name.name: d for d in module.decls if isinstance(d, MetricDecl)}
    return tuple(MetricView(decls[name]) for name in names)


def weekly_view() -> ScorecardView:
    """Six metrics in three sections, every status and kind of change,
    compared with the week before and the same week a year earlier."""
    names = ("nps", "csat", "fcr", "first_response", "tickets", "mrr")
    # per metric: (value, previous week, same week last year) for each of the three weeks
    series: dict[str, list[tuple[object, object, object]]] = {
        "nps": [(35.0, 33.0, 30.0), (39.0, 35.0, 36.0), (42.0, 39.0, 37.5)],
        "csat": [(4.2, 4.0, 4.1), (4.1, 4.2, 4.0), (3.8, 4.1, 3.9)],
        "fcr": [(0.65, 0.6, None), (0.63, 0.65, None), (0.612, 0.63, None)],
        "first_response": [(4.5, 5.0, 6.0), (3.25, 4.5, 5.0), (3.25, 3.25, 5.5)],
        "tickets": [(1100, 1050, 900), (1180, 1100, 950), (1204, 1180, 990)],
        "mrr": [
            (115000.0, 114000.0, 97000.0),
            (117000.0, 115000.0, 97500.0),
            (118250.5, 117000.0, 98000.5),
        ],
    }
    comparisons = (PREVIOUS, LAST_YEAR)
    columns: dict[str, list[object]] = {"week": list(WEEKS)}
    for name in names:
        for position, column in enumerate(comparison_columns([name], comparisons)):
            columns[column] = [week[position] for week in series[name]]
    return ScorecardView(
        name="weekly_cs",
        title="Weekly customer success",
        grain=Grain.WEEK,
        by=(),
        comparisons=comparisons,
        metrics=metric_views(*names),
        sections=(
            Section("Customer voice", ("nps", "csat")),
            Section("Support", ("fcr", "first_response", "tickets")),
            Section("Revenue", ("mrr",)),
        ),
        periods=WEEKS,
        values=pa.table(columns),
        description="What the customer success team reviews on Mondays.",
    )


def segment_view() -> ScorecardView:
    """Two metrics by segment, monthly, compared with the month before; one value missing."""
    months = [dt.date(2024, 2, 1)] * 2 + [dt.date(2024, 3, 1)] * 2
    values = pa.table(
        {
            "month": months,
            "accounts.segment": ["Enterprise", "SMB"] * 2,
            "nps": [31.0, 20.0, 28.0, None],
            "nps:previous": [None, None, 31.0, 20.0],
            "csat": [4.0, 3.5, 4.25, 3.5],
            "csat:previous": [None, None, 4.0, 3.5],
        }
    )
    return ScorecardView(
        name="monthly_segments",
        title="Monthly by segment",
        grain=Grain.MONTH,
        by=("accounts.segment",),
        comparisons=(PREVIOUS,),
        metrics=metric_views("nps", "csat"),
        sections=(),
        periods=(dt.date(2024, 2, 1), dt.date(2024, 3, 1)),
        values=values,
    )


def empty_view() -> ScorecardView:
    """A scorecard whose range holds no period."""
    return ScorecardView(
        name="empty",
        title="Quarterly review",
        grain=Grain.QUARTER,
        by=(),
        comparisons=(PREVIOUS,),
        metrics=metric_views("nps"),
        sections=(),
        periods=(),
        values=pa.table(
            {
                "quarter": pa.array([], pa.date32()),
                "nps": pa.array([], pa.float64()),
                "nps:previous": pa.array([], pa.float64()),
            }
        ),
    )
