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
    command = re.search(r"^pip install \. && (metricsmith .+)$", readme, re.MULTILINE)
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
