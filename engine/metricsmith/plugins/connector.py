"""What a connector is: the contract between the engine and a data-source plugin.

A connector turns the arguments written in a `source ... from name(args)` declaration into a
`SourceReader`. The engine asks a reader for its schema at check time and for data at query
time, naming only the columns it needs and the time range it will look at, so a reader that
can push those down (Parquet, a database) reads less.

A reader may offer more, each an optional method that an engine asks for through the function
of the same name below (`native_files`, `engine_table`, `read_by_engines_only`): files a SQL
engine reads itself, or a table it reads in place. Engines never test for a reader's class.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import pyarrow as pa
from attrs import evolve, frozen

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


# Text read as a declared timestamp: the engine decides what it means, and a reader parsing
# such text itself words its refusals the same way (see `TypedSourceReader`).
#: A text timestamp that ends in a zone offset (Z, +02:00, -0500) names an instant; one without
#: is a wall-clock time in the calendar's zone.
ZONE_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
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


def native_files(reader: SourceReader, columns: Sequence[str] | None) -> NativeFiles | None:
    """The files behind `reader` that a SQL engine may read itself, or None (see
    `NativeFilesReader`)."""
    return reader.native_files(columns) if isinstance(reader, NativeFilesReader) else None


def engine_table(reader: SourceReader, engine: str) -> str | None:
    """The table through which `engine` reaches the reader's rows in place, or None."""
    return reader.engine_table(engine) if isinstance(reader, EngineTableReader) else None


def read_by_engines_only(reader: SourceReader) -> bool:
    """Whether only an engine reading a table in place reaches the reader's rows."""
    return isinstance(reader, EngineTableReader) and reader.read_by_engines_only()


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
        if not isinstance(self.reader, TypedSourceReader):
            return self
        with calling_plugin(self.provenance, self._doing("the declared column types")):
            typed = self.reader.with_column_types(types)
        return evolve(self, reader=self._checked(typed, SourceReader, "with_column_types"))

    def native_files(self, columns: Sequence[str] | None) -> NativeFiles | None:
        with calling_plugin(self.provenance, self._doing("the files")):
            files = native_files(self.reader, columns)
        return None if files is None else self._checked(files, NativeFiles, "native_files")

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
