"""Progress on long work: phases reported to a callback the caller hands down; a spinner on
a terminal, nothing when piped, nothing from the API unless asked, nothing with --quiet."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from metricsmith import load_project
from metricsmith.cli import main
from metricsmith.present.progress import spinner
from notebook_project import METRICS
from rich.console import Console

LOADING = [
    "reading the definitions",
    "checking 1 definition file",
    "opening source accounts",
    "opening source tickets",
]


def test_the_api_reports_each_phase_to_a_callable(project_path: Path) -> None:
    phases: list[str] = []
    project = load_project(project_path, progress=phases.append)
    assert phases == LOADING
    phases.clear()
    project.query(METRICS, grain="month", by=["segment"], engine="duckdb", progress=phases.append)
    assert phases == [
        "planning",
        "running on duckdb: reading tickets, accounts",
        "checking the data read",
    ]


def test_the_api_shows_nothing_unless_asked(
    project_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load_project(project_path).query(METRICS, grain="month")
    assert capsys.readouterr() == ("", "")


def test_asked_off_a_terminal_the_api_still_writes_nothing(
    project_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load_project(project_path, progress=True).query(METRICS, grain="month", progress=True)
    assert capsys.readouterr() == ("", "")


def test_on_a_terminal_the_spinner_shows_the_phase() -> None:
    shown = io.StringIO()
    console = Console(file=shown, force_terminal=True, width=80)
    with spinner("checking", console) as report:
        report("running on duckdb: reading tickets")
    assert "running on duckdb: reading tickets" in shown.getvalue()


def test_piped_the_spinner_writes_nothing() -> None:
    shown = io.StringIO()
    with spinner("checking", Console(file=shown)) as report:
        report("running on duckdb")
    assert shown.getvalue() == ""


def _query(project_path: Path, *options: str) -> None:
    assert main(["query", str(project_path), *METRICS, "--grain", "month", *options]) == 0


def test_the_command_shows_progress_only_on_a_terminal(
    project_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _query(project_path)
    piped = capsys.readouterr()
    assert piped.err == ""
    assert "Tickets opened" in piped.out

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich's variable: act as on a terminal
    _query(project_path)
    # The spinner is redrawn a few times a second and once more as it ends, with the last
    # phase; the earlier ones show if the work lasts long enough.
    assert "checking the data read" in capsys.readouterr().err
    _query(project_path, "--quiet")
    assert capsys.readouterr().err == ""
