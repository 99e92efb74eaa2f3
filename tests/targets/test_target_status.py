"""Red/amber/green on every engine: a constant target with a band, a range, and a target read
from a goals table (month × segment × goal) computed per period and slice beside its metric.

Accounts a1 (SMB) and a2 (Enterprise). Scores: January a1 8 and 6, a2 9; February a1 4, a2 7.
Goals: January SMB 7, Enterprise 8; February SMB 6, Enterprise 8. Every status below is worked
out by hand from these rows.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from metricsmith import load_project
from metricsmith.errors import QueryError
from metricsmith.present.digest import render_digest

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

DEFINITIONS = """\
source segments from csv("segments.csv") {
  key segment
}

source accounts from csv("accounts.csv") {
  key account_id
  entity segment -> segments
}

source responses from csv("responses.csv") {
  key response_id
  time responded_at
  entity account_id -> accounts
}

# The goals: one row per month and segment.
source goals from csv("goals.csv") {
  time month
  entity segment -> segments
}

metric score "Score" = avg(responses.score)
  higher is better
  target >= max(goals.goal) warn >= 5

metric answers "Answers" = count(responses)
  target between 2 and 3 warn between 1 and 4

scorecard review { grain month  periods 2  by segments.segment  metrics score, answers }
"""
UTC = dt.UTC


def at(month: int, day: int = 10) -> dt.datetime:
    return dt.datetime(2024, month, day, tzinfo=UTC)


TABLES = {
    "segments": pa.table({"segment": ["SMB", "Enterprise"]}),
    "accounts": pa.table({"account_id": ["a1", "a2"], "segment": ["SMB", "Enterprise"]}),
    "responses": pa.table(
        {
            "response_id": [1, 2, 3, 4, 5],
            "account_id": ["a1", "a1", "a2", "a1", "a2"],
            "responded_at": pa.array(
                [at(1), at(1, 20), at(1), at(2), at(2)], pa.timestamp("us", "UTC")
            ),
            "score": [8, 6, 9, 4, 7],
        }
    ),
    "goals": pa.table(
        {
            "month": pa.array([at(1, 1), at(1, 1), at(2, 1), at(2, 1)], pa.timestamp("us", "UTC")),
            "segment": ["SMB", "Enterprise", "SMB", "Enterprise"],
            "goal": [7.0, 8.0, 6.0, 8.0],
        }
    ),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("targets")
    (folder / "targets.metrics").write_text(DEFINITIONS, encoding="utf-8")
    return load_project(folder, tables=TABLES)


def rows(result) -> list[dict[str, object]]:
    return sorted(result.to_pylist(), key=lambda row: tuple(str(v) for v in row.values()))


def test_goals_by_month_and_segment(project, engine):
    result = project.query(
        ["score"],
        grain="month",
        by=["segments.segment"],
        start="2024-01",
        end="2024-03",
        engine=engine,
        status=True,
    )
    assert result.column_names == [
        "month",
        "segments.segment",
        "score",
        "score:target",
        "score:status",
    ]
    got = [
        (str(r["month"])[:7], r["segments.segment"], r["score:target"], r["score:status"])
        for r in rows(result)
    ]
    assert got == [
        ("2024-01", "Enterprise", 8.0, "green"),  # 9 >= 8
        ("2024-01", "SMB", 7.0, "green"),  # (8 + 6) / 2 = 7 >= 7
        ("2024-02", "Enterprise", 8.0, "amber"),  # 7 < 8, but 7 >= 5
        ("2024-02", "SMB", 6.0, "red"),  # 4 < 6 and 4 < 5
    ]


@pytest.mark.engines("arrow", "duckdb")
def test_each_metric_has_its_status_after_the_metrics(project, engine):
    result = project.query(
        ["score", "answers"],
        grain="month",
        by=["segments.segment"],
        start="2024-01",
        end="2024-03",
        engine=engine,
        status=True,
    )
    assert result.column_names == [
        "month",
        "segments.segment",
        "score",
        "answers",
        "score:target",
        "score:status",
        "answers:status",
    ]
    # answers: January SMB 2 (in 2..3: green), Enterprise 1 (in 1..4: amber); February 1 each
    assert [r["answers:status"] for r in rows(result)] == ["amber", "green", "amber", "amber"]


# Spark answers the sliced query above; this one adds nothing it could get wrong alone.
@pytest.mark.engines("arrow", "duckdb", "postgres")
def test_goals_by_month_alone(project, engine):
    result = project.query(
        ["score"], grain="month", start="2024-01", end="2024-03", engine=engine, status=True
    )
    got = [(r["score"], r["score:target"], r["score:status"]) for r in rows(result)]
    assert got == [
        (pytest.approx(23 / 3), 8.0, "amber"),  # (8 + 6 + 9) / 3 = 7.67 < max(7, 8); >= 5
        (pytest.approx(5.5), 8.0, "amber"),  # (4 + 7) / 2 = 5.5 < max(6, 8); >= 5
    ]


@pytest.mark.engines("arrow")
def test_without_status_the_result_is_unchanged(project, engine):
    result = project.query(["score"], grain="month", start="2024-01", end="2024-03", engine=engine)
    assert result.column_names == ["month", "score"]


@pytest.mark.engines("arrow")
def test_a_goal_that_cannot_be_sliced_as_its_metric_is_refused_at_the_target(project, engine):
    with pytest.raises(QueryError) as raised:
        project.query(["score"], grain="month", by=["accounts.account_id"], status=True)
    message = str(raised.value)
    assert "target-not-sliceable" in message
    assert "the target of `score` reads `goals`, which cannot be sliced by" in message
    assert "targets.metrics:" in message and "max(goals.goal)" in message


@pytest.mark.engines("arrow", "duckdb")
def test_a_scorecard_judges_each_row_against_its_own_goal(project, engine):
    view = project.scorecard("review", end="2024-03", engine=engine)
    score = view.metric("score")
    got = sorted(
        (
            str(row["month"])[:7],
            row["segments.segment"],
            score.target_text(row),
            score.status_in(row),
        )
        for row in view.values.to_pylist()
    )
    assert got == [
        ("2024-01", "Enterprise", "≥ 8 (warn ≥ 5)", "green"),  # 9 >= 8
        ("2024-01", "SMB", "≥ 7 (warn ≥ 5)", "green"),  # 7 >= 7
        ("2024-02", "Enterprise", "≥ 8 (warn ≥ 5)", "amber"),  # 7: short of 8, not of 5
        ("2024-02", "SMB", "≥ 6 (warn ≥ 5)", "red"),  # 4 < 5
    ]
    digest = render_digest(view)  # February, SMB: 4 against its goal of 6
    assert "🔴 **Score** 4" in digest and "off target (≥ 6 (warn ≥ 5))" in digest
