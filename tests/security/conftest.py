"""A project folder beside an `outside` folder, and an environment without confinement set."""

from __future__ import annotations

from pathlib import Path

import pytest
from metricsmith.check.paths import CONFINE_VARIABLE, DATA_ROOTS_VARIABLE
from security_helpers import ROWS, SECRET


@pytest.fixture(autouse=True)
def _no_confinement_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFINE_VARIABLE, raising=False)
    monkeypatch.delenv(DATA_ROOTS_VARIABLE, raising=False)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the project holding data and definitions of its own."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "rows.csv").write_text(ROWS)
    (folder / "more.metrics").write_text("metric outside_metric = 1\n")
    return folder


@pytest.fixture
def project(tmp_path: Path, outside: Path) -> Path:
    """An empty project folder with `data/rows.csv` and a `.env` holding a secret."""
    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "rows.csv").write_text(ROWS)
    (folder / ".env").write_text(SECRET + "\n")
    return folder
