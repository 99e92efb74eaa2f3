"""The `bigquery` connector: `bigquery("lake", table="project.dataset.events")` or
`bigquery("lake", query="select ...")`, where `lake` is a connection of type `bigquery`
(connect.py lists its settings).

The reader sends BigQuery SQL (GoogleSQL) built with sqlglot (metricsmith.plugins.sql_source):
the schema from a `LIMIT 0` statement (no rows come back), the rows with only the
columns and the time range asked for, so that a table partitioned on the time column is pruned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from attrs import frozen
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.warehouse import AdbcDriver, WarehouseConnector

from metricsmith_bigquery.connect import DRIVER, label


@frozen
class BigQueryConnector(WarehouseConnector):
    name: str = "bigquery"
    description: str = (
        'A table or a query of BigQuery through a named connection: bigquery("lake", '
        'table="project.dataset.table") or query="select ..."'
    )
    dialect: ClassVar[str] = "bigquery"
    driver: ClassVar[AdbcDriver] = DRIVER
    example_connection: ClassVar[str] = "lake"

    def default_parts(self, connection: Connection) -> Sequence[str]:
        """A table named without its project (dataset.table), or also without its dataset,
        is in the connection's."""
        project, dataset = connection.setting("project_id"), connection.setting("dataset")
        defaults = [] if project is None else [str(project)]
        defaults += [] if project is None or dataset is None else [str(dataset)]
        return defaults

    def test_connection(self, connection: Connection) -> str:
        fetch = DRIVER.fetcher(connection, connection.name)
        fetch("SELECT 1 AS reached", "testing it")
        where = f"project {connection.setting('project_id')}"
        if connection.setting("location") is not None:
            where += f", location {connection.setting('location')}"
        return f"{label(connection)}: BigQuery {where} runs queries"
