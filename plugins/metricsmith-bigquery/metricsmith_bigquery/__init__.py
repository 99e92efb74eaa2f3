"""metricsmith-bigquery: read BigQuery tables and queries as metricsmith sources.

Installed, it registers the `bigquery` connector through the `metricsmith` entry point:

    source events from bigquery("lake", table="my-project.analytics.events") { time event_time }
"""

from metricsmith.plugins.connector import Connector
from metricsmith.plugins.hookspecs import hookimpl

from metricsmith_bigquery.connector import BigQueryConnector

__all__ = ["BigQueryConnector", "metricsmith_connectors"]


@hookimpl
def metricsmith_connectors() -> list[Connector]:
    return [BigQueryConnector()]
