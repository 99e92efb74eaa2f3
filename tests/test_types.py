"""The engine's types check: mypy, configured in pyproject.toml, finds no error in engine/."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_errors(monkeypatch):
    try:
        from mypy import api
    except ImportError:
        pytest.fail("mypy is part of the test extras: pip install -e '.[test]'")
    # The configuration's `files` are relative to the repository root.
    monkeypatch.chdir(ROOT)
    report, errors, status = api.run(["--config-file", str(ROOT / "pyproject.toml")])
    assert status == 0, report + errors
