"""Time the forms an exact distinct count and an exact median can take in Spark SQL, on the
scorecard's events (generate.py), in one local Spark session, in turns, answers compared.

    python benchmarks/spark_aggregates.py distinct                 # by month and segment
    python benchmarks/spark_aggregates.py median --by account      # 100k accounts: many groups

Forms of `count_distinct(events.user_id)`:
  count-distinct   COUNT(DISTINCT user_id)             (what Spark plans as two aggregations)
  two-level        GROUP BY keys, user_id, then COUNT(user_id) by keys
  collect-set      size(collect_set(user_id))
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


def queries(key: str) -> dict[str, dict[str, str]]:
    grouped = f"SELECT {MONTH} AS month, {key} AS unit, {{}} AS value {FROM} GROUP BY 1, 2"
    x = "CAST(e.duration_seconds AS DOUBLE)"
    return {
        "distinct": {
            "count-distinct": grouped.format("COUNT(DISTINCT e.user_id)"),
            "two-level": (
                "SELECT month, unit, COUNT(user_id) AS value FROM ("
                f"SELECT {MONTH} AS month, {key} AS unit, e.user_id {FROM} GROUP BY 1, 2, 3"
                ") GROUP BY 1, 2"
            ),
            "collect-set": grouped.format("CAST(size(collect_set(e.user_id)) AS BIGINT)"),
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
    parser.add_argument("aggregate", choices=["distinct", "median"])
    parser.add_argument(
        "--by", choices=list(KEYS), default="segment", help="the group besides month"
    )
    add_spec_arguments(parser, DataSpec)
    forms = [form for by_aggregate in queries("").values() for form in by_aggregate]
    add_run_arguments(parser, forms, default=forms)
    args = parser.parse_args()
    console = Console()
    spec = spec_from_arguments(DataSpec, args)
    if ensure_data(spec):
        console.print(f"generated data for {spec}")

    from metricsmith.execute.spark_session import spark_session

    session = spark_session()
    for table in ("events", "accounts"):
        session.read.parquet(str(DATA / f"{table}.parquet")).createOrReplaceTempView(table)
    forms = queries(KEYS[args.by])[args.aggregate]
    chosen = {form: sql for form, sql in forms.items() if form in args.engines}
    tolerance = EXACT if args.aggregate == "distinct" else RELATIVE
    return run_and_report(
        console,
        title=f"Spark: {args.aggregate} by month and {args.by}, {spec.events:,} events, "
        f"best of {args.repeats}",
        shape=AnswerShape(keys=("month", "unit"), metrics={"value": tolerance}),
        runners={
            form: (lambda sql=sql: session.sql(sql).toArrow()) for form, sql in chosen.items()
        },
        repeats=args.repeats,
        data={"events": spec.events, "aggregate": args.aggregate, "by": args.by},
        json_path=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
