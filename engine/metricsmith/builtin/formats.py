"""The built-in output formats: csv, json, parquet, markdown (builtin/markdown.py) and xlsx
(builtin/xlsx.py), registered like any plugin's.

JSON is one array of records, one record per line. Dates and timestamps are ISO 8601 strings
(timestamps with a time zone carry their offset), decimals are JSON numbers written with
every digit of the exact value (never through a float), NaN and infinities become null,
durations are numbers of seconds and binary values base64 strings.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
from collections.abc import Callable

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from metricsmith.builtin.markdown import MARKDOWN
from metricsmith.builtin.xlsx import XLSX
from metricsmith.plugins.formats import OutputFormat, atomic_output
from metricsmith.plugins.hookspecs import hookimpl

#: Writes a table in one format to an open Arrow output stream.
StreamWriter = Callable[[pa.Table, pa.NativeFile], None]


def format_from_stream_writer(
    name: str, description: str, extension: str, write_to: StreamWriter, *, binary: bool = False
) -> OutputFormat:
    """An `OutputFormat` whose file and stdout forms come from one stream writer."""

    def write(table: pa.Table, path: str) -> None:
        with atomic_output(path) as temporary, pa.OSFile(temporary, "wb") as sink:
            write_to(table, sink)

    def render(table: pa.Table) -> bytes:
        sink = pa.BufferOutputStream()
        write_to(table, sink)
        return sink.getvalue().to_pybytes()

    return OutputFormat(name, description, extension, write, render, binary)


def _write_csv(table: pa.Table, sink: pa.NativeFile) -> None:
    pa_csv.write_csv(table, sink)


def _write_parquet(table: pa.Table, sink: pa.NativeFile) -> None:
    pq.write_table(table, sink)


def _write_json(table: pa.Table, sink: pa.NativeFile) -> None:
    records = [
        "{"
        + ", ".join(f"{json.dumps(key)}: {_json_value(value)}" for key, value in row.items())
        + "}"
        for row in table.to_pylist()
    ]
    body = "[\n" + ",\n".join(records) + "\n]\n" if records else "[]\n"
    sink.write(body.encode())


def _json_value(value: object) -> str:
    match value:
        case None:
            return "null"
        case int() | str():
            return json.dumps(value)
        case float():
            return json.dumps(value) if math.isfinite(value) else "null"
        case decimal.Decimal():
            return format(value, "f")
        case dt.date() | dt.datetime() | dt.time():
            return json.dumps(value.isoformat())
        case dt.timedelta():
            return json.dumps(value.total_seconds())
        case bytes():
            return json.dumps(base64.b64encode(value).decode("ascii"))
        case dict():
            items = (f"{json.dumps(str(k))}: {_json_value(v)}" for k, v in value.items())
            return "{" + ", ".join(items) + "}"
        case list() | tuple():
            return "[" + ", ".join(_json_value(item) for item in value) + "]"
        case _:
            return json.dumps(str(value))


CSV = format_from_stream_writer(
    "csv", "Comma-separated values with a header row", "csv", _write_csv
)
JSON = format_from_stream_writer(
    "json",
    "A JSON array of records; decimals as exact numbers, dates as ISO text",
    "json",
    _write_json,
)
PARQUET = format_from_stream_writer(
    "parquet", "Apache Parquet, keeping every Arrow type", "parquet", _write_parquet, binary=True
)


@hookimpl
def metricsmith_output_formats() -> list[OutputFormat]:
    return [CSV, JSON, PARQUET, MARKDOWN, XLSX]
