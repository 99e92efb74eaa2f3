"""The layers of docs/architecture.md hold: import-linter checks the contracts written in
pyproject.toml (each layer imports only those below it, no engine imports another, no import
cycle at any depth). A broken contract prints the offending import chain."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_import_contracts_hold():
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0
