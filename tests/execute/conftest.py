from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from execute_helpers import project_from_text


@pytest.fixture
def define(tmp_path: Path) -> Callable[..., metricsmith.Project]:
    """`define(text, name=table, ...)`: a checked project whose sources read the tables."""

    def load(text: str, **tables: pa.Table) -> metricsmith.Project:
        return project_from_text(tmp_path, text, tables)

    return load
