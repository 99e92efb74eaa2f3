"""`Project.scorecard` on a tiny project whose values are computed by hand (conftest.py), on
every engine: the periods shown, each comparison looked up in the right period and slice,
the statuses, and the heat map's cells."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pytest
from metricsmith import QueryError
from metricsmith.model.decl import ChartKind, Comparison
from metricsmith.present.scorecard import Status

# A scorecard is made of ordinary queries: it runs wherever they do.
pytestmark = pytest.mark.engines("arrow", "duckdb", "spark")

JAN, FEB, MAR = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)


@pytest.fixture(scope="module")
def project(sales) -> metricsmith.Project:
    return metricsmith.load_project(sales)


def column(view, name: str) -> list[object]:
    return view.values.column(name).to_pylist()


def test_the_periods_before_the_end_with_each_comparison(project, engine):
    view = project.scorecard("monthly", end="2024-04", engine=engine)
    assert view.periods == (JAN, FEB, MAR)
    assert view.current == MAR
    assert column(view, "month") == [JAN, FEB, MAR]
    assert column(view, "revenue") == [110, 150, 400]
    # December 2023 had no deal: a sum of nothing, 0 as the query gives it.
    assert column(view, "revenue:previous") == [0, 110, 150]
    assert column(view, "revenue:same_period_last_year") == [100, 200, 300]
    assert column(view, "deals_won") == [1, 2, 1]
    assert column(view, "deals_won:previous") == [0, 1, 2]
    assert view.values.column_names[1:4] == [
        "revenue",
        "revenue:previous",
        "revenue:same_period_last_year",
    ]


def test_an_end_inside_a_period_leaves_that_period_out(project, engine):
    view = project.scorecard("monthly", end="2024-03-15", engine=engine)
    assert view.periods == (dt.date(2023, 12, 1), JAN, FEB)
    assert column(view, "revenue") == [0, 110, 150]


def test_without_an_end_the_periods_end_with_the_data(project, engine):
    view = project.scorecard("monthly", engine=engine)
    assert view.periods == (JAN, FEB, MAR)
    assert column(view, "revenue:same_period_last_year") == [100, 200, 300]


def test_periods_asked_for_override_the_declaration(project, engine):
    view = project.scorecard("monthly", end="2024-04", periods=1, engine=engine)
    assert view.periods == (MAR,)
    assert column(view, "revenue:previous") == [150]


def test_a_comparison_reads_the_same_slice(project, engine):
    view = project.scorecard("by_segment", end="2024-04", engine=engine)
    assert view.by == ("accounts.segment",)
    rows = {(r["month"], r["accounts.segment"]): r for r in view.values.to_pylist()}
    assert set(rows) == {(m, s) for m in (FEB, MAR) for s in ("SMB", "Enterprise")}
    assert rows[FEB, "SMB"]["revenue:previous"] == 110
    assert rows[FEB, "Enterprise"]["revenue:previous"] == 0
    assert rows[MAR, "Enterprise"]["revenue:previous"] == 30
    assert rows[MAR, "SMB"]["revenue"] == 400


def test_status_against_targets(project, engine):
    view = project.scorecard("monthly", end="2024-04", engine=engine)
    revenue, deals = view.metric("revenue"), view.metric("deals_won")
    # revenue >= 120: 110 misses by 10, within 10% of the target (amber); 400 meets it.
    assert [revenue.status(v) for v in column(view, "revenue")] == [
        Status.AMBER,
        Status.GREEN,
        Status.GREEN,
    ]
    # deals_won >= 2 (a bare target and `higher is better`): 1 misses by half (red).
    assert [deals.status(v) for v in column(view, "deals_won")] == [
        Status.RED,
        Status.GREEN,
        Status.RED,
    ]
    assert revenue.formatted(110) == "110.00"
    assert revenue.target_text() == "≥ 120.00"


def test_sections_charts_and_heat_map_cells(project, engine):
    view = project.scorecard("monthly", end="2024-04", engine=engine)
    assert view.title == "Monthly sales"
    assert view.description == "Revenue and deals."
    assert view.comparisons == (Comparison.PREVIOUS, Comparison.SAME_PERIOD_LAST_YEAR)
    sales, cohorts = view.sections
    assert (sales.title, sales.metrics) == ("Sales", ("revenue", "deals_won"))
    (bridge,) = sales.charts
    assert bridge.kind is ChartKind.WATERFALL
    assert bridge.metrics == (("revenue", 1), ("lost", -1))
    assert bridge.total == "revenue"
    # A chart's metrics have values even when no section lists them.
    assert [m.name for m in view.metrics] == ["revenue", "deals_won", "lost"]
    assert column(view, "lost") == [0, 0, 0]
    (heat,) = cohorts.charts
    assert heat.kind is ChartKind.HEATMAP
    assert (heat.rows, heat.columns) == ("cohort(accounts.signed_up_at, month)", "age")
    assert view.metric("buyers").label == "Buyers"
    assert [m.name for m in view.chart_metrics] == ["buyers"]
    cells = {(r[heat.rows], r["age"]): r["buyers"] for r in heat.cells.to_pylist()}
    # The cohorts of the periods shown: account 1 (January) buys every month; account 2
    # (February) buys in February only; April is after the range, so null, not 0.
    assert cells == {
        (JAN, 0): 1,
        (JAN, 1): 1,
        (JAN, 2): 1,
        (FEB, 0): 1,
        (FEB, 1): 0,
        (FEB, 2): None,
        # Nobody signed up in March: the cohort is shown (0 buyers), too young for ages 1, 2.
        (MAR, 0): 0,
        (MAR, 1): None,
        (MAR, 2): None,
    }


def test_an_unknown_scorecard_suggests_the_closest(project):
    with pytest.raises(QueryError, match="unknown scorecard `montly`") as caught:
        project.scorecard("montly")
    assert "did you mean `monthly`?" in str(caught.value)


def test_a_scorecard_shows_at_least_one_period(project):
    with pytest.raises(QueryError, match="at least one period"):
        project.scorecard("monthly", periods=0)
