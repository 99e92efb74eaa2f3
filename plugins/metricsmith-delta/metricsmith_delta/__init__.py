"""metricsmith-delta: read Delta Lake tables as metricsmith sources.

Installed, it registers the `delta` connector through the `metricsmith` entry point:

    source events from delta("lake/events") { time occurred_at }
"""

from metricsmith.plugins.connector import Connector
from metricsmith.plugins.hookspecs import hookimpl

from metricsmith_delta.connector import DeltaConnector, DeltaReader

__all__ = ["DeltaConnector", "DeltaReader", "metricsmith_connectors"]


@hookimpl
def metricsmith_connectors() -> list[Connector]:
    return [DeltaConnector()]
