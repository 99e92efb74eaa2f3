"""metricsmith-snowflake: read Snowflake tables and queries as metricsmith sources.

Installed, it registers the `snowflake` connector through the `metricsmith` entry point:

    source events from snowflake("warehouse", table="ANALYTICS.PUBLIC.EVENTS") { time EVENT_TIME }
"""

from metricsmith.plugins.connector import Connector
from metricsmith.plugins.hookspecs import hookimpl

from metricsmith_snowflake.connector import SnowflakeConnector

__all__ = ["SnowflakeConnector", "metricsmith_connectors"]


@hookimpl
def metricsmith_connectors() -> list[Connector]:
    return [SnowflakeConnector()]
