"""What differs between SQL dialects, as sqlglot expression builders.

The compiler builds every query from sqlglot expressions and asks a `SqlDialect` only for the
few constructs whose spelling or meaning differs between engines: time zones, epoch
arithmetic, exact quantiles, week days. Where sqlglot's own transpilation of a construct is
right for every dialect the compiler uses it directly; the builders here exist where it is
not (or where the dialect has no such construct, which raises `UnsupportedConstruct`).

Conventions every dialect follows:

* An *instant* (the language's timestamp) is the dialect's zoned timestamp type; a *local*
  date-time (wall-clock time in the calendar's zone) is its naive timestamp type.
* A duration is a BIGINT number of microseconds, which every engine adds and compares exactly.
* The runners open sessions in UTC (DuckDB `TimeZone`, Spark `spark.sql.session.timeZone`,
  PostgreSQL `SET TIME ZONE`); SQL rendered for other engines assumes the same of the session
  that runs it.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Sequence
from typing import ClassVar

from sqlglot import exp

from metricsmith.errors import InternalError
from metricsmith.execute.sql.errors import UnsupportedConstruct
from metricsmith.execute.sql.names import DIALECT_NAMES
from metricsmith.model.rounding import WHOLE_FROM, float_scale
from metricsmith.model.types import DECIMAL_DIGITS, DECIMAL_PLACES, Type

#: A bucket of a distinct count's values, and what counts the distinct values of a bucket
#: where a condition (or None) holds (`SqlDialect.distinct_buckets`).
Buckets = tuple[exp.Expression, Callable[[exp.Expression | None], exp.Expression]]

#: Names of the value kinds the compiler casts to (see `SqlDialect.type`).
KINDS = ("bigint", "double", "decimal", "text", "boolean", "date", "instant", "local")
_MICROS_PER_SECOND = 1_000_000
_MICROS_PER_DAY = 86_400 * _MICROS_PER_SECOND
#: From 0001-01-01 to the epoch: 719,162 days.
_YEAR_1_MICROS = 719_162 * _MICROS_PER_DAY


def call(name: str, *args: exp.Expression) -> exp.Expression:
    """A function call sqlglot passes through unchanged in every dialect."""
    return exp.Anonymous(this=name, expressions=list(args))


def string(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def number(value: int | float) -> exp.Expression:
    if isinstance(value, float) and not math.isfinite(value):
        # SQL has no literal for it: `inf` would be read as a column name. `check` refuses
        # such literals (check/literals.py); nothing else may build one.
        raise InternalError(f"no SQL literal for the float {value}")
    if type(value) is int and value >= 0:
        # The common case, built directly: sqlglot's `Literal.number` converts the text back
        # to check its sign, a tenth of the compile time of a large query.
        return exp.Literal(this=str(value), is_string=False)
    return exp.Literal.number(value)


def paren(node: exp.Expression) -> exp.Expression:
    """Operands are parenthesised unless they are atoms, so precedence never depends on how
    a dialect prints an operator."""
    # sqlglot's AND and OR are also functions: test for operators, not for atoms.
    operator = (exp.Binary, exp.Connector, exp.Predicate, exp.Not, exp.Neg)
    return exp.Paren(this=node) if isinstance(node, operator) else node


def values(
    rows: Sequence[Sequence[exp.Expression]], alias: str, columns: Sequence[str]
) -> exp.Values:
    """A `VALUES` table of built rows, taken as they are (sqlglot's `values` copies every
    cell: half the compile time of a query with two spines of three years of months)."""
    return exp.Values(
        expressions=[exp.Tuple(expressions=list(row)) for row in rows],
        alias=exp.TableAlias(
            this=exp.to_identifier(alias), columns=[exp.to_identifier(c) for c in columns]
        ),
    )


class SqlDialect:
    """The common behaviour; subclasses override what their engine spells differently."""

    #: The name users write (`--dialect duckdb`), also sqlglot's name for the dialect.
    name: str = ""
    #: Whether metricsmith runs this dialect itself (the others are rendered only).
    runnable: bool = False
    #: Whether aggregates take `FILTER (WHERE ...)`; otherwise masks are CASE expressions.
    filter_clause: bool = True
    #: Whether `FILTER (WHERE ...)` may follow the dialect's `quantile`; otherwise the rows an
    #: aggregate's `where` drops are masked to null, which the quantile ignores.
    quantile_takes_filter: bool = True
    #: Whether the engine evaluates a join's filter, the parts reading one side only included,
    #: for every pair of rows: the compiler then works a row's part out in a subquery first.
    join_filters_per_pair: bool = False
    #: Whether a state row joins the periods it is in force at by the period numbers of its
    #: start and end, worked out once per row (`positions_in_force` in scans.py), rather than
    #: by comparing its two instants with each period end: PostgreSQL evaluates the join's
    #: filter for every pair (the revenue query 21.1 s against 26.3 s). Not on DuckDB, whose
    #: join compares instants for less (see DuckDB).
    states_by_period_number: bool = True
    #: Whether a UTC instant's local date is cheap enough to place rows among up to 64 local
    #: midnights by it rather than by a tree of comparisons (positions.py), which is far
    #: longer SQL: on DuckDB it takes 1.5 times the tree's time, a few hundredths of a second
    #: per million rows; on Spark, from the instant's microseconds, as long once compiled and
    #: less to compile (see Spark). PostgreSQL keeps the tree: its local dates took 2.3-2.5
    #: times as long (1.5M rows among 35 month ends: 0.55 s against 0.21 s), and month
    #: numbers by integer arithmetic on the days since the epoch 2.4 times. Unmeasured
    #: dialects keep the tree.
    cheap_utc_local_dates: bool = False
    #: Whether a CTE may be marked `NOT MATERIALIZED`: for engines that otherwise materialise
    #: one read more than once.
    not_materialized: bool = False
    #: Whether a level's members (one row per member, few next to its cells) are materialised
    #: even when read once. DuckDB splits a Parquet scan among its threads by row groups: the
    #: 200,000 accounts of the revenue and families benchmarks are one row group, and with the
    #: members streamed, the pipeline from that scan through the (member, period) grid and
    #: every join it probes ran on one thread of two (the revenue scorecard relying on
    #: contracts: 0.58-0.66 of the CPU on one thread, 0.53-0.54 materialised; health
    #: 0.52-0.63, 0.49-0.53). Members read more than once are marked `MATERIALIZED` (DuckDB
    #: 2.0 streams one of a CTE's readers otherwise: retention 0.64-0.72 on one thread against
    #: 0.52-0.56); members read once are grouped instead (members.py `grouped_members`), as
    #: DuckDB 2.0 streams a CTE with one reader even when it is marked.
    materialized_members: bool = False
    _types: ClassVar[dict[str, str]] = {
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "decimal": f"DECIMAL({DECIMAL_DIGITS}, {DECIMAL_PLACES})",
        "text": "VARCHAR",
        "boolean": "BOOLEAN",
        "date": "DATE",
        "instant": "TIMESTAMPTZ",
        "local": "TIMESTAMP",
    }

    def sql(self, expression: exp.Expression, *, pretty: bool = False, copy: bool = True) -> str:
        """The expression as this dialect's SQL. `copy=False` lets sqlglot's rewrites for the
        dialect change the expression in place: for a query compiled to be rendered once."""
        return expression.sql(dialect=self.name, pretty=pretty, copy=copy)

    def unsupported(self, construct: str, reason: str) -> UnsupportedConstruct:
        return UnsupportedConstruct(construct, self.name, reason)

    # ---- types and literals ---------------------------------------------------------------
    def type(self, kind: str, scale: int | None = None) -> exp.DataType:
        if kind == "decimal" and scale is not None:
            return _built(f"DECIMAL({DECIMAL_DIGITS}, {scale})", self.name).copy()
        return _built(self._types[kind], self.name).copy()

    def cast(self, value: exp.Expr, kind: str, scale: int | None = None) -> exp.Cast:
        return exp.Cast(this=value, to=self.type(kind, scale))

    def not_a_number_as_null(self, value: exp.Expression) -> exp.Expression:
        """A float read from data with NaN as null, as every engine reads it (engines
        order NaN differently: DuckDB above every number, IEEE comparisons never true).
        Here NaN equals itself, as in DuckDB, Spark, PostgreSQL and Snowflake."""
        return exp.Nullif(this=value, expression=self.cast(string("NaN"), "double"))

    def instant_literal(self, instant: dt.datetime) -> exp.Expression:
        utc = instant.astimezone(dt.UTC)
        return self.cast(string(utc.isoformat(sep=" ")), "instant")

    def date_literal(self, day: dt.date) -> exp.Expression:
        return self.cast(string(day.isoformat()), "date")

    def instant_from_text(self, text: exp.Expression) -> exp.Expression:
        """An instant from ISO text that carries a zone offset."""
        return self.cast(text, "instant")

    def microsecond_text(self, text: exp.Expression) -> exp.Expression:
        """Time text whose cast drops the digits below a microsecond (toward zero), as the
        Arrow engine reads them (execute/data/reading.py): DuckDB's and Spark's casts do."""
        return text

    # ---- time zones -----------------------------------------------------------------------
    def local_datetime(self, instant: exp.Expression, timezone: str) -> exp.Expression:
        """The wall-clock time of an instant in `timezone`."""
        return self.cast(exp.AtTimeZone(this=instant, zone=string(timezone)), "local")

    def instant_from_local(self, local: exp.Expression, timezone: str) -> exp.Expression:
        """The instant at which the wall clock in `timezone` shows `local`."""
        return exp.AtTimeZone(this=local, zone=string(timezone))

    def local_date(self, instant: exp.Expression, timezone: str) -> exp.Expression:
        return self.cast(self.local_datetime(instant, timezone), "date")

    def midnight(self, day: exp.Expression, timezone: str) -> exp.Expression:
        """The instant a local day begins."""
        return self.instant_from_local(self.cast(day, "local"), timezone)

    # ---- epoch arithmetic -----------------------------------------------------------------
    def epoch_micros(self, instant: exp.Expression) -> exp.Expression:
        return call("UNIX_MICROS", instant)

    def instant_from_micros(self, micros: exp.Expression) -> exp.Expression:
        return exp.UnixToTime(this=micros, scale=exp.UnixToTime.MICROS)

    def add_micros(self, instant: exp.Expression, micros: exp.Expression) -> exp.Expression:
        return self.instant_from_micros(exp.Add(this=self.epoch_micros(instant), expression=micros))

    def whole_micros(self, nanos: exp.Expression, zoned: bool) -> exp.Expression:
        """A column of nanosecond timestamps (an instant when `zoned`, else a wall-clock time)
        in microseconds, the digits below a microsecond dropped toward zero as the Arrow
        engine drops them (execute/data/reading.py), where a cast would round them into
        the next microsecond, and so maybe the next period. As it is here: the dialect's
        reader gives microseconds already."""
        return nanos

    # ---- calendar dates -------------------------------------------------------------------
    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        """Whole days from the date `start` to the date `end`, as BIGINT."""
        return self.cast(exp.DateDiff(this=end, expression=start, unit=exp.var("DAY")), "bigint")

    def add_days(self, day: exp.Expression, count: exp.Expression) -> exp.Expression:
        return self.cast(exp.DateAdd(this=day, expression=count, unit=exp.var("DAY")), "date")

    def truncate_date(self, unit: str, day: exp.Expression) -> exp.Expression:
        """The first day of the month, quarter or year containing a date."""
        return self.cast(exp.DateTrunc(this=day, unit=exp.var(unit.upper())), "date")

    def add_months(self, day: exp.Expression, count: int | exp.Expression) -> exp.Expression:
        """The date `count` months later; the first of a month stays the first (every
        dialect's date-add clamps only days past a month's end)."""
        months = number(count) if isinstance(count, int) else count
        added = exp.DateAdd(this=day, expression=months, unit=exp.var("MONTH"))
        return self.cast(added, "date")

    def iso_weekday(self, value: exp.Expression) -> exp.Expression:
        """1 for Monday ... 7 for Sunday, of a date or local date-time."""
        return self.extract("ISODOW", value)

    def extract(self, field: str, value: exp.Expression) -> exp.Expression:
        return self.cast(exp.Extract(this=exp.var(field.upper()), expression=value), "bigint")

    # ---- tables -------------------------------------------------------------------------
    def numbers(self, count: int, column: str) -> exp.Expression:
        """A table (for FROM) of one column, `column`, holding 0 to `count - 1`."""
        series = exp.GenerateSeries(start=number(0), end=number(count - 1))
        return exp.Unnest(expressions=[series], alias=_table_alias(_NUMBERS, column))

    # ---- functions ------------------------------------------------------------------------
    def quantile(self, value: exp.Expression, fraction: float) -> exp.Expression:
        """The exact quantile with linear interpolation (DuckDB's quantile_cont)."""
        order = exp.Order(expressions=[exp.Ordered(this=value)])
        continuous = exp.PercentileCont(this=number(fraction))
        return exp.WithinGroup(this=continuous, expression=order)

    def binary_text(self, text: exp.Expression) -> exp.Expression:
        """Text to be ordered (`<`, `min`, `max_by`, the answer's rows) as the Arrow engine
        orders UTF-8: by its bytes, which is code point order. The other engines do so
        unless told otherwise; see Postgres."""
        return text

    def distinct_buckets(self, value: exp.Expression, type_: Type) -> Buckets | None:
        """How a distinct count of `value` (of the language's `type_`) is split into buckets
        counted in a first grouped pass, then summed (distinct_passes.py); None for the
        dialect's `COUNT(DISTINCT ...)` in a single pass."""
        return None

    def picked(
        self, value: exp.Expression, order: exp.Expression, largest: bool, present: exp.Expr
    ) -> exp.Expression:
        """An ordered aggregate (`last`, `max_by`): `value` at the row, among those where
        `present` holds, with the largest (smallest) pair (order, value); pairs compare as
        structs do, the value breaking ties of the order."""
        if not self.filter_clause:
            raise self.unsupported(
                "an aggregate picking one row (last, first, max_by or min_by)",
                "metricsmith has no form for it in this dialect yet",
            )
        pair = exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.to_identifier("o"), expression=order),
                exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()),
            ]
        )
        function = exp.ArgMax if largest else exp.ArgMin
        return exp.Filter(
            this=function(this=value, expression=pair), expression=exp.Where(this=present)
        )

    def contains(self, text: exp.Expression, part: exp.Expression) -> exp.Expression:
        position = exp.StrPosition(this=text, substr=part)
        return exp.GT(this=position, expression=number(0))

    def round(self, value: exp.Expression, digits: int) -> exp.Expression:
        """Rounds half away from zero."""
        return exp.Round(this=value, decimals=number(digits))

    def round_float(self, value: exp.Expression, digits: int) -> exp.Expression:
        """A double rounded as model/rounding.py says, in exact steps every engine takes
        alike (the fraction of |scaled| and its floor are exact in binary): the dialects' own
        ROUND of a double differ at halves."""
        scale = self.cast(number(float_scale(digits)), "double")
        scaled = _arithmetic("*" if digits > 0 else "/", value, scale)
        size = exp.Abs(this=scaled)
        whole = exp.Floor(this=size.copy())
        fraction = exp.Sub(this=size.copy(), expression=whole.copy())
        half_or_more = exp.GTE(this=paren(fraction), expression=number(0.5))
        magnitude = exp.Add(
            this=whole, expression=exp.If(this=half_or_more, true=number(1), false=number(0))
        )
        rounded = exp.If(
            this=exp.LT(this=scaled.copy(), expression=number(0)),
            true=exp.Neg(this=paren(magnitude)),
            false=magnitude.copy(),
        )
        back = _arithmetic("/" if digits > 0 else "*", rounded, scale.copy())
        too_large = exp.GTE(this=size.copy(), expression=self.cast(number(WHOLE_FROM), "double"))
        return exp.Case(ifs=[exp.If(this=too_large, true=value.copy())], default=back)

    def round_even(self, value: exp.Expression) -> exp.Expression:
        """Rounds to a whole number, halves to even (how durations are scaled). Dialects
        without such a rounding round halves away from zero: a difference of a microsecond
        at exact halves."""
        return exp.Round(this=value)

    def decimal_arithmetic(
        self, op: str, left: exp.Expression, right: exp.Expression
    ) -> exp.Expression:
        """`left op right` of two exact numbers, at least one of them a decimal, as the
        language's decimal (`kind` "decimal": 9 digits after the point), null where a divisor
        is 0. Exact here; dialects whose decimal arithmetic loses digits override it."""
        return self.cast(_arithmetic(op, left, right), "decimal")

    def _in_double(self, op: str, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        """`left op right` computed in double precision, as the language's decimal: 15 to 17
        significant digits, where an engine's exact decimals would keep fewer."""
        as_double = _arithmetic(op, self.cast(left, "double"), self.cast(right, "double"))
        return self.cast(as_double, "decimal")


class DuckDB(SqlDialect):
    name = "duckdb"
    runnable = True
    not_materialized = True
    materialized_members = True
    cheap_utc_local_dates = True
    # Comparing instants in the join took 7-10% less CPU than working out period numbers per
    # row on the families' cohorts and retention (warm, in turns), 3% less on revenue, the
    # same on health.
    states_by_period_number = False
    _types: ClassVar[dict[str, str]] = {**SqlDialect._types, "text": "VARCHAR"}

    def local_datetime(self, instant: exp.Expression, timezone: str) -> exp.Expression:
        if timezone == "UTC":
            # The instant's microseconds as a naive timestamp: casting a TIMESTAMPTZ goes
            # through ICU even in a UTC session (9M month numbers in 1.6 s against 0.19 s).
            return call("make_timestamp", self.epoch_micros(instant))
        return call("timezone", string(timezone), instant)

    def instant_from_local(self, local: exp.Expression, timezone: str) -> exp.Expression:
        if timezone == "UTC":
            return self.cast(local, "instant")
        return call("timezone", string(timezone), local)

    def epoch_micros(self, instant: exp.Expression) -> exp.Expression:
        return call("epoch_us", instant)

    def instant_from_micros(self, micros: exp.Expression) -> exp.Expression:
        return self.cast(call("make_timestamp", micros), "instant")

    def whole_micros(self, nanos: exp.Expression, zoned: bool) -> exp.Expression:
        # DuckDB reads them as TIMESTAMP_NS and TIMESTAMPTZ_NS, which no microsecond function
        # takes and a cast rounds; `//` truncates toward zero, as the Arrow engine does.
        micros = exp.IntDiv(this=call("epoch_ns", nanos), expression=number(1000))
        return self.instant_from_micros(micros) if zoned else call("make_timestamp", micros)

    def add_micros(self, instant: exp.Expression, micros: exp.Expression) -> exp.Expression:
        return exp.Add(this=instant, expression=call("to_microseconds", micros))

    def add_days(self, day: exp.Expression, count: exp.Expression) -> exp.Expression:
        # DATE + INTEGER is a date; there is no DATE + BIGINT.
        return exp.Add(this=day, expression=exp.Cast(this=count, to=exp.DataType.build("INT")))

    def iso_weekday(self, value: exp.Expression) -> exp.Expression:
        return call("isodow", value)

    def quantile(self, value: exp.Expression, fraction: float) -> exp.Expression:
        return call("quantile_cont", value, number(fraction))

    def contains(self, text: exp.Expression, part: exp.Expression) -> exp.Expression:
        return call("contains", text, part)

    def round_even(self, value: exp.Expression) -> exp.Expression:
        return call("round_even", value, number(0))

    def decimal_arithmetic(
        self, op: str, left: exp.Expression, right: exp.Expression
    ) -> exp.Expression:
        # DuckDB divides decimals as doubles, and its exact product of two DECIMAL(38, 9)
        # has 18 places, so only 20 digits before the point: both computed in double.
        if op in "*/":
            return self._in_double(op, left, right)
        return super().decimal_arithmetic(op, left, right)


class Spark(SqlDialect):
    """Spark SQL. Its TIMESTAMP is an instant shown in the session's zone (UTC); a local
    date-time is kept as a TIMESTAMP whose UTC wall clock is the local one, the convention of
    `from_utc_timestamp`, so Spark's date functions read the local calendar from it."""

    name = "spark"
    runnable = True
    # With `local_date` below, UTC months are month numbers rather than CASE trees. Placing
    # 6M instants among 35 month ends (benchmarks/month_numbers.py, a loaded machine): as
    # fast within the noise once compiled, 1.21-1.27 s (median 1.58-1.66 s) against a tree's
    # 0.92-1.25 s (1.51-2.11 s); a query's first run, which generates and compiles its code,
    # 3.2-4.2 s against 6.6-10.3 s, and a query runs once.
    cheap_utc_local_dates = True
    _types: ClassVar[dict[str, str]] = {
        **SqlDialect._types,
        "text": "STRING",
        "instant": "TIMESTAMP",
        "local": "TIMESTAMP",
    }

    def instant_from_text(self, text: exp.Expression) -> exp.Expression:
        # Spark reads a zone offset only after the seconds: 10:00Z becomes 10:00:00Z.
        with_seconds = call(
            "regexp_replace",
            text,
            string(r"^([0-9-]+[T ][0-9]{2}:[0-9]{2})([Z+-])"),
            string("$1:00$2"),
        )
        return self.cast(with_seconds, "instant")

    def local_datetime(self, instant: exp.Expression, timezone: str) -> exp.Expression:
        if timezone == "UTC":
            return instant
        return call("from_utc_timestamp", instant, string(timezone))

    def local_date(self, instant: exp.Expression, timezone: str) -> exp.Expression:
        if timezone != "UTC":
            return super().local_date(instant, timezone)
        # The days since the epoch, from the microseconds: CAST(t AS DATE) goes through the
        # session's time zone rules, twice the time (6M instants: 2.0 s against 0.97 s).
        # Counted from 0001-01-01 the sum is never negative, so DIV is the floor.
        since_year_1 = exp.Add(this=self.epoch_micros(instant), expression=number(_YEAR_1_MICROS))
        days = exp.Sub(
            this=exp.IntDiv(this=paren(since_year_1), expression=number(_MICROS_PER_DAY)),
            expression=number(_YEAR_1_MICROS // _MICROS_PER_DAY),
        )
        return call("date_from_unix_date", exp.Cast(this=days, to=exp.DataType.build("INT")))

    def instant_from_local(self, local: exp.Expression, timezone: str) -> exp.Expression:
        if timezone == "UTC":
            return self.cast(local, "instant")
        return call("to_utc_timestamp", self.cast(local, "instant"), string(timezone))

    def epoch_micros(self, instant: exp.Expression) -> exp.Expression:
        return call("unix_micros", instant)

    def instant_from_micros(self, micros: exp.Expression) -> exp.Expression:
        return call("timestamp_micros", micros)

    def add_days(self, day: exp.Expression, count: exp.Expression) -> exp.Expression:
        return call("date_add", day, exp.Cast(this=count, to=exp.DataType.build("INT")))

    def iso_weekday(self, value: exp.Expression) -> exp.Expression:
        # weekday() counts from 0 for Monday.
        return exp.Add(this=call("weekday", value), expression=number(1))

    # Spark's `percentile` counts each group's values in a hash map, then sorts its keys; a
    # sorted list of the values computes the same interpolation in 40-70% of the time (the
    # median of 10M events by month and segment: 112 s against 185 s on a loaded machine;
    # benchmarks/README.md, "Spark's aggregates"). It is a scalar expression over
    # `collect_list`, so it takes no FILTER: the rows a `where` drops are masked to null,
    # which `collect_list` skips.
    quantile_takes_filter = False

    def quantile(self, value: exp.Expression, fraction: float) -> exp.Expression:
        """The interpolation of the Arrow engine's `_quantile` and DuckDB's quantile_cont:
        with the group's values sorted, `v[lo] + (rank - lo) * (v[hi] - v[lo])` where
        `rank = (n - 1) * fraction`, `lo` and `hi` its floor and ceiling; null for no values.
        The sorted list is computed once, as the argument of a lambda."""
        values = exp.to_identifier("sorted_values")
        size = call("size", values)
        rank = exp.Mul(
            this=exp.Paren(this=exp.Sub(this=size, expression=number(1))),
            expression=self.cast(number(fraction), "double"),
        )
        lower, upper = call("floor", rank), call("ceil", rank)

        def at(position: exp.Expression) -> exp.Expression:
            index = exp.Cast(this=position, to=exp.DataType.build("INT"))
            return call("element_at", values, exp.Add(this=index, expression=number(1)))

        step = exp.Sub(this=at(upper.copy()), expression=at(lower.copy()))
        between = exp.Add(
            this=at(lower.copy()),
            expression=exp.Mul(
                this=exp.Paren(this=exp.Sub(this=rank.copy(), expression=lower.copy())),
                expression=exp.Paren(this=step),
            ),
        )
        interpolated = (
            exp.Case()
            .when(exp.EQ(this=size.copy(), expression=number(0)), exp.Null())
            .when(exp.EQ(this=lower.copy(), expression=upper.copy()), at(lower.copy()))
            .else_(between)
        )
        in_order = exp.Array(expressions=[call("array_sort", call("collect_list", value))])
        lambda_ = exp.Lambda(this=interpolated, expressions=[values.copy()])
        return call("element_at", call("transform", in_order, lambda_), number(1))

    def distinct_buckets(self, value: exp.Expression, type_: Type) -> Buckets | None:
        # An integer's bucket holds 64 consecutive values (`value >> 6`), counted as the bits
        # of a 64-bit mask (`bit_or` of `1 << (value & 63)`, then `bit_count`): exact for every
        # BIGINT, a fixed-width state Spark's hash aggregation keeps, and where values are
        # dense a 64th of the rows COUNT(DISTINCT) shuffles. Spark's own bitmaps (32,768
        # values, 4 KB a bucket) were as fast for dense ids but 8x slower for ids spread thin,
        # one to a bucket (benchmarks/README.md, "Spark: distinct counts in buckets").
        if type_ != Type.INTEGER:
            return None

        def counted(condition: exp.Expression | None) -> exp.Expression:
            position = exp.BitwiseAnd(this=paren(value.copy()), expression=number(63))
            bit = call(
                "shiftleft",
                self.cast(number(1), "bigint"),
                exp.Cast(this=position, to=exp.DataType.build("INT")),
            )
            mask: exp.Expression = call("bit_or", bit)
            if condition is not None:
                mask = exp.Filter(this=mask, expression=exp.Where(this=condition.copy()))
            return call("bit_count", mask)

        return call("shiftright", value.copy(), number(6)), counted

    def contains(self, text: exp.Expression, part: exp.Expression) -> exp.Expression:
        return exp.GT(this=call("instr", text, part), expression=number(0))

    def round_even(self, value: exp.Expression) -> exp.Expression:
        return call("bround", value)

    def decimal_arithmetic(
        self, op: str, left: exp.Expression, right: exp.Expression
    ) -> exp.Expression:
        # Spark cuts the scale of a result that could exceed 38 digits, down to 6 places: the
        # quotient and product of two DECIMAL(38, 9) keep 6, their sum 8. Products and
        # quotients are computed in double; sums of operands narrowed to 37 digits keep 9.
        if op in "*/":
            return self._in_double(op, left, right)
        narrow = f"DECIMAL({DECIMAL_DIGITS - 1}, {DECIMAL_PLACES})"
        left = exp.Cast(this=left, to=_built(narrow, self.name).copy())
        right = exp.Cast(this=right, to=_built(narrow, self.name).copy())
        return super().decimal_arithmetic(op, left, right)


class Postgres(SqlDialect):
    name = "postgres"
    runnable = True  # by the `postgres` engine of the metricsmith-postgres distribution
    # Placing 1.5M subscriptions at 36 month ends evaluated their period positions (CASE
    # trees) for each of the 54M pairs; once per row, the revenue benchmark's query took
    # 21.1 s instead of 26.3.
    join_filters_per_pair = True
    not_materialized = True
    _types: ClassVar[dict[str, str]] = {**SqlDialect._types, "double": "DOUBLE PRECISION"}

    def binary_text(self, text: exp.Expression) -> exp.Expression:
        # A database's default collation orders text by its locale: in en_US.UTF-8 or an ICU
        # locale "apple" < "Banana" and "Banana" > "b", so `name > "b"`, `max(name)` and the
        # answer's order differed from every other engine. "C" orders bytes, in every
        # PostgreSQL. (Equality needs nothing: a database's collation is deterministic.)
        return exp.Collate(this=paren(text), expression=exp.Identifier(this="C", quoted=True))

    def microsecond_text(self, text: exp.Expression) -> exp.Expression:
        # PostgreSQL rounds a seventh digit: .9999999 (as .NET writes times) became the next
        # second, a time at a month's end the next month.
        return call("regexp_replace", text, string(r"(\.[0-9]{6})[0-9]+"), string(r"\1"))

    def epoch_micros(self, instant: exp.Expression) -> exp.Expression:
        seconds = exp.Extract(this=exp.var("EPOCH"), expression=instant)
        return self.cast(exp.Mul(this=seconds, expression=number(_MICROS_PER_SECOND)), "bigint")

    def instant_from_micros(self, micros: exp.Expression) -> exp.Expression:
        epoch = self.cast(string("1970-01-01 00:00:00+00"), "instant")
        step = exp.Mul(
            this=paren(micros),
            expression=exp.Interval(this=string("1"), unit=exp.var("MICROSECOND")),
        )
        return exp.Add(this=epoch, expression=exp.Paren(this=step))

    def days_between(self, start: exp.Expression, end: exp.Expression) -> exp.Expression:
        return self.cast(exp.Sub(this=end, expression=start), "bigint")

    def numbers(self, count: int, column: str) -> exp.Expression:
        # generate_series is a table here, not an array to unnest.
        series = exp.GenerateSeries(start=number(0), end=number(count - 1))
        return exp.Table(this=series, alias=_table_alias(_NUMBERS, column))

    def picked(
        self, value: exp.Expression, order: exp.Expression, largest: bool, present: exp.Expr
    ) -> exp.Expression:
        # No arg_max: the first element of the values ordered by (order, value).
        keys = [exp.Ordered(this=e.copy(), desc=largest) for e in (order, value)]
        ordered = exp.ArrayAgg(this=exp.Order(this=value, expressions=keys))
        gathered = exp.Filter(this=ordered, expression=exp.Where(this=present))
        # sqlglot counts from 0 and writes Postgres's 1.
        return exp.Bracket(this=exp.Paren(this=gathered), expressions=[number(0)])

    def add_days(self, day: exp.Expression, count: exp.Expression) -> exp.Expression:
        # DATE + INTEGER is a date; there is no DATE + BIGINT.
        return exp.Add(this=day, expression=exp.Cast(this=count, to=exp.DataType.build("INT")))

    def round(self, value: exp.Expression, digits: int) -> exp.Expression:
        # round() of a double rounds halves to even; numeric rounds them away from zero.
        exact = exp.Round(
            this=exp.Cast(this=value, to=exp.DataType.build("NUMERIC")), decimals=number(digits)
        )
        return self.cast(exact, "double")


class Trino(SqlDialect):
    name = "trino"
    _types: ClassVar[dict[str, str]] = {
        **SqlDialect._types,
        "instant": "TIMESTAMP(6) WITH TIME ZONE",
        "local": "TIMESTAMP(6)",
    }

    def not_a_number_as_null(self, value: exp.Expression) -> exp.Expression:
        # NaN equals nothing here, itself included: ask for it by name.
        return exp.If(this=call("is_nan", value), true=exp.Null(), false=value.copy())

    def instant_literal(self, instant: dt.datetime) -> exp.Expression:
        utc = instant.astimezone(dt.UTC).replace(tzinfo=None)
        return self.cast(
            string(f"{utc.isoformat(sep=' ', timespec='microseconds')} UTC"), "instant"
        )

    def local_datetime(self, instant: exp.Expression, timezone: str) -> exp.Expression:
        return self.cast(call("at_timezone", instant, string(timezone)), "local")

    def instant_from_local(self, local: exp.Expression, timezone: str) -> exp.Expression:
        return call("with_timezone", local, string(timezone))

    def epoch_micros(self, instant: exp.Expression) -> exp.Expression:
        # to_unixtime is a double; its error (< 0.2 µs for years up to 2200) rounds away.
        micros = exp.Mul(this=call("to_unixtime", instant), expression=number(_MICROS_PER_SECOND))
        return self.cast(exp.Round(this=micros), "bigint")

    def instant_from_micros(self, micros: exp.Expression) -> exp.Expression:
        return call("from_unixtime_nanos", exp.Mul(this=micros, expression=number(1000)))

    def add_days(self, day: exp.Expression, count: exp.Expression) -> exp.Expression:
        return call("date_add", string("day"), count, day)

    def iso_weekday(self, value: exp.Expression) -> exp.Expression:
        return call("day_of_week", value)

    def decimal_arithmetic(
        self, op: str, left: exp.Expression, right: exp.Expression
    ) -> exp.Expression:
        # Trino gives a quotient the larger of the operands' scales; widen the dividend's so
        # the quotient has more places than the language keeps.
        if op == "/":
            left = self.cast(left, "decimal", scale=DECIMAL_PLACES + 9)
        return super().decimal_arithmetic(op, left, right)

    def quantile(self, value: exp.Expression, fraction: float) -> exp.Expression:
        raise self.unsupported(
            "an exact median or percentile", "Trino only has approximate percentiles"
        )


class BigQuery(SqlDialect):
    name = "bigquery"
    filter_clause = False
    _types: ClassVar[dict[str, str]] = {
        **SqlDialect._types,
        "local": "DATETIME",
        "instant": "TIMESTAMP",
    }

    def not_a_number_as_null(self, value: exp.Expression) -> exp.Expression:
        # NaN equals nothing here, itself included: ask for it by name.
        return exp.If(this=call("IS_NAN", value), true=exp.Null(), false=value.copy())

    def local_datetime(self, instant: exp.Expression, timezone: str) -> exp.Expression:
        return call("DATETIME", instant, string(timezone))

    def instant_from_local(self, local: exp.Expression, timezone: str) -> exp.Expression:
        return call("TIMESTAMP", local, string(timezone))

    def add_days(self, day: exp.Expression, count: exp.Expression) -> exp.Expression:
        return exp.DateAdd(this=day, expression=count, unit=exp.var("DAY"))

    def iso_weekday(self, value: exp.Expression) -> exp.Expression:
        # DAYOFWEEK counts from 1 for Sunday.
        sunday_first = exp.Extract(this=exp.var("DAYOFWEEK"), expression=value)
        shifted = exp.Mod(
            this=exp.Add(this=sunday_first, expression=number(5)), expression=number(7)
        )
        return exp.Add(this=shifted, expression=number(1))

    def quantile(self, value: exp.Expression, fraction: float) -> exp.Expression:
        raise self.unsupported(
            "an exact median or percentile",
            "BigQuery's PERCENTILE_CONT is an analytic function, not an aggregate",
        )


class Snowflake(SqlDialect):
    name = "snowflake"
    filter_clause = False
    _types: ClassVar[dict[str, str]] = {
        **SqlDialect._types,
        "instant": "TIMESTAMPTZ",
        "local": "TIMESTAMPNTZ",
    }

    def local_datetime(self, instant: exp.Expression, timezone: str) -> exp.Expression:
        return self.cast(call("CONVERT_TIMEZONE", string(timezone), instant), "local")

    def instant_from_local(self, local: exp.Expression, timezone: str) -> exp.Expression:
        utc_wall_clock = call("CONVERT_TIMEZONE", string(timezone), string("UTC"), local)
        return self.cast(utc_wall_clock, "instant")

    def epoch_micros(self, instant: exp.Expression) -> exp.Expression:
        return call("DATE_PART", exp.var("EPOCH_MICROSECOND"), instant)

    def instant_from_micros(self, micros: exp.Expression) -> exp.Expression:
        return call("TO_TIMESTAMP_TZ", micros, number(6))

    def add_days(self, day: exp.Expression, count: exp.Expression) -> exp.Expression:
        return call("DATEADD", exp.var("DAY"), count, day)

    def iso_weekday(self, value: exp.Expression) -> exp.Expression:
        return call("DAYOFWEEKISO", value)

    def contains(self, text: exp.Expression, part: exp.Expression) -> exp.Expression:
        return call("CONTAINS", text, part)

    def round_even(self, value: exp.Expression) -> exp.Expression:
        return call("ROUND", value, number(0), string("HALF_TO_EVEN"))


_NUMBERS = "numbers"


def _table_alias(table: str, column: str) -> exp.TableAlias:
    return exp.TableAlias(this=exp.to_identifier(table), columns=[exp.to_identifier(column)])


def _arithmetic(op: str, left: exp.Expression, right: exp.Expression) -> exp.Expr:
    """`left op right` with both sides parenthesised; a divisor of 0 gives null."""
    if op == "/":
        right = exp.Nullif(this=right, expression=number(0))
    operator = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul, "/": exp.Div}[op]
    node = operator(this=paren(left), expression=paren(right))
    if op == "/":
        node.set("typed", False)
        node.set("safe", False)
    return node


DIALECTS: dict[str, SqlDialect] = {
    d.name: d for d in (DuckDB(), Spark(), Postgres(), Trino(), BigQuery(), Snowflake())
}
assert tuple(DIALECTS) == DIALECT_NAMES


@functools.cache
def _built(name: str, dialect: str) -> exp.DataType:
    """A type parsed once per dialect (parsing builds a dialect each time, the most costly
    step of compiling a large query); callers take copies."""
    return exp.DataType.build(name, dialect=dialect)
