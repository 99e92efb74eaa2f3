"""Connectors reading a table or a query of a warehouse through a named connection and an ADBC
driver: `snowflake("warehouse", table=...)`, `bigquery("lake", query=...)` (plugins/ in the
repository).

What such connectors share is here: the call and its reader (`WarehouseConnector`, on top of
`sql_source`), the session and the fetch of one statement through the driver's DB-API module
(`AdbcDriver`), and the wording of a driver's error as one line (`driver_error`). What differs
stays in the plugin: the dialect, the settings and secrets and the driver options built from
them, the statement options, the redaction of credentials, the markers of the driver's errors
worth their own sentence, and what `test_connection` reports.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import ClassVar

import pyarrow as pa
from attrs import frozen

from metricsmith.errors import DataError
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.connector import SourceReader
from metricsmith.plugins.sql_source import Fetch, SqlSourceReader, relation_of_call


def connection_label(connection: Connection) -> str:
    """How messages name the connection."""
    return f"connection `{connection.name}`"


@frozen
class AdbcDriver:
    """How a warehouse is reached: its ADBC driver and what the plugin builds for it."""

    #: The driver's DB-API module (`adbc_driver_snowflake.dbapi`), imported when a session
    #: opens, so that the plugin loads without its driver.
    dbapi: str
    #: The database options of a connection, secrets included (so never shown); raises a
    #: QueryError for settings it cannot use.
    options: Callable[[Connection], dict[str, str]]
    #: The driver's error as a DataError: `error(error, connection, source=, purpose=)`.
    error: Callable[..., DataError]
    #: The options set on every statement (BigQuery's job limits), computed when the source is
    #: opened so that a bad setting is refused then.
    statement_options: Callable[[Connection], Mapping[str, str | int]] = lambda connection: {}

    @contextlib.contextmanager
    def session(self, connection: Connection, *, source: str, purpose: str) -> Iterator[object]:
        """A connection to the warehouse, closed after; `purpose` says what it is for."""
        dbapi = importlib.import_module(self.dbapi)
        options = self.options(connection)
        try:
            conn = dbapi.connect(db_kwargs=options)
        except dbapi.Error as error:
            raise self.error(error, connection, source=source, purpose=purpose) from None
        try:
            yield conn
        finally:
            conn.close()

    def fetcher(self, connection: Connection, source: str) -> Fetch:
        """Runs one statement for the source `source` in a session of its own."""
        dbapi = importlib.import_module(self.dbapi)
        limits = self.statement_options(connection)

        def fetch(sql: str, purpose: str) -> pa.Table:
            with self.session(connection, source=source, purpose=purpose) as conn:
                try:
                    with conn.cursor() as cursor:  # type: ignore[attr-defined]
                        if limits:
                            cursor.adbc_statement.set_options(**limits)
                        cursor.execute(sql)
                        return cursor.fetch_arrow_table()
                except dbapi.Error as error:
                    raise self.error(error, connection, source=source, purpose=purpose) from None

        return fetch


class WarehouseConnector:
    """The connector `<name>("connection", table="...")` or `(..., query="...")`: a frozen
    attrs subclass gives `name` and `description` (fields, as every connector's), the class
    variables below, and `test_connection`; it may override `default_parts` and `normalise`."""

    name: str
    #: The warehouse's sqlglot dialect.
    dialect: ClassVar[str]
    driver: ClassVar[AdbcDriver]
    #: A connection's name in the usage hint: `bigquery("lake", table="...")`.
    example_connection: ClassVar[str]
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
        if connection is None:
            example = self.example_connection
            raise DataError(
                f"{self.name}() needs the name of a connection as its first argument",
                source=source_name,
                hint=f'write {self.name}("{example}", table="...") with [connections.{example}] '
                f'type = "{self.name}" in metricsmith.toml (docs/connectors.md)',
            )
        relation, location = relation_of_call(
            self.name,
            args,
            options,
            dialect=self.dialect,
            source_name=source_name,
            default_parts=self.default_parts(connection),
        )
        return SqlSourceReader(
            relation,
            self.driver.fetcher(connection, source_name),
            source_name=source_name,
            location=location,
            normalise=self.normalise,
        )

    def default_parts(self, connection: Connection) -> Sequence[str]:
        """The outer parts of a table's name that a shorter name is completed with (see
        `sql_source.table_relation`); none by default."""
        return ()

    def normalise(self, table: pa.Table) -> pa.Table:
        """Makes the driver's types the ones metricsmith computes with; as they are by
        default."""
        return table


@frozen
class DriverMessage:
    """A kind of driver error worth its own sentence: the text of the error mentions one of
    `markers` (case-insensitively). `message` may use {where} (the connection, as messages
    name it), {purpose} and {first} (the first line of the driver's message)."""

    markers: tuple[str, ...]
    message: str
    hint: str | None = None


def driver_error(
    text: str, *, where: str, purpose: str, source: str, known: Sequence[DriverMessage]
) -> DataError:
    """The driver's message `text` (its secrets already redacted) as one line: the first of
    `known` it mentions, else `<where> failed while <purpose>: <its first line>`."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "(no message)")
    lowered = text.lower()
    for kind in known:
        if any(marker.lower() in lowered for marker in kind.markers):
            message = kind.message.format(where=where, purpose=purpose, first=first)
            return DataError(message, source=source, hint=kind.hint)
    return DataError(f"{where} failed while {purpose}: {first}", source=source)
