"""Golden diagnostics: each case's full error output is pinned in `golden/expected/`.

A case is `golden/cases/<name>.metrics` checked together with `golden/sources.metrics` and its
data. Set METRICSMITH_UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change,
then read the diff: these files are what users see.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from metricsmith import ProjectError, load_project

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in (GOLDEN / "cases").glob("*.metrics"))
UPDATE = os.environ.get("METRICSMITH_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("case", CASES)
def test_golden_diagnostics(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shutil.copytree(GOLDEN / "data", tmp_path / "data")
    shutil.copy(GOLDEN / "sources.metrics", tmp_path / "sources.metrics")
    shutil.copy(GOLDEN / "cases" / f"{case}.metrics", tmp_path / f"{case}.metrics")
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ProjectError) as caught:
        load_project(".")
    # Messages may name absolute paths of the project's files; pin them relative.
    rendered = str(caught.value).replace(str(tmp_path), "<project>") + "\n"

    expected_file = GOLDEN / "expected" / f"{case}.txt"
    if UPDATE:
        expected_file.parent.mkdir(exist_ok=True)
        expected_file.write_text(rendered, encoding="utf-8")
    assert rendered == expected_file.read_text(encoding="utf-8")


def test_every_diagnostic_points_at_a_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """All problems of a project come back in one run, each with file:line:col."""
    shutil.copytree(GOLDEN / "data", tmp_path / "data")
    shutil.copy(GOLDEN / "sources.metrics", tmp_path / "sources.metrics")
    for case in ("unknown_names", "types", "cycle"):
        shutil.copy(GOLDEN / "cases" / f"{case}.metrics", tmp_path / f"{case}.metrics")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectError) as caught:
        load_project(".")
    diagnostics = caught.value.diagnostics
    assert len(diagnostics) >= 10
    assert {d.span.path for d in diagnostics} == {
        "unknown_names.metrics",
        "types.metrics",
        "cycle.metrics",
    }
    assert all(d.span.line > 0 and d.span.column > 0 for d in diagnostics)
