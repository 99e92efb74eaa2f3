"""What a connector is: the contract between the engine and a data-source plugin.

A connector turns the arguments written in a `source ... from name(args)` declaration into a
`SourceReader`. The engine asks a reader for its schema at check time and for data at query
time, naming only the columns it needs and the time range it will look at, so a reader that
can push those down (Parquet, a database) reads less.

A reader may offer more, each an optional method that an engine asks for through the function
of the same name below (`native_files`, `database_table`, `engine_table`,
`read_by_engines_only`): files a SQL engine reads itself, a table of a database file it
attaches, or a table it reads in place. Engines never test for a reader's class.

Helpers give every reader the same behaviour: `time_bounds` and `time_filter` turn a
`TimeRange` into bounds or a dataset filter that keep every row of it, and `require_columns`
words a missing column.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol, TypeGuard, TypeVar, runtime_checkable

import pyarrow as pa
import pyarrow.dataset as ds
from attrs import evolve, frozen

from metricsmith.errors import DataError
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.provenance import Provenance, calling_plugin


@frozen
class TimeRange:
    """Rows with `start <= column < end` are needed (either bound may be None).

    Bounds are timezone-aware UTC datetimes. This is a hint: a reader may return extra rows,
    and the engine filters again, but it must not drop rows inside the range."""

    column: str
    start: dt.datetime | None
    end: dt.datetime | None


_DAY = dt.timedelta(days=1)
# Casting a bound to a column of whole seconds truncates it; moving it a second outwards first
# keeps every row of the range.
_SECOND = dt.timedelta(seconds=1)
# The instants a timestamp[ns] column can hold (int64 nanoseconds around 1970).
_NANOSECOND_RANGE = (
    dt.datetime(1677, 9, 22, tzinfo=dt.UTC),
    dt.datetime(2262, 4, 11, tzinfo=dt.UTC),
)


def time_bounds(
    dtype: pa.DataType, time_range: TimeRange
) -> tuple[pa.Scalar | None, pa.Scalar | None] | None:
    """The range's bounds as values of a time column of type `dtype`, such that
    `low <= column < high` keeps every row of the range (a bound is None when the range has
    none, or when it lies beyond what the column can hold); None when the column is not a date
    or a timestamp, so it cannot be compared with them.

    A zoned timestamp column compares instants exactly (bounds moved out by a second, so
    whole-second columns lose nothing). A naive timestamp or a date is wall-clock time in the
    project's calendar zone, which the engine applies later, so its bounds are widened by a day
    each way (more than any zone offset). Rows whose time is null are for the engine to judge:
    a filter built from these bounds must keep them."""
    if not (pa.types.is_timestamp(dtype) or pa.types.is_date(dtype)):
        return None
    start, end = time_range.start, time_range.end
    return (
        None if start is None else _bound_scalar(start, -1, dtype),
        None if end is None else _bound_scalar(end, 1, dtype),
    )


def time_filter(field: pa.Field, time_range: TimeRange) -> ds.Expression | None:
    """A `pyarrow.dataset` filter keeping at least the rows of `time_range` (and those whose
    time is null), from `time_bounds`; None when the column cannot be compared with them."""
    bounds = time_bounds(field.type, time_range)
    if bounds is None or bounds == (None, None):
        return None
    column = ds.field(field.name)
    low, high = bounds
    conditions = [
        compare(bound)
        for bound, compare in ((low, column.__ge__), (high, column.__lt__))
        if bound is not None
    ]
    in_range = conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]
    return in_range | column.is_null()


def _bound_scalar(bound: dt.datetime, outwards: int, dtype: pa.DataType) -> pa.Scalar | None:
    """The bound moved outwards and expressed in the column's type; None when it lies beyond
    what the column can hold, so that no value of the column is on its far side."""
    instant = bound.replace(tzinfo=dt.UTC) if bound.tzinfo is None else bound.astimezone(dt.UTC)
    try:
        zoned = instant + outwards * _SECOND
        wall_clock = instant.replace(tzinfo=None) + outwards * _DAY
    except OverflowError:  # within a day of year 1 or 9999
        return None
    if pa.types.is_date(dtype):
        return pa.scalar(wall_clock.date(), dtype)
    target = zoned if dtype.tz is not None else wall_clock.replace(tzinfo=dt.UTC)
    if dtype.unit == "ns" and not _NANOSECOND_RANGE[0] < target < _NANOSECOND_RANGE[1]:
        return None
    # Whole-unit columns truncate the bound; it was moved outwards first, so nothing is lost.
    exact = pa.scalar(target, pa.timestamp("us", tz="UTC")).cast(
        pa.timestamp(dtype.unit, tz="UTC"), safe=False
    )
    return exact.cast(dtype)


def require_columns(
    schema: pa.Schema, columns: Sequence[str], *, source_name: str, location: str
) -> None:
    """The data error for the first of `columns` that `schema` lacks, naming the closest
    column and listing the others, as every reader words it."""
    available = schema.names
    for column in columns:
        if column not in available:
            close = difflib.get_close_matches(column, available, n=1)
            suggestion = f"did you mean `{close[0]}`? " if close else ""
            raise DataError(
                f"the source has no column `{column}`",
                source=source_name,
                location=location,
                column=column,
                hint=f"{suggestion}available columns: {', '.join(available)}",
            )


# Text read as a declared timestamp: the engine decides what it means, and a reader parsing
# such text itself words its refusals the same way (see `TypedSourceReader`).
#: A text timestamp that ends in a zone offset (Z, +02:00, -0500) names an instant; one without
#: is a wall-clock time in the calendar's zone.
ZONE_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def written_as_time(value: str) -> bool:
    """Whether a text is a date or a date and time (with or without a zone offset): a value
    that is not cannot be blamed on a column mixing times with and without offsets."""
    try:
        dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


#: The hint of the data error for a column mixing both.
MIXED_ZONES_HINT = (
    "write every time of the column the same way: all with a zone offset (Z, +02:00) or all "
    "without (local times in the calendar's zone)"
)


@runtime_checkable
class SourceReader(Protocol):
    """An opened source."""

    @property
    def location(self) -> str:
        """Where the data comes from, for messages (a path, a table name...). A plain
        attribute does; read-only, as the checks wrapping a plugin's reader forward it."""
        ...

    def schema(self) -> pa.Schema:
        """The columns the source offers, without reading all of its rows."""
        ...

    def read(
        self, columns: Sequence[str] | None = None, time_range: TimeRange | None = None
    ) -> pa.Table:
        """The source's rows, restricted to `columns` (all when None)."""
        ...


@runtime_checkable
class TypedSourceReader(SourceReader, Protocol):
    """A reader that can parse declared columns as their types itself (optional).

    Formats holding text need it: a CSV column declared `string` must keep `00001`, which
    inferring a number and casting afterwards loses. `types` maps column names to the Arrow
    types of their declarations (a timestamp as text, `pa.string()`: the engine decides what
    text without a zone means; durations excluded); the checker calls it
    once, before `schema()`. Readers without it get declared columns cast after reading."""

    def with_column_types(self, types: Mapping[str, pa.DataType]) -> SourceReader: ...


@runtime_checkable
class BatchSourceReader(SourceReader, Protocol):
    """A reader that can give its rows in record batches (optional).

    `read_batches(columns, time_range)` yields the rows `read(columns, time_range)` returns,
    in the same order, a batch at a time, or returns None when it cannot for this source
    (then the engine calls `read`). The Arrow engine aggregates a large source batch by batch
    instead of holding it whole; a reader raises the same errors as `read` would."""

    def read_batches(
        self, columns: Sequence[str], time_range: TimeRange | None = None
    ) -> Iterator[pa.RecordBatch] | None: ...


@runtime_checkable
class AnyRangeBatchSourceReader(BatchSourceReader, Protocol):
    """A batch reader that can keep the rows in any of several time ranges at once (optional).

    `read_batches_in_any(columns, time_ranges)` yields, in record batches and in the source's
    order, at least every row that `read_batches(columns, r)` gives for some range `r` of
    `time_ranges` (ranges on different time columns), or returns None when it cannot. The
    Arrow engine reads sources declared over the same data with their own time columns
    (tickets by opening and by resolution) once this way, and cuts each source's rows to its
    own range itself."""

    def read_batches_in_any(
        self, columns: Sequence[str], time_ranges: Sequence[TimeRange]
    ) -> Iterator[pa.RecordBatch] | None: ...


@frozen
class NativeFiles:
    """Files a SQL engine can read itself (see `NativeFilesReader`), with how to read them."""

    format: str  # "csv" or "parquet"
    files: tuple[str, ...]
    #: The columns stored in the files, in file order, with the connector's types.
    file_schema: pa.Schema
    #: Columns taken from `key=value` folder names, with the connector's types.
    partitions: pa.Schema
    delimiter: str = ","
    header: bool = True


@runtime_checkable
class NativeFilesReader(SourceReader, Protocol):
    """A reader of files that a SQL engine may read itself (optional).

    `native_files(columns)` describes the files when the engine's own reader gives exactly
    this reader's schema (the built-in `csv` and `parquet` readers do), and None otherwise.
    Given `columns` (the engine is about to read them), it first raises the `DataError` that
    `read(columns)` would meet in the files; given None (the SQL is only shown), it reads
    nothing. DuckDB and Spark then read the files in place, without the rows passing through
    Python."""

    def native_files(self, columns: Sequence[str] | None) -> NativeFiles | None: ...


@frozen
class DatabaseTable:
    """A table (or view) of a database file that a SQL engine can attach, read-only, and read
    in place (see `DatabaseTableReader`)."""

    format: str  # the database's file format: "duckdb"
    path: str  # the database file
    schema_name: str  # the schema holding the table in that database ("main")
    table_name: str


@runtime_checkable
class DatabaseTableReader(SourceReader, Protocol):
    """A reader of a table in a database file that a SQL engine may attach (optional).

    `database_table(columns)` describes the table when an engine reading it gets exactly this
    reader's schema, and None otherwise; an engine that cannot attach files of its `format`
    reads through `read` instead. As with `native_files`, given `columns` it first raises the
    `DataError` that `read(columns)` would meet; given None it reads nothing."""

    def database_table(self, columns: Sequence[str] | None) -> DatabaseTable | None: ...


@runtime_checkable
class EngineTableReader(SourceReader, Protocol):
    """A reader of a table that an engine reads where it is (optional).

    `engine_table(engine)` is the (possibly qualified) name under which the engine called
    `engine` reaches the rows, or None for an engine that cannot; the built-in `spark_table`
    connector names its catalog table for `spark`. `read_by_engines_only()` is true when
    `read` refuses (the rows are only in the engine's catalog): the checks metricsmith makes
    on rows it reads itself (data warnings, the wording of a data error) then skip the
    source."""

    def engine_table(self, engine: str) -> str | None: ...

    def read_by_engines_only(self) -> bool: ...


Offered = TypeVar("Offered", bound=SourceReader)


def offers(reader: SourceReader, protocol: Callable[..., Offered]) -> TypeGuard[Offered]:
    """Whether `reader` has the optional methods of `protocol` (one of the protocols above
    extending SourceReader), as `isinstance` decides it for a SourceReader: each present and
    not None (a method set to None is not offered). Asked of the instance every time, never
    kept per type: a reader wrapping another (or forwarding with `__getattr__`) offers what
    the one it wraps offers. Cheaper than `isinstance`, which walks the protocol's classes on
    every call, and readers are asked many times per query. (`protocol` is typed as a
    callable making an `Offered`: mypy takes no protocol where a `type[...]` is expected.)"""
    return all(getattr(reader, name, None) is not None for name in _optional_methods(protocol))


@functools.cache
def _optional_methods(protocol: type) -> tuple[str, ...]:
    """The methods `protocol` adds to SourceReader's."""
    return tuple(
        name
        for base in protocol.__mro__
        if SourceReader in base.__mro__[1:]
        for name, value in vars(base).items()
        if callable(value) and not name.startswith("_")
    )


def read_batches(
    reader: SourceReader, columns: Sequence[str], time_range: TimeRange | None
) -> Iterator[pa.RecordBatch] | None:
    """The rows of `reader` in record batches, or None (see `BatchSourceReader`)."""
    if not offers(reader, BatchSourceReader):
        return None
    return reader.read_batches(columns, time_range)


def read_batches_in_any(
    reader: SourceReader, columns: Sequence[str], time_ranges: Sequence[TimeRange]
) -> Iterator[pa.RecordBatch] | None:
    """The rows of `reader` in any of `time_ranges`, in record batches, or None (see
    `AnyRangeBatchSourceReader`)."""
    if not offers(reader, AnyRangeBatchSourceReader):
        return None
    return reader.read_batches_in_any(columns, time_ranges)


def native_files(reader: SourceReader, columns: Sequence[str] | None) -> NativeFiles | None:
    """The files behind `reader` that a SQL engine may read itself, or None (see
    `NativeFilesReader`)."""
    return reader.native_files(columns) if offers(reader, NativeFilesReader) else None


def database_table(reader: SourceReader, columns: Sequence[str] | None) -> DatabaseTable | None:
    """The database table behind `reader` that a SQL engine may attach, or None (see
    `DatabaseTableReader`)."""
    return reader.database_table(columns) if offers(reader, DatabaseTableReader) else None


def engine_table(reader: SourceReader, engine: str) -> str | None:
    """The table through which `engine` reaches the reader's rows in place, or None."""
    return reader.engine_table(engine) if offers(reader, EngineTableReader) else None


def read_by_engines_only(reader: SourceReader) -> bool:
    """Whether only an engine reading a table in place reaches the reader's rows."""
    return offers(reader, EngineTableReader) and reader.read_by_engines_only()


@runtime_checkable
class Connector(Protocol):
    """A named way of reading data, registered through `metricsmith_connectors`.

    A connector may also have `path_arguments`: a tuple of the positions (0-based) and option
    names of the arguments that are file paths, `(0,)` for `csv("data/x.csv")`, `()` for one
    reading no files. A confined project (docs/security.md) uses a connector only when it has
    them; the engine checks those paths before `open` is called.

    A connector reading from a named connection (a database: plugins/connections.py) has
    `connection_argument`, the position or option name of the argument naming it
    (`postgres("warehouse", ...)`: 0). The checker resolves the name among the project's
    connections and passes `open` the `Connection` as the keyword `connection` (None when the
    call names none), so an unknown name is reported at its position. Such a connector may
    also have `test_connection(connection) -> str`: it connects, and returns one line saying
    what it reached (`metricsmith connections --test`), or raises a DataError."""

    @property
    def name(self) -> str:
        """The name used in definition files: `source x from <name>(...)`."""
        ...

    @property
    def description(self) -> str:
        """One line for `metricsmith plugins`."""
        ...

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
    ) -> SourceReader:
        """Open a source. `args`/`options` are the literal arguments of the call; `base_dir`
        is the folder of the definition file, against which relative paths resolve."""
        ...


@frozen
class PluginConnector:
    """A plugin's connector as the registry hands it out: `open` and the reader it returns run
    the plugin's code through `calling_plugin`, so a failure at check or query time names the
    plugin, and what the plugin returns is checked against the contract."""

    connector: Connector
    provenance: Provenance

    @property
    def name(self) -> str:
        return self.connector.name

    @property
    def description(self) -> str:
        return self.connector.description

    @property
    def path_arguments(self) -> tuple[int | str, ...] | None:
        # Confinement checks the declared paths before `open`, so they must show through.
        return getattr(self.connector, "path_arguments", None)

    @property
    def connection_argument(self) -> int | str | None:
        # The checker resolves the connection it names before `open`: it must show through.
        return getattr(self.connector, "connection_argument", None)

    def test_connection(self, connection: Connection) -> str | None:
        """The plugin's one-line account of reaching `connection`, or None when its connector
        cannot test one."""
        test = getattr(self.connector, "test_connection", None)
        if test is None:
            return None
        with calling_plugin(self.provenance, f"while testing connection `{connection.name}`"):
            return str(test(connection))

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
        **connection: Connection | None,
    ) -> SourceReader:
        with calling_plugin(self.provenance, f"while opening source `{source_name}`"):
            reader = self.connector.open(
                args, options, base_dir=base_dir, source_name=source_name, **connection
            )
        if not isinstance(reader, SourceReader):
            raise self.provenance.failure(
                f"returned {type(reader).__name__} from `open`, not a SourceReader"
            )
        return PluginReader(reader, self.provenance, source_name)


@frozen
class PluginReader:
    """A reader a plugin's connector opened, checked the same way (see `PluginConnector`)."""

    reader: SourceReader
    provenance: Provenance
    source_name: str

    @property
    def location(self) -> str:
        return self.reader.location

    def schema(self) -> pa.Schema:
        with calling_plugin(self.provenance, self._doing("the schema")):
            schema = self.reader.schema()
        return self._checked(schema, pa.Schema, "schema")

    def read(
        self, columns: Sequence[str] | None = None, time_range: TimeRange | None = None
    ) -> pa.Table:
        with calling_plugin(self.provenance, self._doing("the rows")):
            table = self.reader.read(columns, time_range)
        return self._checked(table, pa.Table, "read")

    # The optional methods, run as the plugin's code when its reader has them: a reader a
    # plugin returns is wrapped, so what it offers must show through.
    def with_column_types(self, types: Mapping[str, pa.DataType]) -> SourceReader:
        if not offers(self.reader, TypedSourceReader):
            return self
        with calling_plugin(self.provenance, self._doing("the declared column types")):
            typed = self.reader.with_column_types(types)
        return evolve(self, reader=self._checked(typed, SourceReader, "with_column_types"))

    def read_batches(
        self, columns: Sequence[str], time_range: TimeRange | None = None
    ) -> Iterator[pa.RecordBatch] | None:
        with calling_plugin(self.provenance, self._doing("the rows")):
            batches = read_batches(self.reader, columns, time_range)
        if batches is None:
            return None
        return self._checked_batches(batches)

    def _checked_batches(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        with calling_plugin(self.provenance, self._doing("the rows")):
            for batch in batches:
                yield self._checked(batch, pa.RecordBatch, "read_batches")

    def native_files(self, columns: Sequence[str] | None) -> NativeFiles | None:
        with calling_plugin(self.provenance, self._doing("the files")):
            files = native_files(self.reader, columns)
        return None if files is None else self._checked(files, NativeFiles, "native_files")

    def database_table(self, columns: Sequence[str] | None) -> DatabaseTable | None:
        with calling_plugin(self.provenance, self._doing("the database table")):
            table = database_table(self.reader, columns)
        return None if table is None else self._checked(table, DatabaseTable, "database_table")

    def engine_table(self, engine: str) -> str | None:
        with calling_plugin(self.provenance, self._doing(f"the table {engine} reads")):
            table = engine_table(self.reader, engine)
        return None if table is None else self._checked(table, str, "engine_table")

    def read_by_engines_only(self) -> bool:
        with calling_plugin(self.provenance, self._doing("where the rows are")):
            return bool(read_by_engines_only(self.reader))

    def _doing(self, what: str) -> str:
        return f"while reading {what} of source `{self.source_name}`"

    def _checked(self, value: object, expected: type, method: str):
        if not isinstance(value, expected):
            module = "pyarrow." if expected.__module__.startswith("pyarrow") else ""
            raise self.provenance.failure(
                f"returned {type(value).__name__} from `{method}` of source "
                f"`{self.source_name}`, not a {module}{expected.__name__}"
            )
        return value
