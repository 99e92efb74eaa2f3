"""A `SourceReader` over a pyarrow dataset: files on disk, or an Arrow table held in memory.

Reading goes through `pyarrow.dataset`, so the engine's column list becomes a projection and
its time range a dataset filter, which Parquet uses to skip row groups and files.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import PurePath

import pyarrow as pa
import pyarrow.dataset as ds

from metricsmith.builtin.read_errors import (
    Explainer,
    explain_generic,
    file_named_in,
    undecodable_in,
    undecodable_text,
)
from metricsmith.errors import DataError
from metricsmith.plugins.connector import NativeFiles, TimeRange, require_columns, time_filter

#: Scan options reading a file's columns as they are needed.
_UNBUFFERED = ds.ParquetFragmentScanOptions(pre_buffer=False)
#: Rows in a batch of a Parquet row group read in batches: twice pyarrow's default, as each
#: batch costs the Arrow engine a fixed amount of work besides its rows (at the default, 7%
#: of the CPU time of the families benchmark's support query on one thread), and a row group
#: is held whole while its batches are read anyway.
_BATCH_ROWS = 1 << 18
#: What pyarrow raises for unreadable data (ArrowException) or files (OSError).
READ_FAILURES = (pa.ArrowException, OSError)


class DatasetReader:
    """Reads a pyarrow dataset. `retyped` gives columns whose type the dataset infers wrongly
    the type they should have (cast after reading), and `explain` turns pyarrow's error
    messages for this file format into data errors. `reopen` opens the files again with
    declared column types (see `with_column_types`); `parsed` are the types it was given."""

    def __init__(
        self,
        dataset: ds.Dataset,
        *,
        source_name: str,
        location: str,
        retyped: Mapping[str, pa.DataType] | None = None,
        explain: Explainer = explain_generic,
        parsed: Mapping[str, pa.DataType] | None = None,
        reopen: Callable[[ds.Dataset, Mapping[str, pa.DataType]], DatasetReader] | None = None,
    ):
        self.dataset = dataset
        self.source_name = source_name
        self.location = location
        self._retyped = dict(retyped or {})
        self._explain = explain
        self.parsed = dict(parsed or {})
        self._reopen = reopen

    def with_column_types(self, types: Mapping[str, pa.DataType]) -> DatasetReader:
        """This source read with the declared column `types` where the file format parses
        them itself (CSV text as a string stays `00001`); other columns keep their types."""
        if self._reopen is None:
            return self
        return self._reopen(self.dataset, types)

    def schema(self) -> pa.Schema:
        schema = self.dataset.schema
        for name, dtype in self._retyped.items():
            schema = schema.set(schema.get_field_index(name), pa.field(name, dtype))
        return schema

    def read(
        self, columns: Sequence[str] | None = None, time_range: TimeRange | None = None
    ) -> pa.Table:
        wanted = list(dict.fromkeys(columns)) if columns is not None else None
        self.require([*(wanted or ()), *([time_range.column] if time_range else ())])
        row_filter = None
        if time_range is not None:
            row_filter = time_filter(self.dataset.schema.field(time_range.column), time_range)
        try:
            table = self.dataset.to_table(columns=wanted, filter=row_filter)
        except READ_FAILURES as failure:
            if "invalid UTF8" in str(failure):
                self._require_utf8(_text_columns(self.dataset.schema))
            raise self._read_failure(failure) from failure
        if isinstance(getattr(self.dataset, "format", None), ds.JsonFileFormat):
            self._require_valid_json_text(table, filtered=row_filter is not None)
        return self._retype(table)

    def read_batches(
        self, columns: Sequence[str], time_range: TimeRange | None = None
    ) -> Iterator[pa.RecordBatch] | None:
        """The rows `read` gives, a batch at a time: for Parquet files and Arrow tables in
        memory whose types need no retyping (the other formats check what they read whole)."""
        return self.read_batches_in_any(columns, [] if time_range is None else [time_range])

    def read_batches_in_any(
        self, columns: Sequence[str], time_ranges: Sequence[TimeRange]
    ) -> Iterator[pa.RecordBatch] | None:
        """The rows in any of `time_ranges` (every row: none given), a batch at a time, with
        one filter: Parquet skips the row groups none of the ranges reaches."""
        dataset = self.dataset
        in_memory = isinstance(dataset, ds.InMemoryDataset)
        parquet = isinstance(getattr(dataset, "format", None), ds.ParquetFileFormat)
        if self._retyped or not (in_memory or parquet):
            return None
        wanted = list(dict.fromkeys(columns))
        self.require([*wanted, *(time_range.column for time_range in time_ranges)])
        filters = [time_filter(dataset.schema.field(r.column), r) for r in time_ranges]
        row_filter = None
        if filters and all(f is not None for f in filters):  # else a range keeps every row
            row_filter = functools.reduce(operator.or_, filters)
        return self._batches(wanted, row_filter)

    def _read_failure(self, failure: Exception) -> Exception:
        """The data error a failed read becomes, naming the source and the failing file."""
        return read_failure(
            failure,
            source_name=self.source_name,
            location=self._failing_file(failure) or self.location,
            schema=self.dataset.schema,
            explain=self._explain,
            declared=self.parsed,
        )

    def _batches(
        self, columns: list[str], row_filter: ds.Expression | None
    ) -> Iterator[pa.RecordBatch]:
        try:
            yield from self._scanned(columns, row_filter)
        except READ_FAILURES as failure:
            raise self._read_failure(failure) from failure

    def _scanned(
        self, columns: list[str], row_filter: ds.Expression | None
    ) -> Iterator[pa.RecordBatch]:
        dataset = self.dataset
        if isinstance(dataset, ds.InMemoryDataset):
            yield from dataset.to_batches(columns=columns, filter=row_filter)
            return
        # A Parquet row group at a time, read when it is wanted: a scanner of the whole
        # dataset reads ahead of a slow consumer and would hold most of the file.
        for fragment in dataset.get_fragments(filter=row_filter):
            for row_group in fragment.split_by_row_group(row_filter):
                table = row_group.to_table(
                    schema=dataset.schema,
                    columns=columns,
                    filter=row_filter,
                    fragment_scan_options=_UNBUFFERED,
                    batch_size=_BATCH_ROWS,
                )
                yield from table.to_batches()
                del table

    def _require_valid_json_text(self, table: pa.Table, *, filtered: bool) -> None:
        """pyarrow's JSON reader does not check that strings are UTF-8 (its CSV reader does)."""
        try:
            table.validate(full=True)
        except pa.ArrowInvalid:
            files = getattr(self.dataset, "files", [])
            problem = undecodable_in(
                table,
                self.source_name,
                location=files[0] if len(files) == 1 else self.location,
                rows=len(files) == 1 and not filtered,
            )
            if problem is not None:
                raise problem from None
            raise

    def _retype(self, table: pa.Table) -> pa.Table:
        for name, dtype in self._retyped.items():
            if name not in table.column_names:
                continue
            read = table[name]
            converted = read.cast(dtype, safe=False)
            # Only a column retyped to dates can lose anything: a time of day.
            if not converted.cast(read.type).equals(read):
                raise DataError(
                    "the column holds dates in some rows and timestamps in others",
                    source=self.source_name,
                    location=self.location,
                    column=name,
                    hint="write every value of the column the same way",
                )
            table = table.set_column(table.schema.get_field_index(name), name, converted)
        return table

    def require(self, columns: Sequence[str]) -> None:
        """Raise the data error an engine would meet reading `columns`: a column the source
        lacks, or text that is not UTF-8. DuckDB decodes every line of a CSV file, whichever
        columns it needs, so on every engine a CSV value that is not UTF-8 is an error
        whichever columns are read."""
        if isinstance(getattr(self.dataset, "format", None), ds.CsvFileFormat):
            undecoded = [f.name for f in self.dataset.schema if pa.types.is_binary(f.type)]
            self._require_utf8(undecoded)
        require_columns(
            self.schema(), columns, source_name=self.source_name, location=self.location
        )

    def native_files(self, columns: Sequence[str] | None) -> NativeFiles | None:
        """The files, when a SQL engine reading them itself gets this reader's schema: CSV
        and Parquet files whose types need no retyping after reading (JSON's do)."""
        if columns is not None:
            self.require(columns)
        dataset = self.dataset
        if not isinstance(dataset, ds.FileSystemDataset) or self.schema() != dataset.schema:
            return None
        partitions = hive_partitions(dataset)
        file_schema = pa.schema([f for f in dataset.schema if f.name not in partitions.names])
        files = tuple(dataset.files)
        file_format = dataset.format
        if isinstance(file_format, ds.ParquetFileFormat):
            return NativeFiles("parquet", files, file_schema, partitions)
        if isinstance(file_format, ds.CsvFileFormat):
            read_options = file_format.default_fragment_scan_options.read_options
            return NativeFiles(
                "csv",
                files,
                file_schema,
                partitions,
                delimiter=file_format.parse_options.delimiter,
                header=not read_options.autogenerate_column_names,
            )
        return None

    def _require_utf8(self, columns: Sequence[str]) -> None:
        if not columns or not isinstance(self.dataset, ds.FileSystemDataset):
            return
        problem = undecodable_text(self.dataset, columns, self.source_name)
        if problem is not None:
            raise problem

    def _failing_file(self, failure: Exception) -> str | None:
        """The file a read failure comes from: named in the message, the only file, or found
        by reading the files one by one (only ever done on this error path)."""
        files = getattr(self.dataset, "files", [])
        if named := file_named_in(str(failure)):
            return named
        if len(files) <= 1:
            return files[0] if files else None
        for fragment in self.dataset.get_fragments():
            try:
                fragment.to_table(schema=self.dataset.schema)
            except READ_FAILURES:
                return fragment.path
        return None


def _text_columns(schema: pa.Schema) -> list[str]:
    return [
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]


def read_failure(
    failure: Exception,
    *,
    source_name: str,
    location: str,
    schema: pa.Schema | None,
    explain: Explainer,
    declared: Mapping[str, pa.DataType] | None = None,
) -> DataError:
    """The data error for a pyarrow failure while reading the file at `location`; a value
    of a `declared` column that does not parse is the declaration's problem or the value's."""
    detail = explain(str(failure), location, schema)
    hint = detail.hint
    if detail.column is not None and detail.column in (declared or {}):
        hint = f"fix the value, or change the declared type of `{detail.column}`"
    return DataError(
        detail.message,
        source=source_name,
        location=location,
        column=detail.column,
        row=detail.row,
        hint=hint,
    )


class InMemoryReader(DatasetReader):
    """A source bound to an Arrow table the caller already holds."""

    def __init__(self, table: pa.Table, location: str, *, source_name: str | None = None):
        super().__init__(ds.dataset(table), source_name=source_name or location, location=location)

    def native_files(self, columns: Sequence[str] | None) -> NativeFiles | None:
        return None  # the rows are in this process: an engine is handed them as Arrow data


def hive_partitions(dataset: ds.Dataset) -> pa.Schema:
    """The columns a dataset takes from `key=value` folder names. pyarrow reports a hive
    partitioning over every column of a plain folder of files, whose folders name none (DuckDB
    then refused every column as "not a partition"): a column counts only where some file's
    folder is named after it."""
    partitioning = dataset.partitioning
    if not isinstance(partitioning, ds.HivePartitioning):
        return pa.schema([])
    named = {
        folder.split("=", 1)[0]
        for path in getattr(dataset, "files", ())
        for folder in PurePath(path).parent.parts
        if "=" in folder
    }
    return pa.schema([f for f in partitioning.schema if f.name in named])
