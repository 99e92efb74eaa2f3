"""Time the forms an exact distinct count and an exact median can take in Spark SQL, on the
scorecard's events (generate.py), in one local Spark session, in turns, answers compared.

    python benchmarks/spark_aggregates.py distinct                 # by month and segment
    python benchmarks/spark_aggregates.py median --by account      # 100k accounts: many groups
    python benchmarks/spark_aggregates.py distinct-pair            # two distinct counts at once

Forms of `count_distinct(events.user_id)` (`distinct`; `distinct-text` counts the ids written
as text, where the bitmaps do not apply; `distinct-sparse` the ids times 1,000,003, so that no
two share a bitmap bucket, as with hashed or time-based ids):
  count-distinct   COUNT(DISTINCT user_id)             (what Spark plans as two aggregations)
  two-level        GROUP BY keys, user_id, then COUNT(user_id) by keys
  collect-set      size(collect_set(user_id))
  bitmap           GROUP BY keys, bitmap_bucket_number(user_id) building each bucket's bitmap
                   of bit positions (bitmap_construct_agg) and counting it (bitmap_count),
                   then summing the counts by keys: exact, for integers only
  masks            the same with 64 values to a bucket, `bit_or` of 64-bit masks, `bit_count`
`distinct-pair` counts all users and those who exported a report in one pass, the shape of
a scan holding two distinct counts (Spark's plan for several DISTINCTs repeats each row once
per distinct argument, its Expand); its two-level form groups by keys and user, with a flag
per user for the filtered count.
Forms of `median(events.duration_seconds)`:
  percentile       percentile(x, 0.5)                   (a hash map of value counts per group)
  sorted-list      the interpolation over array_sort(collect_list(x))   (what metricsmith emits)

Each query reads the Parquet file, places events in months, joins accounts for the segment
and aggregates: the scorecard's scan, one aggregate at a time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from datasets import add_spec_arguments, spec_from_arguments
from generate import DataSpec, ensure_data
from harness import EXACT, RELATIVE, AnswerShape, add_run_arguments, run_and_report
from rich.console import Console

DATA = Path(__file__).resolve().parent / "data"
KEYS = {"segment": "a.segment", "account": "e.account_id"}
FROM = (
    "FROM events e LEFT JOIN accounts a ON e.account_id = a.account_id "
    "WHERE e.occurred_at >= TIMESTAMP'2024-01-01' AND e.occurred_at < TIMESTAMP'2025-01-01'"
)
MONTH = "date_trunc('MONTH', e.occurred_at)"


def _median_of_sorted(values: str) -> str:
    """The Spark dialect's median (dialects.py, `Spark.quantile`), written out."""
    rank = "(size(v) - 1) * CAST(0.5 AS DOUBLE)"
    at = "element_at(v, CAST({} AS INT) + 1)"
    low, high = at.format(f"floor({rank})"), at.format(f"ceil({rank})")
    body = (
        f"CASE WHEN size(v) = 0 THEN NULL WHEN floor({rank}) = ceil({rank}) THEN {low} "
        f"ELSE {low} + ({rank} - floor({rank})) * ({high} - {low}) END"
    )
    return f"element_at(transform(array(array_sort(collect_list({values}))), v -> {body}), 1)"


EXPORTED = "e.name = 'report_exported'"
#: The ids spread thin, as hashed or time-based ids are: each in a bitmap bucket of its own.
SPARSE = "e.user_id * 1000003"


def _distinct(key: str, user: str) -> dict[str, str]:
    grouped = f"SELECT {MONTH} AS month, {key} AS unit, {{}} AS value {FROM} GROUP BY 1, 2"
    return {
        "count-distinct": grouped.format(f"COUNT(DISTINCT {user})"),
        "two-level": (
            "SELECT month, unit, COUNT(user) AS value FROM ("
            f"SELECT {MONTH} AS month, {key} AS unit, {user} AS user {FROM} GROUP BY 1, 2, 3"
            ") GROUP BY 1, 2"
        ),
        "collect-set": grouped.format(f"CAST(size(collect_set({user})) AS BIGINT)"),
    }


def _bitmaps(key: str, filters: dict[str, str | None], user: str = "e.user_id") -> str:
    """Per (keys, bucket) a bitmap of the users' bit positions for each of `filters` (a
    name and the rows it counts), counted, then the counts summed by keys: a bucket's
    positions are its own, so the bitmaps of different buckets are never ORed."""
    built = ", ".join(
        f"bitmap_count(bitmap_construct_agg(bitmap_bit_position({user}))"
        + (f" FILTER (WHERE {where})" if where else "")
        + f") AS {name}"
        for name, where in filters.items()
    )
    counted = ", ".join(f"CAST(SUM({name}) AS BIGINT) AS {name}" for name in filters)
    return (
        f"SELECT month, unit, {counted} FROM ("
        f"SELECT {MONTH} AS month, {key} AS unit, bitmap_bucket_number({user}) AS bucket, "
        f"{built} {FROM} GROUP BY 1, 2, 3) GROUP BY 1, 2"
    )


def _masks(key: str, user: str = "e.user_id") -> str:
    """Per (keys, user >> 6) a 64-bit mask of the users present (`bit_or`), its bits counted,
    then the counts summed by keys: exact for every BIGINT, as `user` is `(user >> 6) * 64 +
    (user & 63)`; a fixed-width state, so Spark's hash aggregation takes it."""
    bit = f"shiftleft(CAST(1 AS BIGINT), CAST({user} & 63 AS INT))"
    return (
        "SELECT month, unit, CAST(SUM(value) AS BIGINT) AS value FROM ("
        f"SELECT {MONTH} AS month, {key} AS unit, shiftright({user}, 6) AS bucket, "
        f"bit_count(bit_or({bit})) AS value {FROM} GROUP BY 1, 2, 3) GROUP BY 1, 2"
    )


def queries(key: str) -> dict[str, dict[str, str]]:
    grouped = f"SELECT {MONTH} AS month, {key} AS unit, {{}} AS value {FROM} GROUP BY 1, 2"
    pair = grouped.replace("AS value", "AS value, {} AS exported")
    x = "CAST(e.duration_seconds AS DOUBLE)"
    exported = f"CASE WHEN {EXPORTED} THEN e.user_id END"
    return {
        "distinct": {
            **_distinct(key, "e.user_id"),
            "bitmap": _bitmaps(key, {"value": None}),
            "masks": _masks(key),
        },
        "distinct-text": _distinct(key, "CAST(e.user_id AS STRING)"),
        "distinct-sparse": {
            **_distinct(key, SPARSE),
            "bitmap": _bitmaps(key, {"value": None}, SPARSE),
            "masks": _masks(key, SPARSE),
        },
        "distinct-pair": {
            "count-distinct": pair.format(
                "COUNT(DISTINCT e.user_id)", f"COUNT(DISTINCT {exported})"
            ),
            "two-level": (
                "SELECT month, unit, COUNT(user) AS value, COUNT(exported) AS exported FROM ("
                f"SELECT {MONTH} AS month, {key} AS unit, e.user_id AS user, "
                f"MAX(CASE WHEN {EXPORTED} THEN 1 END) AS exported {FROM} GROUP BY 1, 2, 3"
                ") GROUP BY 1, 2"
            ),
            "collect-set": pair.format(
                "CAST(size(collect_set(e.user_id)) AS BIGINT)",
                f"CAST(size(collect_set({exported})) AS BIGINT)",
            ),
            "bitmap": _bitmaps(key, {"value": None, "exported": EXPORTED}),
        },
        "median": {
            "percentile": grouped.format(f"percentile({x}, 0.5)"),
            "sorted-list": grouped.format(_median_of_sorted(x)),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("aggregate", choices=list(queries("")))
    parser.add_argument(
        "--by", choices=list(KEYS), default="segment", help="the group besides month"
    )
    parser.add_argument(
        "--first", type=int, metavar="N", help="only the events numbered below N (a quicker run)"
    )
    add_spec_arguments(parser, DataSpec)
    forms = list(
        dict.fromkeys(form for by_aggregate in queries("").values() for form in by_aggregate)
    )
    add_run_arguments(parser, forms, default=forms)
    args = parser.parse_args()
    console = Console()
    spec = spec_from_arguments(DataSpec, args)
    if ensure_data(spec):
        console.print(f"generated data for {spec}")

    from metricsmith.execute.spark_session import spark_session

    session = spark_session()
    events = session.read.parquet(str(DATA / "events.parquet"))
    if args.first is not None:
        events = events.where(f"event_id < {args.first}")
    events.createOrReplaceTempView("events")
    session.read.parquet(str(DATA / "accounts.parquet")).createOrReplaceTempView("accounts")
    forms = queries(KEYS[args.by])[args.aggregate]
    chosen = {form: sql for form, sql in forms.items() if form in args.engines}
    tolerance = RELATIVE if args.aggregate == "median" else EXACT
    metrics = {"value": tolerance}
    if args.aggregate == "distinct-pair":
        metrics["exported"] = EXACT
    return run_and_report(
        console,
        title=f"Spark: {args.aggregate} by month and {args.by}, "
        f"{min(spec.events, args.first or spec.events):,} events, "
        f"best of {args.repeats}",
        shape=AnswerShape(keys=("month", "unit"), metrics=metrics),
        runners={
            form: (lambda sql=sql: session.sql(sql).toArrow()) for form, sql in chosen.items()
        },
        repeats=args.repeats,
        data={
            "events": spec.events,
            "first": args.first,
            "aggregate": args.aggregate,
            "by": args.by,
        },
        json_path=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
