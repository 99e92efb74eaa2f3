"""Turning pyarrow's read failures into `DataError`s that name the file, column and row.

pyarrow reports a bad value as one long message ("Error creating dataset. Could not read schema
from ...: In CSV column #1: Row #7: CSV conversion error to int64: invalid value 'abc'"). Users
need the useful end of it plus the column and row as fields, so the message is taken apart here,
one explainer per file format.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.json as pa_json
from attrs import frozen


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
    "the column's type was inferred from the first rows of the file; fix the value or make "
    "the column hold one kind of value"
)


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


def explain_csv(message: str, file: str | None, schema: pa.Schema | None) -> ErrorDetail:
    """CSV messages carry the row ("Row #7", counting the header as row 1) and, for values
    that do not convert, the column index ("In CSV column #1")."""
    core = core_message(message)
    row = re.search(r"Row #(\d+): ", core)
    column_index = re.search(r"In CSV column #(\d+): ", core)
    column = None
    if column_index and schema is not None and int(column_index.group(1)) < len(schema):
        column = schema.names[int(column_index.group(1))]
    text = core[row.end() :] if row else core
    is_conversion = "conversion error" in text
    return ErrorDetail(
        text,
        column=column,
        row=int(row.group(1)) if row else None,
        hint=_TYPE_HINT if is_conversion else "check the delimiter and the quoting of that row",
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
        hint=_TYPE_HINT if column else "each line must be one complete JSON object",
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
