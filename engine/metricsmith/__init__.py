"""metricsmith: customer-success metrics as short formulas, computed on Arrow tables."""

from metricsmith.api import Project, load_project
from metricsmith.errors import DataError, Diagnostic, MetricsmithError, ProjectError, QueryError

__all__ = [
    "DataError",
    "Diagnostic",
    "MetricsmithError",
    "Project",
    "ProjectError",
    "QueryError",
    "load_project",
]
__version__ = "0.1.0"
