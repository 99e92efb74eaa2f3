"""One query's session on the server: where each source is read from, and running SQL.

The runner (metricsmith.execute.sql.runner) asks for the sources' relations first, then runs
its queries: the uploads of sources that are not in the database happen in the first step,
and the session turns read-only before the first query runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pyarrow as pa
import pyarrow.compute as pc
from metricsmith.check.checked import CheckedProject
from metricsmith.errors import DataError, InternalError
from metricsmith.execute.sql.dialects import DIALECTS
from metricsmith.execute.sql.runner import NO_VALUES
from metricsmith.execute.sql.sources import Relation, table_relation
from metricsmith.model.types import DECIMAL_DIGITS, DECIMAL_PLACES
from metricsmith.plan.nodes import Plan
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.connector import engine_table
from sqlglot import exp

from metricsmith_postgres.connect import (
    connection_error,
    is_interrupted,
    read_only,
    server_message,
)
from metricsmith_postgres.engine import TABLE_LABEL

#: SQLSTATE classes: 22 the data (a value that does not convert, an overflow), 42 the SQL
#: (a syntax error, an unknown function) but for a table or column missing from the database,
#: which is the user's.
_DATA = "22"
_SQL = "42"
_UNDEFINED = ("42P01", "42703")


class PostgresSqlEngine:
    """The SqlEngine of metricsmith's SQL runner, on one ADBC session."""

    dialect = DIALECTS["postgres"]

    def __init__(self, conn: object, connection: Connection | None, names: Iterator[int]) -> None:
        self.conn = conn
        self.connection = connection
        self._names = names
        self._read_only = False
        with conn.cursor() as cursor:
            # A query of many metrics is one statement of hundreds of CTEs, whose estimated
            # cost is far above `jit_above_cost`: compiling it took 11 of the 12 seconds a
            # query of the sample project's 130 metrics took, and running it 0.5.
            cursor.execute("SET jit = off")

    @property
    def label(self) -> str:
        """What readers of in-place tables answer to (`engine_table`)."""
        return TABLE_LABEL + (self.connection.name if self.connection is not None else "")

    def relations(self, plan: Plan, project: CheckedProject) -> Mapping[str, Relation]:
        relations = {}
        for read in plan.reads:
            info = project.sources[read.source]
            table_name = engine_table(info.reader, self.label)
            if table_name is not None:
                relations[read.source] = table_relation(table_name, info.schema)
                continue
            table = info.reader.read(list(read.columns), read.time_range)
            # The number first: PostgreSQL cuts names at 63 bytes. Lower case, as the driver
            # may write it unquoted.
            name = f"metricsmith_{next(self._names)}_{read.source}".lower()
            self._upload(name, table, read.source)
            relations[read.source] = table_relation(name, table.schema)
        return relations

    def _upload(self, name: str, table: pa.Table, source: str) -> None:
        """The rows as a temporary table of the session, dropped when it ends."""
        import adbc_driver_postgresql.dbapi as dbapi

        if self._read_only:
            raise InternalError("a source was uploaded after the session turned read-only")
        if not table.num_columns:
            # A query counting rows reads no column; PostgreSQL copies rows of one at least.
            table = table.append_column("metricsmith_row", pa.nulls(table.num_rows, pa.bool_()))
        try:
            with self.conn.cursor() as cursor:
                cursor.adbc_ingest(name, table, mode="create", temporary=True)
        except dbapi.Error as error:
            raise connection_error(
                error, self.connection, f"uploading source `{source}` into a temporary table"
            ) from None

    def fetch(
        self, query: exp.Expression, sources: str, parameters: Mapping[str, object] = NO_VALUES
    ) -> pa.Table:
        import adbc_driver_postgresql.dbapi as dbapi

        if not self._read_only:
            read_only(self.conn)
            self._read_only = True
        query, values = positional(query, parameters)
        sql = self.dialect.sql(query, copy=False)
        cursor = self.conn.cursor()
        try:
            # The driver binds the values to `$1`, `$2`...: they never become SQL text.
            cursor.execute(sql, parameters=values or None)
            return decimals(cursor.fetch_arrow_table())
        except KeyboardInterrupt:
            # Interrupted between two of the driver's calls (or outside the main thread,
            # where the driver does not watch for Ctrl-C): the statement is cancelled here.
            cursor.adbc_cancel()
            raise
        except dbapi.Error as error:
            if is_interrupted(error):
                # On Ctrl-C the driver cancels the statement it waits for, and the server's
                # refusal to finish it is the error raised: Ctrl-C stops the query.
                raise KeyboardInterrupt from None
            raise self._failure(error, sql, sources) from error
        finally:
            cursor.close()

    def _failure(self, error: Exception, sql: str, sources: str) -> Exception:
        state = getattr(error, "sqlstate", None) or ""
        if state.startswith(_DATA):
            # The runner reads the sources again to name the row at fault (diagnosis.py).
            return DataError(
                f"PostgreSQL could not compute the query: {server_message(error, self.connection)}",
                source=sources,
            )
        if state.startswith(_SQL) and state not in _UNDEFINED:
            return InternalError(
                f"PostgreSQL rejected the generated SQL: {server_message(error, self.connection)}"
                f"\n{sql}"
            )
        return connection_error(error, self.connection, f"reading {sources}", source=sources)


def positional(
    query: exp.Expression, parameters: Mapping[str, object]
) -> tuple[exp.Expression, list[object]]:
    """The query with its named placeholders numbered (`$1`, `$2`: PostgreSQL's own), and the
    values in that order; a placeholder read twice has one number."""
    names = list(dict.fromkeys(node.name for node in query.find_all(exp.Placeholder)))
    if not names:
        return query, []
    numbers = {name: index for index, name in enumerate(names, start=1)}

    def numbered(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder):
            return exp.Parameter(this=exp.Literal.number(numbers[node.name]))
        return node

    return query.transform(numbered, copy=False), [parameters[name] for name in names]


_DECIMAL = pa.decimal128(DECIMAL_DIGITS, DECIMAL_PLACES)


def decimals(table: pa.Table) -> pa.Table:
    """The answer with NUMERIC columns (the driver's opaque `numeric` text) as the language's
    decimal; the SQL has already rounded every decimal it computes to its places."""
    for index, field in enumerate(table.schema):
        if isinstance(field.type, pa.OpaqueType) and field.type.type_name == "numeric":
            text = pa.chunked_array(
                [chunk.storage for chunk in table.column(index).chunks], field.type.storage_type
            )
            table = table.set_column(index, field.name, pc.cast(text, _DECIMAL))
    return table
