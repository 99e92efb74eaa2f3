"""What a connector is: the contract between the engine and a data-source plugin.

A connector turns the arguments written in a `source ... from name(args)` declaration into a
`SourceReader`. The engine asks a reader for its schema at check time and for data at query
time, naming only the columns it needs and the time range it will look at, so a reader that
can push those down (Parquet, a database) reads less.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import pyarrow as pa
from attrs import frozen

from metricsmith.plugins.provenance import Provenance, calling_plugin


@frozen
class TimeRange:
    """Rows with `start <= column < end` are needed (either bound may be None).

    Bounds are timezone-aware UTC datetimes. This is a hint: a reader may return extra rows,
    and the engine filters again, but it must not drop rows inside the range."""

    column: str
    start: dt.datetime | None
    end: dt.datetime | None


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
class Connector(Protocol):
    """A named way of reading data, registered through `metricsmith_connectors`.

    A connector may also have `path_arguments`: a tuple of the positions (0-based) and option
    names of the arguments that are file paths, `(0,)` for `csv("data/x.csv")`, `()` for one
    reading no files. A confined project (docs/security.md) uses a connector only when it has
    them; the engine checks those paths before `open` is called."""

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

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
    ) -> SourceReader:
        with calling_plugin(self.provenance, f"while opening source `{source_name}`"):
            reader = self.connector.open(args, options, base_dir=base_dir, source_name=source_name)
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

    def _doing(self, what: str) -> str:
        return f"while reading {what} of source `{self.source_name}`"

    def _checked(self, value: object, expected: type, method: str):
        if not isinstance(value, expected):
            raise self.provenance.failure(
                f"returned {type(value).__name__} from `{method}` of source "
                f"`{self.source_name}`, not a pyarrow.{expected.__name__}"
            )
        return value
