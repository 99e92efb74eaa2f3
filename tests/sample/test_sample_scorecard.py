"""The sample project's scorecards: the current period's values are the pinned sample values,
the comparisons are the oracle's values of the compared periods, and the charts' metrics keep
their identities (the MRR bridge adds up, the health mix sums to one)."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pytest
from sample_expected import MARCH_2024, pinned
from sample_oracle import SAMPLE_DIR, Cell, expected, utc

FEBRUARY = Cell(utc(2024, 2), utc(2024, 3))


@pytest.fixture(scope="module")
def project() -> metricsmith.Project:
    return metricsmith.load_project(SAMPLE_DIR)


@pytest.fixture(scope="module")
def monthly(project, engine):
    return project.scorecard("monthly_cs", end="2024-04", engine=engine)


def current(view, column: str) -> object:
    return view.values.column(column).to_pylist()[-1]


@pytest.mark.parametrize("metric", ["nps", "csat", "first_contact_resolution"])
def test_the_current_period_is_the_pinned_march(monthly, metric):
    assert monthly.current == MARCH_2024
    assert current(monthly, metric) == pytest.approx(pinned(metric, "2024-03"), rel=1e-9)


@pytest.mark.parametrize("metric", ["csat", "first_contact_resolution"])
def test_previous_is_february(monthly, metric):
    assert current(monthly, f"{metric}:previous") == pytest.approx(
        expected(metric, FEBRUARY), rel=1e-9
    )


def test_a_year_back_is_before_the_data(monthly):
    # The sample's data starts in December 2023: March 2023 has no NPS answer.
    assert current(monthly, "nps:same_period_last_year") is None


def test_the_mrr_bridge_adds_up(monthly):
    (bridge,) = next(s for s in monthly.sections if s.title == "Revenue").charts
    rows = monthly.values.to_pylist()
    for row in rows:
        moved = sum(sign * row[name] for name, sign in bridge.metrics)
        assert moved == pytest.approx(row[bridge.total], abs=1e-6), row[monthly.grain]


def test_the_health_mix_sums_to_one(monthly):
    (mix,) = next(s for s in monthly.sections if s.title == "Health").charts
    for row in monthly.values.to_pylist():
        shares = [row[name] for name, _ in mix.metrics]
        if None not in shares:
            assert sum(shares) == pytest.approx(1.0), row[monthly.grain]


def test_the_cohort_heat_map(monthly):
    (heat,) = next(s for s in monthly.sections if s.title == "Retention").charts
    cells = heat.cells.to_pylist()
    cohorts = {row[heat.rows] for row in cells}
    # The cohorts of the periods shown that the data has (April 2023 .. March 2024).
    assert cohorts == {dt.date(2023, 12, 1), dt.date(2024, 1, 1), dt.date(2024, 2, 1), MARCH_2024}
    # A cohort too young for an age within the range has null there.
    march = [row for row in cells if row[heat.rows] == MARCH_2024]
    assert {row["age"] for row in march if row["cohort_logo_retention"] is not None} == {0}
    assert all(
        row["cohort_logo_retention"] == 1.0
        for row in cells
        if row["age"] == 0 and row["cohort_logo_retention"] is not None
    )


def test_the_weekly_scorecard_ends_with_the_data(project):
    view = project.scorecard("weekly_support")
    assert len(view.periods) == 8
    assert view.current == dt.date(2025, 1, 27)  # the week of the sample's last day
