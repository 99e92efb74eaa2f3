"""metricsmith: customer-success metrics as short formulas, computed on Arrow tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metricsmith.errors import (
    DataError,
    DataWarning,
    Diagnostic,
    MetricsmithError,
    ProjectError,
    QueryError,
)

if TYPE_CHECKING:
    from metricsmith.api import Project, load_project

__all__ = [
    "DataError",
    "DataWarning",
    "Diagnostic",
    "MetricsmithError",
    "Project",
    "ProjectError",
    "QueryError",
    "load_project",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    # The API pulls in the whole engine; importing it lazily keeps `import metricsmith.errors`
    # (and the CLI's start-up) light.
    if name in ("Project", "load_project"):
        from metricsmith import api

        return getattr(api, name)
    raise AttributeError(f"module 'metricsmith' has no attribute {name!r}")
