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
from collections.abc import Iterator, Mapping

import pyarrow as pa
from sqlglot import exp

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import DataError, InternalError
from metricsmith.execute.sql.dialects import DIALECTS, string
from metricsmith.execute.sql.kinds import duckdb_type_name
from metricsmith.execute.sql.runner import NO_VALUES, plan_timelines, run_plan
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
    `connection` is a DuckDB connection to use (default: a fresh in-memory database)."""
    with _engine(connection) as engine:
        return run_plan(plan, project, engine)


def duckdb_timelines(plan: Plan, project: CheckedProject) -> Timelines:
    """The plan's periods as DuckDB finds them in the data."""
    with _engine(None) as engine:
        return plan_timelines(plan, project, engine)


@contextlib.contextmanager
def _engine(connection) -> Iterator[DuckDBEngine]:
    import duckdb

    own = connection is None
    connection = duckdb.connect() if own else connection
    engine = DuckDBEngine(connection, own=own)
    try:
        yield engine
    finally:
        if own:
            connection.close()
        else:
            engine.detach()


@contextlib.contextmanager
def _setting(connection, name: str, value: object) -> Iterator[None]:
    """A DuckDB setting for the duration of a query, the connection's own restored after."""
    previous = connection.execute(f"SELECT current_setting('{name}')").fetchone()[0]
    connection.execute(f"SET {name} = {value}")
    try:
        yield
    finally:
        connection.execute(f"SET {name} = {previous}")


class DuckDBEngine:
    dialect = DIALECTS["duckdb"]

    def __init__(self, connection, *, own: bool = False):
        """`own`: the connection is the engine's alone, so its settings need not be
        restored after each query (a caller's are, `_setting`)."""
        self.connection = connection
        self._own = own
        # The SQL reads instants as UTC (see dialects.py).
        connection.execute("SET TimeZone = 'UTC'")
        if own:  # once, rather than read, set and restored around each query it runs
            connection.execute(f"SET nested_loop_join_threshold = {_NESTED_LOOP_ROWS}")
        #: The database files this engine attached, by path, with the name of each.
        self._attached: dict[str, str] = {}

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
            name = f"metricsmith_{read.source}_{next(_names)}"
            self.connection.register(name, table)
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

    def detach(self) -> None:
        """Detach the database files attached for the query, from a caller's connection."""
        for name in self._attached.values():
            self.connection.execute(self.dialect.sql(exp.Detach(this=exp.to_identifier(name))))
        self._attached.clear()

    def fetch(
        self, query: exp.Expression, sources: str, parameters: Mapping[str, object] = NO_VALUES
    ) -> pa.Table:
        import duckdb

        sql = self.dialect.sql(query, copy=False)
        try:
            settings = (
                contextlib.nullcontext()
                if self._own
                else _setting(self.connection, "nested_loop_join_threshold", _NESTED_LOOP_ROWS)
            )
            with settings:
                # Placeholders are `$name`: DuckDB binds the values by name.
                result = self.connection.sql(sql, params=dict(parameters) or None)
                if hasattr(result, "to_arrow_table"):
                    return result.to_arrow_table()
                return result.arrow()
        except (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.IOException) as e:
            raise DataError(f"DuckDB could not read the data: {e}", source=sources) from e
        except duckdb.OutOfRangeException as error:
            raise DataError(f"a value is out of range: {error}", source=sources) from error
        except duckdb.Error as error:
            raise InternalError(f"DuckDB rejected the generated SQL: {error}\n{sql}") from error


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
