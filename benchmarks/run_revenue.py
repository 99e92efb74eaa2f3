"""Time the revenue scorecard in metricsmith and in hand-written DuckDB SQL.

Both compute MRR, its movements (new, reactivation, expansion, contraction, churned), paying
customers at the start, churned customers, churn rate and net dollar retention, monthly over
February 2022 to December 2024 (optionally by account segment), from the same Parquet files
(revenue.metrics, revenue.sql), in the same process, end to end. As in run_scorecard.py, one
warm-up run per engine provides the answers compared, then the engines take turns for
--repeats rounds and the best wall time of each counts. With --memory each engine first runs
once alone in a fresh process, for its peak memory.

A third engine, `reference`, computes the same in plain Python straight from the definitions;
it checks the other two at smoke sizes and is far too slow for the full size.

    python benchmarks/run_revenue.py                       # 200,000 accounts, by segment
    python benchmarks/run_revenue.py --engines metricsmith-spark,duckdb
    python benchmarks/run_revenue.py --accounts 2000 --engines duckdb,reference
    python benchmarks/run_revenue.py --total --json revenue.json
    python benchmarks/run_revenue.py --engines metricsmith-duckdb,duckdb,duckdb-general
    python benchmarks/run_revenue.py --memory              # also each engine's peak memory

`duckdb-general` is revenue_general.sql: the same definitions without revenue.sql's
assumptions about the data (every subscription starts after its account's sign-up and names
an existing account). `metricsmith-duckdb-contracts` runs revenue_contracts.metrics, which
declares those assumptions as data contracts: metricsmith verifies them on the data, then
its plan relies on them.

Every answer must also satisfy the MRR bridge in every cell:
mrr = starting_mrr + new + reactivation + expansion - contraction - churned (to the cent).

Exit status: 0 when every engine gave the same answer, 1 when answers differ or an answer
breaks the bridge, 2 when an engine failed to run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
from pathlib import Path

import attrs
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import add_spec_arguments, spec_flags, spec_from_arguments
from duckdb_runner import run_sql_file
from generate_revenue import DATA_DIR, RevenueSpec, ensure_revenue_data
from harness import (
    CENTS,
    EXACT,
    RELATIVE,
    AnswerShape,
    add_run_arguments,
    on_one_thread,
    own_peak_memory,
    peak_memory,
    run_and_report,
)
from revenue_reference import revenue_scorecard
from rich.console import Console

SCORECARD = Path(__file__).resolve().parent / "revenue.metrics"
# The same scorecard with the data contracts that justify revenue.sql's assumptions declared.
WITH_CONTRACTS = SCORECARD.with_name("revenue_contracts.metrics")
MONEY = (
    "mrr",
    "starting_mrr",
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
)
METRICS = {
    **dict.fromkeys(MONEY, CENTS),
    "customers_at_start": EXACT,
    "churned_customers": EXACT,
    "churn_rate": RELATIVE,
    "ndr": RELATIVE,
}
SEGMENT = "accounts.segment"
RANGE_START = dt.datetime(2022, 2, 1, tzinfo=dt.UTC)
RANGE_END = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
# Movements that add to, and that take from, the starting MRR.
GAINS = ("new_mrr", "reactivation_mrr", "expansion_mrr")
LOSSES = ("contraction_mrr", "churned_mrr")


def run_metricsmith(
    by_segment: bool, engine: str = "arrow", definitions: Path = SCORECARD
) -> pa.Table:
    """The scorecard through metricsmith on one of its engines: the embedded Arrow executor,
    or the SQL it compiles to, run by DuckDB or by a local Spark session. `definitions`:
    revenue.metrics, or revenue_contracts.metrics, whose contracts are verified on the data
    (part of the time) before the plan relies on them."""
    # Imported here so the hand-written engines can be timed without the package installed.
    import metricsmith

    project = metricsmith.load_project(str(definitions))
    return project.query(
        list(METRICS),
        by=[SEGMENT] if by_segment else [],
        grain="month",
        start=RANGE_START.date().isoformat(),
        end=RANGE_END.date().isoformat(),
        engine=engine,
    )


def run_duckdb(by_segment: bool, query: str = "revenue.sql") -> pa.Table:
    """A hand-written query: revenue.sql, or revenue_general.sql, which does not assume that
    every subscription starts after its account's sign-up and names an existing account."""
    params = {"range_start": RANGE_START, "range_end": RANGE_END, "by_segment": by_segment}
    table = run_sql_file(query, params)
    return table if by_segment else table.drop_columns([SEGMENT])


def run_reference(by_segment: bool) -> pa.Table:
    return revenue_scorecard(DATA_DIR, RANGE_START, RANGE_END, by_segment)


ENGINES = {
    "metricsmith": run_metricsmith,
    "metricsmith-1thread": on_one_thread(run_metricsmith),
    "metricsmith-duckdb": functools.partial(run_metricsmith, engine="duckdb"),
    "metricsmith-spark": functools.partial(run_metricsmith, engine="spark"),
    "metricsmith-duckdb-contracts": functools.partial(
        run_metricsmith, engine="duckdb", definitions=WITH_CONTRACTS
    ),
    "duckdb": run_duckdb,
    "duckdb-general": functools.partial(run_duckdb, query="revenue_general.sql"),
    "reference": run_reference,
}
DEFAULT_ENGINES = ("metricsmith", "metricsmith-duckdb", "duckdb")


def bridge_breaks(engine: str, answer: pa.Table) -> list[str]:
    """The cells whose ending MRR is not the starting MRR plus the movements."""
    problems = []
    for row in answer.to_pylist():
        moved = row["starting_mrr"] + sum(row[g] for g in GAINS) - sum(row[x] for x in LOSSES)
        if not CENTS.same(moved, row["mrr"]):
            cell = {k: v for k, v in row.items() if k in ("month", SEGMENT)}
            problems.append(f"{engine}: bridge broken at {cell}: mrr={row['mrr']!r}, {moved=!r}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_spec_arguments(parser, RevenueSpec)
    add_run_arguments(parser, list(ENGINES), default=DEFAULT_ENGINES)
    parser.add_argument(
        "--total", action="store_true", help="one cell per month instead of one per segment"
    )
    parser.add_argument("--memory", action="store_true", help="also each engine's peak memory")
    parser.add_argument("--only-run", choices=list(ENGINES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    console = Console()

    spec = spec_from_arguments(RevenueSpec, args)
    by_segment = not args.total
    if args.only_run:  # one run in this (fresh) process, then its peak memory
        ENGINES[args.only_run](by_segment)
        print(own_peak_memory())
        return 0
    if ensure_revenue_data(spec):
        console.print(f"generated data for {spec}")
    peaks = {}
    if args.memory:
        total = ["--total"] if args.total else []
        for engine in args.engines:
            child = [sys.executable, __file__, *spec_flags(spec), *total, "--only-run", engine]
            peaks[engine] = peak_memory(child)
            console.print(
                f"peak memory of {engine} alone, in a fresh process: {peaks[engine]:.0f} MB"
            )
    rows = pq.read_metadata(DATA_DIR / "subscriptions.parquet").num_rows
    slicing = "by segment" if by_segment else "in total"
    return run_and_report(
        console,
        title=f"Revenue: {spec.accounts:,} accounts, {rows:,} subscriptions, {slicing}, "
        f"best of {args.repeats}",
        shape=AnswerShape(keys=("month", SEGMENT) if by_segment else ("month",), metrics=METRICS),
        runners={e: functools.partial(ENGINES[e], by_segment) for e in args.engines},
        repeats=args.repeats,
        data={
            **attrs.asdict(spec),
            "subscriptions": rows,
            "by_segment": by_segment,
            "peak_memory_mb": peaks,
        },
        json_path=args.json,
        checks=(bridge_breaks,),
    )


if __name__ == "__main__":
    sys.exit(main())
