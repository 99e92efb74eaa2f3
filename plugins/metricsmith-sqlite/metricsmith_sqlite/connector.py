"""The `sqlite` connector: `sqlite("shop.db", table="orders")` or
`sqlite("shop.db", query="select ...")`.

The database is opened read-only. The table or query is wrapped in a temporary view (which
lives in the connection's private temp schema, never in the file) so that both are read the
same way and the declared type of every column is known.
"""

from __future__ import annotations

import contextlib
import difflib
import pathlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence

import pyarrow as pa
from attrs import frozen
from metricsmith.errors import DataError
from metricsmith.plugins.arguments import CallArguments
from metricsmith.plugins.connector import TimeRange

from metricsmith_sqlite.columns import ValueMismatch, kind_of, to_arrow

_VIEW = "metricsmith_source"
#: `schema()` types the columns from this many rows (declared types need none of them).
SCHEMA_SAMPLE_ROWS = 1000
_USAGE = 'write sqlite("file.db", table="name") or sqlite("file.db", query="select ...")'


@frozen
class SqliteConnector:
    name: str = "sqlite"
    description: str = "A table or a query of a SQLite database (options: table or query)"
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
    ) -> SqliteReader:
        call = CallArguments(self.name, _USAGE, source_name)
        given = call.one_text(args)
        call.known_options(options, ("table", "query"))
        call.one_text_option(options, ("table", "query"))
        path = call.local_path(given, base_dir, "database file")
        table = options.get("table")
        if isinstance(table, str):
            reader = SqliteReader(
                path, f"SELECT * FROM {quoted(table)}", source_name, f"{path}, table {table}"
            )
            reader.require_table(table)
            return reader
        query = str(options["query"]).strip().rstrip(";")
        return SqliteReader(path, query, source_name, f"{path}, query")


class SqliteReader:
    """Reads one table or query. The time range is not pushed down (the engine filters)."""

    def __init__(self, path: str, relation: str, source_name: str, location: str):
        self.path = path
        self.relation = relation
        self.source_name = source_name
        self.location = location

    def schema(self) -> pa.Schema:
        return self._fetch(None, limit=SCHEMA_SAMPLE_ROWS).schema

    def read(
        self, columns: Sequence[str] | None = None, time_range: TimeRange | None = None
    ) -> pa.Table:
        return self._fetch(columns, limit=None)

    def require_table(self, table: str) -> None:
        with self._connection(view=False) as connection:
            names = [
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
                )
            ]
        if table not in names:
            raise self._missing(f"the database has no table `{table}`", names, table, None)

    def _fetch(self, columns: Sequence[str] | None, limit: int | None) -> pa.Table:
        with self._connection(view=True) as connection:
            declared = {
                row[1]: row[2] for row in connection.execute(f"PRAGMA temp.table_info({_VIEW})")
            }
            wanted = list(declared) if columns is None else list(dict.fromkeys(columns))
            for column in wanted:
                if column not in declared:
                    raise self._missing(
                        f"the source has no column `{column}`", list(declared), column, column
                    )
            selected = ", ".join(quoted(column) for column in wanted) or "1"
            bounded = f" LIMIT {int(limit)}" if limit is not None else ""
            rows = connection.execute(f"SELECT {selected} FROM {_VIEW}{bounded}").fetchall()
        if not wanted:  # only the number of rows was asked for
            return pa.table({"row": pa.nulls(len(rows))}).select([])
        by_column = list(zip(*rows, strict=True)) if rows else [()] * len(wanted)
        arrays = [
            self._convert(column, values, declared[column])
            for column, values in zip(wanted, by_column, strict=True)
        ]
        return pa.Table.from_arrays(arrays, names=wanted)

    def _convert(self, column: str, values: Sequence[object], declared: str) -> pa.Array:
        try:
            return to_arrow(values, kind_of(declared))
        except ValueMismatch as mismatch:
            raise DataError(
                str(mismatch),
                source=self.source_name,
                location=self.location,
                column=column,
                row=mismatch.row_index + 1,
                hint=f"the column is declared `{declared}`; SQLite does not enforce declared "
                "types, so fix the value or change the declaration",
            ) from None

    def _missing(
        self, message: str, available: Sequence[str], name: str, column: str | None
    ) -> DataError:
        close = difflib.get_close_matches(name, available, n=1)
        suggestion = f"did you mean `{close[0]}`? " if close else ""
        return DataError(
            message,
            source=self.source_name,
            location=self.location,
            column=column,
            hint=f"{suggestion}available: {', '.join(available) or 'none'}",
        )

    @contextlib.contextmanager
    def _connection(self, view: bool) -> Iterator[sqlite3.Connection]:
        uri = pathlib.Path(self.path).as_uri() + "?mode=ro"
        connection = sqlite3.connect(uri, uri=True)
        try:
            if view:
                connection.execute(f"CREATE TEMP VIEW {_VIEW} AS {self.relation}")
            yield connection
        except sqlite3.Error as failure:
            raise DataError(
                f"SQLite could not read it: {failure}",
                source=self.source_name,
                location=self.location,
                hint="check the query or the table, e.g. with the sqlite3 command-line shell",
            ) from failure
        finally:
            connection.close()


def quoted(identifier: str) -> str:
    """An SQL identifier in double quotes, so any table or column name is read literally."""
    return '"' + identifier.replace('"', '""') + '"'
