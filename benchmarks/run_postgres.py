"""Time the scorecard and revenue benchmarks on metricsmith's postgres engine against the same
queries written by hand for PostgreSQL (scorecard_postgres.sql, revenue_postgres.sql).

The generated Parquet files (run_scorecard.py's and run_revenue.py's) are loaded once into
tables of a schema `metricsmith_bench` of the server; then, in the same run, metricsmith's
postgres engine reads those tables in place (the benchmark's definitions, with each
`parquet(...)` source read from the loaded table by the postgres connector instead) and the
hand-written query reads the same tables. As in the other runners, one warm-up run per engine
provides the answers compared, then the engines take turns for --repeats rounds; best and
median times count.

The server is libpq's environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD) when
PGHOST is set, else a throwaway one started with the test suite's helper (tests/
postgres_server.py: PostgreSQL's server programs must be installed).

    python benchmarks/run_postgres.py scorecard                      # 10M events
    python benchmarks/run_postgres.py scorecard --events 1000000 --tickets 100000
    python benchmarks/run_postgres.py revenue --accounts 20000

Exit status: 0 when both gave the same answer, 1 when answers differ, 2 when one failed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pyarrow as pa
import pyarrow.parquet as pq
import run_revenue
import run_scorecard
from datasets import add_spec_arguments, spec_from_arguments
from generate import DATA_DIR, DataSpec, ensure_data
from generate_revenue import RevenueSpec, ensure_revenue_data
from harness import AnswerShape, add_run_arguments, run_and_report
from rich.console import Console

BENCHMARKS_DIR = Path(__file__).resolve().parent
SCHEMA = "metricsmith_bench"
ENGINES = ("metricsmith-postgres", "postgres")
#: `source x from parquet("data/...")` in the benchmarks' definitions.
_PARQUET_SOURCE = re.compile(r'source (\w+) from parquet\("[^"]+"\)')


@contextlib.contextmanager
def server() -> Iterator[None]:
    """libpq's environment pointing at a server for the run."""
    if os.environ.get("PGHOST"):
        yield
        return
    sys.path.insert(0, str(BENCHMARKS_DIR.parent / "tests"))
    from postgres_server import server_programs, start_server, stop_server

    programs = server_programs()
    if programs is None:
        raise SystemExit("set PGHOST... to a server, or install PostgreSQL's server programs")
    started = start_server(programs)
    os.environ.update(started.environment)
    try:
        yield
    finally:
        stop_server(programs, started)


def connect():
    import adbc_driver_postgresql.dbapi as dbapi

    conn = dbapi.connect("postgresql://", autocommit=True)
    with conn.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    return conn


def load(files: dict[str, Path]) -> None:
    """The files as tables of the benchmark's schema, analysed (as a warehouse's are)."""
    with connect() as conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for table, path in files.items():
            cursor.adbc_ingest(table, pq.read_table(path), mode="replace", db_schema_name=SCHEMA)
            cursor.execute(f"ANALYZE {SCHEMA}.{table}")


def definitions(metrics_file: Path) -> Path:
    """The benchmark's definitions with every Parquet source read from its loaded table by the
    postgres connector (`postgres(table="metricsmith_bench.events")`), which the postgres
    engine then reads in place."""
    import tempfile

    text = _PARQUET_SOURCE.sub(
        rf'source \1 from postgres(table="{SCHEMA}.\1")', metrics_file.read_text()
    )
    folder = Path(tempfile.mkdtemp(prefix="metricsmith-bench-"))
    (folder / metrics_file.name).write_text(text)
    return folder / metrics_file.name


def run_metricsmith(definitions: Path, metrics: list[str], **query: object) -> pa.Table:
    """One end-to-end run, as in the other runners: load and check the project (which reads
    each table's columns from the catalog), then run the query inside the server."""
    import metricsmith

    return metricsmith.load_project(definitions).query(metrics, engine="postgres", **query)


def run_sql(name: str, params: dict[str, str]) -> pa.Table:
    """One run of a hand-written query: connect, compute, fetch as Arrow."""
    sql = (BENCHMARKS_DIR / name).read_text()
    for key, value in sorted(params.items(), key=lambda item: -len(item[0])):
        sql = sql.replace(f"${key}", value)
    with connect() as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetch_arrow_table()


def _instant(value: dt.datetime) -> str:
    return f"TIMESTAMPTZ '{value.isoformat()}'"


def scorecard(args: argparse.Namespace, console: Console) -> int:
    spec = spec_from_arguments(DataSpec, args)
    if ensure_data(spec):
        console.print(f"generated data for {spec}")
    files = {name: DATA_DIR / f"{name}.parquet" for name in ("accounts", "events", "tickets")}
    load(files)
    shape = run_scorecard.SHAPE
    start, end = run_scorecard.RANGE_START, run_scorecard.RANGE_END
    ours = definitions(run_scorecard.SCORECARD)
    query = {"by": list(shape.keys[1:]), "grain": "month", "start": "2024-01-01"}
    runners = {
        "metricsmith-postgres": functools.partial(
            run_metricsmith, ours, list(shape.metrics), **query, end="2025-01-01"
        ),
        "postgres": functools.partial(
            run_sql,
            "scorecard_postgres.sql",
            {"schema": SCHEMA, "range_start": _instant(start), "range_end": _instant(end)},
        ),
    }
    events = pq.read_metadata(files["events"]).num_rows
    return run_and_report(
        console,
        title=f"Scorecard on PostgreSQL: {events:,} events, best of {args.repeats}",
        shape=shape,
        runners={engine: runners[engine] for engine in args.engines},
        repeats=args.repeats,
        data={**attrs.asdict(spec), "server": "postgres"},
        json_path=args.json,
    )


def revenue(args: argparse.Namespace, console: Console) -> int:
    spec = spec_from_arguments(RevenueSpec, args)
    if ensure_revenue_data(spec):
        console.print(f"generated data for {spec}")
    folder = DATA_DIR / "revenue"
    files = {name: folder / f"{name}.parquet" for name in ("accounts", "subscriptions")}
    load(files)
    by_segment = not args.total
    keys = ("month", run_revenue.SEGMENT) if by_segment else ("month",)
    ours = definitions(run_revenue.SCORECARD)
    query = {
        "by": [run_revenue.SEGMENT] if by_segment else [],
        "grain": "month",
        "start": run_revenue.RANGE_START.date().isoformat(),
        "end": run_revenue.RANGE_END.date().isoformat(),
    }
    params = {
        "schema": SCHEMA,
        "range_start": _instant(run_revenue.RANGE_START),
        "range_end": _instant(run_revenue.RANGE_END),
        "by_segment": "TRUE" if by_segment else "FALSE",
    }

    def hand_written() -> pa.Table:
        table = run_sql("revenue_postgres.sql", params)
        return table if by_segment else table.drop_columns([run_revenue.SEGMENT])

    runners = {
        "metricsmith-postgres": functools.partial(
            run_metricsmith, ours, list(run_revenue.METRICS), **query
        ),
        "postgres": hand_written,
    }
    rows = pq.read_metadata(files["subscriptions"]).num_rows
    return run_and_report(
        console,
        title=f"Revenue on PostgreSQL: {spec.accounts:,} accounts, {rows:,} subscriptions, "
        f"{'by segment' if by_segment else 'in total'}, best of {args.repeats}",
        shape=AnswerShape(keys=keys, metrics=run_revenue.METRICS),
        runners={engine: runners[engine] for engine in args.engines},
        repeats=args.repeats,
        data={**attrs.asdict(spec), "subscriptions": rows, "server": "postgres"},
        json_path=args.json,
        checks=(run_revenue.bridge_breaks,),
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    benchmarks = parser.add_subparsers(dest="benchmark", required=True)
    scorecard_args = benchmarks.add_parser("scorecard", help="run_scorecard.py's six metrics")
    add_spec_arguments(scorecard_args, DataSpec)
    revenue_args = benchmarks.add_parser("revenue", help="run_revenue.py's MRR scorecard")
    add_spec_arguments(revenue_args, RevenueSpec)
    revenue_args.add_argument(
        "--total", action="store_true", help="one cell per month instead of one per segment"
    )
    for sub in (scorecard_args, revenue_args):
        add_run_arguments(sub, list(ENGINES), default=ENGINES)
    args = parser.parse_args()
    console = Console()
    with server():
        return (scorecard if args.benchmark == "scorecard" else revenue)(args, console)


if __name__ == "__main__":
    sys.exit(main())
