"""metricsmith-customer-success: the customer-success KPI pack.

Installed, it registers the `customer_success` metric library through the `metricsmith` entry
point; a project includes all of it, or one theme (with the themes that theme reads):

    include "customer_success"
    include customer_success.revenue
"""

from pathlib import Path

from metricsmith.plugins.hookspecs import hookimpl

#: The pack's folder: its name is the name projects include it by, each file is a theme.
LIBRARY = Path(__file__).resolve().parent / "customer_success"

__all__ = ["LIBRARY", "metricsmith_metric_libraries"]


@hookimpl
def metricsmith_metric_libraries() -> list[str]:
    return [str(LIBRARY)]
