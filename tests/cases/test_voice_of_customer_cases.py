"""Published NPS, CSAT and CES examples, on tiny hand-made tables."""

from __future__ import annotations

import pytest
from case_support import load_case, survey, whole_table
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

NPS_METRICS = ["nps", "nps_from_points", "nps_responses", "promoters", "passives", "detractors"]


def nps_scores(promoters: int, passives: int, detractors: int) -> list[int]:
    """Respondents spread over every score of their band (9-10, 7-8, 0-6)."""
    return (
        [9 + n % 2 for n in range(promoters)]
        + [7 + n % 2 for n in range(passives)]
        + [n % 7 for n in range(detractors)]
    )


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "nps"),
    [
        (70, 20, 10, 60),
        (60, 30, 10, 50),
        (55, 25, 20, 35),
        (40, 30, 30, 10),
        (74, 14, 12, 62),  # published as 74% / 14% / 12%
        (37, 7, 6, 62),  # the same shares of 50 respondents
    ],
)
def test_published_nps_table(
    promoters: int, passives: int, detractors: int, nps: int, engine: str
) -> None:
    project = load_case(
        "nps.metrics", nps_survey=survey(nps_scores(promoters, passives, detractors))
    )
    row = whole_table(project, NPS_METRICS, engine=engine)
    assert (row["promoters"], row["passives"], row["detractors"]) == (
        promoters,
        passives,
        detractors,
    )
    assert row["nps_responses"] == promoters + passives + detractors
    assert row["nps"] == pytest.approx(nps, rel=1e-12)
    assert row["nps_from_points"] == pytest.approx(nps, rel=1e-12)


# Not on Spark: 40 random surveys of one formula, which the published tables above check there.
@pytest.mark.engines("arrow", "duckdb")
@settings(max_examples=40, deadline=None)
@given(
    scores=st.lists(
        st.one_of(st.none(), st.integers(min_value=0, max_value=10)), min_size=1, max_size=60
    )
)
def test_nps_is_the_mean_of_plus_100_zero_minus_100(scores: list[int | None], engine: str) -> None:
    """Scoring respondents +100 / 0 / -100 and averaging equals %promoters - %detractors."""
    row = whole_table(
        load_case("nps.metrics", nps_survey=survey(scores)), NPS_METRICS, engine=engine
    )
    answered = [s for s in scores if s is not None]
    if not answered:
        assert row["nps"] is None and row["nps_from_points"] is None
        return
    by_hand = 100 * (sum(s >= 9 for s in answered) - sum(s <= 6 for s in answered)) / len(answered)
    assert row["nps"] == pytest.approx(by_hand, rel=1e-9, abs=1e-9)
    assert row["nps_from_points"] == pytest.approx(row["nps"], rel=1e-9, abs=1e-9)
    assert -100 <= row["nps"] <= 100


def test_null_scores_are_not_responses(engine: str) -> None:
    row = whole_table(
        load_case("nps.metrics", nps_survey=survey([10, 9, None, 7, 3, None])),
        NPS_METRICS,
        engine=engine,
    )
    assert row["nps_responses"] == 4
    # 2 promoters and 1 detractor of 4 responses; counting the blanks would give 100 * 1 / 6.
    assert row["nps"] == pytest.approx(25.0)
    assert row["nps_from_points"] == pytest.approx(25.0)


def test_mean_score_is_not_nps(engine: str) -> None:
    """The published pitfall: a dashboard showed the mean answer, 9.07, for an NPS of 63."""
    scores = [10] * 51 + [9] * 19 + [8] * 23 + [6] * 7
    row = whole_table(
        load_case("nps.metrics", nps_survey=survey(scores)), ["mean_score", "nps"], engine=engine
    )
    assert row["mean_score"] == pytest.approx(9.07)
    assert row["nps"] == pytest.approx(63.0)


def test_a_survey_with_no_scores_has_no_nps(engine: str) -> None:
    row = whole_table(
        load_case("nps.metrics", nps_survey=survey([None, None])), NPS_METRICS, engine=engine
    )
    assert row["nps_responses"] == 0 and row["promoters"] == 0
    assert row["nps"] is None and row["nps_from_points"] is None


def csat_ces_project(csat: list[int | None], ces: list[int | None]):
    return load_case("csat_ces.metrics", csat_survey=survey(csat), ces_survey=survey(ces))


def test_csat_is_the_mean_over_respondents_ignoring_nulls(engine: str) -> None:
    project = csat_ces_project(csat=[5, 4, None, 3, 5], ces=[4])
    row = whole_table(
        project, ["csat", "csat_by_sum", "csat_respondents", "csat_pct"], engine=engine
    )
    assert row["csat_respondents"] == 4
    assert row["csat"] == pytest.approx(17 / 4)
    assert row["csat_by_sum"] == pytest.approx(17 / 4)
    assert row["csat_pct"] == pytest.approx(3 / 4)


def test_ces_is_the_mean_on_its_own_scale_ignoring_nulls(engine: str) -> None:
    row = whole_table(
        csat_ces_project(csat=[5], ces=[7, 6, None, 2, 5, None]), ["ces"], engine=engine
    )
    assert row["ces"] == pytest.approx(20 / 4)


def test_csat_of_only_skipped_ratings_is_null(engine: str) -> None:
    row = whole_table(
        csat_ces_project(csat=[None, None], ces=[3]),
        ["csat", "csat_by_sum", "csat_pct"],
        engine=engine,
    )
    assert row == {"csat": None, "csat_by_sum": None, "csat_pct": None}
