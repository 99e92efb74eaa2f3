"""Turning pyarrow's read failures into `DataError`s that name the file, column and row.

pyarrow reports a bad value as one long message ("Error creating dataset. Could not read schema
from ...: In CSV column #1: Row #7: CSV conversion error to int64: invalid value 'abc'"). Users
need the useful end of it plus the column and row as fields, so the message is taken apart here,
one explainer per file format.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.json as pa_json
from attrs import frozen

from metricsmith.errors import DataError
from metricsmith.plugins.connector import MIXED_ZONES_HINT, ZONE_OFFSET, written_as_time


@frozen
class ErrorDetail:
    """What went wrong, as far as the message tells: a short text, the column and the row."""

    message: str
    column: str | None = None
    row: int | None = None
    hint: str | None = None


#: (pyarrow's message, the failing file if known, the columns the reader expected if known).
Explainer = Callable[[str, "str | None", "pa.Schema | None"], ErrorDetail]

_TYPE_HINT = (
    "fix the value; a column's type is inferred from the first rows of the file unless the "
    "source declares it (`column {column}: string`)"
)
UTF8_HINT = "save the file as UTF-8 text; metricsmith reads CSV and JSON files as UTF-8"


def file_named_in(message: str) -> str | None:
    """The file a pyarrow message is about, when it quotes one."""
    found = re.search(r"(?:from|input source) '([^']+)'", message)
    return found.group(1) if found else None


def core_message(message: str) -> str:
    """The end of pyarrow's message that says what is wrong, without the wrappers."""
    core = re.split(r"input source '[^']*': ", message)[-1].strip()
    return core.removeprefix("Invalid: ").strip()


def explain_generic(message: str, file: str | None, schema: pa.Schema | None) -> ErrorDetail:
    return ErrorDetail(core_message(message))


#: What pyarrow says of a file that is not a whole Parquet or Arrow file.
_NOT_A_WHOLE_FILE = re.compile(
    r"file size is 0 bytes|magic bytes not found|File is too small|Not an Arrow file", re.I
)


def explain_stored(format_name: str) -> Explainer:
    """The explainer for a format that stores its types (Parquet, Arrow IPC): what goes wrong
    in such a file is mostly the file itself, empty, cut short or in another format."""

    def explain(message: str, file: str | None, schema: pa.Schema | None) -> ErrorDetail:
        core = core_message(message)
        if not _NOT_A_WHOLE_FILE.search(core):
            return ErrorDetail(core)
        return ErrorDetail(
            f"not a whole {format_name} file ({core.rstrip('.')})",
            hint=(
                "an empty or cut-short file was not written to the end: write it again; "
                "a file in another format is read with its own connector "
                "(`csv(...)`, `jsonl(...)`, `parquet(...)`, `arrow(...)`)"
            ),
        )

    return explain


def explain_csv(
    message: str, file: str | None, schema: pa.Schema | None, *, header: bool = True
) -> ErrorDetail:
    """CSV messages carry the line ("Row #7", the header being line 1), which becomes the
    data row (the header not counted, as every engine counts), and, for values that do not
    convert, the column index ("In CSV column #1")."""
    core = core_message(message)
    line = re.search(r"Row #(\d+): ", core)
    column_index = re.search(r"In CSV column #(\d+): ", core)
    column = None
    if column_index and schema is not None and int(column_index.group(1)) < len(schema):
        column = schema.names[int(column_index.group(1))]
    text = core[line.end() :] if line else core
    row = int(line.group(1)) - header if line else None
    if "invalid UTF8 data" in text:
        return ErrorDetail("the value is not UTF-8 text", column=column, row=row, hint=UTF8_HINT)
    failed = _failed_conversion(text)
    if failed is not None:
        target, value = failed
        if "tz=" in target and written_as_time(value) and not ZONE_OFFSET.search(value):
            return ErrorDetail(
                f"cannot read {value!r} as timestamp: it has no zone offset and the "
                "column's first times have one",
                column=column,
                row=row,
                hint=MIXED_ZONES_HINT,
            )
        return ErrorDetail(
            f"cannot read {value!r} as {type_word(target)}",
            column=column,
            row=row,
            hint=_TYPE_HINT.format(column=column or "name"),
        )
    if "Empty CSV file" in text:
        return ErrorDetail(
            "the file is empty: it has no header line naming the columns",
            hint="write the header line even when there are no rows yet "
            "(a header and no rows is an empty source)",
        )
    if "Rescaling Decimal" in text:
        return ErrorDetail(
            "a value has more decimal places than a decimal keeps (9)",
            column=column,
            row=row,
            hint="round the values to 9 decimal places, or declare the column `float`",
        )
    return ErrorDetail(
        text, column=column, row=row, hint="check the delimiter and the quoting of that row"
    )


def _failed_conversion(text: str) -> tuple[str, str] | None:
    """The target type (`tz=` in it for a zoned timestamp) and the value of a CSV value that
    failed to convert, or None for another error."""
    conversion = re.search(r"conversion error to (.+): invalid value '(.*)'$", text)
    if conversion:
        return conversion.group(1), conversion.group(2)
    missing_zone = re.search(r"conversion error to .+: expected a zone offset in '(.*)'\.", text)
    if missing_zone:
        return "tz=", missing_zone.group(1)
    return None


def type_word(arrow_type: str) -> str:
    """The language's word for an Arrow type named in a message (int64: integer)."""
    for prefix, word in _TYPE_WORDS:
        if arrow_type.startswith(prefix):
            return word
    return arrow_type


_TYPE_WORDS = (
    ("int", "integer"),
    ("uint", "integer"),
    ("double", "float"),
    ("float", "float"),
    ("decimal", "decimal"),
    ("bool", "boolean"),
    ("date", "date"),
    ("timestamp", "timestamp"),
    ("string", "string"),
)


def explain_json(message: str, file: str | None, schema: pa.Schema | None) -> ErrorDetail:
    """JSON messages count rows within a block of the file, so the line is found again by
    parsing ever shorter prefixes of the file."""
    text = re.sub(r" in row \d+$", "", core_message(message)).removeprefix("JSON parse error: ")
    column = re.search(r"Column\(/([^)/]+)\):? *", text)
    if column:  # reported as a field of its own
        text = text[: column.start()] + text[column.end() :]
    return ErrorDetail(
        text,
        column=column.group(1) if column else None,
        row=first_bad_json_line(file, schema) if file else None,
        hint=(
            _TYPE_HINT.format(column=column.group(1))
            if column
            else "each line must be one complete JSON object"
        ),
    )


def first_bad_json_line(path: str, schema: pa.Schema | None) -> int | None:
    """The 1-based number of the first line that cannot be read, found by bisecting on the
    number of leading lines read (a prefix fails once it contains the bad line)."""
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        lines = handle.readlines()
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")

    def fails(count: int) -> bool:
        try:
            pa_json.read_json(pa.BufferReader(b"".join(lines[:count])), parse_options=options)
        except pa.ArrowInvalid:
            return True
        return False

    good, bad = 0, len(lines)
    if not fails(bad):
        return None
    while bad - good > 1:
        middle = (good + bad) // 2
        good, bad = (good, middle) if fails(middle) else (middle, bad)
    return bad


def undecodable_header(files: Sequence[str], source_name: str, location: str) -> DataError:
    """The error for column names that are not UTF-8 (a CSV header, the keys of the first
    JSON object), naming the file and the byte."""
    for path in files:
        with open(path, "rb") as handle:
            first_line = handle.readline()
        try:
            first_line.decode("utf-8")
        except UnicodeDecodeError as problem:
            return DataError(
                f"the column names are not UTF-8 text: {_bad_byte(first_line, problem)} "
                "of the first line",
                source=source_name,
                location=path,
                hint=UTF8_HINT,
            )
    return DataError(
        "the column names are not UTF-8 text", source=source_name, location=location, hint=UTF8_HINT
    )


def undecodable_text(
    dataset: ds.FileSystemDataset, columns: Sequence[str], source_name: str
) -> DataError | None:
    """The error for the first value of the text `columns` of a CSV dataset that is not
    UTF-8 (read as bytes to find it), naming the file, column, data row and byte."""
    as_bytes = pa.schema([(column, pa.binary()) for column in columns])
    for fragment in dataset.get_fragments():
        table = fragment.to_table(columns=list(columns), schema=as_bytes)
        problem = undecodable_in(table, source_name, location=fragment.path, rows=True)
        if problem is not None:
            return problem
    return None


def undecodable_in(
    table: pa.Table, source_name: str, *, location: str, rows: bool
) -> DataError | None:
    """The error for the first text or bytes value of `table` that is not UTF-8 (columns in
    order, then rows); its row only when `rows` (the table holds every row of one file)."""
    for column in table.column_names:
        values = table[column]
        if not (pa.types.is_string(values.type) or pa.types.is_binary(values.type)):
            continue
        for index, value in enumerate(values.cast(pa.binary()).to_pylist()):
            try:
                if value is not None:
                    value.decode("utf-8")
            except UnicodeDecodeError as problem:
                return DataError(
                    f"the value {value!r} is not UTF-8 text: {_bad_byte(value, problem)}",
                    source=source_name,
                    location=location,
                    column=column,
                    row=index + 1 if rows else None,
                    hint=UTF8_HINT,
                )
    return None


def _bad_byte(text: bytes, problem: UnicodeDecodeError) -> str:
    return f"byte 0x{text[problem.start]:02x} at position {problem.start + 1}"
