"""The README's quick start runs as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from metricsmith.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_quick_start_prints_a_monthly_scorecard(capsys, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    # The engine and the KPI pack the sample includes by name, both from the clone.
    command = re.search(
        r"^pip install \. \./plugins/metricsmith-customer-success && (metricsmith .+)$",
        readme,
        re.MULTILINE,
    )
    assert command, "the README's quick start should install and run `metricsmith query`"
    monkeypatch.chdir(ROOT)
    argv = shlex.split(command.group(1))[1:]
    assert main(argv) == 0
    out = capsys.readouterr().out
    months = [line.split()[0] for line in out.splitlines() if re.match(r" 2024-\d\d ", line)]
    assert months == [f"2024-{m:02d}" for m in range(1, 13)]


@pytest.mark.parametrize("name", ["index", "tutorial", "language", "cli"])
def test_user_docs_link_to_documents_that_exist(name):
    text = (ROOT / "docs" / f"{name}.md").read_text()
    for target in re.findall(r"\]\(([a-z_]+\.md)(?:#[^)]*)?\)", text):
        assert (ROOT / "docs" / target).exists(), f"docs/{name}.md links to missing {target}"


def test_the_second_command_writes_the_sample_report(tmp_path, monkeypatch):
    pytest.importorskip("great_tables", reason="the report needs metricsmith[report]")
    readme = (ROOT / "README.md").read_text()
    command = re.search(
        r"^pip install '\.\[report\]' && (metricsmith report .+)$", readme, re.MULTILINE
    )
    assert command, "the README should show how to write the sample's report"
    monkeypatch.chdir(ROOT)
    argv = shlex.split(command.group(1))[1:]
    output = argv.index("-o") + 1
    argv[output] = str(tmp_path / argv[output])
    assert main(argv) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Monthly customer success" in page and "MRR bridge" in page
