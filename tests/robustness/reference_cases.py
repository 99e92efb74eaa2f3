"""Random projects of the reference oracle's subset (reference.py): valid_projects.py's
sources, dimension and data, with metrics drawn as trees of reference nodes, so that each
case carries both its project text and, through the nodes, its meaning.

Only CSV data: the readers (Parquet's inferred types) are the differential tests' concern.
A range the data completes is drawn only where the docs say which rows complete it
(open_range).
"""

from __future__ import annotations

from attrs import frozen
from hypothesis import strategies as st
from reference import (
    CONDITIONS,
    FUNCTIONS,
    NUMBERS,
    OTHERS,
    Aggregate,
    Arithmetic,
    Compare,
    Condition,
    Function,
    Logic,
    Metric,
    Node,
    Offset,
    Per,
    Reference,
    parse_bound,
    period_start,
    walk,
)
from valid_projects import (
    BY,
    DAY,
    FILTERS,
    TIMEZONES,
    Case,
    QueryShape,
    data_sets,
    project_text,
)

RANGES: dict[str | None, list[tuple[str | None, str | None]]] = {
    None: [(None, None), ("2024-02-01", "2024-04-01"), ("2024-03-10", "2024-05-01")],
    "day": [("2024-03-25", "2024-04-08"), ("2024-02-27", "2024-03-03")],
    "week": [("2024-02-05", "2024-04-01"), ("2024-03-06", "2024-04-17")],
    "month": [("2024-01", "2024-06"), ("2024-02-15", "2024-05-10")],
    "quarter": [("2024-01", "2025-01"), ("2023-11-15", "2024-08")],
}
SUB_PERIODS = {"week": ["day"], "month": ["day", "week"], "quarter": ["week", "month"]}
WINDOWS = {
    "events": [
        "over last 7 days",
        "over last 2 weeks",
        "over last 1 months",
        "over month to date",
        "over week to date",
        "over year to date",
        "over all time",
    ],
    "accounts": ["over all time", "over last 3 months"],
    # At the query grain only (see aggregates). A row in force at a period end on the window's
    # first instant: the docs say the window holds the ends "inside" it, which they leave
    # open there, so `over last N …` on a state source is not in the subset.
    "subscriptions": ["over all time", "over last 2 months", "over last 3 weeks"],
}
AGGREGATES = ["count", "sum", "avg", "min", "max", "count_distinct", "median", "stddev"]
# `last` and `first` need the source's time; `max_by` / `min_by` order by one of its columns.
PICKS = {"events": ["last", "first", "max_by", "min_by"], "accounts": ["last", "first"]}
ORDERS = {"events": ["x", "y", "amount"], "accounts": ["employees", "revenue"]}
FRACTIONS = ["0.0", "0.25", "0.5", "0.9", "1.0"]
# How a `per` combines its units' values (`count` counts the units, the others take a body).
COMBINATIONS = ["count", "count_distinct", "sum", "avg", "min", "max", "median", "stddev"]


# Row formulas that read the link to accounts: a link target is read whole, and the docs do
# not say whether its rows supply an open range's ends.
LINKED = {"events.acct_size", "events.x * accounts.employees"}


def open_range(query: QueryShape) -> bool:
    """A grain without `--from` or `--to` (or both): the data supplies the missing ends. The
    docs say which rows supply them only for a query that reads every row of its sources:
    such a query has plain aggregates over `events` (no `where`, window, offset, state source,
    link or `per account`) and neither `by` nor a filter (reference.Reference._open_range)."""
    return query.grain is not None and (query.start is None or query.end is None)


def whole_range(query: QueryShape) -> bool:
    """Whether the query's range starts and ends on its grain's period boundaries."""
    if query.grain is None or query.start is None or query.end is None:
        return False
    start, end = parse_bound(query.start), parse_bound(query.end)
    return all(period_start(d, query.grain, query.week_start) == d for d in (start, end))


@st.composite
def query_shapes(draw) -> QueryShape:
    grain = draw(st.sampled_from(list(RANGES)))
    start, end = draw(st.sampled_from(RANGES[grain]))
    week_start = draw(st.sampled_from(["monday", "sunday"]))
    if grain is not None and draw(st.integers(0, 4)) == 0:
        # Also a bound inside a period: a row before `--from` in its period (after `--to` in
        # its) supplies no end (language.md).
        start, end = draw(st.sampled_from([(None, None), (start, None), (None, end)]))
    sliced = grain is None or (start is not None and end is not None)
    return QueryShape(
        grain=grain,
        start=start,
        end=end,
        by=draw(st.sampled_from(BY)) if sliced else (),
        where=draw(st.sampled_from(FILTERS)) if sliced else (),
        timezone=draw(st.sampled_from(TIMEZONES)),
        week_start=week_start,
    )


@st.composite
def conditions(draw, source: str, depth: int = 0) -> Condition:
    kind = draw(st.sampled_from(["one", "one", "and", "or", "not"] if depth < 2 else ["one"]))
    if kind == "one":
        return Condition("one", source, draw(st.sampled_from(sorted(CONDITIONS[source]))))
    count = 1 if kind == "not" else 2
    parts = tuple(draw(conditions(source, depth + 1)) for _ in range(count))
    return Condition(kind, source, parts=parts)


@st.composite
def aggregates(
    draw, query: QueryShape, numeric: bool = True, users: bool = False, period: bool = False
) -> Aggregate:
    """An aggregate; inside `per user` over events, the one source that names users. A
    window over a state source counts the rows in force at period ends at the query grain;
    inside a sub-period (`period`) the docs do not say which ends, so it has none there, nor
    without a grain (where it is the snapshot at the range's end, a plain aggregate)."""
    # A state source without a range is read now, which the data cannot pin down.
    states = ["subscriptions"] if query.start is not None else []
    sources = (
        ["events"] if users or open_range(query) else ["events", "events", "accounts", *states]
    )
    source = draw(st.sampled_from(sources))
    function = draw(st.sampled_from([*AGGREGATES, "percentile", *PICKS.get(source, []), "rows"]))
    where = draw(conditions(source)) if draw(st.booleans()) and not open_range(query) else None
    window = None
    windows = query.start is not None and not open_range(query)
    if source == "subscriptions" and (period or query.grain is None):
        windows = False
    if windows and source in WINDOWS and draw(st.integers(0, 3)) == 0:
        window = draw(st.sampled_from(WINDOWS[source]))
    if function == "rows":
        return Aggregate("count", source, None, where, window)
    choices = sorted(NUMBERS[source])
    if open_range(query):
        choices = [c for c in choices if c not in LINKED]
    if not numeric and function not in ("sum", "avg", "median", "percentile", "stddev"):
        choices += sorted(OTHERS[source])
    parameter = None
    if function == "percentile":
        parameter = draw(st.sampled_from(FRACTIONS))
    if function in ("max_by", "min_by"):
        parameter = draw(st.sampled_from(ORDERS[source]))
    value = draw(st.sampled_from(choices))
    return Aggregate(function, source, value, where, window, parameter)


@frozen
class Scope:
    """What a formula may use where it is written: the metrics before it (with what each
    holds, directly or through the metrics it names), and the iterations it is inside."""

    # name: the sources it aggregates, "per" if it iterates, "offset" if it reads back
    earlier: dict[str, set[str]]
    period: str | None = None  # the sub-period's grain inside `per day`, `per week`, …
    entity: str | None = None  # "user" or "account" inside `per user` or `per account`
    depth: int = 0
    whole: bool = False  # the query's range starts and ends on its grain's boundaries

    @property
    def user(self) -> bool:
        return self.entity == "user"

    def offsets(self) -> bool:
        # Before a day is the day before, before a month of a whole range's quarter the
        # month before; weeks (and the months of a clipped quarter) are cut at the period's
        # edges, and the docs do not say what precedes a cut one. Under `per user` and
        # `per account` an offset is each entity's value in the earlier period, adding no
        # entity (time-intelligence.md, Entities; what they leave open about the users is
        # left out by ReferenceCase.expected).
        return self.period in (None, "day") or (self.period == "month" and self.whole)

    def metrics(self) -> list[str]:
        """An iteration cannot hold another; an offset only where it is placed; under `per
        user`, only metrics over events."""
        refused = {"per"} if self.period or self.entity else set()
        refused |= {"state window"} if self.period else set()
        refused |= set() if self.offsets() else {"offset"}
        refused |= {"accounts", "subscriptions"} if self.user else set()
        return sorted(n for n, holds in self.earlier.items() if not holds & refused)

    def deeper(self, period: str | None = None, entity: str | None = None) -> Scope:
        period, entity = period or self.period, entity or self.entity
        return Scope(self.earlier, period, entity, self.depth + 1, self.whole)


@st.composite
def formulas(draw, query: QueryShape, scope: Scope) -> Node:
    kinds = ["aggregate", "aggregate", "aggregate"]
    if scope.depth < 3:
        kinds += ["arithmetic", "arithmetic", "function"]
        offsets = query.grain is not None and scope.offsets() and not open_range(query)
        if scope.metrics():
            kinds += ["metric", "metric"]
            kinds += ["offset", "comparison"] if offsets else []
        if scope.depth < 2 and scope.period is None and query.grain in SUB_PERIODS:
            kinds += ["sub_periods", "sub_periods"]
        if scope.depth < 2 and not scope.entity:  # also inside a sub-period
            # One per-entity iteration inside another is refused.
            kinds += ["per_user"] + ([] if open_range(query) else ["per_account"])
    kind = draw(st.sampled_from(kinds))
    deeper = scope.deeper()
    if kind == "aggregate":
        return draw(aggregates(query, users=scope.user, period=scope.period is not None))
    if kind == "arithmetic":
        operator = draw(st.sampled_from(["+", "-", "*", "/"]))
        return Arithmetic(operator, draw(formulas(query, deeper)), draw(formulas(query, deeper)))
    if kind == "function":
        return Function(draw(st.sampled_from(sorted(FUNCTIONS))), draw(formulas(query, deeper)))
    if kind in ("sub_periods", "per_user", "per_account"):
        over = kind.removeprefix("per_")
        if kind == "sub_periods":
            over = draw(st.sampled_from(SUB_PERIODS[query.grain or ""]))
            inside = scope.deeper(period=over)
        else:
            inside = scope.deeper(entity=over)
        combine = draw(st.sampled_from(COMBINATIONS))
        # Users are found in the rows the formula reads, so under `per user` (and for its
        # own count) a count of units needs a condition, which reads rows.
        tested = draw(st.booleans()) or (combine == "count" and (over == "user" or scope.user))
        test = draw(tests(query, inside)) if tested else None
        body = None if combine == "count" else draw(formulas(query, inside))
        return Per(combine, over, body, test)
    if kind == "metric":
        return Metric(draw(st.sampled_from(scope.metrics())))
    name = draw(st.sampled_from(scope.metrics()))
    if kind == "offset":
        return Offset(name, draw(st.integers(1, 3)))
    return Offset(name, 1, draw(st.sampled_from(["previous", "change", "growth"])))


@st.composite
def tests(draw, query: QueryShape, scope: Scope, depth: int = 0) -> Node:
    """A per's condition: comparisons of formulas with a constant, joined by `and`, `or` and
    `not` (`count(per account where m[-1] > 0 and m == 0)`)."""
    kind = draw(
        st.sampled_from(["one", "one", "one", "and", "or", "not"] if depth < 1 else ["one"])
    )
    if kind == "one":
        operator = draw(st.sampled_from([">", ">", ">=", "<", "<=", "==", "!="]))
        left = draw(formulas(query, scope))
        right = draw(st.one_of(st.integers(0, 2), st.integers(0, 2), formulas(query, scope)))
        return Compare(operator, left, right)
    parts = tuple(draw(tests(query, scope, depth + 1)) for _ in range(1 if kind == "not" else 2))
    return Logic(kind, parts)


@st.composite
def metric_sets(draw, query: QueryShape) -> dict[str, Node]:
    """One to four metrics, each free to use the ones before it, and sometimes `whole`, an
    aggregate of values that are not numbers."""
    metrics: dict[str, Node] = {}
    holds: dict[str, set[str]] = {}
    for index in range(draw(st.integers(1, 4))):
        scope = Scope(dict(holds), whole=whole_range(query))
        formula = draw(formulas(query, scope))
        metrics[f"m{index}"] = formula
        holds[f"m{index}"] = set()
        for node in walk(formula):
            if isinstance(node, Aggregate):
                holds[f"m{index}"].add(node.source)
                if node.source == "subscriptions" and node.window:
                    holds[f"m{index}"].add("state window")
            if isinstance(node, Per):
                holds[f"m{index}"].add("per")
                if node.over in ("day", "week", "month"):
                    holds[f"m{index}"].add("sub_periods")
            if isinstance(node, Offset):
                holds[f"m{index}"].add("offset")
            if isinstance(node, Metric | Offset):
                holds[f"m{index}"] |= holds[node.name]
    if draw(st.booleans()):
        metrics["whole"] = draw(aggregates(query, numeric=False))
    accounts = any(
        isinstance(n, Per) and n.over == "account" for f in metrics.values() for n in walk(f)
    )
    if accounts and query.by:
        # The time spine lists the values of the rows the metrics read, and the docs do not
        # say whether the entity set of `per account` (rows of `accounts`) is such rows. Every
        # account of any cell's set signed up before the last period's end, so this metric
        # reads them all and the question does not arise.
        window = "over all time" if query.start is not None else None
        metrics["accounts_seen"] = Aggregate("count", "accounts", None, None, window)
    return metrics


@frozen
class ReferenceCase:
    case: Case  # the project, its data and its query, as valid_projects.py writes them
    nodes: dict[str, Node]

    def reference(self) -> Reference:
        q = self.case.query
        return Reference(
            self.case.data,
            self.nodes,
            timezone=q.timezone,
            week_start=q.week_start,
            grain=q.grain,
            start=q.start,
            end=q.end,
            by=q.by,
            where=q.where,
        )

    def expected(self) -> list[tuple]:
        """The documented answer, a row per cell."""
        return self.reference().rows()


@st.composite
def cases(draw) -> ReferenceCase:
    query = draw(query_shapes())
    nodes = draw(metric_sets(query))
    metrics = {name: node.text() for name, node in nodes.items()}
    text = project_text(query, metrics, "decimal")
    # Most cases have their times where the queries' ranges are (December to May), so that
    # cells hold rows; the others valid_projects.py's wider spread.
    dense = data_sets(times=st.integers(-90 * DAY, 90 * DAY), most_events=40)
    # And some with most accounts signed up by then, so that `per account` has accounts.
    early = data_sets(
        times=st.integers(-90 * DAY, 90 * DAY), most_events=40, signups=st.integers(-120 * DAY, 0)
    )
    data = draw(st.one_of(data_sets(), dense, early))
    return ReferenceCase(Case(query, metrics, text, data), nodes)
