"""PostgreSQL for metricsmith: the `postgres` engine and the `postgres(...)` connector.

Installed, it registers them through the `metricsmith` entry point:

    source events from postgres("warehouse", table="public.events") { time occurred_at }

and `--engine postgres` runs queries inside the server (docs/engines.md).
"""

from metricsmith.plugins.connector import Connector
from metricsmith.plugins.engine import Engine
from metricsmith.plugins.hookspecs import hookimpl

from metricsmith_postgres.connector import PostgresConnector, PostgresReader
from metricsmith_postgres.engine import PostgresEngine

__all__ = [
    "PostgresConnector",
    "PostgresEngine",
    "PostgresReader",
    "metricsmith_connectors",
    "metricsmith_engines",
]


@hookimpl
def metricsmith_connectors() -> list[Connector]:
    return [PostgresConnector()]


@hookimpl
def metricsmith_engines() -> list[Engine]:
    return [PostgresEngine()]
