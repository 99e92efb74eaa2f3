"""PostgreSQL for metricsmith: the `postgres` engine and the `postgres(...)` connector.

Installed, it registers them through the `metricsmith` entry point:

    source events from postgres("warehouse", table="public.events") { time occurred_at }
"""

from metricsmith.plugins.connector import Connector
from metricsmith.plugins.hookspecs import hookimpl

from metricsmith_postgres.connector import PostgresConnector, PostgresReader

__all__ = ["PostgresConnector", "PostgresReader", "metricsmith_connectors"]


@hookimpl
def metricsmith_connectors() -> list[Connector]:
    return [PostgresConnector()]
