"""The built-in file connectors: csv, parquet, jsonl and arrow (IPC file / Feather v2).

Each takes one path argument, resolved against the definition file's folder. The path may be a
file, a folder (read recursively; `key=value` folder names become columns, as Hive lays out
partitions) or a glob such as `data/events/*.parquet`. All are read through `pyarrow.dataset`.
`InMemoryReader` binds a source to an Arrow table the caller already holds.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.dataset as ds
import pyarrow.json as pa_json
from attrs import field, frozen

from metricsmith.builtin.dataset_reader import (
    READ_FAILURES,
    DatasetReader,
    InMemoryReader,
    hive_partitions,
    read_failure,
)
from metricsmith.builtin.read_errors import (
    Explainer,
    explain_csv,
    explain_generic,
    explain_json,
    explain_stored,
    file_named_in,
    undecodable_header,
)
from metricsmith.errors import DataError
from metricsmith.plugins.connector import Connector, SourceReader
from metricsmith.plugins.hookspecs import hookimpl

__all__ = ["ARROW", "CSV", "JSONL", "PARQUET", "FileConnector", "InMemoryReader"]

_TYPE_WORDS = {str: "a string", bool: "true or false"}
_PARTITIONINGS = ("hive", "none")


@frozen
class FileConnector:
    """A connector reading files of one format through `pyarrow.dataset`."""

    name: str
    description: str
    #: The pyarrow file format for the validated options and the column types the reader must
    #: parse with (see `parses`); raises ValueError for a bad option value.
    file_format: Callable[[Mapping[str, object], Mapping[str, pa.DataType]], ds.FileFormat]
    #: Options this format accepts besides `partitioning`, with the Python type of each.
    options: Mapping[str, type] = field(factory=dict)
    #: The explainer of the format's read errors for a source's options (a CSV file's line
    #: numbers count its header line, when it has one).
    explain: Callable[[Mapping[str, object]], Explainer] = lambda settings: explain_generic
    #: Columns whose inferred type is wrong for this format, with the type they should have.
    retype: Callable[[ds.Dataset], Mapping[str, pa.DataType]] | None = None
    #: The path argument, for confined projects (see `Connector`).
    path_arguments: tuple[int | str, ...] = (0,)
    #: Whether the format's parser reads text as a given type itself (declared types are then
    #: parsed, not inferred and cast afterwards); formats that store types parse none.
    parses: Callable[[pa.DataType], bool] = lambda dtype: False

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
    ) -> SourceReader:
        if len(args) != 1 or not isinstance(args[0], str):
            raise self._usage_error(f"takes one path argument, got {len(args)}", source_name)
        settings = self._settings(options, source_name)
        try:
            self.file_format(settings, {})
        except ValueError as problem:
            raise self._usage_error(str(problem), source_name) from None
        location, source = _locate(args[0], base_dir, source_name)
        opening = _Opening(self, settings, source_name, location, source)
        return opening.reader(opening.dataset({}, None), {})

    def _settings(self, options: Mapping[str, object], source_name: str) -> dict[str, object]:
        accepted = {"partitioning": str, **self.options}
        for name, value in options.items():
            if name not in accepted:
                raise self._usage_error(
                    f"has no option `{name}`; it accepts {', '.join(sorted(accepted))}",
                    source_name,
                )
            if not isinstance(value, accepted[name]):
                raise self._usage_error(
                    f"option `{name}` must be {_TYPE_WORDS[accepted[name]]}", source_name
                )
        if options.get("partitioning", "hive") not in _PARTITIONINGS:
            raise self._usage_error(
                f"option `partitioning` must be one of {', '.join(_PARTITIONINGS)}", source_name
            )
        return dict(options)

    def _usage_error(self, message: str, source_name: str) -> DataError:
        return DataError(
            f"{self.name}() {message}",
            source=source_name,
            hint=f'write it as {self.name}("path/to/data"{self._options_example()})',
        )

    def _options_example(self) -> str:
        return "".join(f", {name}=..." for name in self.options)


@frozen
class _Opening:
    """One source's files, opened with inferred column types and again with declared ones."""

    connector: FileConnector
    settings: Mapping[str, object]
    source_name: str
    location: str
    source: str | list[str]

    def dataset(self, types: Mapping[str, pa.DataType], inferred: ds.Dataset | None) -> ds.Dataset:
        """The files as a dataset; with `types`, those columns of the `inferred` dataset are
        given to the parser (and the schema is fixed, so nothing is read to infer it)."""
        single_file = isinstance(self.source, str) and os.path.isfile(self.source)
        hive = not single_file and self.settings.get("partitioning", "hive") == "hive"
        partitioning: object = "hive" if hive else None
        schema = None
        if inferred is not None:
            schema = _with_types(inferred.schema, types)
            if isinstance(inferred.partitioning, ds.HivePartitioning):
                partition_fields = _with_types(hive_partitions(inferred), types)
                partitioning = ds.partitioning(partition_fields, flavor="hive")
        partitions = _partition_names(inferred) if inferred is not None else []
        in_files = {name: dtype for name, dtype in types.items() if name not in partitions}
        try:
            file_format = self.connector.file_format(self.settings, in_files)
            dataset = ds.dataset(
                self.source,
                format=file_format,
                schema=schema,
                partitioning=partitioning,
                partition_base_dir=(
                    _fixed_prefix(self.location) if hive and isinstance(self.source, list) else None
                ),
            )
        except READ_FAILURES as failure:
            raise read_failure(
                failure,
                source_name=self.source_name,
                location=file_named_in(str(failure)) or self.location,
                schema=None,
                explain=self.explain,
            ) from failure
        try:
            dataset.schema.names  # noqa: B018 (column names that are not UTF-8 fail here)
        except UnicodeDecodeError:
            raise undecodable_header(dataset.files, self.source_name, self.location) from None
        return dataset

    @property
    def explain(self) -> Explainer:
        """The format's explainer for this source's options."""
        return self.connector.explain(self.settings)

    def reader(self, dataset: ds.Dataset, types: Mapping[str, pa.DataType]) -> DatasetReader:
        if not dataset.files:
            raise DataError(
                "the folder holds no data files",
                source=self.source_name,
                location=self.location,
                hint="files whose names start with `.` or `_` are skipped",
            )
        retype = self.connector.retype
        return DatasetReader(
            dataset,
            source_name=self.source_name,
            location=self.location,
            retyped=retype(dataset) if retype else None,
            explain=self.explain,
            parsed=types,
            reopen=self._reopen,
        )

    def _reopen(self, inferred: ds.Dataset, types: Mapping[str, pa.DataType]) -> DatasetReader:
        partitions = _partition_names(inferred)
        parsed = {
            name: dtype
            for name, dtype in types.items()
            if name in inferred.schema.names
            and (name in partitions or self.connector.parses(dtype))
        }
        if not parsed:
            return self.reader(inferred, {})
        return self.reader(self.dataset(parsed, inferred), parsed)


def _partition_names(dataset: ds.Dataset) -> list[str]:
    """The columns taken from `key=value` folder names (text, whatever the file format)."""
    return hive_partitions(dataset).names


def _with_types(schema: pa.Schema, types: Mapping[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(f.name, types.get(f.name, f.type)) for f in schema])


def _locate(path: str, base_dir: str, source_name: str) -> tuple[str, str | list[str]]:
    """The resolved location, and what to read there: a file, a folder or a glob's files."""
    location = os.path.normpath(os.path.join(base_dir, os.path.expanduser(path)))
    relative_hint = (
        None
        if os.path.isabs(os.path.expanduser(path))
        else f"relative paths are resolved against the definition file's folder, {base_dir}"
    )
    if _is_pattern(location):
        files = sorted(f for f in glob.glob(location, recursive=True) if os.path.isfile(f))
        if not files:
            raise DataError(
                f"no files match `{path}`",
                source=source_name,
                location=location,
                hint=relative_hint,
            )
        return location, files
    if not os.path.exists(location):
        raise DataError(
            f"file not found: `{path}`",
            source=source_name,
            location=location,
            hint=relative_hint or "check the path",
        )
    return location, location


def _is_pattern(path: str) -> bool:
    return any(character in path for character in "*?[")


def _fixed_prefix(pattern: str) -> str:
    """The folder above the first path component holding a glob pattern: where Hive-style
    `key=value` folder names start to count."""
    parts = pattern.split(os.sep)
    first_pattern = next(i for i, part in enumerate(parts) if _is_pattern(part))
    return os.sep.join(parts[:first_pattern]) or os.sep


def _csv_format(settings: Mapping[str, object], types: Mapping[str, pa.DataType]) -> ds.FileFormat:
    delimiter = settings.get("delimiter", ",")
    if len(str(delimiter)) != 1:
        raise ValueError(f"option `delimiter` must be one character, got {delimiter!r}")
    return ds.CsvFileFormat(
        parse_options=pa_csv.ParseOptions(delimiter=delimiter),
        read_options=pa_csv.ReadOptions(autogenerate_column_names=not settings.get("header", True)),
        # An empty cell is a missing value, in text columns too; nothing else is (pyarrow's
        # default list would also turn a region code "NA" or a name "NULL" into a null).
        convert_options=pa_csv.ConvertOptions(
            strings_can_be_null=True, null_values=[""], column_types=dict(types)
        ),
    )


def _csv_explainer(settings: Mapping[str, object]) -> Explainer:
    return functools.partial(explain_csv, header=bool(settings.get("header", True)))


def _json_format(settings: Mapping[str, object], types: Mapping[str, pa.DataType]) -> ds.FileFormat:
    schema = pa.schema(list(types.items())) if types else None
    return ds.JsonFileFormat(
        parse_options=pa_json.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="infer"
        )
    )


def _json_parses(dtype: pa.DataType) -> bool:
    """JSON numbers are parsed as a declared float or decimal (exactly, from their digits);
    other declared types are cast after reading, because a JSON reader refuses a number
    where its schema says text."""
    return pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_WITH_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def _json_time_types(dataset: ds.Dataset) -> dict[str, pa.DataType]:
    """pyarrow's JSON reader turns "2024-03-01" into a timestamp and drops the zone of
    "2024-03-01T10:00:00Z" after converting it to UTC. The first record shows which of its
    timestamp columns are really dates and which were written with a zone (so hold UTC)."""
    timestamps = [f for f in dataset.schema if pa.types.is_timestamp(f.type)]
    sample = _first_json_record(dataset.files[0]) if timestamps and dataset.files else {}
    retyped: dict[str, pa.DataType] = {}
    for column in timestamps:
        value = sample.get(column.name)
        if not isinstance(value, str):
            continue
        if _DATE_ONLY.fullmatch(value):
            retyped[column.name] = pa.date32()
        elif _WITH_ZONE.search(value):
            retyped[column.name] = pa.timestamp(column.type.unit, tz="UTC")
    return retyped


def _first_json_record(path: str) -> dict[str, object]:
    """The first object of a JSON lines file; empty when there is none or it cannot be read
    (reading the data reports that properly)."""
    try:
        with open(path, "rb") as handle:
            line = next((line for line in handle if line.strip()), b"{}")
            record = json.loads(line)
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


CSV = FileConnector(
    "csv",
    "CSV files (options: delimiter, header, partitioning)",
    _csv_format,
    options={"delimiter": str, "header": bool},
    explain=_csv_explainer,
    # CSV holds only text: every declared type is parsed as declared (`00001` stays `00001`).
    parses=lambda dtype: True,
)
PARQUET = FileConnector(
    "parquet",
    "Parquet files, with column projection and time-range pushdown",
    lambda settings, types: ds.ParquetFileFormat(),
    explain=lambda settings: explain_stored("Parquet"),
)
JSONL = FileConnector(
    "jsonl",
    "Newline-delimited JSON files, one object per line",
    _json_format,
    explain=lambda settings: explain_json,
    retype=_json_time_types,
    parses=_json_parses,
)
ARROW = FileConnector(
    "arrow",
    "Arrow IPC files (Feather v2)",
    lambda settings, types: ds.IpcFileFormat(),
    explain=lambda settings: explain_stored("Arrow"),
)


@hookimpl
def metricsmith_connectors() -> list[Connector]:
    return [CSV, PARQUET, JSONL, ARROW]
