"""Time the benchmark scorecard in metricsmith, hand-written DuckDB SQL and hand-written Polars.

All three compute the same six metrics (scorecard.metrics, scorecard.sql, scorecard_polars.py)
monthly by account segment over 2024, from the same Parquet files, in the same process. Each
run is end to end: open and read the files, compute, return an Arrow table. After one warm-up
run per engine (which also warms the OS file cache and provides the answers that are
compared), the engines take turns for --repeats rounds and the best wall time of each counts.

    python benchmarks/run_scorecard.py                         # full size: 10M events
    python benchmarks/run_scorecard.py --events 200000 --tickets 50000       # smoke size
    python benchmarks/run_scorecard.py --engines duckdb,polars --json results.json
    python benchmarks/run_scorecard.py --engines metricsmith-duckdb,metricsmith-spark,duckdb

Exit status: 0 when every engine gave the same answer, 1 when answers differ, 2 when an engine
failed to run.
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
import scorecard_duckdb
import scorecard_polars
from datasets import add_spec_arguments, spec_from_arguments
from generate import DataSpec, ensure_data
from harness import (
    EXACT,
    RELATIVE,
    AnswerShape,
    add_run_arguments,
    on_one_thread,
    own_peak_memory,
    peak_memory,
    run_and_report,
)
from rich.console import Console

SCORECARD = Path(__file__).resolve().parent / "scorecard.metrics"
# Counts must agree exactly; every other metric is a float compared to a relative tolerance.
SHAPE = AnswerShape(
    keys=("month", "accounts.segment"),
    metrics={
        "nps": RELATIVE,
        "active_users": EXACT,
        "avg_resolution_hours": RELATIVE,
        "fcr_rate": RELATIVE,
        "tickets_opened": EXACT,
        "events_per_active_user": RELATIVE,
    },
)
RANGE_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
RANGE_END = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def run_metricsmith(start: dt.datetime, end: dt.datetime, engine: str = "arrow") -> pa.Table:
    """The scorecard through metricsmith on one of its engines: the embedded Arrow executor,
    or the SQL it compiles to, run by DuckDB or by a local Spark session."""
    # Imported here so the hand-written engines can be timed without the package installed.
    import metricsmith

    project = metricsmith.load_project(str(SCORECARD))
    return project.query(
        list(SHAPE.metrics),
        by=["accounts.segment"],
        grain="month",
        start=start.date().isoformat(),
        end=end.date().isoformat(),
        engine=engine,
    )


ENGINES = {
    "metricsmith": run_metricsmith,
    "metricsmith-1thread": on_one_thread(run_metricsmith),
    "metricsmith-duckdb": functools.partial(run_metricsmith, engine="duckdb"),
    "metricsmith-spark": functools.partial(run_metricsmith, engine="spark"),
    "duckdb": scorecard_duckdb.run_scorecard,
    "polars": scorecard_polars.run_scorecard,
}
# Spark's local session takes seconds to start and to run, and the Arrow engine on one thread
# compares the engine with itself: only when asked for.
DEFAULT_ENGINES = [e for e in ENGINES if e not in ("metricsmith-spark", "metricsmith-1thread")]


# The columns the scorecard reads (scorecard.metrics): what peak memory is compared with.
COLUMNS_READ = {
    "events.parquet": ["account_id", "user_id", "occurred_at"],
    "tickets.parquet": ["account_id", "opened_at", "resolved_at", "contacts", "nps_score"],
    "accounts.parquet": ["account_id", "segment"],
}


def report_memory(console: Console, spec: DataSpec, engines: list[str], arguments: list[str]):
    """Each engine's peak resident memory over one run in a fresh process, against the
    in-memory size of the columns the scorecard reads."""
    folder = SCORECARD.parent / "data"
    read = sum(
        pq.read_table(folder / name, columns=columns).nbytes
        for name, columns in COLUMNS_READ.items()
    )
    console.print(f"columns read: {read / 2**20:,.0f} MB in memory (one run, fresh process):")
    for engine in engines:
        command = [sys.executable, __file__, *arguments, "--once", engine]
        peak = peak_memory(command)
        console.print(f"  {engine:<20} peak {peak:8,.0f} MB = {peak / (read / 2**20):.2f}× read")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_spec_arguments(parser, DataSpec)
    add_run_arguments(parser, list(ENGINES), default=DEFAULT_ENGINES)
    parser.add_argument(
        "--memory",
        action="store_true",
        help="first measure each engine's peak memory in a fresh process",
    )
    parser.add_argument("--once", choices=list(ENGINES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    console = Console()

    spec = spec_from_arguments(DataSpec, args)
    if args.once:  # one run in this (fresh) process, for --memory
        ENGINES[args.once](RANGE_START, RANGE_END)
        print(own_peak_memory())
        return 0
    if ensure_data(spec):
        console.print(f"generated data for {spec}")
    if args.memory:
        report_memory(console, spec, args.engines, sys.argv[1:])
    return run_and_report(
        console,
        title=f"Scorecard: {spec.events:,} events, {spec.tickets:,} tickets, "
        f"best of {args.repeats}",
        shape=SHAPE,
        runners={e: functools.partial(ENGINES[e], RANGE_START, RANGE_END) for e in args.engines},
        repeats=args.repeats,
        data=attrs.asdict(spec),
        json_path=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
