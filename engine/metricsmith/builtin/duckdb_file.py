"""The `duckdb("warehouse.duckdb", "schema.table")` connector: a table or view of a DuckDB
database file (`table="schema.table"` works too; without a schema, `main`).

The file is opened read-only, for each call: no connection is held between queries, and
nothing is ever written to it. The DuckDB engine attaches the file read-only and reads the
table in place (`database_table`, see plugins/connector.py), so the rows never pass through
Python; the other engines get them as Arrow, with only the columns they need and a WHERE on
the time column (`time_bounds`). Needs the duckdb package, the `duckdb` extra.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import pyarrow as pa
from attrs import frozen

from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import DataError
from metricsmith.plugins.arguments import CallArguments
from metricsmith.plugins.connector import (
    Connector,
    DatabaseTable,
    SourceReader,
    TimeRange,
    require_columns,
    time_bounds,
)
from metricsmith.plugins.hookspecs import hookimpl

if TYPE_CHECKING:
    # sqlglot is imported when a DuckDB file is read (as duckdb is), not by every process that
    # registers this connector: loading a project that reads none pays for neither.
    from sqlglot import exp

_USAGE = 'write it as duckdb("warehouse.duckdb", "schema.table")'
_INSTALL_HINT = "install DuckDB support: pip install 'metricsmith[duckdb]'"
# The tables and views of the file, for finding the one named (case-insensitively, as DuckDB
# resolves names) and for suggesting one when it is not there.
_TABLES = """
SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()
UNION ALL
SELECT schema_name, view_name FROM duckdb_views()
WHERE database_name = current_database() AND NOT internal
ORDER BY 1, 2
"""


@frozen
class DuckDBFileConnector:
    name: str = "duckdb"
    description: str = (
        'A table or view of a DuckDB database file, read-only: duckdb("file.duckdb", "schema.t")'
    )
    #: The database file is the first argument: a confined project may name only files
    #: inside its folders (docs/security.md).
    path_arguments: tuple[int | str, ...] = (0,)

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
    ) -> SourceReader:
        call = CallArguments(self.name, _USAGE, source_name)
        path, table = _arguments(args, options, call)
        location = call.local_path(path, base_dir, "database file")
        schema_name, _, table_name = table.rpartition(".")
        reader = DuckDBFileReader(location, schema_name or "main", table_name, source_name)
        return reader.found()


def _arguments(
    args: Sequence[object], options: Mapping[str, object], call: CallArguments
) -> tuple[str, str]:
    """The path and the table named by `duckdb("file", "schema.table")` or by
    `duckdb("file", table="schema.table")`."""
    call.known_options(options, ("table",))
    given = [*args, *options.values()]
    if len(given) != 2 or not all(isinstance(value, str) for value in given):
        raise call.refusal("takes the database file and the table's name")
    path, table = (str(value) for value in given)
    if not table or table.count(".") > 1 or "" in table.split("."):
        raise DataError(
            f"`{table}` is not a table name",
            source=call.source_name,
            hint="name a table or view of the file as table or schema.table",
        )
    return path, table


class DuckDBFileReader:
    """One table or view of a DuckDB database file, opened read-only for each call."""

    def __init__(self, path: str, schema_name: str, table_name: str, source_name: str):
        self.path = path
        self.schema_name = schema_name
        self.table_name = table_name
        self.source_name = source_name
        self.location = f"{path}, table {schema_name}.{table_name}"

    def found(self) -> DuckDBFileReader:
        """This reader, named as the file spells the table; a data error, with the tables
        the file has, when there is no such table or view."""
        with self._connection() as connection:
            tables = connection.execute(_TABLES).fetchall()
        spelled = {f"{schema}.{table}".lower(): (schema, table) for schema, table in tables}
        wanted = f"{self.schema_name}.{self.table_name}"
        if wanted.lower() not in spelled:
            names = [_display(schema, table) for schema, table in tables]
            listed = ", ".join(names) or "none"
            missing = _display(self.schema_name, self.table_name)
            close = did_you_mean(missing, names)
            raise DataError(
                f"the database has no table or view `{missing}`",
                source=self.source_name,
                location=self.path,
                hint=f"{close} the file has: {listed}" if close else f"the file has: {listed}",
            )
        return DuckDBFileReader(self.path, *spelled[wanted.lower()], self.source_name)

    def schema(self) -> pa.Schema:
        from sqlglot import exp

        with self._connection() as connection:
            return self._arrow(connection, exp.select("*").from_(self._table()).limit(0)).schema

    def read(
        self, columns: Sequence[str] | None = None, time_range: TimeRange | None = None
    ) -> pa.Table:
        from sqlglot import exp

        schema = self.schema()
        wanted = schema.names if columns is None else list(dict.fromkeys(columns))
        self._require([*wanted, *([time_range.column] if time_range else [])], schema)
        selected: list[exp.Expr] = [exp.column(name, quoted=True) for name in wanted]
        selected = selected or [exp.Count(this=exp.Star())]
        query = exp.select(*selected).from_(self._table())
        condition, parameters = _time_condition(schema, time_range)
        if condition is not None:
            query = query.where(condition)
        with self._connection() as connection:
            table = self._arrow(connection, query, parameters)
        if not wanted:  # only the number of rows was asked for
            return pa.table({"rows": pa.nulls(table.column(0)[0].as_py())}).select([])
        return table

    def database_table(self, columns: Sequence[str] | None) -> DatabaseTable | None:
        if columns is not None:
            self._require(columns, self.schema())
        return DatabaseTable("duckdb", self.path, self.schema_name, self.table_name)

    def _table(self) -> exp.Table:
        from sqlglot import exp

        return exp.table_(self.table_name, db=self.schema_name, quoted=True)

    def _require(self, columns: Sequence[str], schema: pa.Schema) -> None:
        require_columns(schema, columns, source_name=self.source_name, location=self.location)

    def _arrow(self, connection, query: exp.Expression, parameters: Sequence[object] = ()):
        import duckdb

        try:
            result = connection.sql(query.sql(dialect="duckdb"), params=list(parameters) or None)
            return result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.arrow()
        except duckdb.Error as error:
            raise DataError(
                f"DuckDB could not read the table: {error}",
                source=self.source_name,
                location=self.location,
            ) from error

    @contextlib.contextmanager
    def _connection(self) -> Iterator:
        try:
            import duckdb
        except ImportError as missing:
            raise DataError(
                f"reading a DuckDB database file needs the duckdb package ({missing})",
                source=self.source_name,
                location=self.path,
                hint=_INSTALL_HINT,
            ) from None
        try:
            connection = duckdb.connect(self.path, read_only=True)
        except duckdb.Error as error:  # not a DuckDB file, or one being written elsewhere
            raise DataError(
                f"DuckDB could not open the database file: {error}",
                source=self.source_name,
                location=self.path,
                hint="name a DuckDB database file, and close the connections that have it "
                "open for writing, in this process or another",
            ) from error
        try:
            # Instants come out as UTC timestamps, as the engines compute with them.
            connection.execute("SET TimeZone = 'UTC'")
            yield connection
        finally:
            connection.close()


def _display(schema_name: str, table_name: str) -> str:
    """A table's name as written in a declaration: without the default schema."""
    return table_name if schema_name == "main" else f"{schema_name}.{table_name}"


def _time_condition(
    schema: pa.Schema, time_range: TimeRange | None
) -> tuple[exp.Expr | None, list[object]]:
    """A WHERE keeping at least the rows of the time range (and those whose time is null),
    with its parameters; None when the time column cannot be compared with the range."""
    from sqlglot import exp

    if time_range is None:
        return None, []
    bounds = time_bounds(schema.field(time_range.column).type, time_range)
    column = exp.column(time_range.column, quoted=True)
    conditions, parameters = [], []
    for bound, compare in zip(bounds or (), (exp.GTE, exp.LT), strict=True):
        if bound is not None:
            conditions.append(compare(this=column.copy(), expression=exp.Placeholder()))
            parameters.append(bound.as_py())
    if not conditions:
        return None, []
    return exp.or_(exp.and_(*conditions), column.is_(exp.null())), parameters


DUCKDB_FILE = DuckDBFileConnector()


@hookimpl
def metricsmith_connectors() -> list[Connector]:
    return [DUCKDB_FILE]
