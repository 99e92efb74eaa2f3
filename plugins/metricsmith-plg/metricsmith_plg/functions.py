"""The pack's two functions, each with its Arrow implementation and its SQL.

- `count_at_least(source.column, k)`: how many different values occur in at least k rows. A
  PLG threshold is "an account with 10 key actions" or "a user who used a feature 3 times";
  the built-in aggregates count rows or distinct values, never distinct values by how often
  they occur.
- `business_days_between(start, end)`: the Monday-to-Friday days from one date up to (not
  including) another. Business products see little use at weekends: a Friday sign-up that
  reaches value on Monday took one working day, not three calendar days.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from metricsmith.errors import QueryError
from metricsmith.model.types import Type
from metricsmith.plugins.functions import AggregateFunction, ScalarFunction
from metricsmith.plugins.values import Datum
from sqlglot import exp

# ---- count_at_least ------------------------------------------------------------------------


def _count_at_least_signature(argument: Type | None) -> Type | str:
    if argument is None:
        return "`count_at_least` needs a column, e.g. `count_at_least(events.account_id, 10)`"
    return Type.INTEGER


def _threshold(k: float) -> int:
    if k != int(k) or k < 1:
        raise QueryError(
            f"`count_at_least` needs a whole number of rows of at least 1, not {k:g}",
            hint="write e.g. count_at_least(events.user_id, 3)",
        )
    return int(k)


def _count_at_least(
    values: pa.Array, groups: np.ndarray, n: int, params: Sequence[float]
) -> pa.Array:
    """All groups at once: count the rows of each (group, value) pair, keep the pairs with at
    least k, count them per group."""
    k = _threshold(params[0])
    valid = pc.is_valid(values).to_numpy(zero_copy_only=False)
    codes = pc.dictionary_encode(values.filter(pa.array(valid))).indices
    codes = codes.to_numpy(zero_copy_only=False).astype(np.int64)
    cardinality = int(codes.max()) + 1 if len(codes) else 1
    pairs, rows = np.unique(groups[valid] * cardinality + codes, return_counts=True)
    reaching = pairs[rows >= k] // cardinality
    return pa.array(np.bincount(reaching, minlength=n).astype(np.int64))


def _count_at_least_sql(dialect: str, value: exp.Expression, k: exp.Expression) -> exp.Expression:
    if dialect != "duckdb":
        raise NotImplementedError("its SQL needs DuckDB's histogram and list functions")
    threshold = exp.Literal.number(_threshold(float(k.name)))
    # HISTOGRAM skips nulls (rows the `where` left out are null here) and is null over no rows.
    counts = exp.Anonymous(
        this="MAP_VALUES", expressions=[exp.Anonymous(this="HISTOGRAM", expressions=[value])]
    )
    row_count = exp.to_identifier("rows")
    reaching = exp.Lambda(
        this=exp.GTE(this=exp.column(row_count), expression=threshold), expressions=[row_count]
    )
    kept = exp.Anonymous(this="LIST_FILTER", expressions=[counts, reaching])
    return exp.Coalesce(this=exp.Length(this=kept), expressions=[exp.Literal.number(0)])


COUNT_AT_LEAST = AggregateFunction(
    name="count_at_least",
    signature=_count_at_least_signature,
    doc="The number of different non-null values that occur in at least k rows (k a constant "
    "whole number). 0 when there are none.",
    example="count_at_least(product_events.account_id, 10 where key_action)",
    params=1,
    empty=0,
    grouped=_count_at_least,
    sql=_count_at_least_sql,
    # Not a total of per-row weights: a value's rows in two periods may reach k only together.
    additive=None,
)


# ---- business_days_between -------------------------------------------------------------------


def _business_days_signature(types: Sequence[Type]) -> Type | str:
    if all(t in (Type.DATE, Type.NULL, Type.UNKNOWN) for t in types):
        return Type.INTEGER
    return (
        f"`business_days_between` needs two dates, not {types[0]} and {types[1]}; "
        "use date(...) to turn a timestamp into its local date"
    )


def _as_days(value: Datum, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Days since the epoch (0 where null) and where the value is null, `length` long."""
    if isinstance(value, pa.Scalar):
        value = pa.array([value.as_py()] * length, pa.date32())
    days = pc.cast(value, pa.int32()).to_numpy(zero_copy_only=False)
    missing = pc.is_null(value).to_numpy(zero_copy_only=False)
    return np.nan_to_num(days).astype("datetime64[D]"), missing


def _business_days_between(start: Datum, end: Datum) -> Datum:
    lengths = [len(v) for v in (start, end) if not isinstance(v, pa.Scalar)]
    length = lengths[0] if lengths else 1
    (begin, begin_missing), (until, until_missing) = _as_days(start, length), _as_days(end, length)
    # Backwards, minus the count from `until` up to `begin` (numpy would shift both ends).
    forward = np.busday_count(np.minimum(begin, until), np.maximum(begin, until))
    counted = np.where(until < begin, -forward, forward)
    counted = pa.array(counted, mask=begin_missing | until_missing)
    return counted if lengths else counted[0]


_A_MONDAY = "1970-01-05"


def _business_days_sql(dialect: str, start: exp.Expression, end: exp.Expression) -> exp.Expression:
    """5 per whole week, plus the weekdays among the remaining 0 to 6 days: those before
    Saturday in the first week and those from Monday on after it wraps."""
    if dialect not in ("duckdb", "postgres"):
        raise NotImplementedError("its SQL is written and tested for DuckDB and PostgreSQL only")
    low = exp.Least(this=start.copy(), expressions=[end.copy()])
    high = exp.Greatest(this=start.copy(), expressions=[end.copy()])
    days = exp.DateDiff(this=high, expression=low.copy(), unit=exp.var("DAY"))
    # 0 for Monday to 6 for Sunday, counted from a Monday (dialects disagree on weekday
    # functions); SQL's % keeps the sign of dates before it, hence the + 7.
    monday = exp.cast(exp.Literal.string(_A_MONDAY), "DATE")
    since_monday = exp.DateDiff(this=low, expression=monday, unit=exp.var("DAY"))
    week = exp.Literal.number(7)
    shifted = exp.paren(
        exp.Add(this=exp.Mod(this=since_monday, expression=week), expression=week.copy())
    )
    weekday = exp.paren(exp.Mod(this=shifted, expression=week.copy()))
    rest = exp.Add(
        this=weekday.copy(),
        expression=exp.Mod(this=exp.paren(days.copy()), expression=exp.Literal.number(7)),
    )

    def number(value: int) -> exp.Literal:
        return exp.Literal.number(value)

    first_week = exp.Greatest(
        this=number(0),
        expressions=[
            exp.Sub(
                this=exp.Least(this=rest.copy(), expressions=[number(5)]), expression=weekday.copy()
            )
        ],
    )
    wrapped = exp.Least(
        this=exp.Greatest(
            this=number(0), expressions=[exp.Sub(this=rest.copy(), expression=number(7))]
        ),
        expressions=[number(5)],
    )
    whole_weeks = exp.Mul(
        this=number(5), expression=exp.paren(exp.IntDiv(this=days, expression=number(7)))
    )
    count = exp.paren(
        exp.Add(this=exp.Add(this=whole_weeks, expression=first_week), expression=wrapped)
    )
    sign = exp.If(
        this=exp.LT(this=end.copy(), expression=start.copy()), true=number(-1), false=number(1)
    )
    return exp.Cast(this=exp.Mul(this=sign, expression=count), to=exp.DataType.build("BIGINT"))


BUSINESS_DAYS_BETWEEN = ScalarFunction(
    "business_days_between",
    2,
    2,
    _business_days_signature,
    _business_days_between,
    "The Monday-to-Friday days from the first date up to, not including, the second; when "
    "the second is earlier, minus those from the second up to the first. Public holidays "
    "count as working days.",
    "business_days_between(date(users.signed_up_at), date(users.first_value_at))",
    sql=_business_days_sql,
)
