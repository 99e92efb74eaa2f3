"""The SQL compiler's tests compare with the Arrow executor through the conformance suite's
notion of "the same answer" (tests/conformance/agreement.py), so that folder is importable."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))

from sql_helpers import project_from_text


@pytest.fixture
def define(tmp_path: Path) -> Callable[..., metricsmith.Project]:
    """`define(text, name=table, ...)`: a checked project whose sources read the tables."""

    def load(text: str, **tables: pa.Table) -> metricsmith.Project:
        return project_from_text(tmp_path, text, tables)

    return load
