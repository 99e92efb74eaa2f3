"""The `postgres` connector: `postgres("warehouse", table="public.events")`,
`postgres("warehouse", query="select ...")`, or `postgres(table="events")` for the server of
libpq's environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD).

Opening a source resolves its table in the catalog (a missing one is reported with the
schema's tables) and reads its columns' types with `LIMIT 0`, without reading rows. A read
selects only the columns asked for and only the rows of the time range, the bounds bound as
parameters, never spliced into the SQL; it runs in a read-only session bounded by the
connection's `statement_timeout`, and Ctrl-C cancels the statement on the server.

The postgres engine, running in the same connection, reads a table source in place:
`engine_table("postgres:<connection name>")` (`"postgres:"` for the environment's server) is
the table's quoted, qualified name. A `query=` source has none: the engine reads it through
Arrow like any other source.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
from collections.abc import Iterator, Mapping, Sequence

import pyarrow as pa
from attrs import frozen
from metricsmith.errors import DataError
from metricsmith.plugins.arguments import CallArguments
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.connector import TimeRange

from metricsmith_postgres.columns import (
    ValueMismatch,
    converted,
    postgres_type,
    select_item,
    source_type,
)
from metricsmith_postgres.connect import (
    connection_error,
    connection_label,
    is_interrupted,
    read_only,
    session,
)

_USAGE = (
    'write postgres("connection", table="schema.table") or postgres("connection", '
    'query="select ...") (docs/connectors.md)'
)
_SUBQUERY = "metricsmith_source"
_DAY = dt.timedelta(days=1)
#: The relation kinds a source may read: tables, views, materialized views, partitioned and
#: foreign tables.
_CATALOG = (
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND "
)
#: The relations of the search path, in its order (an unqualified name is the first's).
_RELATIONS = (
    f"SELECT n.nspname, c.relname {_CATALOG} n.nspname = ANY(current_schemas(false)) "
    "ORDER BY array_position(current_schemas(false), n.nspname), c.relname"
)
_SCHEMA_RELATIONS = f"SELECT c.relname {_CATALOG} n.nspname = $1 ORDER BY c.relname"


@frozen
class PostgresConnector:
    name: str = "postgres"
    description: str = (
        "A table, view or query of a PostgreSQL database, through a named connection "
        "(options: table or query)"
    )
    #: It reads no files (a confined project may use it); the first argument names the
    #: connection (docs/plugins.md).
    path_arguments: tuple[int | str, ...] = ()
    connection_argument: int = 0

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
        connection: Connection | None = None,
    ) -> PostgresReader:
        call = CallArguments(self.name, _USAGE, source_name)
        if len(args) > 1:
            raise call.refusal(f"takes at most one argument, the connection, got {len(args)}")
        call.known_options(options, ("table", "query"))
        call.one_text_option(options, ("table", "query"))
        table = options.get("table")
        with reading(connection, source_name, "reading the schema") as conn:
            if isinstance(table, str):
                schema_name, name = _resolved(conn, table, connection, source_name)
                relation = f"{quoted(schema_name)}.{quoted(name)}"
                where = f"table {schema_name}.{name}"
            else:
                # On a line of its own, the closing parenthesis survives a trailing comment.
                query = str(options["query"]).strip().rstrip(";")
                relation = f"({query}\n) AS {_SUBQUERY}"
                where = "query"
            described = _fetch(conn, f"SELECT * FROM {relation} LIMIT 0", ()).schema
        return PostgresReader(
            connection=connection,
            relation=relation,
            table=relation if isinstance(table, str) else None,
            described=described,
            source_name=source_name,
            location=f"{connection_label(connection)}, {where}",
        )

    def test_connection(self, connection: Connection) -> str:
        """What the connection reaches: `PostgreSQL 16.4, database analytics as metrics_ro`."""
        with reading(connection, None, "testing the connection") as conn:
            row = _fetch(
                conn,
                "SELECT current_setting('server_version'), current_database(), current_user",
                (),
            ).to_pylist()[0]
        version, database, user = row.values()
        return f"PostgreSQL {version}, database {database} as {user}"


@frozen
class PostgresReader:
    """Reads one table or query of a PostgreSQL database."""

    connection: Connection | None
    #: The FROM item: a quoted table name, or the query as a subquery.
    relation: str
    #: The quoted, qualified table name (None for a query).
    table: str | None
    #: The columns as the driver described them (types and PostgreSQL type names).
    described: pa.Schema
    source_name: str
    location: str

    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(f.name, source_type(f)) for f in self.described])

    def read(
        self, columns: Sequence[str] | None = None, time_range: TimeRange | None = None
    ) -> pa.Table:
        wanted = self.described.names if columns is None else list(dict.fromkeys(columns))
        for column in wanted:
            self._field(column)
        sql, parameters = self.statement(wanted, time_range)
        with reading(self.connection, self.source_name, "reading the rows", self.location) as c:
            table = _fetch(c, sql, parameters)
        if not wanted:  # only the number of rows was asked for
            return table.select([])
        arrays = []
        for name in wanted:
            try:
                arrays.append(converted(table[name], name, source_type(self._field(name))))
            except ValueMismatch as mismatch:
                raise DataError(
                    str(mismatch),
                    source=self.source_name,
                    location=self.location,
                    column=name,
                    hint=f"the column is {postgres_type(self._field(name))}; exclude the value "
                    "with a query= source, or fix it in the database",
                ) from None
        return pa.Table.from_arrays(arrays, names=wanted)

    def statement(
        self, columns: Sequence[str], time_range: TimeRange | None
    ) -> tuple[str, tuple[object, ...]]:
        """The SELECT reading `columns` of the rows in `time_range`, and its parameters."""
        items = [f"{select_item(self._field(c), quoted(c))} AS {quoted(c)}" for c in columns]
        sql = f"SELECT {', '.join(items) or 'NULL'} FROM {self.relation}"
        condition, parameters = self._time_condition(time_range)
        return (f"{sql} WHERE {condition}" if condition else sql), parameters

    def engine_table(self, engine: str) -> str | None:
        """The table for the postgres engine running in this source's connection."""
        own = "postgres:" + (self.connection.name if self.connection is not None else "")
        return self.table if engine == own else None

    def read_by_engines_only(self) -> bool:
        return False

    def _time_condition(self, time_range: TimeRange | None) -> tuple[str, tuple[object, ...]]:
        """`start <= time < end`, or nothing when the time column cannot be compared in the
        database (it is computed, or text). As the Parquet connector does, a column without a
        zone is local time in a calendar zone the database does not know: its bounds are
        widened by a day each way. Rows without a time are kept: the engine decides."""
        if time_range is None or time_range.column not in self.described.names:
            return "", ()
        kind = source_type(self._field(time_range.column))
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            cast, widen = "timestamptz", dt.timedelta(0)
        elif pa.types.is_timestamp(kind):
            cast, widen = "timestamp", _DAY
        elif pa.types.is_date32(kind):
            cast, widen = "date", _DAY
        else:
            return "", ()
        column = quoted(time_range.column)
        conditions, parameters = [], []
        for bound, outwards, operator in ((time_range.start, -1, ">="), (time_range.end, 1, "<")):
            value = _bound(bound, outwards * widen, cast)
            if value is not None:
                parameters.append(value)
                conditions.append(f"{column} {operator} ${len(parameters)}::{cast}")
        if not conditions:
            return "", ()
        return f"({' AND '.join(conditions)} OR {column} IS NULL)", tuple(parameters)

    def _field(self, name: str) -> pa.Field:
        if name not in self.described.names:
            close = difflib.get_close_matches(name, self.described.names, n=1)
            raise DataError(
                f"the source has no column `{name}`",
                source=self.source_name,
                location=self.location,
                column=name,
                hint=(f"did you mean `{close[0]}`? " if close else "")
                + f"columns: {', '.join(self.described.names)}",
            )
        return self.described.field(name)


def _bound(bound: dt.datetime | None, widen: dt.timedelta, cast: str) -> object:
    """The bound as the parameter compared with the column: an instant for timestamptz, the
    UTC wall clock moved outwards for a timestamp or a date; None beyond what it can hold."""
    if bound is None:
        return None
    instant = bound.astimezone(dt.UTC) if bound.tzinfo else bound.replace(tzinfo=dt.UTC)
    try:
        moved = instant + widen
    except OverflowError:  # within a day of year 1 or 9999: no value lies beyond it
        return None
    if cast == "timestamptz":
        return moved
    wall_clock = moved.replace(tzinfo=None)
    return wall_clock.date() if cast == "date" else wall_clock


@contextlib.contextmanager
def reading(
    connection: Connection | None, source_name: str | None, purpose: str, location: str = ""
) -> Iterator[object]:
    """A read-only session; a driver's error in it becomes one line naming the connection (and
    the source), with its secrets redacted and its chain dropped."""
    import adbc_driver_postgresql.dbapi as dbapi

    doing = f"{purpose} of source `{source_name}`" if source_name else purpose
    where = location or None
    try:
        with session(connection, purpose=doing, source=source_name, location=where) as conn:
            read_only(conn)
            yield conn
    except dbapi.Error as error:
        if is_interrupted(error):
            raise KeyboardInterrupt from None
        raise connection_error(
            error, connection, doing, source=source_name, location=where
        ) from None


def _fetch(conn, sql: str, parameters: tuple[object, ...]) -> pa.Table:
    """The statement's rows; Ctrl-C cancels it on the server. (ADBC's driver manager cancels a
    statement interrupted in the main thread itself; this covers an interrupt arriving
    between its calls.)"""
    with conn.cursor() as cursor:
        try:
            cursor.execute(sql, parameters=parameters or None)
            return cursor.fetch_arrow_table()
        except KeyboardInterrupt:
            cursor.adbc_cancel()
            raise


def _resolved(conn, table: str, connection: Connection | None, source_name: str) -> tuple[str, str]:
    """The schema and name of `table` (`schema.table`, or a table of the search path), as
    the catalog spells them; a DataError listing the schema's tables when there is none."""
    schema_name, _, name = table.rpartition(".")
    if schema_name:
        rows = _fetch(conn, _SCHEMA_RELATIONS, (schema_name,)).to_pylist()
        names = [row["relname"] for row in rows]
        if name in names:
            return schema_name, name
        available = [f"{schema_name}.{n}" for n in names]
    else:
        rows = _fetch(conn, _RELATIONS, ()).to_pylist()
        found = [row["nspname"] for row in rows if row["relname"] == name]
        if found:
            return found[0], name
        available = [f"{row['nspname']}.{row['relname']}" for row in rows]
    close = difflib.get_close_matches(table, available, n=1) or difflib.get_close_matches(
        name, [n.rpartition(".")[2] for n in available], n=1
    )
    where = f"schema {schema_name}" if schema_name else "the search path"
    raise DataError(
        f"{connection_label(connection)} has no table or view `{table}`",
        source=source_name,
        hint=(f"did you mean `{close[0]}`? " if close else "")
        + f"tables in {where}: {', '.join(available) or 'none'}",
    )


def quoted(identifier: str) -> str:
    """An SQL identifier in double quotes, so any table or column name is read literally."""
    return '"' + identifier.replace('"', '""') + '"'
