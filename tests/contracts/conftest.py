from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import metricsmith
import pytest
from contract_helpers import ACCOUNTS, SUBSCRIPTIONS


@pytest.fixture
def define(tmp_path: Path) -> Callable[..., metricsmith.Project]:
    """`define(text, accounts=csv_text, ...)`: the text in `p.metrics` beside `<name>.csv`
    files (contract_helpers' accounts and subscriptions unless given), loaded and checked."""

    def load(text: str, **files: str) -> metricsmith.Project:
        files = {"accounts": ACCOUNTS, "subscriptions": SUBSCRIPTIONS, **files}
        for name, content in files.items():
            (tmp_path / f"{name}.csv").write_text(content, encoding="utf-8")
        (tmp_path / "p.metrics").write_text(text, encoding="utf-8")
        return metricsmith.load_project(tmp_path)

    return load
