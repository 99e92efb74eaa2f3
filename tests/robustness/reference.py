"""An independent oracle: the meaning of a subset of the language, computed cell by cell in
plain Python from the documentation (docs/language.md, docs/time-intelligence.md), for the
projects of valid_projects.py (its sources, its dimension `size`, its CSV data).

The engines share one planner, so when it is wrong every engine is wrong the same way and
the differential tests agree. This module shares nothing with the engine: it reads the CSV
text itself, places rows in periods with datetime and zoneinfo, and evaluates each metric as
the docs define it — for each cell, pick the rows, compute. It is written to be obviously
right, not fast: every aggregate rescans the rows.

A metric is a tree of the nodes below; each node writes its own formula text (what the
project file says) and the `Reference` evaluates it (what the docs say it means). The row
formulas and conditions are a fixed table of texts with their meaning as Python functions,
so nothing is parsed.

The subset: sources `events` and `accounts` (through the link, for conditions and
dimensions; a link to an account that does not exist reads nulls) and the state source
`subscriptions`; count / sum / avg / min / max / count_distinct / median / percentile /
stddev / last / first / max_by / min_by with `where`; grains day, week, month, quarter and
none, over ranges given in full (or no range without a grain), or open ranges for queries
that read every row of `events`; `by` over `accounts.segment`, `accounts.big` and the
dimension `size`; the query's `where`; metric arithmetic, functions and references; `per
day` / `per week` / `per month`, `per user` and `per account`, with `where`, nested with the
sub-periods either way; offsets and previous / change / growth, also inside `per day`, `per
month`, `per user` and `per account`; the windows `over last N days|weeks|months`, `over
week|month|year to date`, `over all time` on event sources, and `over all time` and `over
last N months|weeks` on the state source. reference_cases.py says, where it leaves a shape
out, why.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import math
import operator
from collections.abc import Callable, Iterable
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from attrs import frozen

Value = object  # int, float, Decimal, str, bool, datetime, or None (null)
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
EXACT = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_UP)  # no digits lost before 9 places
NINE_PLACES = Decimal("1e-9")

# ---- values: docs/language.md, "Numbers: decimals and overflow" and "Nulls" ---------------


def _decimal_result(value: Decimal) -> Decimal:
    """Arithmetic on two exact numbers is a decimal rounded to 9 places, halves away from 0."""
    return value.quantize(NINE_PLACES, context=EXACT)


def arithmetic(operator: str, left: Value, right: Value) -> Value:
    if left is None or right is None:
        return None
    assert isinstance(left, int | float | Decimal) and isinstance(right, int | float | Decimal)
    if operator == "/":
        if right == 0:
            return None  # `x / 0` is null, never infinity or an error
        if isinstance(left, Decimal) and isinstance(right, Decimal):
            return _decimal_result(EXACT.divide(left, right))
        return float(left) / float(right)  # between integers, or a decimal and an integer
    if isinstance(left, float) or isinstance(right, float):
        return {"+": float.__add__, "-": float.__sub__, "*": float.__mul__}[operator](
            float(left), float(right)
        )
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        exact = {"+": EXACT.add, "-": EXACT.subtract, "*": EXACT.multiply}[operator]
        return _decimal_result(exact(Decimal(left), Decimal(right)))
    return {"+": int.__add__, "-": int.__sub__, "*": int.__mul__}[operator](left, right)


def round_to(value: Value, digits: int) -> Value:
    """`round(x, digits)`: exact for integers and decimals; a float multiplied by 10**digits
    in double precision, rounded half away from zero and divided back (language.md)."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1).scaleb(-digits), context=EXACT)
    assert isinstance(value, float)
    scaled = value * 10.0**digits
    if abs(scaled) >= 2.0**53:
        return value
    whole = math.floor(abs(scaled) + 0.5)
    return math.copysign(whole, scaled) / 10.0**digits


def compare(operator: str, left: Value, right: Value) -> bool | None:
    if left is None or right is None:
        return None  # a comparison with a null is null
    return {
        "==": left == right,
        "!=": left != right,
        ">": left > right,  # type: ignore[operator]
        ">=": left >= right,  # type: ignore[operator]
        "<": left < right,  # type: ignore[operator]
        "<=": left <= right,  # type: ignore[operator]
    }[operator]


def member(value: Value, choices: Iterable[Value]) -> bool | None:
    """`v in (…)` as SQL reads it: true on a match, else null when v or a choice is null."""
    if value is None:
        return None
    choices = list(choices)
    if value in [c for c in choices if c is not None]:
        return True
    return None if None in choices else False


def negate(value: Value) -> bool | None:
    return None if value is None else not value


def call(function: Callable[..., Value], *arguments: Value) -> Value:
    """A scalar function: null when any argument is null."""
    return None if any(a is None for a in arguments) else function(*arguments)


# ---- rows ----------------------------------------------------------------------------------


@frozen
class Row:
    """One row of a source: its own columns, the columns of the account it links to (None
    when the link is empty or names no account: every linked column reads null), its time."""

    columns: dict[str, Value]
    account: dict[str, Value] | None
    time: dt.datetime | None  # a UTC instant
    zone: ZoneInfo

    def __getitem__(self, name: str) -> Value:
        return self.columns[name]

    def linked(self, name: str) -> Value:
        return None if self.account is None else self.account[name]

    def local(self, name: str) -> dt.datetime | None:
        moment = self.columns[name]
        assert moment is None or isinstance(moment, dt.datetime)
        return None if moment is None else moment.astimezone(self.zone)


def size(row: Row) -> Value:
    """`dimension size = case when accounts.employees < 50 then "small" else "large" end`: a
    null comparison is not true, so an account without employees, or no account, is large."""
    return "small" if compare("<", row.linked("employees"), 50) else "large"


def late(row: Row) -> Value:
    """`column late = hour(at) >= 12` of events."""
    return compare(">=", call(lambda t: t.hour, row.local("at")), 12)


def seg_label(row: Row) -> Value:
    """`column seg_label = coalesce(upper(segment), "NONE")` of accounts."""
    label = call(str.upper, row["segment"])
    return "NONE" if label is None else label


def big(row: Row) -> Value:
    return compare(">=", row.linked("employees"), 50)


# Row formulas by source, as the project writes them and as the docs define them.
NUMBERS: dict[str, dict[str, Callable[[Row], Value]]] = {
    "events": {
        "events.x": lambda r: r["x"],
        "events.y": lambda r: r["y"],
        "events.amount": lambda r: r["amount"],
        "events.x2": lambda r: arithmetic("+", arithmetic("*", r["x"], 2), 1),
        "events.acct_size": lambda r: r.linked("employees"),
        "events.x * accounts.employees": lambda r: arithmetic("*", r["x"], r.linked("employees")),
        "events.x + y": lambda r: arithmetic("+", r["x"], r["y"]),
        "events.x * 2 - y": lambda r: arithmetic("-", arithmetic("*", r["x"], 2), r["y"]),
        "abs(events.x)": lambda r: call(abs, r["x"]),
        "round(events.y, 1)": lambda r: round_to(r["y"], 1),
        "coalesce(events.x, 0)": lambda r: 0 if r["x"] is None else r["x"],
        "events.x / y": lambda r: arithmetic("/", r["x"], r["y"]),
        "events.amount * 2": lambda r: arithmetic("*", r["amount"], 2),
        "if(events.late, x, 0)": lambda r: r["x"] if late(r) else 0,
        "day(events.at)": lambda r: call(lambda t: t.day, r.local("at")),
        "hour(events.at)": lambda r: call(lambda t: t.hour, r.local("at")),
        "weekday(events.at)": lambda r: call(lambda t: t.isoweekday(), r.local("at")),
    },
    "accounts": {
        "accounts.employees": lambda r: r["employees"],
        "accounts.revenue": lambda r: r["revenue"],
        "accounts.employees * 2": lambda r: arithmetic("*", r["employees"], 2),
        "accounts.revenue / 2": lambda r: arithmetic("/", r["revenue"], 2),
        "month(accounts.signed_up_at)": lambda r: call(lambda t: t.month, r.local("signed_up_at")),
    },
    "subscriptions": {
        "subscriptions.mrr": lambda r: r["mrr"],
        "subscriptions.seats": lambda r: r["seats"],
        "subscriptions.mrr * seats": lambda r: arithmetic("*", r["mrr"], r["seats"]),
        "coalesce(subscriptions.mrr, 0) + 1": lambda r: arithmetic(
            "+", 0 if r["mrr"] is None else r["mrr"], 1
        ),
        "subscriptions.seats + accounts.employees": lambda r: arithmetic(
            "+", r["seats"], r.linked("employees")
        ),
    },
}
# Values that are not numbers, for min, max and count_distinct.
OTHERS: dict[str, dict[str, Callable[[Row], Value]]] = {
    "events": {
        "events.user_id": lambda r: r["user_id"],
        "upper(events.user_id)": lambda r: call(str.upper, r["user_id"]),
        "events.at": lambda r: r["at"],
    },
    "accounts": {
        "accounts.segment": lambda r: r["segment"],
        "accounts.seg_label": lambda r: seg_label(r),
    },
    "subscriptions": {
        "subscriptions.started_at": lambda r: r["started_at"],
        "subscriptions.account_id": lambda r: r["account_id"],
    },
}
CONDITIONS: dict[str, dict[str, Callable[[Row], Value]]] = {
    "events": {
        "x > 1": lambda r: compare(">", r["x"], 1),
        "x <= 0": lambda r: compare("<=", r["x"], 0),
        "y is null": lambda r: r["y"] is None,
        "y is not null": lambda r: r["y"] is not None,
        "late": late,
        'accounts.segment == "smb"': lambda r: compare("==", r.linked("segment"), "smb"),
        'accounts.segment in ("smb", "ent")': lambda r: member(r.linked("segment"), ["smb", "ent"]),
        "x2 >= 3": lambda r: compare(">=", NUMBERS["events"]["events.x2"](r), 3),
        "amount > 1.5": lambda r: compare(">", r["amount"], 1.5),
        "acct_size > 20": lambda r: compare(">", r.linked("employees"), 20),
        'starts_with(lower(user_id), "u1")': lambda r: call(
            lambda u: u.lower().startswith("u1"), r["user_id"]
        ),
        'size == "small"': lambda r: size(r) == "small",
        'user_id not in ("u1")': lambda r: negate(member(r["user_id"], ["u1"])),
        'contains(user_id, "2")': lambda r: call(lambda u: "2" in u, r["user_id"]),
        "x in (1, 2, null)": lambda r: member(r["x"], [1, 2, None]),
    },
    "accounts": {
        "big": big,
        'segment == "ent"': lambda r: compare("==", r["segment"], "ent"),
        "employees is null": lambda r: r["employees"] is None,
        "revenue >= 10": lambda r: compare(">=", r["revenue"], 10),
        'seg_label != "NONE"': lambda r: compare("!=", seg_label(r), "NONE"),
        'size == "large"': lambda r: size(r) == "large",
    },
    "subscriptions": {
        "mrr > 0": lambda r: compare(">", r["mrr"], 0),
        "seats >= 2": lambda r: compare(">=", r["seats"], 2),
        "mrr is null": lambda r: r["mrr"] is None,
        'accounts.segment == "smb"': lambda r: compare("==", r.linked("segment"), "smb"),
    },
}
# The query's `where` filters and `by` columns, over a row of either source.
FILTERS: dict[str, Callable[[Row], Value]] = {
    'accounts.segment == "smb"': lambda r: compare("==", r.linked("segment"), "smb"),
    "accounts.employees > 10": lambda r: compare(">", r.linked("employees"), 10),
    'size == "small"': lambda r: size(r) == "small",
}
DIMENSIONS: dict[str, Callable[[Row], Value]] = {
    "accounts.segment": lambda r: r.linked("segment"),
    "accounts.big": big,
    "size": size,
}


# ---- reading the CSV text as the docs say --------------------------------------------------


def instant(text: str | None, zone: ZoneInfo) -> dt.datetime | None:
    """A timestamp with a zone or offset is an instant; without one it is a wall-clock time in
    the calendar's zone, and a date is its local midnight."""
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def _records(text: str) -> list[dict[str, str | None]]:
    return [
        {name: cell if cell != "" else None for name, cell in line.items()}
        for line in csv.DictReader(io.StringIO(text))
    ]


def _typed(value: str | None, kind: Callable[[str], Value]) -> Value:
    return None if value is None else kind(value)


def read_sources(data: dict[str, str], zone: ZoneInfo) -> dict[str, list[Row]]:
    """The rows of `accounts` and `events`, typed as the project declares their columns."""
    accounts = {}
    for record in _records(data["accounts.csv"]):
        columns: dict[str, Value] = {
            "account_id": record["account_id"],
            "segment": record["segment"],
            "employees": _typed(record["employees"], int),
            "revenue": _typed(record["revenue"], Decimal),
            "signed_up_at": instant(record["signed_up_at"], zone),
        }
        accounts[record["account_id"]] = columns
    events = []
    for record in _records(data["events.csv"]):
        columns = {
            "at": instant(record["at"], zone),
            "account_id": record["account_id"],
            "user_id": record["user_id"],
            "x": _typed(record["x"], int),
            "y": _typed(record["y"], float),
            "amount": _typed(record["amount"], Decimal),
        }
        account = accounts.get(record["account_id"]) if record["account_id"] else None
        time = columns["at"]
        assert time is None or isinstance(time, dt.datetime)
        events.append(Row(columns, account, time, zone))
    signups = []
    for columns in accounts.values():
        time = columns["signed_up_at"]
        assert time is None or isinstance(time, dt.datetime)
        signups.append(Row(columns, columns, time, zone))
    subscriptions = []
    for record in _records(data["subscriptions.csv"]):
        columns = {
            "account_id": record["account_id"],
            "mrr": _typed(record["mrr"], Decimal),
            "seats": _typed(record["seats"], int),
            "started_at": instant(record["started_at"], zone),
            "ended_at": instant(record["ended_at"], zone),
        }
        account = accounts.get(record["account_id"]) if record["account_id"] else None
        subscriptions.append(Row(columns, account, None, zone))
    return {"events": events, "accounts": signups, "subscriptions": subscriptions}


def in_force(row: Row, moment: dt.datetime) -> bool:
    """A row of a state source is in force at an instant t when it started before t and had
    not ended by then (time-intelligence.md, State sources)."""
    started, ended = row["started_at"], row["ended_at"]
    assert isinstance(started, dt.datetime) and (ended is None or isinstance(ended, dt.datetime))
    return started < moment and (ended is None or ended >= moment)


# ---- periods -------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    """`day` some calendar months later, clamped to the month's end (March 31 - 1 month is
    February 29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    following = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last = (following - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last))


def period_start(day: dt.date, grain: str, week_start: str) -> dt.date:
    """The first day of the calendar period of `grain` holding `day`."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=(day.weekday() - WEEKDAYS.index(week_start)) % 7)
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    assert grain == "year"
    return dt.date(day.year, 1, 1)


def advance(start: dt.date, grain: str, periods: int) -> dt.date:
    """The first day of the period `periods` grains after the one starting at `start`."""
    if grain in ("day", "week"):
        return start + dt.timedelta(days=periods * (7 if grain == "week" else 1))
    return _add_months(start, periods * {"month": 1, "quarter": 3, "year": 12}[grain])


@frozen
class Span:
    """A period: the local days [start, end), labelled by its calendar period's first day;
    `start` is later than `label` when the query's range clips it. A span without bounds is
    all time (a query with neither grain nor range)."""

    label: dt.date | None
    start: dt.date | None
    end: dt.date | None
    grain: str | None = None
    index: int = 0  # its place among the query's periods (offsets count from it)


def parse_bound(text: str) -> dt.date:
    return dt.date.fromisoformat(text + "-01" if len(text) == 7 else text)


# ---- metric formulas ----------------------------------------------------------------------


class Node:
    def text(self) -> str:
        raise NotImplementedError


@frozen
class Condition(Node):
    """A row condition: one of CONDITIONS, or `and`, `or`, `not` of others."""

    kind: str  # "one", "and", "or", "not"
    source: str
    leaf: str = ""
    parts: tuple[Condition, ...] = ()

    def text(self) -> str:
        if self.kind == "one":
            return self.leaf
        if self.kind == "not":
            return f"not ({self.parts[0].text()})"
        return f"({self.parts[0].text()}) {self.kind} ({self.parts[1].text()})"

    def holds(self, row: Row) -> Value:
        """Three-valued: false and null is false, true or null is true."""
        if self.kind == "one":
            return CONDITIONS[self.source][self.leaf](row)
        values = [part.holds(row) for part in self.parts]
        if self.kind == "not":
            return negate(values[0])
        if self.kind == "and":
            return False if False in values else None if None in values else True
        return True if True in values else None if None in values else False


@frozen
class Aggregate(Node):
    """An aggregate of language.md's table: count, sum, avg, min, max, count_distinct,
    median, percentile (`parameter` the fraction), stddev, last, first, and max_by / min_by
    (`parameter` the row formula ordering the rows)."""

    function: str
    source: str
    value: str | None  # a row formula of NUMBERS or OTHERS; None: `count(source)`
    where: Condition | None = None
    window: str | None = None  # "over last 7 days", …
    parameter: str | None = None

    def text(self) -> str:
        where = f" where {self.where.text()}" if self.where else ""
        window = f" {self.window}" if self.window else ""
        parameter = f", {self.parameter}" if self.parameter else ""
        return f"{self.function}({self.value or self.source}{parameter}{where}){window}"

    def evaluate(self, rows: list[Row]) -> Value:
        """docs/language.md, Aggregates: nulls skipped; over no value count and sum are 0,
        the others null."""
        picked = [r for r in rows if self.where is None or self.where.holds(r)]
        if self.value is None:
            return len(picked)
        formula = {**NUMBERS[self.source], **OTHERS[self.source]}[self.value]
        if self.function in ("last", "first", "max_by", "min_by"):
            return self._pick(formula, picked)
        values = [v for v in map(formula, picked) if v is not None]
        if self.function == "count":
            return len(values)
        if self.function == "count_distinct":
            return len(set(values))
        if self.function == "sum":
            return total(values)
        if not values:
            return None
        if self.function == "avg":
            return float(total(values)) / len(values)  # type: ignore[arg-type]
        if self.function in ("median", "percentile", "stddev"):
            return spread(self.function, values, self.parameter)  # type: ignore[arg-type]
        return {"min": min, "max": max}[self.function](values)  # type: ignore[type-var]

    def _pick(self, formula: Callable[[Row], Value], rows: list[Row]) -> Value:
        """The value at the latest (`last`) or earliest (`first`) time, or where the ordering
        formula is largest (`max_by`) or smallest (`min_by`); rows whose value or order is
        null are skipped; ties are broken by the value, the largest for `last` and `max_by`,
        the smallest for the others (language.md, Last and first values)."""
        if self.function in ("last", "first"):
            order: Callable[[Row], Value] = lambda r: r.time  # noqa: E731
        else:
            assert self.parameter is not None
            order = NUMBERS[self.source][f"{self.source}.{self.parameter}"]
        pairs = [(order(r), formula(r)) for r in rows]
        pairs = [(o, v) for o, v in pairs if o is not None and v is not None]
        if not pairs:
            return None
        largest = self.function in ("last", "max_by")
        return (max if largest else min)(pairs)[1]


def spread(function: str, values: list[int | float | Decimal], fraction: str | None) -> Value:
    """`median`, `percentile(x, f)` and `stddev` of the non-null values, floats computed from
    the exact values (language.md, Aggregates): the median is the middle value, or the mean
    of the two middle ones; a percentile interpolates linearly between the two values
    nearest its place f * (n - 1) in the sorted values (the median is f = 0.5); the standard
    deviation is the sample one, null with one value."""
    exact = [Fraction(v) for v in values]  # Fraction takes ints, floats and decimals exactly
    if function == "stddev":
        if len(exact) < 2:
            return None
        mean = sum(exact) / len(exact)
        return math.sqrt(sum((v - mean) ** 2 for v in exact) / (len(exact) - 1))
    ordered = sorted(exact)
    place = Fraction(fraction or "0.5") * (len(ordered) - 1)
    below = math.floor(place)
    above = min(below + 1, len(ordered) - 1)
    low, high = ordered[below], ordered[above]
    return float(low + (high - low) * (place - below))


def total(values: list[Value]) -> Value:
    """A sum: exact for integers and decimals, a float for floats; 0 over nothing."""
    if any(isinstance(v, float) for v in values):
        return math.fsum(values)  # type: ignore[arg-type]
    result: Value = 0
    for value in values:
        result = arithmetic("+", result, value)
    return result


@frozen
class Metric(Node):
    name: str

    def text(self) -> str:
        return self.name


@frozen
class Arithmetic(Node):
    operator: str
    left: Node
    right: Node

    def text(self) -> str:
        return f"({self.left.text()}) {self.operator} ({self.right.text()})"


FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "-({})": lambda v: call(operator.neg, v),
    "abs({})": lambda v: call(abs, v),
    "coalesce({}, 0)": lambda v: 0 if v is None else v,
    "round({}, 2)": lambda v: round_to(v, 2),
}


@frozen
class Function(Node):
    shape: str  # a key of FUNCTIONS
    inner: Node

    def text(self) -> str:
        return self.shape.format(self.inner.text())


@frozen
class Offset(Node):
    """`m[-k]`, or `previous(m)` / `change(m)` / `growth(m)` with `comparison`."""

    name: str
    back: int = 1
    comparison: str | None = None

    def text(self) -> str:
        if self.comparison:
            return f"{self.comparison}({self.name})"
        return f"{self.name}[-{self.back}]"


@frozen
class Compare(Node):
    """A metric-level comparison with a constant or a formula, `(m[-1]) > 0`, `(m) > (m[-1])`:
    null when either side is."""

    operator: str
    left: Node
    right: Node | int

    def text(self) -> str:
        right = self.right.text() if isinstance(self.right, Node) else self.right
        return f"({self.left.text()}) {self.operator} ({right})"


@frozen
class Logic(Node):
    """`and`, `or`, `not` of metric-level conditions, three-valued (language.md, Nulls)."""

    kind: str  # "and", "or", "not"
    parts: tuple[Node, ...]

    def text(self) -> str:
        if self.kind == "not":
            return f"not ({self.parts[0].text()})"
        return f"({self.parts[0].text()}) {self.kind} ({self.parts[1].text()})"


@frozen
class Per(Node):
    """`combine(per over[: body] [where test])`, over sub-periods (`day`, `week`, `month`),
    the users (`user`, the identifier entity of events) or the accounts (`account`, the
    entity with the key source `accounts`); the test a Compare or a Logic of them."""

    combine: str  # count, count_distinct, sum, avg, min, max, median, stddev
    over: str
    body: Node | None
    test: Node | None = None

    def text(self) -> str:
        body = f": {self.body.text()}" if self.body else ""
        where = f" where {self.test.text()}" if self.test else ""
        return f"{self.combine}(per {self.over}{body}{where})"


def walk(node: Node) -> Iterable[Node]:
    yield node
    for child in (getattr(node, n, None) for n in ("left", "right", "inner", "body", "test")):
        if isinstance(child, Node):
            yield from walk(child)
    for part in getattr(node, "parts", ()) if isinstance(node, Logic) else ():
        yield from walk(part)


# ---- the oracle ---------------------------------------------------------------------------

STATES = {"subscriptions"}  # sources read as of each period's end
ANY = None  # the combination of a cell that is not sliced by it (a first pass over all rows)


@frozen
class Cell:
    """Where a formula is evaluated besides its period: the `by` values (ANY in the first
    pass) and, under `per user` or `per account`, the user or account whose rows the
    aggregates are restricted to."""

    combination: tuple | None
    user: str | None = None
    account: str | None = None


class Reference:
    """The answer to one query: `rows()` lists, for each cell in the answer's order, the
    period's label, the `by` values and each metric's value."""

    def __init__(
        self,
        data: dict[str, str],
        metrics: dict[str, Node],
        *,
        timezone: str,
        week_start: str,
        grain: str | None,
        start: str | None,
        end: str | None,
        by: tuple[str, ...] = (),
        where: tuple[str, ...] = (),
    ) -> None:
        assert grain is not None or (start is None) == (end is None), "a grain or a full range"
        self.zone = ZoneInfo(timezone)
        self.week_start = week_start
        self.metrics = metrics
        self.grain = grain
        self.start = parse_bound(start) if start else None
        self.end = parse_bound(end) if end else None
        self.by = by
        # The query's filters keep rows of every source before anything else.
        self.sources = {
            source: [r for r in rows if all(FILTERS[f](r) is True for f in where)]
            for source, rows in read_sources(data, self.zone).items()
        }
        if grain is not None and (start is None or end is None):
            self._open_range()
        self.periods = self._periods()
        self.seen: set[tuple] = set()  # the combinations of the rows the metrics read
        # While above zero, every part of a formula is evaluated whatever its conditions say:
        # the first pass and the search for a cell's users read what the formulas read.
        self.everything = 0
        self.naming: set[Value] | None = None  # the users the rows read so far name

    # -- periods, ranges and the time spine (language.md) --

    def _open_range(self) -> None:
        """Without `--from` or `--to`, the data supplies the range's missing ends: the first
        day of the period holding the earliest row the query reads, the end of the period
        holding the latest, from the rows inside the range when one end is given (language.md,
        Periods, ranges and the time spine). In the subset
        the metrics read plain aggregates over event sources, every row of them (no `where`,
        window, offset or state source, for which the docs do not say which rows count),
        and a row without a time is in no period. No row, or an end not after the start:
        no periods."""
        sources = set()
        for formula in self.metrics.values():
            for node in walk(formula):
                if isinstance(node, Aggregate):
                    assert node.source not in STATES and not node.where and not node.window
                    sources.add(node.source)
                assert not isinstance(node, Offset) and not (
                    isinstance(node, Per) and node.over == "account"
                ), "which rows an open range reads for these is not in the subset"
        # With one bound given, only the rows inside the range supply the other end, even
        # in its first or last period (a row before `--from` supplies nothing).
        days = [
            day
            for source in sorted(sources)
            for row in self.sources[source]
            if row.time is not None
            for day in [row.time.astimezone(self.zone).date()]
            if (self.start is None or day >= self.start) and (self.end is None or day < self.end)
        ]
        assert self.grain is not None
        if not days:
            self.start = self.end = None
            return
        if self.start is None:
            self.start = period_start(min(days), self.grain, self.week_start)
        if self.end is None:
            self.end = advance(period_start(max(days), self.grain, self.week_start), self.grain, 1)

    def _periods(self) -> list[Span]:
        """The range split by the grain into half-open periods, the first and last clipped
        to the range; without a grain the range (or all time) is one period."""
        if self.grain is None:
            return [Span(None, self.start, self.end)]
        if self.start is None or self.end is None or self.end <= self.start:
            return []  # an open range the data supplies no end for, or none after the start
        spans: list[Span] = []
        label = period_start(self.start, self.grain, self.week_start)
        while label < self.end:
            after = advance(label, self.grain, 1)
            start, end = max(label, self.start), min(after, self.end)
            spans.append(Span(label, start, end, self.grain, len(spans)))
            label = after
        return spans

    def _period_at(self, index: int) -> Span:
        """A query period, or one before the range that an offset reads: the first before
        a clipped first period is the rest of its calendar period (time-intelligence.md,
        Fine points), the others whole calendar periods."""
        if index >= 0:
            return self.periods[index]
        first = self.periods[0]
        assert first.label is not None and first.grain is not None
        steps = index  # whole calendar periods back from the first one's
        if first.start != first.label:
            if index == -1:
                return Span(first.label, first.label, first.start, first.grain, -1)
            steps += 1
        label = advance(first.label, first.grain, steps)
        # Its index stays its place in the query's periods, for offsets read from it.
        return Span(label, label, advance(label, first.grain, 1), first.grain, index)

    def _shifted(self, span: Span, back: int) -> Span:
        if span.grain == self.grain and span.index is not None:
            return self._period_at(span.index - back)
        # A sub-period: the calendar day or month `back` grains earlier. Weeks are cut at a
        # month's edges, and the docs do not say what precedes a cut one: not in the subset.
        assert span.grain in ("day", "month") and span.label is not None
        assert span.start == span.label and span.end == advance(span.label, span.grain, 1)
        label = advance(span.label, span.grain, -back)
        return Span(label, label, advance(label, span.grain, 1), span.grain)

    def _midnight(self, day: dt.date | None) -> dt.datetime | None:
        if day is None:
            return None
        return dt.datetime.combine(day, dt.time(), tzinfo=self.zone).astimezone(dt.UTC)

    # -- which rows --

    def _window(self, aggregate: Aggregate, span: Span) -> tuple[dt.date | None, dt.date | None]:
        """The local days an aggregate reads in a period: the period itself, or its window
        ending at the period's end e (time-intelligence.md, Windows)."""
        if aggregate.window is None:
            return span.start, span.end
        end = span.end
        assert end is not None, "windows need a range"
        words = aggregate.window.split()
        if words[1] == "all":
            return None, end
        if words[1] == "last":
            count, unit = int(words[2]), words[3].rstrip("s")
            if unit in ("day", "week"):
                return end - dt.timedelta(days=count * (7 if unit == "week" else 1)), end
            return _add_months(end, -count * {"month": 1, "quarter": 3, "year": 12}[unit]), end
        # `over month to date`: from the start of the unit holding the window's last instant.
        last_day = end - dt.timedelta(days=1)
        return period_start(last_day, words[1], self.week_start), end

    def _rows(self, aggregate: Aggregate, span: Span, cell: Cell) -> list[Row]:
        if aggregate.source in STATES:
            return self._states(aggregate, span, cell)
        first, last = self._window(aggregate, span)
        low, high = self._midnight(first), self._midnight(last)
        picked = []
        for row in self.sources[aggregate.source]:
            if self.start is not None or self.grain is not None:
                # Rows whose time is empty fall in no period; without a grain and a range
                # every row counts once, whenever it happened.
                if row.time is None:
                    continue
                if (low is not None and row.time < low) or (high is not None and row.time >= high):
                    continue
            if self._keeps(row, cell):
                picked.append(row)
        self._note(aggregate, picked, cell)
        return picked

    def _states(self, aggregate: Aggregate, span: Span, cell: Cell) -> list[Row]:
        """A state source is read as of the period's end, or over all time its rows in force
        at any period end up to it; the first pass notes the combinations of those rows."""
        assert span.end is not None
        end = self._midnight(span.end)
        assert end is not None
        if aggregate.window is None:
            picked = [r for r in self.sources[aggregate.source] if in_force(r, end)]
        else:
            low = self._midnight(self._window(aggregate, span)[0])
            picked = [r for r in self.sources[aggregate.source] if self._ever(r, span, low, end)]
        picked = [r for r in picked if self._keeps(r, cell)]
        self._note(aggregate, picked, cell)
        return picked

    def _ever(self, row: Row, span: Span, low: dt.datetime | None, end: dt.datetime) -> bool:
        """A window on a state source: whether the row was in force at some period end `t`
        at the query grain with `low < t <= end` (`low` None: all time; time-intelligence.md,
        Windows). The period ends are the calendar periods' (local midnights), the end of
        the period before a clipped first one (the range's start, Fine points) and the
        current period's end. A row is in force from just after its start to its end: if at
        any of those ends, then at the first after both its start and `low`, which is
        tested."""
        assert self.grain is not None and span.grain == self.grain, "at the query grain"
        started = row["started_at"]
        assert isinstance(started, dt.datetime)
        after = started if low is None else max(started, low)
        local = after.astimezone(self.zone).date()
        following = advance(period_start(local, self.grain, self.week_start), self.grain, 1)
        candidates = [self._midnight(following), self._midnight(self.start), end]
        first = min(t for t in candidates if t is not None and t > after)
        return first <= end and in_force(row, first)

    def _note(self, aggregate: Aggregate, rows: list[Row], cell: Cell) -> None:
        """What the rows an aggregate reads tell the first pass: the users they name while
        a cell's users are looked for, else the combinations of `by` values they show."""
        if self.naming is not None:
            if aggregate.source == "events":
                self.naming.update(row["user_id"] for row in rows)
        elif cell.combination is ANY:
            self.seen.update(map(self._combination, rows))

    def _combination(self, row: Row) -> tuple:
        return tuple(DIMENSIONS[name](row) for name in self.by)

    def _keeps(self, row: Row, cell: Cell) -> bool:
        if cell.combination is not ANY and self._combination(row) != cell.combination:
            return False
        # An account's rows: its own row of `accounts`, and the rows linking to it (a row
        # whose link is empty or names no account belongs to none).
        if cell.account is not None and row["account_id"] != cell.account:
            return False
        return cell.user is None or row["user_id"] == cell.user

    # -- values --

    def value(self, node: Node, span: Span, cell: Cell) -> Value:
        if isinstance(node, Aggregate):
            return node.evaluate(self._rows(node, span, cell))
        if isinstance(node, Metric):
            return self.value(self.metrics[node.name], span, cell)
        if isinstance(node, Arithmetic):
            left = self.value(node.left, span, cell)
            return arithmetic(node.operator, left, self.value(node.right, span, cell))
        if isinstance(node, Function):
            return FUNCTIONS[node.shape](self.value(node.inner, span, cell))
        if isinstance(node, Offset):
            return self._offset(node, span, cell)
        if isinstance(node, Compare):
            left = self.value(node.left, span, cell)
            right: Value = node.right
            if isinstance(node.right, Node):
                right = self.value(node.right, span, cell)
            if isinstance(left, float) or isinstance(right, float):
                # A number compared with a float is taken as the nearest double, as an
                # integer is (language.md, Numbers): Decimal("0.01") == 0.01 there.
                left, right = (None if v is None else float(v) for v in (left, right))  # type: ignore[arg-type]
            return compare(node.operator, left, right)
        if isinstance(node, Logic):
            # Every part is evaluated (the first pass and the search for users read them all).
            values = [self.value(part, span, cell) for part in node.parts]
            if node.kind == "not":
                return negate(values[0])
            if node.kind == "and":
                return False if False in values else None if None in values else True
            return True if True in values else None if None in values else False
        assert isinstance(node, Per)
        return self._per(node, span, cell)

    def _offset(self, node: Offset, span: Span, cell: Cell) -> Value:
        """`m[-k]` is m k periods earlier, every other coordinate unchanged; previous,
        change and growth are m[-1], m - m[-1] and m / m[-1] - 1 (null when m[-1] is 0)."""
        formula = self.metrics[node.name]
        # Under `per user`, an offset takes each user's value in the earlier period; its rows
        # there name no user of the cell (time-intelligence.md, Entities: "it does not add the
        # entities of that period"), but its aggregates, read in the cell's own period, do.
        if self.naming is not None:
            self.value(formula, span, cell)
        naming, self.naming = self.naming, None if self.naming is None else set()
        earlier = self.value(formula, self._shifted(span, node.back), cell)
        self.naming = naming
        if node.comparison in (None, "previous"):
            return earlier
        now = self.value(formula, span, cell)
        if node.comparison == "change":
            return arithmetic("-", now, earlier)
        assert node.comparison == "growth"
        return arithmetic("-", arithmetic("/", now, earlier), 1)

    def _sub_periods(self, grain: str, span: Span) -> list[Span]:
        """The sub-periods of a period, quiet ones included, in every cell
        (time-intelligence.md, Sub-periods); a week is cut at the period's edges."""
        assert span.start is not None and span.end is not None
        spans: list[Span] = []
        label = period_start(span.start, grain, self.week_start)
        while label < span.end:
            after = advance(label, grain, 1)
            spans.append(Span(label, max(label, span.start), min(after, span.end), grain))
            label = after
        return spans

    def _users(self, node: Per, span: Span, cell: Cell) -> list[str]:
        """The users of a cell: the identifiers named by the rows its formula reads in the
        period, at any depth, windows included (time-intelligence.md, Entities, Nesting);
        a row without one names nobody."""
        outer, self.naming = self.naming, set()
        self.everything += 1
        for part in (node.body, node.test):
            if part is not None:
                self.value(part, span, cell)
        self.everything -= 1
        users, self.naming = self.naming, outer
        if outer is not None:
            outer |= users
        return sorted(u for u in users if isinstance(u, str))

    def _accounts(self, span: Span, cell: Cell) -> list[str]:
        """The entity set of `per account` in a cell: the rows of the key source `accounts`
        (the query's filters applied) that match the cell's dimensions and exist by the end
        e of the period, `signed_up_at < e`; a row with a null time never exists
        (time-intelligence.md, Per-entity iteration: Entities, Fine points). Without a range
        the period has no end: every account with a time."""
        end = self._midnight(span.end)
        return sorted(
            str(row["account_id"])
            for row in self.sources["accounts"]
            if row.time is not None
            and (end is None or row.time < end)
            and (cell.combination is ANY or self._combination(row) == cell.combination)
        )

    def _per(self, node: Per, span: Span, cell: Cell) -> Value:
        """The formula once per unit — sub-period, user or account — combined by the
        aggregate; `count` counts the units whose condition holds."""
        if node.over == "user":
            units = [(span, Cell(cell.combination, u)) for u in self._users(node, span, cell)]
        elif node.over == "account":
            units = [(span, Cell(cell.combination, account=a)) for a in self._accounts(span, cell)]
        else:
            units = [(sub, cell) for sub in self._sub_periods(node.over, span)]
        values, passing = [], 0
        for unit_span, unit_cell in units:
            if node.test is not None:
                test = self.value(node.test, unit_span, unit_cell)
                if not self.everything and test is not True:
                    continue
            passing += 1
            if node.body is not None:
                values.append(self.value(node.body, unit_span, unit_cell))
        if node.combine == "count":
            return passing
        present = [v for v in values if v is not None]
        if node.combine == "count_distinct":
            return len(set(present))
        if node.combine == "sum":
            return total(present)
        if not present:
            return None
        if node.combine == "avg":
            return float(total(present)) / len(present)  # type: ignore[arg-type]
        if node.combine in ("median", "stddev"):  # of the units' values, as over rows
            return spread(node.combine, present, None)  # type: ignore[arg-type]
        return {"min": min, "max": max}[node.combine](present)  # type: ignore[type-var]

    # -- the answer --

    def _combinations(self) -> list[tuple]:
        """Every value (combination) the `by` columns take in the rows the metrics read
        (language.md, the time spine): a plain aggregate's rows in the range, a window's in
        the windows, a state source's in force at a period's end, and an offset's in the
        earlier periods it reaches; a row no metric reads (a row without a user under `per
        user`) gives no row. Without `by`, the one empty combination."""
        if not self.by:
            return [()]
        self.seen = set()
        self.everything += 1
        for formula in self.metrics.values():
            for span in self.periods:
                self.value(formula, span, Cell(ANY))
        self.everything -= 1
        return sorted(self.seen, key=lambda values: [(v is None, v) for v in values])

    def rows(self) -> list[tuple]:
        combinations = self._combinations()
        # Without a grain the answer has no period column.
        labels = (lambda span: (span.label,)) if self.grain else (lambda span: ())
        return [
            (
                *labels(span),
                *combination,
                *(self.value(f, span, Cell(combination)) for f in self.metrics.values()),
            )
            for span in self.periods
            for combination in combinations
        ]
