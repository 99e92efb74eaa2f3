"""Arrow values as functions receive them, and the conventions every implementation shares.

Engines and functions (built-in or a plugin's) meet here: the calendar a query evaluates in
(`CALENDAR`, set by the engine for the duration of a query through `calendar_scope`), and the
language's rules for Arrow values that both apply the same way: a null condition does not hold,
and dates meeting timestamps become the instant of their local midnight (docs/plugins.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

#: What a function receives and returns: an array, a chunked array or a scalar.
Datum: TypeAlias = pa.Array | pa.ChunkedArray | pa.Scalar


@frozen
class EvaluationCalendar:
    timezone: str = "UTC"
    week_start: int = 0  # 0 = Monday ... 6 = Sunday
    fiscal_start: int = 1  # the month fiscal years start in: 1 = January ... 12 = December


# EvaluationCalendar is frozen, so one shared default instance is safe.
CALENDAR: ContextVar[EvaluationCalendar] = ContextVar(
    "metricsmith_calendar",
    default=EvaluationCalendar(),  # noqa: B039
)


@contextlib.contextmanager
def calendar_scope(timezone: str, week_start: int, fiscal_start: int = 1) -> Iterator[None]:
    """Evaluate functions in this calendar (the executor wraps each query in it). Fiscal years
    start in January unless told otherwise, so plugins written before fiscal calendars keep
    working."""
    token = CALENDAR.set(EvaluationCalendar(timezone, week_start, fiscal_start))
    try:
        yield
    finally:
        CALENDAR.reset(token)


def local_timestamps(values: Datum) -> Datum:
    """Dates become the instant of their local midnight; timestamps are returned as they are."""
    if not pa.types.is_date(values.type):
        return values
    timezone = CALENDAR.get().timezone
    naive = pc.cast(pc.cast(values, pa.date32()), pa.timestamp("us"))
    return pc.assume_timezone(naive, timezone, ambiguous="earliest", nonexistent="latest")


def local_dates(values: Datum) -> Datum:
    """The local calendar date of timestamps (already in the calendar's zone) or dates."""
    if isinstance(values, pa.ChunkedArray) and _whole_days_apart(values.type):
        return pa.chunked_array([_utc_dates(c) for c in values.chunks], pa.date32())
    if isinstance(values, pa.Array) and _whole_days_apart(values.type):
        return _utc_dates(values)
    return pc.cast(values, pa.date32())


# Ticks per day of each timestamp unit.
_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def _whole_days_apart(kind: pa.DataType) -> bool:
    """Whether the timestamps' days begin every whole day since the epoch: in UTC or as wall
    clock time (no zone)."""
    return pa.types.is_timestamp(kind) and kind.tz in (None, "UTC", "Etc/UTC", "+00:00")


def _utc_dates(values: pa.Array) -> pa.Array:
    """`pc.cast(values, pa.date32())` for timestamps whose days are whole days since the epoch,
    by one floor division: the cast looks every instant up in its zone (4 ms over 200k
    sign-ups, twice a cohort query, against well under 1 ms)."""
    ticks = pc.cast(values, pa.int64())
    numbers = pc.fill_null(ticks, 0) if ticks.null_count else ticks
    days = np.floor_divide(numbers.to_numpy(), _PER_DAY[values.type.unit]).astype(np.int32)
    nulls = None if ticks.null_count == 0 else pc.is_null(ticks).to_numpy(zero_copy_only=False)
    return pa.array(days, pa.int32(), mask=nulls).view(pa.date32())


# Fewer dates than this are passed to a per-day function directly (a table would not pay).
_TABLE_FROM_DATES = 1 << 12


def per_day(days: Datum, of_days: Callable[[pa.Array], Datum]) -> Datum:
    """`of_days(days)` for a function of each date alone (a date's month, whether it is one
    of a few): computed once for every day from the earliest date to the latest and looked up
    (null stays null). Dates cluster in a few hundred days, so the function runs over those
    instead of every value: Arrow's `floor_temporal` to months took 5 ms over 200k sign-up
    dates, twice a cohort query, the lookup 0.5 ms. Dates spread over more days than there
    are values are passed directly."""
    if (
        not isinstance(days, pa.Array | pa.ChunkedArray)
        or days.type != pa.date32()
        or len(days) < _TABLE_FROM_DATES
    ):
        return of_days(days)
    numbers = pc.cast(days, pa.int32())
    earliest, latest = (bound.as_py() for bound in pc.min_max(numbers).values())
    if earliest is None or latest - earliest >= len(days):
        return of_days(days)
    span = pa.array(np.arange(earliest, latest + 1, dtype=np.int32)).view(pa.date32())
    offsets = pc.subtract(numbers, pa.scalar(earliest, pa.int32()))
    return pc.take(of_days(span), offsets)


def align_temporal(values: Sequence[Datum]) -> list[Datum]:
    """When dates and timestamps meet (in `if`, `coalesce`...), the dates become timestamps;
    values without a type (the literal `null`, a column without a value) take the others'."""
    if any(pa.types.is_timestamp(v.type) for v in values):
        values = [local_timestamps(v) for v in values]
    target = next((v.type for v in values if not pa.types.is_null(v.type)), None)
    if target is None:
        return list(values)
    return [v.cast(target) if pa.types.is_null(v.type) else v for v in values]


def align_numbers(values: Sequence[Datum]) -> list[Datum]:
    """When decimals meet doubles (in `if`, `coalesce`...), the decimals become the nearest
    doubles (`as_float`), as the SQL engines convert them."""
    if not any(pa.types.is_floating(v.type) for v in values):
        return list(values)
    return [as_float(v) if pa.types.is_decimal(v.type) else v for v in values]


def as_float(values: Datum) -> Datum:
    """The numbers as doubles: an integer of more than 53 bits rounded to the nearest double,
    as the SQL engines convert it (pyarrow's checked cast refuses it), and a decimal its
    nearest double (`_decimal_as_float`)."""
    if pa.types.is_decimal(values.type):
        if isinstance(values, pa.Scalar):
            return pa.scalar(float(values.as_py()) if values.is_valid else None, pa.float64())
        if isinstance(values, pa.ChunkedArray):
            return pa.chunked_array(map(_decimal_as_float, values.chunks), pa.float64())
        return _decimal_as_float(values)
    return pc.cast(values, pa.float64(), safe=False)


#: The integers a double holds exactly, and the powers of ten it holds exactly (10**22).
EXACT_INTEGER, _EXACT_POWERS = 2**53, 22


def unscaled_integers(values: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """A decimal array's unscaled integers as int64 and where they are exact doubles (at most
    53 bits, and a slot not null), or None when the scale's power of ten is not an exact
    double. A decimal is little-endian 64-bit words, the low one first: the value fits the
    low word when every other word is its sign."""
    scale, words_per_value = values.type.scale, values.type.bit_width // 64
    if not 0 <= scale <= _EXACT_POWERS:
        return None
    words = np.frombuffer(values.buffers()[1], dtype="<i8")
    start = words_per_value * values.offset
    words = words[start : start + words_per_value * len(values)].reshape(-1, words_per_value)
    low = words[:, 0]
    exact = (low >= -EXACT_INTEGER) & (low <= EXACT_INTEGER)
    for word in range(1, words_per_value):
        exact &= words[:, word] == (low >> 63)
    if values.null_count:
        exact &= pc.is_valid(values).to_numpy(zero_copy_only=False)
    return low, exact


def _decimal_as_float(values: pa.Array) -> pa.Array:
    """Each decimal's nearest double. pyarrow's cast multiplies by a power of ten's inverse,
    itself inexact, so 3.3 became 3.3000000000000003 and `amount == quoted` failed where the
    SQL engines found it true. The unscaled integer divided by the power of ten is correctly
    rounded when both are exact doubles (IEEE division rounds the exact quotient once), as
    DuckDB converts; a value beyond 53 bits goes through Python's exact conversion."""
    unscaled = unscaled_integers(values) if len(values) else None
    if unscaled is None:
        return pa.array([None if v is None else float(v) for v in values.to_pylist()], pa.float64())
    low, exact = unscaled
    floats = low.astype(np.float64) / 10.0**values.type.scale
    mask = pc.is_null(values).to_numpy(zero_copy_only=False) if values.null_count else None
    beyond = np.flatnonzero(~exact if mask is None else ~exact & ~mask)  # nulls need nothing
    if len(beyond):
        floats[beyond] = [float(v) for v in values.take(beyond).to_pylist()]
    return pa.array(floats, pa.float64(), mask=mask)


def dictionary_encode(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Arrow's `dictionary_encode` with equal values equal as the language compares them:
    Arrow hashes a double's bits, so -0.0 and 0.0 (a rounded -0.001, a product with a
    negative) were two values, two rows of a `by` and two in a `count_distinct`, where the SQL
    engines see one."""
    return pc.dictionary_encode(without_negative_zero(values))


def without_negative_zero(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Doubles with -0.0 as 0.0 (the language does not tell the two apart); other values as
    they are."""
    if not pa.types.is_floating(values.type):
        return values
    return pc.add(values, pa.scalar(0.0, values.type))  # -0.0 + 0.0 is 0.0, the rest unchanged


def holds(condition: Datum) -> Datum:
    """Where a condition is true: a null condition (one without a type too) is not, as in
    SQL's CASE."""
    if pa.types.is_null(condition.type):
        condition = condition.cast(pa.bool_())
    return pc.fill_null(condition, False)
