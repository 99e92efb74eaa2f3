"""Time the engagement + activation scorecard in metricsmith, hand-written DuckDB and Polars.

Seven metrics per month of 2022 to 2024 (engagement.metrics, engagement.sql,
engagement_polars.py): MAU, average DAU over the month's days, stickiness (DAU / MAU), users
with two key actions in the 7 days before the month's end, sign-ups, the share of the month's
sign-ups that created a report within 30 days, and the median hours from sign-up to the first
report. As in the other runners, one warm-up run per engine provides the answers compared,
then the engines take turns for --repeats rounds; the best and the median wall time count.
Then each engine runs once more alone in a fresh process, for its peak memory (`--memory`).

    python benchmarks/run_engagement.py                        # 200,000 accounts, 10M events
    python benchmarks/run_engagement.py --events 90000000 --repeats 5 --memory
    python benchmarks/run_engagement.py --accounts 2000 --events 100000   # a smoke run
    python benchmarks/run_engagement.py --sql-lines            # the generated SQL's size

Exit status: 0 when every engine gave the same answer, 1 when answers differ, 2 when an
engine failed to run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import resource
import subprocess
import sys
from pathlib import Path

import attrs
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import add_spec_arguments, spec_flags, spec_from_arguments
from duckdb_runner import run_sql_file
from engagement_polars import run_engagement
from generate_engagement import DATA_DIR, EngagementSpec, ensure_engagement_data
from harness import EXACT, RELATIVE, AnswerShape, add_run_arguments, on_one_thread, run_and_report
from rich.console import Console

SCORECARD = Path(__file__).resolve().parent / "engagement.metrics"
METRICS = {
    "mau": EXACT,
    "dau": RELATIVE,
    "stickiness": RELATIVE,
    "engaged_users_7d": EXACT,
    "signups": EXACT,
    "conversion_30d": RELATIVE,
    "hours_to_first_report": RELATIVE,
}
RANGE_START = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
RANGE_END = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
SQL_DIALECTS = ("duckdb", "spark", "postgres")


def _project():
    # Imported here so the hand-written engines can be timed without the package installed.
    import metricsmith

    return metricsmith.load_project(str(SCORECARD))


def _query() -> dict[str, object]:
    return {
        "grain": "month",
        "start": RANGE_START.date().isoformat(),
        "end": RANGE_END.date().isoformat(),
    }


def run_metricsmith(engine: str = "arrow") -> pa.Table:
    return _project().query(list(METRICS), engine=engine, **_query())


def run_duckdb() -> pa.Table:
    return run_sql_file("engagement.sql", {"range_start": RANGE_START, "range_end": RANGE_END})


def run_polars() -> pa.Table:
    return run_engagement(RANGE_START, RANGE_END)


ENGINES = {
    "metricsmith": run_metricsmith,
    "metricsmith-1thread": on_one_thread(run_metricsmith),
    "metricsmith-duckdb": functools.partial(run_metricsmith, engine="duckdb"),
    "metricsmith-spark": functools.partial(run_metricsmith, engine="spark"),
    "duckdb": run_duckdb,
    "polars": run_polars,
}
DEFAULT_ENGINES = ("metricsmith-duckdb", "duckdb", "polars", "metricsmith")


def sql_lines() -> dict[str, int]:
    """Lines of the SQL metricsmith generates for the scorecard, per dialect (formatted)."""
    project = _project()
    return {
        dialect: len(project.explain(list(METRICS), dialect=dialect, **_query()).splitlines())
        for dialect in SQL_DIALECTS
    }


def _run_alone(engine: str) -> None:
    """One run, then this process's peak resident memory. VmHWM is this program's own (on
    Linux, ru_maxrss carries over from the parent a child was forked from, here the runner's
    whole benchmark); ru_maxrss (kilobytes on Linux) where /proc is missing."""
    ENGINES[engine]()
    status = Path("/proc/self/status")
    lines = status.read_text().splitlines() if status.exists() else []
    peak = [int(line.split()[1]) for line in lines if line.startswith("VmHWM:")]
    kilobytes = peak[0] if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"engine": engine, "peak_gb": kilobytes / 1e6}))


def _memory(engines: list[str], argv: list[str], console: Console) -> dict[str, float]:
    """Each engine's peak memory in GB, running once alone in a fresh process."""
    peaks = {}
    for engine in engines:
        child = [sys.executable, __file__, *argv, "--only-run", engine]
        output = subprocess.run(child, check=True, capture_output=True, text=True).stdout
        peaks[engine] = json.loads(output.strip().splitlines()[-1])["peak_gb"]
        console.print(f"peak memory of {engine} alone, in a fresh process: {peaks[engine]:.2f} GB")
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_spec_arguments(parser, EngagementSpec)
    add_run_arguments(parser, list(ENGINES), default=DEFAULT_ENGINES)
    parser.add_argument("--memory", action="store_true", help="also each engine's peak memory")
    parser.add_argument("--sql-lines", action="store_true", help="only the generated SQL's size")
    parser.add_argument("--only-run", choices=list(ENGINES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    console = Console()
    spec = spec_from_arguments(EngagementSpec, args)
    if args.only_run:
        _run_alone(args.only_run)
        return 0
    if args.sql_lines:  # needs the files' schemas only: any size will do
        if not (DATA_DIR / "events.parquet").exists():
            ensure_engagement_data(spec)
        console.print(f"generated SQL lines: {sql_lines()}")
        return 0
    if ensure_engagement_data(spec):
        console.print(f"generated data for {spec}")
    rows = pq.read_metadata(DATA_DIR / "events.parquet").num_rows
    status = run_and_report(
        console,
        title=f"Engagement + activation: {spec.accounts:,} accounts, {rows:,} events, "
        f"by month, best of {args.repeats}",
        shape=AnswerShape(keys=("month",), metrics=METRICS),
        runners={e: ENGINES[e] for e in args.engines},
        repeats=args.repeats,
        data={**attrs.asdict(spec), "event_rows": rows},
        json_path=args.json,
    )
    if args.memory:
        _memory(args.engines, spec_flags(spec), console)
    return status


if __name__ == "__main__":
    sys.exit(main())
