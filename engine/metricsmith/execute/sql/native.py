"""Which sources an engine can read itself: the files behind the built-in `csv` and `parquet`
connectors. Everything else (in-memory tables, other formats, plugin connectors) is read
through its connector and handed to the engine as Arrow data."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds
from attrs import frozen

from metricsmith.check.checked import SourceInfo
from metricsmith.plugins.builtin.dataset_reader import DatasetReader, InMemoryReader


@frozen
class NativeFiles:
    """Files an engine can read itself, with how to read them."""

    format: str  # "csv" or "parquet"
    files: tuple[str, ...]
    #: The columns stored in the files, in file order, with the connector's types.
    file_schema: pa.Schema
    #: Columns taken from `key=value` folder names, with the connector's types.
    partitions: pa.Schema
    delimiter: str = ","
    header: bool = True


def native_files(info: SourceInfo) -> NativeFiles | None:
    reader = info.reader
    if not isinstance(reader, DatasetReader) or isinstance(reader, InMemoryReader):
        return None
    dataset = reader.dataset
    if not isinstance(dataset, ds.FileSystemDataset) or reader.schema() != dataset.schema:
        return None  # a reader that retypes columns after reading (JSON) knows better
    partitioning = dataset.partitioning
    partitions = (
        partitioning.schema if isinstance(partitioning, ds.HivePartitioning) else pa.schema([])
    )
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
