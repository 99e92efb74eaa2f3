"""PostgreSQL for metricsmith: the `postgres` engine and the `postgres(...)` connector."""

from metricsmith.plugins.engine import Engine
from metricsmith.plugins.hookspecs import hookimpl

from metricsmith_postgres.engine import PostgresEngine


@hookimpl
def metricsmith_engines() -> list[Engine]:
    return [PostgresEngine()]
