"""The report's libraries are an optional extra: say what to install when one is missing."""

from __future__ import annotations

import importlib.util

from metricsmith.errors import QueryError

#: The import names of the packages the `report` extra installs.
REPORT_PACKAGES = ("great_tables", "polars", "altair", "vl_convert", "jinja2")


def require_report_packages() -> None:
    """A QueryError naming every missing package and the extra that brings them."""
    missing = [name for name in REPORT_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise QueryError(
            f"the HTML report needs {', '.join(f'`{m}`' for m in missing)}, not installed",
            hint="pip install 'metricsmith[report]'",
        )
