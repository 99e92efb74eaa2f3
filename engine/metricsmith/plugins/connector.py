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

    #: Where the data comes from, for messages (a path, a table name...).
    location: str

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
    """A named way of reading data, registered through `metricsmith_connectors`."""

    #: The name used in definition files: `source x from <name>(...)`.
    name: str
    #: One line for `metricsmith plugins`.
    description: str

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
