"""metricsmith-iceberg: read Apache Iceberg tables as metricsmith sources.

Installed, it registers the `iceberg` connector through the `metricsmith` entry point:

    source events from iceberg("shop.events", catalog="lake") { time occurred_at }
    source events from iceberg("warehouse/shop/events") { time occurred_at }
"""

from metricsmith.plugins.connector import Connector
from metricsmith.plugins.hookspecs import hookimpl

from metricsmith_iceberg.connector import IcebergConnector, IcebergReader

__all__ = ["IcebergConnector", "IcebergReader", "metricsmith_connectors"]


@hookimpl
def metricsmith_connectors() -> list[Connector]:
    return [IcebergConnector()]
