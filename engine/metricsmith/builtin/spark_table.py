"""The `spark_table("db.table")` connector: a table (or view) of the Spark catalog.

Registered through the same hook as every connector. Only the Spark engine reads such a
source: its reader names the table for the engine `spark` (`engine_table`, see
plugins/connector.py), so the data stays in the cluster and the SQL names the table directly;
its `read` refuses, with a message saying so, on every other engine. Its schema is read from
the catalog when the project is checked, in the process's Spark session
(execute/spark_session.py), which that starts or joins; no engine is imported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pyarrow as pa
from attrs import frozen

from metricsmith.errors import DataError
from metricsmith.execute.spark_session import spark_session
from metricsmith.plugins.connector import Connector, SourceReader, TimeRange
from metricsmith.plugins.hookspecs import hookimpl

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")
_INSTALL_HINT = "install Spark support: pip install 'metricsmith[spark]'"


class SparkTableReader:
    """A catalog table; `table` is its (possibly qualified) name."""

    #: The engine that reads it in place.
    ENGINE = "spark"

    def __init__(self, table: str, source_name: str):
        self.table = table
        self.source_name = source_name
        self.location = f"Spark table {table}"

    def schema(self) -> pa.Schema:
        try:
            from pyspark.sql.pandas.types import to_arrow_schema

        except ImportError as missing:
            raise DataError(
                f"reading a Spark table needs pyspark ({missing})",
                source=self.source_name,
                location=self.location,
                hint=_INSTALL_HINT,
            ) from None
        try:
            spark_schema = spark_session().table(self.table).schema
        except Exception as error:  # the catalog's own message says what is wrong
            raise DataError(
                f"cannot open the table: {error}",
                source=self.source_name,
                location=self.location,
                hint="check the table name and that the Spark session can see its catalog",
            ) from error
        try:
            return to_arrow_schema(spark_schema, timezone="UTC")
        except TypeError:  # Spark before 4.0 takes no time zone and always uses UTC
            return to_arrow_schema(spark_schema)

    def engine_table(self, engine: str) -> str | None:
        return self.table if engine == self.ENGINE else None

    def read_by_engines_only(self) -> bool:
        return True

    def read(
        self, columns: Sequence[str] | None = None, time_range: TimeRange | None = None
    ) -> pa.Table:
        raise DataError(
            "a `spark_table` source is read by the Spark engine only",
            source=self.source_name,
            location=self.location,
            hint='run the query with --engine spark (or engine="spark" in Python)',
        )


@frozen
class SparkTableConnector:
    name: str = "spark_table"
    description: str = 'A table of the Spark catalog, read by the spark engine: spark_table("db.t")'
    #: A catalog name, no file: nothing to confine.
    path_arguments: tuple[int | str, ...] = ()

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
    ) -> SourceReader:
        if len(args) != 1 or not isinstance(args[0], str) or options:
            raise DataError(
                "spark_table() takes one argument, the table's name",
                source=source_name,
                hint='write it as spark_table("database.table")',
            )
        table = args[0]
        if not _TABLE_NAME.match(table):
            raise DataError(
                f"`{table}` is not a table name",
                source=source_name,
                hint="names are table, database.table or catalog.database.table",
            )
        return SparkTableReader(table, source_name)


SPARK_TABLE = SparkTableConnector()


@hookimpl
def metricsmith_connectors() -> list[Connector]:
    return [SPARK_TABLE]
