"""The built-in functions of the formula language, registered through the same hooks as a
third-party plugin's.

Row functions receive Arrow arrays (or scalars) and return Arrow data. Timestamps reach them
already converted to the calendar's time zone, so `month(ts)` or `date(ts)` give local values;
the few functions that need more of the calendar (the week start, a date's local midnight) read
`CALENDAR` (plugins/values.py), which the executor sets for the duration of a query.

Aggregates either name a pyarrow hash aggregation (fused into the executor's single grouped
pass) or compute all groups at once with numpy from the group id of every row; none of them
loops over rows or groups in Python.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pluggy
import pyarrow as pa
import pyarrow.compute as pc

from metricsmith.check.typing_rules import unify
from metricsmith.errors import QueryError
from metricsmith.model.rounding import WHOLE_FROM, digits_problem, float_scale
from metricsmith.model.time import GRAINS, Grain
from metricsmith.model.types import Type
from metricsmith.plugins.functions import (
    NOT_CONSTANT,
    Additive,
    AggregateFunction,
    GroupedImpl,
    OrderedBy,
    Ordering,
    Pick,
    ScalarFunction,
)
from metricsmith.plugins.values import (
    CALENDAR,
    EXACT_INTEGER,
    Datum,
    align_numbers,
    align_temporal,
    as_float,
    dictionary_encode,
    holds,
    local_dates,
    per_day,
    unscaled_integers,
)

hookimpl = pluggy.HookimplMarker("metricsmith")

T = Type


# ---- signatures ----------------------------------------------------------------------------
def _accepts(name: str, allowed: set[Type], result: Type | None = None):
    """A one-argument signature: the argument must be one of `allowed`; the result is `result`
    (or the argument's own type when None)."""

    def signature(types: Sequence[Type]) -> Type | str:
        (arg,) = types
        if arg in (T.NULL, T.UNKNOWN) or arg in allowed:
            return result or arg
        wanted = " or ".join(sorted(str(t) for t in allowed))
        return f"`{name}` needs a {wanted}, not a {arg}"

    return signature


def _same_kind_temporal(name: str, result_for_dates: Type, result_for_timestamps: Type):
    def signature(types: Sequence[Type]) -> Type | str:
        kinds = {t for t in types if t != T.NULL}
        if kinds == {T.DATE}:
            return result_for_dates
        if kinds <= {T.TIMESTAMP}:
            return result_for_timestamps
        if kinds <= {T.DATE, T.TIMESTAMP}:
            return (
                f"`{name}` needs two dates or two timestamps, not {types[0]} and {types[1]}; "
                "use date(...) to turn a timestamp into a date"
            )
        return f"`{name}` needs dates or timestamps, not {types[0]} and {types[1]}"

    return signature


def _if_signature(types: Sequence[Type]) -> Type | str:
    condition, *branches = types
    if condition not in (T.BOOLEAN, T.NULL, T.UNKNOWN):
        return f"the condition of `if` must be true/false, not {condition}"
    return unify(list(branches))


def _coalesce_signature(types: Sequence[Type]) -> Type | str:
    return unify(list(types))


def _strings(name: str, result: Type):
    def signature(types: Sequence[Type]) -> Type | str:
        bad = [t for t in types if t not in (T.STRING, T.NULL, T.UNKNOWN)]
        if bad:
            listed = " and ".join(str(t) for t in types)
            return f"`{name}` needs strings, not {listed}"
        return result

    return signature


def _round_signature(types: Sequence[Type]) -> Type | str:
    value, *digits = types
    if digits and digits[0] not in (T.INTEGER, T.NULL, T.UNKNOWN):
        return f"the digits of `round` must be an integer, not {digits[0]}"
    return _accepts("round", {T.INTEGER, T.FLOAT, T.DECIMAL})([value])


def _date_trunc_signature(types: Sequence[Type]) -> Type | str:
    unit, value = types
    if unit not in (T.STRING, T.UNKNOWN):
        return f'the unit of `date_trunc` must be a string such as "month", not {unit}'
    return _accepts("date_trunc", {T.DATE, T.TIMESTAMP}, T.DATE)([value])


# ---- scalar implementations ---------------------------------------------------------------
def _constant(value: Datum, function: str, what: str) -> Any:
    """The Python value of a constant argument, of the type its signature checked."""
    if isinstance(value, pa.Scalar) and value.is_valid:
        return value.as_py()
    raise QueryError(f"`{function}` needs a constant {what}, not a column or null")


def _if(condition: Datum, when_true: Datum, when_false: Datum) -> Datum:
    when_true, when_false = align_numbers(align_temporal([when_true, when_false]))
    return pc.if_else(holds(condition), when_true, when_false)


def _coalesce(*values: Datum) -> Datum:
    return pc.coalesce(*align_numbers(align_temporal(values)))


def _contains(text: Datum, part: Datum) -> Datum:
    return pc.match_substring(text, pattern=_constant(part, "contains", "string to look for"))


def _starts_with(text: Datum, prefix: Datum) -> Datum:
    return pc.starts_with(text, pattern=_constant(prefix, "starts_with", "prefix"))


def _round(value: Datum, digits: Datum | None = None) -> Datum:
    # The checker has made sure the digits are a constant within range (_round_constants).
    places = int(0 if digits is None else _constant(digits, "round", "number of digits"))
    if pa.types.is_floating(value.type):
        return _round_float(value, places)
    # Integers and decimals exactly, halves away from zero, as in SQL.
    return pc.round(value, ndigits=places, round_mode="half_towards_infinity")


def _round_float(value: Datum, digits: int) -> Datum:
    """As model/rounding.py says, in the steps the SQL dialects take: exact ones (the
    fraction of |scaled| and its floor are exact in binary), so the result is the same
    double on every engine."""
    scale = float_scale(digits)
    scaled = pc.multiply(value, scale) if digits > 0 else pc.divide(value, scale)
    size = pc.abs(scaled)
    whole = pc.floor(size)
    half_or_more = pc.greater_equal(pc.subtract(size, whole), 0.5)
    magnitude = pc.add(whole, pc.cast(half_or_more, pa.float64()))
    rounded = pc.if_else(pc.less(scaled, 0), pc.negate(magnitude), magnitude)
    result = pc.divide(rounded, scale) if digits > 0 else pc.multiply(rounded, scale)
    return pc.if_else(pc.greater_equal(size, WHOLE_FROM), value, result)


_MICROS_PER_HOUR = 3_600_000_000


def _hours_between(start: Datum, end: Datum) -> Datum:
    if pa.types.is_date(start.type):
        days = _days_between(start, end)
        return pc.multiply(pc.cast(days, pa.float64()), 24.0)
    elapsed = pc.subtract(end, start)
    micros = pc.cast(pc.cast(elapsed, pa.duration("us")), pa.int64())
    return pc.divide(pc.cast(micros, pa.float64()), float(_MICROS_PER_HOUR))


def _days_between(start: Datum, end: Datum) -> Datum:
    if pa.types.is_date(start.type):
        days = pc.subtract(pc.cast(end, pa.int32()), pc.cast(start, pa.int32()))
        return pc.cast(days, pa.int64())
    return pc.divide(_hours_between(start, end), 24.0)


def _truncate_dates(days: Datum, unit: str) -> Datum:
    """Local dates truncated to the first day of their day/week/month/quarter/year."""
    if unit == "day":
        return days
    return per_day(days, lambda each: _truncate_days(each, unit))


def _truncate_days(days: Datum, unit: str) -> Datum:
    if unit == "week":
        # Floor to a Monday after shifting by the calendar's week start, then shift back.
        shift = CALENDAR.get().week_start
        monday = pc.floor_temporal(_shift_days(days, -shift), unit="week", week_starts_monday=True)
        return _shift_days(monday, shift)
    if unit in ("month", "quarter", "year"):
        return pc.floor_temporal(days, unit=unit)
    if unit in (Grain.FISCAL_QUARTER, Grain.FISCAL_YEAR):
        return _fiscal_start(days, 3 if unit == Grain.FISCAL_QUARTER else 12)
    raise QueryError(
        f"`date_trunc` does not know the unit {unit!r}",
        hint=f"use one of {', '.join(map(repr, GRAINS))}",
    )


def _fiscal_start(days: Datum, length: int) -> Datum:
    """The first day of the fiscal period of `length` months containing each date: its
    month's first day moved back by the months since the period began (Arrow adds no months
    to dates, so each step back is the first day of the month before the day before)."""
    fiscal_start = CALENDAR.get().fiscal_start
    # Months since the period began: (month - fiscal start) mod length, kept non-negative.
    shifted = pc.add(pc.month(days), 12 - fiscal_start)
    into = pc.subtract(shifted, pc.multiply(pc.divide(shifted, length), length))
    start = step = pc.floor_temporal(days, unit="month")
    for back in range(1, length):
        step = pc.floor_temporal(_shift_days(step, -1), unit="month")
        start = pc.if_else(pc.equal(into, back), step, start)
    return start


def _shift_days(days: Datum, count: int) -> Datum:
    number = pc.add(pc.cast(days, pa.int32()), pa.scalar(count, pa.int32()))
    return pc.cast(number, pa.date32())


def _date_trunc(unit: Datum, value: Datum) -> Datum:
    return _truncate_dates(local_dates(value), str(_constant(unit, "date_trunc", "unit")))


def _cohort_signature(types: Sequence[Type]) -> Type | str:
    value, grain = types
    if grain not in (T.STRING, T.UNKNOWN):
        return f"the grain of `cohort` must be one of {', '.join(GRAINS)}, not {grain}"
    return _accepts("cohort", {T.DATE, T.TIMESTAMP}, T.DATE)([value])


def _cohort(value: Datum, grain: Datum) -> Datum:
    unit = str(_constant(grain, "cohort", "grain"))
    if unit not in GRAINS:
        raise QueryError(
            f"`cohort` does not know the grain {unit!r}",
            hint=f"use one of {', '.join(GRAINS)}, e.g. cohort(signed_up_at, month)",
        )
    return _truncate_dates(local_dates(value), unit)


def _bucket_signature(types: Sequence[Type]) -> Type | str:
    value, *bands = types
    if len(bands) % 2 == 0:
        return (
            "`bucket` takes a value, then threshold and label pairs, then the label of "
            "values at or above the last threshold"
        )
    if value not in (*NUMBERS, T.NULL, T.UNKNOWN):
        return f"`bucket` sorts numbers into bands, not {value}"
    thresholds, labels = bands[0:-1:2], [*bands[1:-1:2], bands[-1]]
    if any(t not in (*NUMBERS, T.UNKNOWN) for t in thresholds):
        return "the thresholds of `bucket` must be numbers"
    if any(label not in (T.STRING, T.UNKNOWN) for label in labels):
        return "the labels of `bucket` must be strings"
    return T.STRING


def _round_constants(arguments: Sequence[object]) -> str | None:
    if len(arguments) < 2:
        return None
    digits = arguments[1]
    if digits is NOT_CONSTANT or digits is None:
        return "the digits of `round` must be a constant integer, such as 2 or -3"
    assert isinstance(digits, int)  # (the signature accepted integers only)
    return digits_problem(digits)


def _bucket_constants(arguments: Sequence[object]) -> str | None:
    thresholds = arguments[1:-1:2]
    labels = [*arguments[2:-1:2], arguments[-1]]
    if any(t is NOT_CONSTANT or t is None for t in thresholds):
        return "the thresholds of `bucket` must be written as numbers"
    if any(label is NOT_CONSTANT or label is None for label in labels):
        return "the labels of `bucket` must be written as strings"
    # Numbers by now: the signature (`_bucket_signature`) admitted numeric thresholds only.
    numbers = cast("list[float]", thresholds)
    if not all(a < b for a, b in itertools.pairwise(numbers)):
        listed = ", ".join(f"{t:g}" for t in thresholds)
        return f"the thresholds of `bucket` must increase, but they are {listed}"
    return None


def _bucket(value: Datum, *bands: Datum) -> Datum:
    # The checker has made sure thresholds and labels are constants (_bucket_constants).
    thresholds = [band.as_py() for band in bands[0:-1:2]]
    labels = [band.as_py() for band in (*bands[1:-1:2], bands[-1])]
    values = pa.repeat(value, 1) if isinstance(value, pa.Scalar) else value
    numbers = as_float(values).to_numpy(zero_copy_only=False)
    band = np.searchsorted(np.array(thresholds, dtype=np.float64), numbers, side="right")
    missing = pc.is_null(values).to_numpy(zero_copy_only=False)
    banded = pa.array(labels, pa.string()).take(pa.array(band, mask=missing))
    return banded[0] if isinstance(value, pa.Scalar) else banded


def _weekday(value: Datum) -> Datum:
    return pc.day_of_week(value, count_from_zero=False, week_start=1)


def _field(extract):
    def implementation(value: Datum) -> Datum:
        return pc.cast(extract(value), pa.int64())

    return implementation


NUMBERS = {T.INTEGER, T.FLOAT, T.DECIMAL}
TEMPORAL = {T.DATE, T.TIMESTAMP}


def _scalar(
    name, min_args, max_args, signature, arrow, doc, example, constants=None, **options
) -> ScalarFunction:
    return ScalarFunction(
        name, min_args, max_args, signature, arrow, doc, example, constants, **options
    )


SCALAR_FUNCTIONS: tuple[ScalarFunction, ...] = (
    _scalar(
        "if",
        3,
        3,
        _if_signature,
        _if,
        "The second argument where the condition is true, otherwise the third (also when the "
        "condition is null).",
        'if(contacts == 1, "first contact", "follow-up")',
        propagates_nulls=False,
    ),
    _scalar(
        "coalesce",
        2,
        None,
        _coalesce_signature,
        _coalesce,
        "The first of its arguments that is not null.",
        'coalesce(region, "unknown")',
        propagates_nulls=False,
    ),
    _scalar(
        "lower",
        1,
        1,
        _strings("lower", T.STRING),
        pc.utf8_lower,
        "The text in lower case.",
        "lower(plan)",
    ),
    _scalar(
        "upper",
        1,
        1,
        _strings("upper", T.STRING),
        pc.utf8_upper,
        "The text in upper case.",
        "upper(country_code)",
    ),
    _scalar(
        "contains",
        2,
        2,
        _strings("contains", T.BOOLEAN),
        _contains,
        "Whether the text contains a constant piece of text (case-sensitive).",
        'contains(subject, "refund")',
    ),
    _scalar(
        "starts_with",
        2,
        2,
        _strings("starts_with", T.BOOLEAN),
        _starts_with,
        "Whether the text starts with a constant prefix (case-sensitive).",
        'starts_with(email, "admin@")',
    ),
    _scalar(
        "abs",
        1,
        1,
        _accepts("abs", {*NUMBERS, T.DURATION}),
        pc.abs_checked,
        "The absolute value.",
        "abs(balance)",
    ),
    _scalar(
        "round",
        1,
        2,
        _round_signature,
        _round,
        "Rounds to a constant number of decimal digits (0 when omitted; negative rounds to "
        "tens, hundreds...); halves round away from zero. The type stays the same.",
        "round(avg_score, 1)",
        _round_constants,
    ),
    _scalar(
        "hours_between",
        2,
        2,
        _same_kind_temporal("hours_between", T.FLOAT, T.FLOAT),
        _hours_between,
        "The time from the first argument to the second in hours, as a float (negative when "
        "the second is earlier). Two dates are whole days of 24 hours apart.",
        "hours_between(opened_at, resolved_at)",
    ),
    _scalar(
        "days_between",
        2,
        2,
        _same_kind_temporal("days_between", T.INTEGER, T.FLOAT),
        _days_between,
        "The time from the first argument to the second in days: an integer for two dates, "
        "a float (hours / 24) for two timestamps.",
        "days_between(signed_up_at, first_value_at)",
    ),
    _scalar(
        "date_trunc",
        2,
        2,
        _date_trunc_signature,
        _date_trunc,
        'The first local day of the "day", "week", "month", "quarter", "year", '
        '"fiscal_quarter" or "fiscal_year" containing the value, as a date; weeks start on '
        "the calendar's week_start, fiscal years in its fiscal_year_start.",
        'date_trunc("month", signed_up_at)',
    ),
    _scalar(
        "cohort",
        2,
        2,
        _cohort_signature,
        _cohort,
        "The first local day of the period (day, week, month, quarter or year) containing the "
        "value: the cohort an entity belongs to by its own time. Slice by it, and by `age`, for "
        "retention triangles.",
        "cohort(accounts.signed_up_at, month)",
    ),
    _scalar(
        "bucket",
        4,
        None,
        _bucket_signature,
        _bucket,
        "The label of the band a number falls in: below the first threshold the first label, "
        "from each threshold on the label after it, from the last threshold on the last "
        "label; null stays null. Thresholds must be constants and increase.",
        'bucket(health_score, 40, "Poor", 70, "Average", "Good")',
        _bucket_constants,
    ),
    _scalar(
        "year",
        1,
        1,
        _accepts("year", TEMPORAL, T.INTEGER),
        _field(pc.year),
        "The local calendar year.",
        "year(signed_up_at)",
    ),
    _scalar(
        "month",
        1,
        1,
        _accepts("month", TEMPORAL, T.INTEGER),
        _field(pc.month),
        "The local month, 1 to 12.",
        "month(signed_up_at)",
    ),
    _scalar(
        "day",
        1,
        1,
        _accepts("day", TEMPORAL, T.INTEGER),
        _field(pc.day),
        "The local day of the month, 1 to 31.",
        "day(signed_up_at)",
    ),
    _scalar(
        "weekday",
        1,
        1,
        _accepts("weekday", TEMPORAL, T.INTEGER),
        _field(_weekday),
        "The local day of the week as in ISO 8601: 1 for Monday to 7 for Sunday.",
        "weekday(opened_at)",
    ),
    _scalar(
        "hour",
        1,
        1,
        _accepts("hour", {T.TIMESTAMP}, T.INTEGER),
        _field(pc.hour),
        "The local hour of the day, 0 to 23.",
        "hour(opened_at)",
    ),
    _scalar(
        "date",
        1,
        1,
        _accepts("date", TEMPORAL, T.DATE),
        local_dates,
        "The local calendar date of a timestamp.",
        "date(opened_at)",
    ),
)


# ---- aggregate signatures -----------------------------------------------------------------
def _aggregate_signature(name: str, allowed: set[Type] | None, result):
    """`allowed` None accepts any type; `result` maps the argument type to the result type."""

    def signature(arg: Type | None) -> Type | str:
        if arg is None:
            return f"`{name}` needs a column to aggregate, e.g. `{name}(tickets.contacts)`"
        if arg in (T.UNKNOWN, T.NULL) or allowed is None or arg in allowed:
            return result(arg)
        wanted = " or ".join(sorted(str(t) for t in allowed))
        return f"`{name}` needs a {wanted}, not a {arg}"

    return signature


def _count_signature(arg: Type | None) -> Type | str:
    return T.INTEGER


def _sum_type(arg: Type) -> Type:
    return T.INTEGER if arg == T.NULL else arg


ORDERED = {*NUMBERS, T.STRING, T.DATE, T.TIMESTAMP, T.DURATION, T.BOOLEAN}


# ---- grouped implementations (numpy, all groups at once) ----------------------------------
def _float_values(values: pa.Array, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-null values as float64 with their group ids (read-only when there is no
    null: the callers only read them)."""
    floats = as_float(values).to_numpy(zero_copy_only=False)
    if values.null_count == 0:
        # No mask to apply: indexing by an all-true mask would copy both arrays (a tenth of
        # the families benchmark's support query).
        return floats, groups
    valid = _valid_mask(values)
    return floats[valid], groups[valid]


def _valid_mask(values: pa.Array) -> np.ndarray:
    if values.null_count == 0:
        return np.ones(len(values), dtype=bool)
    return pc.is_valid(values).to_numpy(zero_copy_only=False)


def _float_result(numbers: np.ndarray, present: np.ndarray) -> pa.Array:
    return pa.array(numbers, type=pa.float64(), mask=~present)


def _avg(values: pa.Array, groups: np.ndarray, n: int, params: Sequence[float]) -> pa.Array:
    if pa.types.is_decimal(values.type):
        return _decimal_avg(values, groups, n)
    floats, groups = _float_values(values, groups)
    counts = np.bincount(groups, minlength=n)
    sums = np.bincount(groups, weights=floats, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _float_result(sums / counts, counts > 0)


def _decimal_avg(values: pa.Array, groups: np.ndarray, n: int) -> pa.Array:
    """The mean of decimals as the SQL engines compute it: the exact sum divided by the count,
    rounded once to a double. Summing them as doubles was a last digit off (the mean of 3.3,
    0.3 and 0.1 was 1.2333333333333332), enough to turn `avg(x) > 0.15` around. The sum's
    unscaled integer over count × 10**scale is one correctly rounded division while both
    are exact doubles; a larger group's mean is computed with Python's decimals."""
    valid = _valid_mask(values)
    counts = np.bincount(groups[valid], minlength=n)
    unscaled = unscaled_integers(values) if len(values) else None
    if not (unscaled is not None and values.type.bit_width == 128 and (unscaled[1] | ~valid).all()):
        # Arrow's sum of 128-bit decimals wraps past 38 digits; one of values of at most 53
        # bits cannot (the cast to 256 bits was two thirds of the time of 5M values).
        values = pc.cast(values, pa.decimal256(76, values.type.scale))
    summed = (
        pa.table({"group": pa.array(groups, pa.int64()), "value": values})
        .group_by("group")
        .aggregate([("value", "sum")])
    )
    position = np.full(n, -1, dtype=np.int64)
    position[summed["group"].to_numpy()] = np.arange(summed.num_rows)
    sums = summed["value_sum"].combine_chunks().take(pa.array(position, mask=position < 0))
    low, exact = unscaled_integers(sums) or (np.zeros(n, np.int64), np.zeros(n, bool))
    divisors = counts * 10**values.type.scale
    exact &= (counts > 0) & (divisors <= EXACT_INTEGER)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = low.astype(np.float64) / divisors
    with decimal.localcontext(prec=80):
        for group in np.flatnonzero(~exact & (counts > 0)):
            means[group] = float(sums[group].as_py() / counts[group])
    return _float_result(means, counts > 0)


def _stddev(values: pa.Array, groups: np.ndarray, n: int, params: Sequence[float]) -> pa.Array:
    floats, groups = _float_values(values, groups)
    counts = np.bincount(groups, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(groups, weights=floats, minlength=n) / counts
        # Two passes (deviations from the group mean) keep the variance accurate.
        deviations = floats - means[groups]
        squares = np.bincount(groups, weights=deviations * deviations, minlength=n)
        return _float_result(np.sqrt(squares / (counts - 1)), counts > 1)


def _quantile(values: pa.Array, groups: np.ndarray, n: int, fraction: float) -> pa.Array:
    """Exact quantiles with linear interpolation between the two nearest ranks."""
    floats, groups = _float_values(values, groups)
    counts = np.bincount(groups, minlength=n)
    present = counts > 0
    if len(floats) == 0:
        return _float_result(np.zeros(n), present)
    starts = np.cumsum(counts) - counts
    rank = (counts - 1) * fraction
    below = np.floor(rank).astype(np.int64)
    above = np.ceil(rank).astype(np.int64)
    ordered = _ranked_in_groups(floats, groups, counts, starts, below, above)
    low = ordered[np.where(present, starts + below, 0)]
    high = ordered[np.where(present, starts + above, 0)]
    return _float_result(low + (rank - below) * (high - low), present)


# Up to this many groups, each group's ranks are found by a partition of its own values.
_PARTITIONED_GROUPS = 4096


def _ranked_in_groups(
    floats: np.ndarray,
    groups: np.ndarray,
    counts: np.ndarray,
    starts: np.ndarray,
    below: np.ndarray,
    above: np.ndarray,
) -> np.ndarray:
    """The values laid out group by group (group g at starts[g]...), each group's values at
    its ranks `below` and `above` where they would be were the group sorted. With few
    groups, a stable sort by group (a radix sort for small group ids) and a partition per
    group do it in linear time; with many, a sort by (group, value)."""
    if len(counts) > _PARTITIONED_GROUPS:
        return floats[np.lexsort((floats, groups))]
    ordered = floats[np.argsort(groups.astype(np.uint16), kind="stable")]
    for group in np.flatnonzero(counts):
        start = starts[group]
        ordered[start : start + counts[group]].partition((below[group], above[group]))
    return ordered


def _median(values: pa.Array, groups: np.ndarray, n: int, params: Sequence[float]) -> pa.Array:
    return _quantile(values, groups, n, 0.5)


def _percentile(values: pa.Array, groups: np.ndarray, n: int, params: Sequence[float]) -> pa.Array:
    (fraction,) = params
    if not 0.0 <= fraction <= 1.0:
        raise QueryError(
            f"`percentile` needs a fraction between 0 and 1, not {fraction:g}",
            hint="for the 90th percentile write percentile(x, 0.9)",
        )
    return _quantile(values, groups, n, fraction)


# A bitmap of (group, value) pairs is the fastest way to count distinct values while it fits.
_BITMAP_LIMIT = 1 << 27


def _value_codes(values: pa.Array) -> tuple[np.ndarray, int]:
    """Small non-negative integers standing for the values (equal values, equal codes) and how
    many codes there can be. Integer-like values use their offset from the minimum when the
    range is compact; anything else is dictionary-encoded."""
    dtype = values.type
    if len(values) and (
        pa.types.is_integer(dtype) or pa.types.is_temporal(dtype) or pa.types.is_boolean(dtype)
    ):
        numbers = _as_int64(values)
        low, high = (s.as_py() for s in pc.min_max(numbers).values())
        if high - low < max(4 * len(values), 1 << 20):
            return numbers.to_numpy(zero_copy_only=False) - low, high - low + 1
    encoded = dictionary_encode(values)
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), len(encoded.dictionary)


def _as_int64(values: pa.Array) -> pa.Array:
    if pa.types.is_date32(values.type):
        values = pc.cast(values, pa.int32())
    return pc.cast(values, pa.int64())


def _count_distinct(
    values: pa.Array, groups: np.ndarray, n: int, params: Sequence[float]
) -> pa.Array:
    valid = _valid_mask(values)
    if not valid.all():
        values = pc.drop_null(values)
        groups = groups[valid]
    if len(values) == 0:
        return pa.array(np.zeros(n, dtype=np.int64), pa.int64())
    codes, cardinality = _value_codes(values)
    pairs = groups * cardinality + codes
    if n * cardinality <= _BITMAP_LIMIT:
        seen = np.zeros(n * cardinality, dtype=bool)
        seen[pairs] = True
        return pa.array(seen.reshape(n, cardinality).sum(axis=1, dtype=np.int64), pa.int64())
    # Rows mostly come in time order, so the pairs in runs of ascending periods: a merge
    # sort of the runs (timsort) takes about half the time of a quicksort there.
    pairs.sort(kind="stable")
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    return pa.array(np.bincount(pairs[first] // cardinality, minlength=n), pa.int64())


def _picking(pick: Pick) -> GroupedImpl:
    """The grouped implementation of an ordered aggregate (`Ordering`): in each group, the
    value of the row with the largest (smallest) (order, value) pair, rows with a null in
    either left out."""
    descending = "descending" if pick == Pick.LARGEST else "ascending"

    def picked(values: pa.Array, groups: np.ndarray, n: int, params: Sequence[float]) -> pa.Array:
        value, order = pc.struct_field(values, "value"), pc.struct_field(values, "order")
        rows = np.flatnonzero(_valid_mask(value) & _valid_mask(order))
        taken = pa.array(rows, type=pa.int64())
        candidates = pa.table(
            {"group": groups[rows], "order": order.take(taken), "value": value.take(taken)}
        )
        keys = [("group", "ascending"), ("order", descending), ("value", descending)]
        ranked = pc.sort_indices(candidates, sort_keys=keys).to_numpy(zero_copy_only=False)
        ranked_groups = groups[rows][ranked]
        # The first candidate of each group in this order is the group's pick.
        first = np.ones(len(ranked), dtype=bool)
        first[1:] = ranked_groups[1:] != ranked_groups[:-1]
        position = np.full(n, -1, dtype=np.int64)
        position[ranked_groups[first]] = rows[ranked[first]]
        return value.take(pa.array(position, mask=position < 0))

    return picked


def _ordered(name: str, pick: Pick, by: OrderedBy, doc: str, example: str) -> AggregateFunction:
    return _aggregate(
        name,
        _aggregate_signature(name, ORDERED, lambda t: t),
        doc,
        example,
        grouped=_picking(pick),
        ordering=Ordering(pick=pick, by=by),
    )


_TIES = "Rows with a null value or time are skipped; among rows at the same time, the "


def _aggregate(name, signature, doc, example, **options) -> AggregateFunction:
    return AggregateFunction(name=name, signature=signature, doc=doc, example=example, **options)


AGGREGATE_FUNCTIONS: tuple[AggregateFunction, ...] = (
    _aggregate(
        "count",
        _count_signature,
        "`count(source)` counts rows; `count(column)` counts rows where the column is not "
        "null. 0 when there are none.",
        "count(tickets where contacts == 1)",
        counts_rows=True,
        empty=0,
        hash_name="count",
        additive=Additive.COUNT,
    ),
    _aggregate(
        "count_distinct",
        _aggregate_signature("count_distinct", None, lambda t: T.INTEGER),
        "The number of different non-null values. 0 when there are none.",
        "count_distinct(events.user_id)",
        empty=0,
        grouped=_count_distinct,
        ignores_repeats=True,
    ),
    _aggregate(
        "sum",
        _aggregate_signature("sum", NUMBERS, _sum_type),
        "The total of the non-null values: an integer for integers, an exact decimal for "
        "decimals, a float for floats. 0 when there are none.",
        "sum(subscriptions.mrr)",
        empty=0,
        hash_name="sum",
        additive=Additive.VALUE,
    ),
    _aggregate(
        "avg",
        _aggregate_signature("avg", NUMBERS, lambda t: T.FLOAT),
        "The mean of the non-null values, as a float (also for decimals); null when there "
        "are none.",
        "avg(csat_responses.score)",
        grouped=_avg,
    ),
    _aggregate(
        "min",
        _aggregate_signature("min", ORDERED, lambda t: t),
        "The smallest non-null value; null when there are none.",
        "min(accounts.signed_up_at)",
        hash_name="min",
    ),
    _aggregate(
        "max",
        _aggregate_signature("max", ORDERED, lambda t: t),
        "The largest non-null value; null when there are none.",
        "max(events.occurred_at)",
        hash_name="max",
    ),
    _aggregate(
        "median",
        _aggregate_signature("median", NUMBERS, lambda t: T.FLOAT),
        "The exact median of the non-null values (the mean of the two middle values when "
        "their number is even), as a float.",
        "median(tickets.resolution_hours)",
        grouped=_median,
    ),
    _aggregate(
        "percentile",
        _aggregate_signature("percentile", NUMBERS, lambda t: T.FLOAT),
        "The exact percentile at a constant fraction between 0 and 1, interpolating linearly "
        "between the two nearest values (like DuckDB's quantile_cont), as a float.",
        "percentile(tickets.resolution_hours, 0.9)",
        params=1,
        grouped=_percentile,
    ),
    _aggregate(
        "stddev",
        _aggregate_signature("stddev", NUMBERS, lambda t: T.FLOAT),
        "The sample standard deviation of the non-null values, as a float; null with fewer "
        "than two values.",
        "stddev(orders.amount)",
        grouped=_stddev,
    ),
    _ordered(
        "last",
        Pick.LARGEST,
        OrderedBy.TIME,
        "The value at the latest time (the source's `time` column) in the period. "
        + _TIES
        + "largest value. Null when there are none.",
        "last(seat_snapshots.seats)",
    ),
    _ordered(
        "first",
        Pick.SMALLEST,
        OrderedBy.TIME,
        "The value at the earliest time (the source's `time` column) in the period. "
        + _TIES
        + "smallest value. Null when there are none.",
        "first(seat_snapshots.seats)",
    ),
    _ordered(
        "max_by",
        Pick.LARGEST,
        OrderedBy.ARGUMENT,
        "`max_by(x, y)`: the value of x at the row where y is largest. Rows where x or y is "
        "null are skipped; among rows with the same y, the largest x. Null when there are "
        "none.",
        "max_by(seat_snapshots.plan, seat_snapshots.seats)",
    ),
    _ordered(
        "min_by",
        Pick.SMALLEST,
        OrderedBy.ARGUMENT,
        "`min_by(x, y)`: the value of x at the row where y is smallest. Rows where x or y is "
        "null are skipped; among rows with the same y, the smallest x. Null when there are "
        "none.",
        "min_by(seat_snapshots.plan, seat_snapshots.seats)",
    ),
)


@hookimpl
def metricsmith_scalar_functions() -> list[ScalarFunction]:
    return list(SCALAR_FUNCTIONS)


@hookimpl
def metricsmith_aggregate_functions() -> list[AggregateFunction]:
    return list(AGGREGATE_FUNCTIONS)
