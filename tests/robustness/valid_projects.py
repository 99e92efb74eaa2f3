"""Random VALID projects and random data for them, for the property "whatever `check` accepts
runs on every engine with the same answer".

A project has three sources over CSV files — `accounts` (a key, a time, declared and derived
columns), `events` (a time, a link to accounts, an identifier entity `user`, derived columns
reading the link) and `subscriptions` (a state source with `valid from … to …`) — a named
dimension, and metrics drawn from the language's grammar: every aggregate with and without
`where`, row formulas with functions and links, windows, offsets and the period comparisons,
iteration per account, per user and per sub-period, cohorts and `cohort_start`, and metric
arithmetic over all of them. The query is drawn first, so that a metric only uses what the
query allows (an offset needs a grain; `cohort_start` a cohort slice), the way a user's query
would.

The data is written as CSV text, so the readers are exercised too: empty cells, decimals,
timestamps with `Z`, with offsets, without a zone (wall-clock in the calendar's zone) or as
bare dates, links to accounts that do not exist.

A feature found broken is left out of generation only while its fix is open: its
reproduction goes to tests/robustness/corpus/ as a strict xfail, and generation takes it back
with the fix (issue 10's are all generated again).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from attrs import frozen
from hypothesis import strategies as st

FORMATS = {"csv": "csv", "parquet": "parquet"}  # connector: file extension
# Hypothesis favours small numbers: 0 is a month's first midnight inside most queried ranges.
ORIGIN = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
DAY = 24 * 3600
TIMEZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]
ZONE_STYLES = ["utc", "offset", "naive", "date"]

# ---- row level ---------------------------------------------------------------------------

# Numeric row formulas over each source. The first name is qualified: it picks the source the
# aggregate reads (its root); the other bare names are that source's columns.
NUMBERS = {
    "events": [
        "events.x",
        "events.y",
        "events.amount",
        "events.x2",
        "events.acct_size",
        "events.x * accounts.employees",
        "events.x + y",
        "events.x * 2 - y",
        "abs(events.x)",
        "round(events.y, 1)",
        "coalesce(events.x, 0)",
        "events.x / y",
        "events.amount * 2",
        "if(events.late, x, 0)",
        "case when events.x > 3 then y when x < 0 then 0 end",
        "hours_between(events.at, at + 90 minutes)",
        "day(events.at)",
        "hour(events.at)",
        "weekday(events.at)",
        'days_between(date(events.at), date_trunc("month", at))',
        "days_between(events.at, accounts.signed_up_at)",
    ],
    "accounts": [
        "accounts.employees",
        "accounts.revenue",
        "accounts.employees * 2",
        "accounts.revenue / 2",
        "days_between(date(accounts.signed_up_at), @2024-06-01)",
        "month(accounts.signed_up_at)",
    ],
    "subscriptions": [
        "subscriptions.mrr",
        "subscriptions.seats",
        "subscriptions.mrr * seats",
        "coalesce(subscriptions.mrr, 0) + 1",
        "subscriptions.seats + accounts.employees",
    ],
}
# Values that are not numbers: only whole-metric `min`, `max` and `count_distinct` take them.
OTHERS = {
    "events": ["events.at", "events.user_id", "upper(events.user_id)", "events.late"],
    "accounts": [
        "accounts.segment",
        "accounts.signed_up_at",
        "accounts.seg_label",
        "accounts.big",
    ],
    "subscriptions": ["subscriptions.started_at", "subscriptions.account_id"],
}
CONDITIONS = {
    "events": [
        "x > 1",
        "x <= 0",
        "y is null",
        "y is not null",
        "late",
        'accounts.segment == "smb"',
        'accounts.segment in ("smb", "ent")',
        "x2 >= 3",
        "amount > 1.5",
        "amount == y",
        "amount - y < 0",
        "acct_size > 20",
        'starts_with(lower(user_id), "u1")',
        'size == "small"',
        'user_id not in ("u1")',
        'contains(user_id, "2")',
        "x in (1, 2, null)",
    ],
    "accounts": [
        "big",
        'segment == "ent"',
        "employees is null",
        "revenue >= 10",
        'seg_label != "NONE"',
        'size == "large"',
    ],
    "subscriptions": ["mrr > 0", "seats >= 2", "mrr is null", 'accounts.segment == "smb"'],
}
AGGREGATES = ["count", "sum", "avg", "min", "max", "count_distinct", "median", "stddev"]
WINDOWS = {
    "events": [
        "over last 7 days",
        "over last 2 weeks",
        "over last 1 months",
        "over month to date",
        "over week to date",
        "over year to date",
        "over fiscal_quarter to date",
        "over all time",
    ],
    "accounts": ["over all time", "over last 3 months"],
    "subscriptions": ["over all time", "over last 2 months"],
}


@st.composite
def conditions(draw, source: str, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["one", "one", "and", "or", "not"] if depth < 2 else ["one"]))
    if kind == "one":
        return draw(st.sampled_from(CONDITIONS[source]))
    if kind == "not":
        return f"not ({draw(conditions(source, depth + 1))})"
    left, right = draw(conditions(source, depth + 1)), draw(conditions(source, depth + 1))
    return f"({left}) {kind} ({right})"


@st.composite
def aggregates(draw, source: str, windows: bool, numeric: bool = True) -> str:
    """One aggregate over `source`, with an optional condition and window."""
    where = f" where {draw(conditions(source))}" if draw(st.booleans()) else ""
    function = draw(st.sampled_from([*AGGREGATES, "rows", "percentile"]))
    if function == "rows":
        text = f"count({source}{where})"
    elif function == "percentile":
        value = draw(st.sampled_from(NUMBERS[source]))
        fraction = draw(st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]))
        text = f"percentile({value}, {fraction}{where})"
    else:
        choices = NUMBERS[source]
        if not numeric and function in ("min", "max", "count_distinct", "count"):
            choices = [*choices, *OTHERS[source]]
        text = f"{function}({draw(st.sampled_from(choices))}{where})"
    if windows and draw(st.integers(0, 3)) == 0:
        text = f"{text} {draw(st.sampled_from(WINDOWS[source]))}"
    return text


# ---- metric level ------------------------------------------------------------------------


@frozen
class QueryShape:
    grain: str | None
    start: str | None
    end: str | None
    by: tuple[str, ...]
    where: tuple[str, ...]
    timezone: str
    week_start: str
    fiscal_year_start: str = "january"

    @property
    def cohort(self) -> bool:
        return "age" in self.by

    @property
    def offsets(self) -> bool:
        return self.grain is not None

    @property
    def yearly(self) -> bool:
        return self.grain in ("month", "quarter", "year", "fiscal_quarter")

    @property
    def sub_periods(self) -> list[str]:
        finer = {"week": ["day"], "month": ["day", "week"], "quarter": ["week", "month"]}
        finer["fiscal_quarter"] = ["week", "month"]
        return finer.get(self.grain or "", [])


# Unsliced and unfiltered queries come up more often: a slice or a filter that the data does
# not meet leaves an empty table, which agrees too easily.
BY = [
    (),
    (),
    (),
    ("accounts.segment",),
    ("size",),
    ("accounts.big",),
    ("accounts.segment", "size"),
]
FILTERS = [
    (),
    (),
    (),
    ('accounts.segment == "smb"',),
    ("accounts.employees > 10",),
    ('size == "small"',),
]
RANGES: dict[str | None, list[tuple[str | None, str | None]]] = {
    None: [(None, None), ("2024-02-01", "2024-04-01"), ("2024-03-10", None)],
    "day": [("2024-03-25", "2024-04-08"), ("2024-02-27", "2024-03-03")],
    "week": [("2024-02-05", "2024-04-01"), ("2024-03-06", "2024-04-17")],
    "month": [("2024-01", "2024-06"), ("2024-02-15", "2024-05-10"), (None, None)],
    "quarter": [("2024-01", "2025-01"), (None, "2024-10")],
    "fiscal_quarter": [("2023-11", "2024-11"), (None, None)],
}


@st.composite
def query_shapes(draw) -> QueryShape:
    grain = draw(st.sampled_from([None, "day", "week", "month", "quarter", "fiscal_quarter"]))
    start, end = draw(st.sampled_from(RANGES[grain]))
    by = draw(st.sampled_from(BY))
    if grain in ("month", "week") and draw(st.integers(0, 4)) == 0:
        by = (f"cohort(accounts.signed_up_at, {grain})", "age")
        if start is None:
            start, end = RANGES[grain][0]
    return QueryShape(
        grain=grain,
        start=start,
        end=end,
        by=by,
        where=draw(st.sampled_from(FILTERS)),
        timezone=draw(st.sampled_from(TIMEZONES)),
        week_start=draw(st.sampled_from(["monday", "sunday"])),
        fiscal_year_start=draw(st.sampled_from(["january", "february", "april", "november"])),
    )


@frozen
class Scope:
    """What a formula may use where it is written: the named metrics before it (each with
    the sources it reads), whether it is inside an iteration, and over which entity."""

    earlier: dict[str, frozenset[str]]  # metric name: the sources it reads, "per" if it iterates
    entity: str | None = None  # "account" or "user" inside an iteration over one
    period: bool = (
        False  # inside an iteration over sub-periods  # "account", "user", or a sub-period grain
    )
    depth: int = 0

    def sources(self) -> list[str]:
        if self.entity == "user":
            return ["events"]  # the only source that knows users
        return ["events", "accounts", "subscriptions"]

    def metrics(self) -> list[str]:
        outside = self.entity is None and not self.period
        allowed = set(self.sources()) | ({"per"} if outside else set())
        return sorted(n for n, read in self.earlier.items() if read <= allowed)

    def inside(self, entity: str) -> Scope:
        if entity in ("account", "user"):
            return Scope(self.earlier, entity, self.period, self.depth + 1)
        return Scope(self.earlier, self.entity, True, self.depth + 1)

    def deeper(self) -> Scope:
        return Scope(self.earlier, self.entity, self.period, self.depth + 1)


@st.composite
def formulas(draw, query: QueryShape, scope: Scope) -> str:
    """A numeric metric-level formula."""
    kinds = ["aggregate", "aggregate", "aggregate"]
    if scope.depth < 3:
        kinds += ["arithmetic", "arithmetic", "function"]
        if scope.metrics():
            kinds += ["metric", "metric"]
            if query.offsets:
                kinds += ["offset", "comparison"]
            if query.cohort and scope.entity is None and not scope.period:
                kinds += ["cohort_start"]
        if scope.depth < 2:
            if scope.entity is None:  # also inside a sub-period: `per day: … per user …`
                kinds += ["per_account", "per_user"]
            if query.sub_periods and not scope.period:
                kinds += ["per_period"]
    kind = draw(st.sampled_from(kinds))
    deeper = scope.deeper()
    if kind == "aggregate":
        return draw(aggregates(draw(st.sampled_from(scope.sources())), windows=True))
    if kind == "arithmetic":
        operator = draw(st.sampled_from(["+", "-", "*", "/"]))
        return f"({draw(formulas(query, deeper))}) {operator} ({draw(formulas(query, deeper))})"
    if kind == "function":
        inner = draw(formulas(query, deeper))
        shape = draw(st.sampled_from(["-({})", "abs({})", "coalesce({}, 0)", "round({}, 2)"]))
        return shape.format(inner)
    if kind in ("per_account", "per_user", "per_period"):
        entity = {"per_account": "account", "per_user": "user"}.get(kind)
        entity = entity or draw(st.sampled_from(query.sub_periods))
        return draw(iterations(query, scope.inside(entity), entity))
    name = draw(st.sampled_from(scope.metrics()))
    if kind == "metric":
        return name
    if kind == "offset":
        return f"{name}[-{draw(st.integers(1, 3))}]"
    if kind == "comparison":
        functions = ["previous", "change", "growth"]
        # A year is no whole number of days or weeks: check refuses a year back inside one
        # (check/rules/year_back.py); the scope does not say which sub-period it is in.
        functions += ["same_period_last_year"] if query.yearly and not scope.period else []
        return f"{draw(st.sampled_from(functions))}({name})"
    assert kind == "cohort_start"
    return f"{name} / cohort_start({name})"


@st.composite
def iterations(draw, query: QueryShape, scope: Scope, entity: str) -> str:
    combine = draw(st.sampled_from(["count", "sum", "avg", "min", "max"]))
    inner = draw(formulas(query, scope))
    where = f" where {inner} > {draw(st.integers(0, 2))}" if draw(st.booleans()) else ""
    if combine == "count" and (where or entity != "user"):
        body = ""
    else:
        body = f": {draw(formulas(query, scope))}"
    if entity == "user" and not _reads_rows(body + where):
        # Users are found in the rows the formula reads; with none, the query is refused.
        where = " where count(events) > 0"
    return f"{combine}(per {entity}{body}{where})"


def _reads_rows(formula: str) -> bool:
    """Whether a formula reads a source or names a metric (which may)."""
    return bool(reads(formula) - {"per"}) or re.search(r"\b(m\d+|whole)\b", formula) is not None


def reads(formula: str) -> frozenset[str]:
    """The sources a formula reads, near enough to keep `per user` over events only, and
    "per" when it iterates (one iteration cannot hold another of the same kind)."""
    return frozenset(s for s in ("events", "accounts", "subscriptions", "per") if s in formula)


@st.composite
def metric_sets(draw, query: QueryShape) -> dict[str, str]:
    """Three to six metrics, each free to use the ones before it."""
    metrics: dict[str, str] = {}
    read: dict[str, frozenset[str]] = {}
    for index in range(draw(st.integers(1, 4))):
        formula = draw(formulas(query, Scope(dict(read))))
        name = f"m{index}"
        metrics[name] = formula
        read[name] = reads(formula) | frozenset().union(*(read[n] for n in read if n in formula))
    if draw(st.booleans()):
        source = draw(st.sampled_from(["events", "accounts", "subscriptions"]))
        metrics["whole"] = draw(aggregates(source, windows=False, numeric=False))
    return metrics


# ---- the project's text ------------------------------------------------------------------

SOURCES = """\
source accounts from {connector}("accounts.{extension}") {{
  key account_id
  time signed_up_at
  column signed_up_at: timestamp
  column employees: int
  column revenue: decimal
  column segment: string{code}
  column big = employees >= 50
  column seg_label = coalesce(upper(segment), "NONE")
}}
source events from {connector}("events.{extension}") {{
  {time}
  entity account_id -> accounts
  entity user_id as user
  column at: timestamp
  column x: int
  column y: float
  column amount: decimal
  column x2 = x * 2 + 1
  column late = hour(at) >= 12
  column acct_size = accounts.employees
}}
source subscriptions from {connector}("subscriptions.{extension}") {{
  entity account_id -> accounts
  valid from started_at to ended_at
  column started_at: timestamp
  column ended_at: timestamp
  column mrr: {money}
  column seats: int
}}
dimension size = case when accounts.employees < 50 then "small" else "large" end
"""


def project_text(
    query: QueryShape, metrics: dict[str, str], money: str, connector: str = "csv"
) -> str:
    return (
        f'calendar {{ timezone "{query.timezone}" week_start {query.week_start} '
        f"fiscal_year_start {query.fiscal_year_start} }}\n"
        + SOURCES.format(
            code="\n  column code: string",
            money=money,
            connector=connector,
            # Parquet events are placed by their column, CSV ones by a derived alias of it.
            time="time at" if connector == "parquet" else "column happened = at  time happened",
            extension=FORMATS[connector],
        )
        + "".join(f"metric {name} = {formula}\n" for name, formula in metrics.items())
    )


# ---- data --------------------------------------------------------------------------------


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a value, sometimes a null (an empty cell)."""
    return st.one_of(strategy, strategy, strategy, st.none())


def _instant(seconds: int, style: str, index: int) -> str:
    moment = ORIGIN + dt.timedelta(seconds=seconds)
    if style == "utc":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "offset":
        hours = [2, -5, 0, 5][index % 4]
        zone = dt.timezone(dt.timedelta(hours=hours, minutes=30 if hours == 5 else 0))
        return moment.astimezone(zone).isoformat()
    if style == "naive":
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return moment.strftime("%Y-%m-%d")


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _csv(header: list[str], rows: list[list[object]]) -> str:
    return "\n".join([",".join(header), *(",".join(_cell(v) for v in row) for row in rows)]) + "\n"


times = st.integers(-150 * DAY, 140 * DAY)  # October 2023 to July 2024, the queries' ranges
# 0.3 and 3.3 are decimals whose nearest doubles pyarrow's cast missed (0.30000000000000004).
decimals = st.sampled_from(
    ["12.50", "-3.10", "0.01", "1600.00", "2100.00", "7", "0.3", "3.3", None]
)


def accounts_rows(times: st.SearchStrategy[int]) -> st.SearchStrategy[list]:
    return st.lists(
        st.tuples(
            st.sampled_from(["smb", "smb", "ent", "SMB", None]),
            maybe(st.integers(1, 900)),
            decimals,
            maybe(times),
            st.sampled_from(["00012", "0007", "42", None]),
        ),
        min_size=2,
        max_size=6,
    )


def event_rows(times: st.SearchStrategy[int], most: int = 30) -> st.SearchStrategy[list]:
    return st.lists(
        st.tuples(
            maybe(times),
            st.sampled_from(["a0", "a1", "a2", "a7", None]),
            st.sampled_from(["u1", "u2", "U3", None]),
            maybe(st.integers(-3, 6)),
            # Some are also decimals' values: not exact doubles, equal once converted.
            maybe(st.sampled_from([0.0, -0.0, 0.5, 1.25, -2.0, 3.0, 0.01, -3.1, 0.3, 3.3])),
            decimals,
        ),
        min_size=3,
        max_size=most,
    )


def subscription_rows(times: st.SearchStrategy[int]) -> st.SearchStrategy[list]:
    return st.lists(
        st.tuples(
            st.sampled_from(["a0", "a1", "a2", "a7", None]),
            maybe(st.sampled_from([-5, 0, 10, 25])),
            st.integers(0, 3),
            times,
            maybe(st.integers(0, 150 * DAY)),
        ),
        min_size=1,
        max_size=10,
    )


@st.composite
def data_sets(
    draw,
    times: st.SearchStrategy[int] = times,
    most_events: int = 30,
    signups: st.SearchStrategy[int] | None = None,
) -> dict[str, str]:
    """CSV text for the three sources, their times (seconds from ORIGIN) written in one of
    the ZONE_STYLES; the accounts' sign-ups drawn from `signups` when given."""
    style = draw(st.sampled_from(ZONE_STYLES))
    accounts = draw(accounts_rows(times if signups is None else signups))
    events = draw(event_rows(times, most_events))
    subscriptions = draw(subscription_rows(times))
    if draw(st.integers(0, 5)) == 0:
        events = []  # a header and no rows
    if draw(st.integers(0, 5)) == 0:
        subscriptions = []
    account_header = ["account_id", "segment", "employees", "revenue", "signed_up_at"]
    account_lines = [
        [f"a{i}", seg, emp, rev, None if t is None else _instant(t, style, i), code]
        for i, (seg, emp, rev, t, code) in enumerate(accounts)
    ]
    event_lines = [
        [None if t is None else _instant(t, style, i), acct, user, x, y, amount]
        for i, (t, acct, user, x, y, amount) in enumerate(events)
    ]
    subscription_lines = [
        [
            acct,
            mrr,
            seats,
            _instant(start, style, i),
            None if length is None else _instant(start + length, style, i + 1),
        ]
        for i, (acct, mrr, seats, start, length) in enumerate(subscriptions)
    ]
    return {
        "accounts.csv": _csv([*account_header, "code"], account_lines),
        "events.csv": _csv(["at", "account_id", "user_id", "x", "y", "amount"], event_lines),
        "subscriptions.csv": _csv(
            ["account_id", "mrr", "seats", "started_at", "ended_at"], subscription_lines
        ),
    }


@frozen
class Case:
    query: QueryShape
    metrics: dict[str, str]
    text: str
    data: dict[str, str]  # CSV text by file name
    connector: str = "csv"

    def write(self, folder: Path) -> Path:
        for name, content in self.data.items():
            (folder / name).write_text(content)
            if self.connector == "parquet":  # the CSV as pyarrow reads it, types inferred
                import pyarrow.csv
                import pyarrow.parquet

                table = pyarrow.csv.read_csv(folder / name)
                pyarrow.parquet.write_table(table, (folder / name).with_suffix(".parquet"))
        (folder / "project.metrics").write_text(self.text)
        return folder / "project.metrics"

    def query_arguments(self) -> dict:
        q = self.query
        return {"grain": q.grain, "start": q.start, "end": q.end, "by": q.by, "where": q.where}

    def describe(self) -> str:
        files = "\n".join(f"--- {n}\n{c}" for n, c in self.data.items())
        written = " (each CSV written as Parquet)" if self.connector == "parquet" else ""
        query = f"--- query {self.query_arguments()}{written}"
        return f"--- project.metrics\n{self.text}{files}{query}"


@st.composite
def cases(draw) -> Case:
    query = draw(query_shapes())
    metrics = draw(metric_sets(query))
    money = draw(st.sampled_from(["int", "decimal"]))
    connector = draw(st.sampled_from(list(FORMATS)))
    text = project_text(query, metrics, money, connector)
    return Case(query, metrics, text, draw(data_sets()), connector)
