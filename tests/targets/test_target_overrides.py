"""A project setting its own targets, with bands, for metrics it includes from a library.

The library `kpis` (a folder the project includes by path) rates tickets; January's ratings
are 3 and 4 (mean 3.5), February's 5 (mean 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from metricsmith import load_project
from metricsmith.errors import ProjectError

LIBRARY = """\
metric rating "Rating" = avg(tickets.rating)
  higher is better
  target 4

metric rated = count(tickets)
"""
PROJECT = """\
include "../kpis"

source tickets from csv("tickets.csv") {
  key ticket_id
  time opened_at
}
"""
TICKETS = """\
ticket_id,opened_at,rating
1,2024-01-03T09:00:00Z,3
2,2024-01-10T09:00:00Z,4
3,2024-02-02T09:00:00Z,5
"""


def write_project(tmp_path: Path, company: str) -> Path:
    (tmp_path / "kpis").mkdir(exist_ok=True)
    (tmp_path / "kpis" / "ratings.metrics").write_text(LIBRARY, encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "sources.metrics").write_text(PROJECT, encoding="utf-8")
    (project / "tickets.csv").write_text(TICKETS, encoding="utf-8")
    (project / "company.metrics").write_text(company, encoding="utf-8")
    return project


def statuses(project: Path, metric: str = "rating") -> list[str | None]:
    result = load_project(project).query(
        [metric], grain="month", start="2024-01", end="2024-03", status=True
    )
    return result.column(f"{metric}:status").to_pylist()


def test_an_override_sets_a_target_with_a_band(tmp_path):
    project = write_project(tmp_path, "override rating target >= 4.5 warn >= 3.5\n")
    # January 3.5: below 4.5, within the band; February 5: green
    assert statuses(project) == ["amber", "green"]
    # The library's own definition keeps its target, without a band: 3.5 is more than 10%
    # under 4 (3.6), so red.
    assert statuses(project, "kpis.rating") == ["red", "green"]


def test_an_override_gives_the_librarys_target_a_band(tmp_path):
    project = write_project(tmp_path, "override rating warn 3\n")
    rating = load_project(project).metrics["rating"]
    target = rating.decl.target
    assert (target.op, target.value, target.warn.op, target.warn.value) == (">=", 4, ">=", 3)
    assert rating.overrides == ("target",)
    assert statuses(project) == ["amber", "green"]  # 3.5 >= 3; 5 >= 4


def test_a_band_for_a_metric_without_a_target_is_refused_at_the_band(tmp_path):
    project = write_project(tmp_path, "override rated warn >= 3\n")
    with pytest.raises(ProjectError) as raised:
        load_project(project)
    text = str(raised.value)
    assert "company.metrics:1:16: error[band-without-target]" in text
    assert "`override rated` sets a `warn` band, and `rated` has no target" in text


def test_an_overriding_band_on_the_wrong_side_is_refused(tmp_path):
    project = write_project(tmp_path, "override rating warn >= 4.5\n")
    with pytest.raises(ProjectError) as raised:
        load_project(project)
    assert "the warn band `>= 4.5` is on the wrong side of the target `>= 4`" in str(raised.value)
