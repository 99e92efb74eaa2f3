"""A chart of a result in one call: a line per metric over the periods, coloured by `by`."""

from __future__ import annotations

import builtins

import pytest
from metricsmith import Project, QueryError
from notebook_project import METRICS


def test_one_metric_by_a_dimension(project: Project) -> None:
    result = project.query(["tickets_opened"], grain="month", by=["segment"], start="2024-01")
    spec = result.chart().to_dict()
    assert spec["mark"]["type"] == "line"
    assert spec["title"] == "Tickets opened"
    assert spec["encoding"]["x"]["field"] == "period"
    assert spec["encoding"]["color"] == {
        "field": "group",
        "type": "nominal",
        "title": "Customer <segment>",
    }
    rows = next(iter(spec["datasets"].values()))
    assert {row["group"] for row in rows} == {"SMB", "Enterprise"}
    assert len(rows) == 2 * 3


def test_metrics_are_panels_on_their_own_scales(project: Project) -> None:
    spec = project.query(METRICS, grain="month", start="2024-01").chart().to_dict()
    assert spec["facet"]["row"]["field"] == "metric"
    assert spec["resolve"]["scale"]["y"] == "independent"
    assert spec["spec"]["encoding"]["color"]["field"] == "metric"
    rows = next(iter(spec["datasets"].values()))
    assert {row["metric"] for row in rows} == {"Tickets opened", "Contacts <per> ticket & co"}
    assert {row["shown"] for row in rows if row["metric"] == "Tickets opened"} == {"3", "2"}


def test_a_result_without_periods_cannot_be_drawn(project: Project) -> None:
    with pytest.raises(QueryError, match="has none"):
        project.query(["tickets_opened"], start="2024-01").chart()


def test_without_altair_the_error_says_what_to_install(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = project.query(["tickets_opened"], grain="month", start="2024-01")
    real_import = builtins.__import__

    def refuse_altair(name: str, *args: object, **kwargs: object) -> object:
        if name == "altair":
            raise ImportError("No module named 'altair'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse_altair)
    with pytest.raises(QueryError) as raised:
        result.chart()
    assert "pip install 'metricsmith[report]'" in str(raised.value)
