"""Fixtures of the notebook tests: the project of notebook_project.py, written and loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from metricsmith import Project, load_project
from notebook_project import write_project


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    return write_project(tmp_path / "project")


@pytest.fixture
def project(project_path: Path) -> Project:
    return load_project(project_path)
