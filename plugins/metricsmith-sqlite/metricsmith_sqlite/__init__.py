"""metricsmith-sqlite: read SQLite tables and queries as metricsmith sources.

Installed, it registers the `sqlite` connector through the `metricsmith` entry point:

    source orders from sqlite("shop.db", table="orders") { time ordered_at }
"""

from metricsmith.plugins.connector import Connector
from metricsmith.plugins.hookspecs import hookimpl

from metricsmith_sqlite.connector import SqliteConnector, SqliteReader

__all__ = ["SqliteConnector", "SqliteReader", "metricsmith_connectors"]


@hookimpl
def metricsmith_connectors() -> list[Connector]:
    return [SqliteConnector()]
