"""The `bigquery` connector: `bigquery("lake", table="project.dataset.events")` or
`bigquery("lake", query="select ...")`, where `lake` is a connection of type `bigquery`
(connect.py lists its settings).

The reader sends BigQuery SQL (GoogleSQL) built with sqlglot (metricsmith.plugins.sql_source):
the schema from a `LIMIT 0` statement (no rows come back), the rows with only the
columns and the time range asked for, so that a table partitioned on the time column is pruned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from attrs import frozen
from metricsmith.errors import DataError
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.connector import SourceReader

from metricsmith_bigquery.connect import fetcher, label

DIALECT = "bigquery"


@frozen
class BigQueryConnector:
    name: str = "bigquery"
    description: str = (
        'A table or a query of BigQuery through a named connection: bigquery("lake", '
        'table="project.dataset.table") or query="select ..."'
    )
    #: No file is read: nothing to confine.
    path_arguments: tuple[int | str, ...] = ()
    #: The first argument names the connection (docs/connectors.md).
    connection_argument: int | str = 0

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
        connection: Connection | None = None,
    ) -> SourceReader:
        from metricsmith.plugins.sql_source import SqlSourceReader, relation_of_call

        if connection is None:
            raise DataError(
                "bigquery() needs the name of a connection as its first argument",
                source=source_name,
                hint='write bigquery("lake", table="...") with [connections.lake] '
                'type = "bigquery" in metricsmith.toml (docs/connectors.md)',
            )
        # A table named without its project (dataset.table), or also without its dataset,
        # is in the connection's.
        project, dataset = connection.setting("project_id"), connection.setting("dataset")
        defaults = [] if project is None else [str(project)]
        defaults += [] if project is None or dataset is None else [str(dataset)]
        relation, location = relation_of_call(
            self.name,
            args,
            options,
            dialect=DIALECT,
            source_name=source_name,
            default_parts=defaults,
        )
        return SqlSourceReader(
            relation, fetcher(connection, source_name), source_name=source_name, location=location
        )

    def test_connection(self, connection: Connection) -> str:
        fetch = fetcher(connection, connection.name)
        fetch("SELECT 1 AS reached", "testing it")
        where = f"project {connection.setting('project_id')}"
        if connection.setting("location") is not None:
            where += f", location {connection.setting('location')}"
        return f"{label(connection)}: BigQuery {where} runs queries"
