"""Running plans on DuckDB, in-process.

DuckDB reads the Parquet and CSV files behind the built-in connectors itself (`read_parquet`,
`read_csv` with the connector's column types, declared ones included, so both engines see the
same types), and attaches a DuckDB database file read-only to read a table of it in place
(`database_table`); any other source is read through its connector (column projection and
time-range pushdown included) and registered with DuckDB as an Arrow table, without a copy.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Iterator, Mapping

import pyarrow as pa
from sqlglot import exp

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import DataError, InternalError
from metricsmith.execute.data.versions import remember
from metricsmith.execute.sql.dialects import DIALECTS, string
from metricsmith.execute.sql.kinds import duckdb_type_name
from metricsmith.execute.sql.runner import NO_VALUES, SqlText, plan_timelines, run_plan
from metricsmith.execute.sql.sources import Relation, table_relation
from metricsmith.plan.nodes import Plan
from metricsmith.plan.timeline import Timelines
from metricsmith.plugins.connector import (
    DatabaseTable,
    NativeFiles,
    database_table,
    engine_table,
    native_files,
)

_names = itertools.count()
#: DuckDB joins on inequalities by sorting (a merge join) unless a side has fewer rows than
#: its `nested_loop_join_threshold` (5). Comparing each row with every period of a spine of a
#: few dozen is faster: the revenue benchmark's query took 1.24 s instead of 1.37 s.
_NESTED_LOOP_ROWS = 64


def execute_plan_duckdb(plan: Plan, project: CheckedProject, *, connection=None) -> pa.Table:
    """The plan's answer computed by DuckDB, in the plan's result schema (`Plan.result_schema`).
    `connection` is a DuckDB connection to use (default: the thread's own in-memory database,
    `_kept_connection`)."""
    with _engine(connection) as engine:
        return run_plan(plan, project, engine)


def duckdb_timelines(plan: Plan, project: CheckedProject) -> Timelines:
    """The plan's periods as DuckDB finds them in the data."""
    with _engine(None) as engine:
        return plan_timelines(plan, project, engine)


@contextlib.contextmanager
def _engine(connection) -> Iterator[DuckDBEngine]:
    own = connection is None
    engine = DuckDBEngine(_kept_connection() if own else connection, own=own)
    failed = True
    try:
        yield engine
        failed = False
    finally:
        if own and failed:  # it may have left the database unusable (a fatal error, an interrupt)
            _drop_kept_connection()  # (closing it releases what the query held)
        else:
            engine.release()


#: Each thread's own DuckDB connection, opened by its first query and kept for the next ones
#: (a DuckDB connection serves one thread at a time). Opening one starts DuckDB's threads and
#: cost about 26 ms of CPU per query, more than half the renewals family's own SQL (45 ms).
#: It keeps no data between queries: the tables a query registers and the database files it
#: attaches are released after it (`DuckDBEngine.release`), as is the memory it took beyond a
#: little (`_give_back_memory`), and DuckDB caches no local file. It keeps the relations of
#: the queries it ran (`DuckDBEngine._relation`), which hold only their text.
_kept = threading.local()
#: The relations a kept connection keeps, the most recent last.
_RELATIONS_KEPT = 32


def _kept_connection():
    import duckdb

    # A connection does not survive a fork (a worker process opens its own).
    kept = getattr(_kept, "connection", None)
    if kept is None or _kept.pid != os.getpid():
        kept = duckdb.connect()
        # The SQL reads instants as UTC (see dialects.py).
        kept.execute("SET TimeZone = 'UTC'")
        kept.execute(f"SET nested_loop_join_threshold = {_NESTED_LOOP_ROWS}")
        # Files are read afresh by every query, as by a fresh connection: a cache checked by
        # modification time could miss a file rewritten within the clock's tick. (DuckDB does
        # not cache local files by default; this says so whatever the default becomes.)
        # A DuckDB older than the setting (the package asks for 1.0 or later) has no such
        # cache to turn off.
        with contextlib.suppress(duckdb.CatalogException):
            kept.execute("SET enable_external_file_cache = false")
        _kept.connection, _kept.pid = kept, os.getpid()
        _kept.resident = resident_bytes()
        _kept.relations = {}
    return kept


#: The memory DuckDB may keep for the next query, as the growth of the process's resident
#: memory since the connection last gave its memory back. Giving it back costs the next query
#: the time to take it again: 9 ms of CPU on the renewals family's 30 ms query, which leaves
#: 20 MB; the retention family's leaves 480 MB, and is given back.
_MEMORY_KEPT = 64 * 2**20


def _give_back_memory(connection) -> None:
    """DuckDB keeps the memory of a query's buffers for its next query (480 MB after the
    retention family's, in a process that may run no other): a limit below it makes DuckDB
    give the memory back, as closing the connection did, unless little (`keeps_memory`)."""
    import duckdb

    if keeps_memory(getattr(_kept, "resident", None)):
        return
    try:
        connection.execute("SET memory_limit = '1MB'")
        connection.execute("RESET memory_limit")
    except duckdb.Error:  # something is held still: closing the connection frees it all
        _drop_kept_connection()
        return
    _kept.resident = resident_bytes()


def keeps_memory(since: int | None) -> bool:
    """Whether DuckDB may keep the memory its last query left for the next one: the process
    has grown by no more than `_MEMORY_KEPT` since `since`, its resident memory (`resident_
    bytes`) when DuckDB last gave its memory back. Never where the size is not known."""
    resident = resident_bytes()
    return resident is not None and since is not None and resident - since <= _MEMORY_KEPT


def resident_bytes() -> int | None:
    """The resident memory of the process where the system says it in a file (Linux); None
    elsewhere."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _drop_kept_connection() -> None:
    kept, _kept.connection = getattr(_kept, "connection", None), None
    _kept.relations = {}
    if kept is not None:
        with contextlib.suppress(Exception):  # already broken: closing is all that is left
            kept.close()


@contextlib.contextmanager
def _settings(connection, settings: Mapping[str, object]) -> Iterator[None]:
    """DuckDB settings for the duration of a query, the connection's own restored after."""
    previous = {
        name: connection.execute(f"SELECT current_setting('{name}')").fetchone()[0]
        for name in settings
    }
    for name, value in settings.items():
        connection.execute(f"SET {name} = {_setting_value(value)}")
    try:
        yield
    finally:
        for name, value in previous.items():
            connection.execute(f"SET {name} = {_setting_value(value)}")


def _setting_value(value: object) -> str:
    return "'" + value.replace("'", "''") + "'" if isinstance(value, str) else str(value)


#: What a query sets on a caller's connection (the engine's own has them from the start): the
#: join threshold above, and text compared and sorted by its bytes as on every engine (a
#: connection with `default_collation = 'nocase'` found "a" = "A" and sorted "a" before "B").
_PER_QUERY = {"nested_loop_join_threshold": _NESTED_LOOP_ROWS, "default_collation": ""}


class DuckDBEngine:
    dialect = DIALECTS["duckdb"]

    def __init__(self, connection, *, own: bool = False):
        """`own`: the connection is the engine's alone (`_kept_connection`), its settings set
        once when it was opened; a caller's are set here, or around each query (`_setting`)
        and restored after."""
        self.connection = connection
        self._own = own
        if not own:
            # The SQL reads instants as UTC (see dialects.py).
            connection.execute("SET TimeZone = 'UTC'")
        #: The database files this engine attached, by path, with the name of each.
        self._attached: dict[str, str] = {}
        #: The names of the tables this engine registered (sources read by their connector).
        self._registered: list[str] = []

    def relations(self, plan: Plan, project: CheckedProject) -> Mapping[str, Relation]:
        relations = {}
        for read in plan.reads:
            info = project.sources[read.source]
            table_name = engine_table(info.reader, "duckdb")
            if table_name is not None:
                relations[read.source] = table_relation(table_name, info.schema)
                continue
            attached = database_table(info.reader, read.columns)
            if attached is not None and attached.format == "duckdb":
                relations[read.source] = Relation(self._attach(attached, read.source), info.schema)
                continue
            files = native_files(info.reader, read.columns)
            if files is not None:
                relations[read.source] = Relation(duckdb_reader(files), info.schema)
                continue
            table = info.reader.read(list(read.columns), read.time_range)
            if table.num_columns == 0:  # only its rows are counted: DuckDB wants a column
                table = pa.table({"row": pa.nulls(table.num_rows, pa.bool_())})
            name = f"metricsmith_{read.source}_{next(_names)}"
            self.connection.register(name, table)
            self._registered.append(name)
            relations[read.source] = table_relation(name, table.schema)
        return relations

    def _attach(self, table: DatabaseTable, source: str) -> exp.Table:
        """The table, in its database file attached read-only (once per file and query)."""
        import duckdb

        if table.path not in self._attached:
            name = f"metricsmith_database_{next(_names)}"
            attach = exp.Attach(
                this=exp.alias_(string(table.path), name),
                exists=False,
                expressions=[exp.AttachOption(this=exp.var("READ_ONLY"))],
            )
            try:
                self.connection.execute(self.dialect.sql(attach))
            except duckdb.Error as error:  # changed since the check: locked, replaced, removed
                raise DataError(
                    f"DuckDB could not attach the database file: {error}",
                    source=source,
                    location=table.path,
                ) from error
            self._attached[table.path] = name
        return exp.table_(
            table.table_name, db=table.schema_name, catalog=self._attached[table.path], quoted=True
        )

    def release(self) -> None:
        """Unregister the tables and detach the database files of the query from the
        connection, which outlives it (a kept one, or the caller's)."""
        for name in self._registered:
            self.connection.unregister(name)
        self._registered.clear()
        for name in self._attached.values():
            self.connection.execute(self.dialect.sql(exp.Detach(this=exp.to_identifier(name))))
        self._attached.clear()
        if self._own:
            _give_back_memory(self.connection)

    def fetch(
        self, query: exp.Expression, sources: str, parameters: Mapping[str, object] = NO_VALUES
    ) -> pa.Table:
        return self._run(self.dialect.sql(query, copy=False), sources, parameters)

    def fetch_text(
        self, query: SqlText, sources: str, parameters: Mapping[str, object] = NO_VALUES
    ) -> pa.Table:
        return self._run(query.text, sources, parameters)

    def _run(self, sql: str, sources: str, parameters: Mapping[str, object]) -> pa.Table:
        import duckdb

        try:
            settings = (
                contextlib.nullcontext() if self._own else _settings(self.connection, _PER_QUERY)
            )
            with settings:
                result = self._relation(sql, parameters)
                if hasattr(result, "to_arrow_table"):
                    return result.to_arrow_table()
                return result.arrow()
        except (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.IOException) as e:
            raise DataError(f"DuckDB could not read the data: {e}", source=sources) from e
        except duckdb.OutOfRangeException as error:
            raise DataError(f"a value is out of range: {error}", source=sources) from error
        except duckdb.Error as error:
            raise InternalError(f"DuckDB rejected the generated SQL: {error}\n{sql}") from error

    def _relation(self, sql: str, parameters: Mapping[str, object]):
        """The relation DuckDB runs a query as. A relation over a SELECT (`QUERY_RELATION`)
        runs its text afresh, files read again, each time its rows are read, so the kept
        connection keeps one for the next run of the same text with the same values: making
        it parses and binds the text, which reading its rows does again (3-4 ms of CPU of the
        renewals family's 35, by turns in one busy process). Not for a query that reads a
        table this engine registered or a database file it attached: their names are new for
        every query."""
        # Placeholders are `$name`: DuckDB binds the values by name.
        values = dict(parameters) or None
        if not self._own or self._registered or self._attached:
            return self.connection.sql(sql, params=values)
        # (The values written out, as `runner._query_text` keys its texts: 0.0 is not -0.0.)
        key = (sql, repr(values))
        relation = _kept.relations.get(key)
        if relation is None:
            relation = self.connection.sql(sql, params=values)
            if getattr(relation, "type", None) == "QUERY_RELATION":
                remember(_kept.relations, key, relation, _RELATIONS_KEPT)
        return relation


def duckdb_reader(files: NativeFiles) -> exp.Expression:
    """`read_parquet([...])` or `read_csv([...], ...)` with the connector's column types."""
    paths = exp.Array(expressions=[string(path) for path in files.files])
    options: list[tuple[str, exp.Expression]] = []
    if len(files.partitions):
        options.append(("hive_partitioning", exp.true()))
        options.append(("hive_types", _type_struct(files.partitions)))
    strict = {}
    if files.format == "csv":
        strict = {f.name: f.type for f in files.file_schema if _parsed_strictly(f.type)}
        text = pa.schema(
            [pa.field(f.name, pa.string()) if f.name in strict else f for f in files.file_schema]
        )
        options += [
            ("header", exp.Boolean(this=files.header)),
            ("delim", string(files.delimiter)),
            ("columns", _type_struct(text)),
            ("auto_detect", exp.false()),
        ]
    arguments = [paths, *(exp.EQ(this=exp.column(k), expression=v) for k, v in options)]
    read = exp.Anonymous(this=f"read_{files.format}", expressions=arguments)
    if not strict:
        return read
    names = [*files.file_schema.names, *files.partitions.names]
    columns = [
        _strictly(name, strict[name]) if name in strict else exp.column(name, quoted=True)
        for name in names
    ]
    return exp.select(*columns).from_(read).subquery()


def _parsed_strictly(dtype: pa.DataType) -> bool:
    """Whether DuckDB's own reading of CSV text as this type accepts more than the Arrow
    reader does (it reads '1.5' as the integer 2, 'yes' as true): such columns are read as
    text and converted by `_strictly`."""
    return pa.types.is_integer(dtype) or pa.types.is_boolean(dtype)


#: The CSV spellings the Arrow reader accepts (pyarrow's defaults; an empty field is null).
_INTEGER = "-?[0-9]+"
_TRUE, _FALSE = ("1", "True", "TRUE", "true"), ("0", "False", "FALSE", "false")


def _strictly(name: str, dtype: pa.DataType) -> exp.Expr:
    """Column `name` of CSV text converted to `dtype` as the Arrow reader converts it; any
    other text fails the query (and the engine's diagnosis names its row)."""
    text = exp.column(name, quoted=True)
    failure = exp.Anonymous(
        this="error",
        expressions=[
            exp.DPipe(
                this=string(f"column `{name}`: cannot read "),
                expression=exp.DPipe(this=text.copy(), expression=string(f" as {dtype}")),
            )
        ],
    )
    case = exp.Case().when(exp.or_(text.is_(exp.null()), text.eq(string(""))), exp.null())
    if pa.types.is_boolean(dtype):
        case = case.when(text.isin(*map(string, _TRUE)), exp.true())
        case = case.when(text.isin(*map(string, _FALSE)), exp.false())
    else:
        matches = exp.Anonymous(this="regexp_full_match", expressions=[text, string(_INTEGER)])
        case = case.when(matches, exp.cast(text, duckdb_type_name(dtype) or "BIGINT"))
    return exp.alias_(case.else_(failure), name, quoted=True)


def _type_struct(schema: pa.Schema) -> exp.Expression:
    fields = []
    for field in schema:
        # A column without a DuckDB type of its own (a time of day) is read as text: a query
        # reading it is refused when its SQL is built, and one that does not works.
        name = duckdb_type_name(field.type) or "VARCHAR"
        fields.append(
            exp.PropertyEQ(this=exp.to_identifier(field.name, quoted=True), expression=string(name))
        )
    return exp.Struct(expressions=fields)
