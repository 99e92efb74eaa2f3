"""`metricsmith report`: computes the scorecard through the API and writes its page.

`Project.scorecard` is stood in for by a scorecard made by hand: these tests are about the
command (its options, where it writes, what it says), the report's content has its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from metricsmith.api import Project
from metricsmith.cli import main
from report_views import monthly_view

PROJECT = Path(__file__).parents[2] / "metric_defs" / "sample"


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, object]]]:
    """The calls of `Project.scorecard`, which returns the monthly scorecard."""
    calls: list[tuple[str, dict[str, object]]] = []

    def scorecard(self: Project, name: str, **options: object):
        calls.append((name, options))
        return monthly_view()

    monkeypatch.setattr(Project, "scorecard", scorecard, raising=False)
    return calls


def test_report_writes_the_page_and_says_so(asked, tmp_path, capsys):
    target = tmp_path / "report.html"
    assert main(["report", str(PROJECT), "monthly_cs", "-o", str(target)]) == 0
    assert asked == [("monthly_cs", {"end": None, "periods": None, "engine": None, "params": {}})]
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Monthly customer success" in page
    out, err = capsys.readouterr()
    assert out == "" and err == f"wrote the report of 10 metrics to {target}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


def test_report_passes_its_options_to_the_scorecard(asked, tmp_path):
    target = tmp_path / "report.html"
    arguments = ["--end", "2025-07", "--periods", "6", "--engine", "duckdb"]
    assert main(["report", str(PROJECT), "monthly_cs", "-o", str(target), *arguments]) == 0
    assert asked == [
        ("monthly_cs", {"end": "2025-07", "periods": 6, "engine": "duckdb", "params": {}})
    ]


def test_report_replaces_an_older_report_whole(asked, tmp_path):
    target = tmp_path / "report.html"
    target.write_text("last month's")
    assert main(["report", str(PROJECT), "monthly_cs", "-o", str(target)]) == 0
    assert "Monthly customer success" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-o", "r.html", "--engine", "abacus"], "unknown engine 'abacus'"),
        (["-o", "r.html", "--periods", "0"], "expected a whole number of periods"),
        ([], "the following arguments are required: --output/-o"),
    ],
)
def test_report_refuses_bad_options_before_computing(asked, arguments, message, capsys):
    assert main(["report", str(PROJECT), "monthly_cs", *arguments]) == 2
    assert message in capsys.readouterr().err
    assert asked == []


def test_an_unwritable_output_is_an_error_not_a_traceback(asked, tmp_path, capsys):
    target = tmp_path / "missing-folder" / "report.html"
    assert main(["report", str(PROJECT), "monthly_cs", "-o", str(target)]) == 1
    assert "error:" in capsys.readouterr().err and not target.exists()
