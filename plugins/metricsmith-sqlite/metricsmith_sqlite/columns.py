"""How SQLite values become Arrow columns.

SQLite stores a type per value, not per column; the declared type of a column is advice. So the
declared type picks a *kind*, the kind fixes the Arrow type, and every value must fit it. A
column without a usable declaration (no type, BLOB, NUMERIC, DECIMAL, or an expression in a
query) is typed from its values.

| declared type contains    | kind      | Arrow type                                      |
|---------------------------|-----------|-------------------------------------------------|
| DATETIME or TIMESTAMP     | timestamp | timestamp[us]; tz UTC when the text has offsets |
| exactly DATE              | date      | date32                                          |
| BOOL                      | boolean   | bool (from 0 and 1)                             |
| INT                       | integer   | int64                                           |
| CHAR, CLOB or TEXT        | text      | string                                          |
| REAL, FLOA or DOUB        | real      | float64                                         |
| anything else, or nothing | inferred  | int64, float64, string or binary                |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pyarrow as pa


class ValueMismatch(Exception):
    """A value that does not fit its column's kind, at a 0-based row index."""

    def __init__(self, row_index: int, message: str):
        self.row_index = row_index
        super().__init__(message)


def kind_of(declared: str) -> str:
    """The kind of a column from its declared type, following SQLite's affinity rules
    (`INT` anywhere means integer...) with dates, timestamps and booleans recognised first."""
    upper = declared.upper()
    if "DATETIME" in upper or "TIMESTAMP" in upper:
        return "timestamp"
    if upper.strip() == "DATE":
        return "date"
    if "BOOL" in upper:
        return "boolean"
    if "INT" in upper:
        return "integer"
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "inferred"


def to_arrow(values: Sequence[object], kind: str) -> pa.Array:
    """The column's values as an Arrow array; raises ValueMismatch for a value that does not
    fit the kind."""
    return _CONVERTERS[kind](values)


def _checked(
    values: Sequence[object], accepts: Callable[[object], bool], wanted: str
) -> Sequence[object]:
    for index, value in enumerate(values):
        if value is not None and not accepts(value):
            raise ValueMismatch(index, f"{value!r} is not {wanted}")
    return values


def _integers(values: Sequence[object]) -> pa.Array:
    return pa.array(_checked(values, lambda v: isinstance(v, int), "an integer"), pa.int64())


def _reals(values: Sequence[object]) -> pa.Array:
    numbers = _checked(values, lambda v: isinstance(v, int | float), "a number")
    return pa.array(numbers, pa.float64())


def _texts(values: Sequence[object]) -> pa.Array:
    return pa.array(_checked(values, lambda v: isinstance(v, str), "text"), pa.string())


def _booleans(values: Sequence[object]) -> pa.Array:
    flags = _checked(values, lambda v: v in (0, 1), "0 or 1")
    return pa.array([None if v is None else bool(v) for v in flags], pa.bool_())


def _dates(values: Sequence[object]) -> pa.Array:
    return pa.array(_parsed(values, dt.date.fromisoformat, "an ISO date"), pa.date32())


def _timestamps(values: Sequence[object]) -> pa.Array:
    """Naive text stays wall-clock time; text with an offset is an instant, stored in UTC. A
    column mixing the two has no single meaning, so it is refused."""
    parsed = _parsed(values, dt.datetime.fromisoformat, "an ISO timestamp")
    zoned = {value.tzinfo is not None for value in parsed if value is not None}
    if len(zoned) > 1:
        mixed = next(i for i, v in enumerate(parsed) if v is not None and v.tzinfo is None)
        raise ValueMismatch(mixed, "mixes timestamps with and without a time zone")
    if zoned == {True}:
        return pa.array(parsed, pa.timestamp("us", tz="UTC"))
    return pa.array(parsed, pa.timestamp("us"))


def _parsed(values: Sequence[object], parse: Callable[[str], object], wanted: str) -> list:
    parsed = []
    for index, value in enumerate(values):
        try:
            parsed.append(None if value is None else parse(value))
        except (TypeError, ValueError):
            raise ValueMismatch(index, f"{value!r} is not {wanted}") from None
    return parsed


def _inferred(values: Sequence[object]) -> pa.Array:
    """The narrowest type holding every value: integers, numbers, text or bytes; a column
    mixing text with other kinds becomes text."""
    kinds = {type(value) for value in values if value is not None}
    if not kinds:
        return pa.array(values, pa.null())
    if kinds <= {int}:
        return pa.array(values, pa.int64())
    if kinds <= {int, float}:
        return pa.array(values, pa.float64())
    if kinds == {bytes}:
        return pa.array(values, pa.binary())
    return pa.array([None if v is None else str(v) for v in values], pa.string())


_CONVERTERS: dict[str, Callable[[Sequence[object]], pa.Array]] = {
    "timestamp": _timestamps,
    "date": _dates,
    "boolean": _booleans,
    "integer": _integers,
    "text": _texts,
    "real": _reals,
    "inferred": _inferred,
}
