"""Random metric formulas over random tables: the Arrow executor agrees with DuckDB and with
PostgreSQL.

Formulas combine aggregates (each with an optional condition), row arithmetic, functions,
comparisons with nulls, metric arithmetic including division by zero, windows, offsets (nested
too), and iteration per user (an identifier entity) and per day, with offsets inside; queries
vary the time zone, week start, grain, range, dimensions and filters.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from agreement import arrow_and_duckdb_differences
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: Each SQL engine's answer is compared with the Arrow executor's.
pytestmark = pytest.mark.engines("duckdb", "postgres")

INSTANT = pa.timestamp("us", tz="UTC")
START = dt.datetime(2024, 3, 20, tzinfo=dt.UTC)  # the European spring change is inside
SPAN_SECONDS = 30 * 24 * 3600

columns = st.sampled_from(["x", "y"])
comparisons = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


@st.composite
def conditions(draw, depth: int = 0) -> str:
    combined = ["and", "or", "not"] if depth < 2 else []
    kind = draw(st.sampled_from(["compare", "null", "in", "text", *combined]))
    if kind == "compare":
        return f"{draw(columns)} {draw(comparisons)} {draw(st.integers(-3, 6))}"
    if kind == "null":
        column = draw(st.sampled_from(["x", "y", "seg"]))
        return f"{column} is {draw(st.sampled_from(['', 'not ']))}null"
    if kind == "in":
        item = draw(st.sampled_from(['"b"', "null"]))
        return f'seg in ("a", {item})'
    if kind == "text":
        prefix = draw(st.sampled_from(["a", "b", ""]))
        return f'starts_with(lower(seg), "{prefix}")'
    if kind == "not":
        return f"not ({draw(conditions(depth + 1))})"
    return f"({draw(conditions(depth + 1))}) {kind} ({draw(conditions(depth + 1))})"


@st.composite
def row_values(draw) -> str:
    return draw(
        st.sampled_from(
            [
                "events.x",
                "events.y",
                "events.x + events.y",
                "events.x * 2 - events.y",
                "abs(events.x)",
                "round(events.y, 1)",
                "coalesce(events.x, 0)",
                "events.x / events.y",
                "if(events.x > 2, events.x, events.y)",
                "hours_between(events.at, events.at + 90 minutes)",
                "case when events.x > 3 then events.y when events.x < 0 then 0 end",
                "day(events.at)",
                "weekday(events.at)",
            ]
        )
    )


@st.composite
def aggregates(draw) -> str:
    where = f" where {draw(conditions())}" if draw(st.booleans()) else ""
    function = draw(
        st.sampled_from(
            [
                "count",
                "count_rows",
                "sum",
                "avg",
                "min",
                "max",
                "count_distinct",
                "median",
                "stddev",
                "percentile",
                "last",
                "first",
                "max_by",
                "min_by",
            ]
        )
    )
    if function == "count_rows":
        return f"count(events{where})"
    value = draw(row_values())
    if function in ("max_by", "min_by"):
        return f"{function}({value}, {draw(row_values())}{where})"
    if function == "percentile":
        return f"percentile({value}, {draw(st.sampled_from([0.1, 0.5, 0.9]))}{where})"
    return f"{function}({value}{where})"


SHAPES = ["{a}", "{a} + {b}", "{a} / {b}", "100 * ({a} - {b}) / {b}", "{a} * 2.5"]
# Shapes iterating per user or reading windows, at any grain.
PER_ENTITY_SHAPES = [
    "count(per user where {a} > 1)",
    "sum(per user: {a})",
    "avg(per user: {a} / {b} where {b} > 0)",
    "max(per user: {a})",
    "count(events) over last 7 days + {a}",
    "count(events where x > 0) over month to date - {a}",
    "sum(events.x) over all time",
    "sum(events.x where y > 0) over last 2 weeks",
    "count_distinct(events.user) over last 10 days",
    "sum(per user: count(events) over all time)",
]
# Shapes that compare periods or divide them into days: they need a grain.
OFFSET_SHAPES = [
    "{a} - {a}[-1]",
    "({a} - {a}[-1]) - ({a} - {a}[-1])[-1]",
    "growth({a})",
    "sum(per user: {a} - {a}[-1] where {a}[-1] > 0)",
    "count(per user where {a} > 0 and {b}[-2] is null)",
    "sum(per day: {a})",
    "max(per day: {a}) - max(per day: {a})[-1]",
]


@st.composite
def formulas(draw, grain: str | None) -> str:
    left, right = draw(aggregates()), draw(aggregates())
    shapes = [*SHAPES, *PER_ENTITY_SHAPES, *(OFFSET_SHAPES if grain else [])]
    return draw(st.sampled_from(shapes)).format(a=left, b=right)


rows = st.lists(
    st.fixed_dictionaries(
        {
            "at": st.one_of(st.none(), st.integers(0, SPAN_SECONDS)),
            "seg": st.sampled_from(["a", "b", "ab", None]),
            "user": st.sampled_from(["u1", "u2", "u3", None]),
            "x": st.one_of(st.none(), st.integers(-3, 6)),
            "y": st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.25, -2.0, 3.0])),
        }
    ),
    max_size=25,
)
queries = st.fixed_dictionaries(
    {
        "timezone": st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
        "week_start": st.sampled_from(["monday", "sunday"]),
        "grain": st.sampled_from([None, "day", "week", "month"]),
        "range": st.sampled_from([None, ("2024-03-25", "2024-04-05"), ("2024-03", None)]),
        "by": st.sampled_from([[], ["events.seg"]]),
        "where": st.sampled_from([[], ["events.x >= 0"]]),
    }
)


def _table(data: list[dict]) -> pa.Table:
    return pa.table(
        {
            "at": pa.array(
                [
                    START + dt.timedelta(seconds=r["at"]) if r["at"] is not None else None
                    for r in data
                ],
                INSTANT,
            ),
            "seg": pa.array([r["seg"] for r in data], pa.string()),
            "user": pa.array([r["user"] for r in data], pa.string()),
            "x": pa.array([r["x"] for r in data], pa.int64()),
            "y": pa.array([r["y"] for r in data], pa.float64()),
        }
    )


@st.composite
def cases(draw) -> tuple[dict, list[str]]:
    query = draw(queries)
    return query, draw(st.lists(formulas(query["grain"]), min_size=1, max_size=3))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rows, case=cases())
def test_random_formulas_agree(engine, data, case):
    query, formulas = case
    names = [f"m{i}" for i in range(len(formulas))]
    text = (
        f'calendar {{ timezone "{query["timezone"]}" week_start {query["week_start"]} }}\n'
        'source events from csv("events.csv") {\n  time at\n  entity user as user\n}\n'
        + "\n".join(f"metric {n} = {f}" for n, f in zip(names, formulas, strict=True))
    )
    start, end = query["range"] or (None, None)
    problems = arrow_and_duckdb_differences(
        text,
        {"events": _table(data)},
        names,
        engine,
        by=query["by"],
        grain=query["grain"],
        start=start,
        end=end,
        where=query["where"],
    )
    assert not problems, text + "\n" + "\n".join(problems)
