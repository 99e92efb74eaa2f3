"""Reading each source once and giving its columns the types the engine computes with.

- Columns with a declared type (`column score: integer`) are cast to it; a value that does not
  convert is a data error naming the column, the value and its row in the source (counted
  as every engine counts it, also when only a range was read).
- Timestamps are put in the calendar's time zone (the instants are unchanged); timestamps
  without a zone are wall-clock times in the calendar's zone.
- Dictionary-encoded columns are decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from metricsmith.check.checked import SourceInfo
from metricsmith.errors import DataError
from metricsmith.model.types import Type, arrow_type
from metricsmith.plan.nodes import SourceRead
from metricsmith.plugins.connector import (
    MIXED_ZONES_HINT,
    ZONE_OFFSET,
    read_batches,
    read_batches_in_any,
    time_filter,
    written_as_time,
)

Cast = Callable[[pa.Array], pa.Array]


def read_source(read: SourceRead, info: SourceInfo, timezone: str) -> pa.Table:
    try:
        table = info.reader.read(list(read.columns), read.time_range)
    except (pa.ArrowException, OSError) as error:
        raise _unreadable(read, info, error) from error
    return _normalised(table, read, info, timezone)


def read_source_batches(
    read: SourceRead, info: SourceInfo, timezone: str
) -> Iterator[pa.Table] | None:
    """The table `read_source` gives, in batches (at least one, maybe empty), or None when
    the source's reader does not read in batches."""
    try:
        batches = read_batches(info.reader, list(read.columns), read.time_range)
    except (pa.ArrowException, OSError) as error:
        raise _unreadable(read, info, error) from error
    return None if batches is None else _normalised_batches(batches, read, info, timezone)


def _normalised_batches(
    batches: Iterator[pa.RecordBatch], read: SourceRead, info: SourceInfo, timezone: str
) -> Iterator[pa.Table]:
    given = False
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            try:
                yield _normalised(pa.Table.from_batches([batch]), read, info, timezone)
            except DataError:
                # A value that does not convert: read whole, for the error to count its row
                # in the whole source.
                read_source(read, info, timezone)
                raise
            given = True
    except (pa.ArrowException, OSError) as error:
        raise _unreadable(read, info, error) from error
    if not given:  # an empty source still has its columns' types
        yield read_source(read, info, timezone)


def same_data(info: SourceInfo) -> Hashable:
    """What makes two sources' reads the same read: the connector, its arguments (relative
    paths resolved from the same folder), the reader's kind and location (an in-memory table
    bound to a source by name has its own), the declared column types and the schema.
    Sources alike in these (two timelines over one file) are read once together
    (`read_shared_batches`)."""
    call = info.decl.connector
    return (
        type(info.reader),
        info.reader.location,
        call.name.name,
        tuple((arg.value, arg.type) for arg in call.args),
        tuple((name, arg.value, arg.type) for name, arg in call.options),
        info.decl.base_dir,
        tuple(sorted(info.declared.items())),
        info.schema,
    )


def read_shared_batches(
    reads: Sequence[tuple[SourceRead, SourceInfo]], timezone: str
) -> Iterator[dict[str, pa.Table]] | None:
    """The batches `read_source_batches` gives each of several sources over the same data
    (`same_data`), read and decoded once: the columns of them all, then each source's rows
    of each batch as its own read gives them (cut to its time range, its columns typed), in
    the same order. None when the reader cannot read them together in batches."""
    (first, info), *_ = reads
    columns = list(dict.fromkeys(c for read, _ in reads for c in _needed(read)))
    ranges = list(dict.fromkeys(read.time_range for read, _ in reads))
    # One range for all: the reader cuts to it. Several: the reader keeps the rows in any of
    # them (every row, when one source needs every row), and each source's rows are cut to
    # its own range here, with the filter a reader cuts with.
    shared = ranges[0] if len(ranges) == 1 else None
    try:
        if shared is not None or None in ranges:
            batches = read_batches(info.reader, columns, shared)
        else:
            batches = read_batches_in_any(info.reader, columns, [r for r in ranges if r])
    except (pa.ArrowException, OSError) as error:
        raise _unreadable(first, info, error) from error
    if batches is None:
        return None
    schema = info.reader.schema()
    cuts = {
        read.source: None
        if read.time_range is None or read.time_range == shared
        else time_filter(schema.field(read.time_range.column), read.time_range)
        for read, _ in reads
    }
    return _shared_batches(batches, reads, cuts, timezone)


def _needed(read: SourceRead) -> tuple[str, ...]:
    return (*read.columns, *([read.time_range.column] if read.time_range else ()))


def _shared_batches(
    batches: Iterator[pa.RecordBatch],
    reads: Sequence[tuple[SourceRead, SourceInfo]],
    cuts: dict[str, ds.Expression | None],
    timezone: str,
) -> Iterator[dict[str, pa.Table]]:
    given: set[str] = set()
    (first, info), *_ = reads
    try:
        for batch in batches:
            table = pa.Table.from_batches([batch])
            rows = {}
            for read, source_info in reads:
                cut = cuts[read.source]
                own = table if cut is None else table.filter(cut)
                if own.num_rows == 0:
                    continue
                try:
                    rows[read.source] = _normalised(own, read, source_info, timezone)
                except DataError:
                    # As `_normalised_batches`: the error counts its row in the whole source.
                    read_source(read, source_info, timezone)
                    raise
                given.add(read.source)
            if rows:
                yield rows
    except (pa.ArrowException, OSError) as error:
        raise _unreadable(first, info, error) from error
    for read, source_info in reads:
        if read.source not in given:  # an empty source still has its columns' types
            yield {read.source: read_source(read, source_info, timezone)}


def _unreadable(read: SourceRead, info: SourceInfo, error: Exception) -> DataError:
    return DataError(
        f"could not read the data: {error}", source=read.source, location=info.reader.location
    )


def _normalised(table: pa.Table, read: SourceRead, info: SourceInfo, timezone: str) -> pa.Table:
    missing = [c for c in read.columns if c not in table.column_names]
    if missing:
        raise DataError(
            "the connector returned no such column",
            source=read.source,
            column=missing[0],
            location=info.reader.location,
        )
    table = table.select(list(read.columns))
    for index, name in enumerate(read.columns):
        values = _normalise(table[name], name, read, info, timezone)
        if values is not table[name]:
            table = table.set_column(index, name, values)
    return _within(table, read, timezone)


def _within(table: pa.Table, read: SourceRead, timezone: str) -> pa.Table:
    """The rows inside the read's time range (`start <= time < end`; a row without a time is
    in none), as the SQL engines keep them. A reader's cut is only a hint and may keep more
    (CSV text, a row group's neighbours, rows without a time): a row kept outside the range
    would be grouped in a period before the range that no metric of its source reads, and
    its dimension values would give the answer rows the SQL engines do not have."""
    time_range = read.time_range
    if time_range is None or time_range.column not in table.column_names:
        return table
    values = table[time_range.column]
    if pa.types.is_date(values.type):
        values = _in_zone(pc.cast(values, pa.timestamp("us")), timezone)
    if not pa.types.is_timestamp(values.type):
        return table
    inside = pc.is_valid(values)
    for bound, compare in ((time_range.start, pc.greater_equal), (time_range.end, pc.less)):
        if bound is not None:
            inside = pc.and_kleene(inside, compare(values, pa.scalar(bound, values.type)))
    return table if pc.all(inside).as_py() else table.filter(inside)


def _normalise(
    values: pa.ChunkedArray, name: str, read: SourceRead, info: SourceInfo, timezone: str
) -> pa.ChunkedArray:
    if pa.types.is_dictionary(values.type):
        values = pc.cast(values, values.type.value_type)
    declared = info.declared.get(name)
    if declared is not None:
        values = _cast_declared(values, declared, name, read, info, timezone)
    if pa.types.is_floating(values.type):
        # NaN in data is a missing value (docs/language.md), as on the SQL engines.
        nan = pc.is_nan(values)
        if pc.any(nan).as_py():
            values = pc.if_else(nan, pa.scalar(None, values.type), values)
    if pa.types.is_timestamp(values.type):
        values = _in_zone(values, timezone)
    elif pa.types.is_date64(values.type):
        values = pc.cast(values, pa.date32())
    return values


def in_microseconds(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Timestamps in microseconds, as every engine computes with them: sub-microsecond
    digits are dropped (toward zero); seconds and milliseconds widen exactly."""
    if values.type.unit == "us":
        return values
    return pc.cast(values, pa.timestamp("us", tz=values.type.tz), safe=False)


def _in_zone(values: pa.ChunkedArray, timezone: str) -> pa.ChunkedArray:
    values = in_microseconds(values)
    if values.type.tz is None:
        return pc.assume_timezone(values, timezone, ambiguous="earliest", nonexistent="latest")
    return pc.cast(values, pa.timestamp("us", tz=timezone))


def _cast_declared(
    values: pa.ChunkedArray,
    declared: Type,
    name: str,
    read: SourceRead,
    info: SourceInfo,
    timezone: str,
) -> pa.ChunkedArray:
    target = arrow_type(declared, timezone)
    if target is None or values.type == target:
        return values
    cast = _timestamp_cast(values, timezone) if declared == Type.TIMESTAMP else _plain_cast(target)
    try:
        return pa.chunked_array([cast(chunk) for chunk in values.chunks], type=None)
    except pa.ArrowException:
        pass
    column = values.combine_chunks()
    if read.time_range is not None:
        # The read was cut to the range, so its positions are not the source's rows: number
        # the row in the whole source, the first there that does not convert, as the SQL
        # engines do (they read every row before cutting). Only a failing query pays for it.
        column = info.reader.read([name], None)[name].combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = pc.cast(column, column.type.value_type)
    row = _first_failure(column, cast)
    value = column[row].as_py()
    reason, hint = _why_not(value, pc.drop_null(column).slice(0, 1), declared)
    raise DataError(
        f"cannot read {value!r} as {declared}{reason}",
        source=read.source,
        column=name,
        row=row + 1,
        location=info.reader.location,
        hint=hint or f"fix the value, or change the declared type of `{name}`",
    )


def _why_not(value: object, first: pa.Array, declared: Type) -> tuple[str, str | None]:
    """Why a value does not convert, when its type alone does not say (text timestamps: the
    first value decides whether the column holds instants or local times)."""
    if declared != Type.TIMESTAMP or not isinstance(value, str) or not len(first):
        return "", None
    first_value = first[0].as_py()
    if not isinstance(first_value, str):
        return "", None
    zoned, first_zoned = bool(ZONE_OFFSET.search(value)), bool(ZONE_OFFSET.search(first_value))
    if zoned == first_zoned or not written_as_time(value):
        return "", "write times as 2024-03-01 10:00:00 (local) or 2024-03-01T10:00:00Z"
    has, first_has = ("has a", "none") if zoned else ("has no", "one")
    return (
        f": it {has} zone offset and the column's first time, {first_value!r}, has {first_has}",
        MIXED_ZONES_HINT,
    )


def _plain_cast(target: pa.DataType) -> Cast:
    return lambda chunk: pc.cast(chunk, target)


def _timestamp_cast(values: pa.ChunkedArray, timezone: str) -> Cast:
    """Text with a zone offset gives instants; text without one is local wall-clock time (the
    first value decides which of the two the column holds). Timestamps with a zone are the
    instants they say; without one they are wall-clock times, and dates local midnights, as
    when the column is not declared."""
    if pa.types.is_timestamp(values.type) and values.type.tz is not None:
        # Already instants (a Parquet or Arrow column with a zone): only the unit changes.
        return _plain_cast(pa.timestamp("us", tz=values.type.tz))
    if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
        return _local(timezone)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return _plain_cast(pa.timestamp("us", tz="UTC"))
    sample = pc.drop_null(values).slice(0, 1)
    try:
        _text_times(sample, "UTC")
    except pa.ArrowException:
        return _local(timezone)
    return lambda chunk: _text_times(chunk, "UTC")


def _text_times(chunk: pa.Array, zone: str | None) -> pa.Array:
    """Text times in microseconds. Up to 6 fractional digits read as they are; 7 to 9 (.NET
    writes 7, `2024-01-31T23:59:59.9999999Z`) read in nanoseconds, their last digits dropped
    toward zero, as DuckDB and Spark read them (in nanoseconds only, since those end in
    2262: the common case stays in microseconds)."""
    try:
        return pc.cast(chunk, pa.timestamp("us", tz=zone))
    except pa.ArrowInvalid:
        finer = pc.cast(chunk, pa.timestamp("ns", tz=zone))
    return pc.cast(finer, pa.timestamp("us", tz=zone), safe=False)


def _local(timezone: str) -> Cast:
    """Wall-clock times (or dates, at midnight) in the calendar's zone, as instants."""

    def cast(chunk: pa.Array) -> pa.Array:
        text = pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)
        local = _text_times(chunk, None) if text else pc.cast(chunk, pa.timestamp("us"))
        return pc.assume_timezone(local, timezone, ambiguous="earliest", nonexistent="latest")

    return cast


def _first_failure(column: pa.Array, cast: Cast) -> int:
    """The first row whose value does not convert, by bisection (each step casts a slice)."""
    low, high = 0, len(column)  # the first failure lies in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        try:
            cast(column.slice(low, middle - low))
            low = middle
        except pa.ArrowException:
            high = middle
    return low
