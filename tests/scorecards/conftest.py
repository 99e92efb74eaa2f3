"""The tiny sales project of sales_project.py, written once per test module."""

from __future__ import annotations

from pathlib import Path

import pytest
from sales_project import SCORECARD, write_project


@pytest.fixture(scope="module")
def sales(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("sales"), SCORECARD)
