"""Time the benchmark scorecard in metricsmith, hand-written DuckDB SQL and hand-written Polars.

All three compute the same six metrics (scorecard.metrics, scorecard.sql, scorecard_polars.py)
monthly by account segment over 2024, from the same Parquet files, in the same process. Each
run is end to end: open and read the files, compute, return an Arrow table. After one warm-up
run per engine (which also warms the OS file cache and provides the answers that are
compared), the engines take turns for --repeats rounds and the best wall time of each counts.

    python benchmarks/run_scorecard.py                         # full size: 10M events
    python benchmarks/run_scorecard.py --events 200000 --tickets 50000       # smoke size
    python benchmarks/run_scorecard.py --engines duckdb,polars --json results.json

Exit status: 0 when every engine gave the same answer, 1 when answers differ, 2 when an engine
failed to run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import scorecard_duckdb
import scorecard_polars
from attrs import asdict, frozen
from generate import DataSpec, add_spec_arguments, ensure_data, spec_from_arguments
from rich.console import Console
from rich.table import Table

SCORECARD = Path(__file__).resolve().parent / "scorecard.metrics"
METRICS = (
    "nps",
    "active_users",
    "avg_resolution_hours",
    "fcr_rate",
    "tickets_opened",
    "events_per_active_user",
)
# Counts must agree exactly; every other metric is a float compared to a relative tolerance.
EXACT_METRICS = frozenset({"active_users", "tickets_opened"})
RELATIVE_TOLERANCE = 1e-9
KEYS = ("month", "accounts.segment")
RANGE_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
RANGE_END = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
MAX_DIFFERENCES_SHOWN = 10

Runner = Callable[[dt.datetime, dt.datetime], pa.Table]


def run_metricsmith(start: dt.datetime, end: dt.datetime) -> pa.Table:
    # Imported here so the hand-written engines can be timed without the package installed.
    import metricsmith

    project = metricsmith.load_project(str(SCORECARD))
    return project.query(
        list(METRICS),
        by=["accounts.segment"],
        grain="month",
        start=start.date().isoformat(),
        end=end.date().isoformat(),
    )


ENGINES: dict[str, Runner] = {
    "metricsmith": run_metricsmith,
    "duckdb": scorecard_duckdb.run_scorecard,
    "polars": scorecard_polars.run_scorecard,
}


@frozen
class EngineResult:
    engine: str
    first_run: float
    runs: tuple[float, ...]

    @property
    def best(self) -> float:
        return min(self.runs)


class EngineFailed(Exception):
    def __init__(self, engine: str, error: BaseException) -> None:
        super().__init__(f"{engine} failed: {type(error).__name__}: {error}")


def _timed(engine: str, run: Runner) -> tuple[float, pa.Table]:
    gc.collect()
    started = time.perf_counter()
    try:
        answer = run(RANGE_START, RANGE_END)
    # Any exception from an engine is reported as that engine's failure, not a crash of the
    # harness: while the engine is being built, "not wired yet" is an expected outcome.
    except Exception as error:
        raise EngineFailed(engine, error) from error
    return time.perf_counter() - started, answer


def run_engines(
    engines: Sequence[str], repeats: int
) -> tuple[list[EngineResult], dict[str, pa.Table]]:
    """Warm up each engine once (keeping its answer), then time `repeats` rounds in turn."""
    first_runs: dict[str, float] = {}
    answers: dict[str, pa.Table] = {}
    for engine in engines:
        first_runs[engine], answers[engine] = _timed(engine, ENGINES[engine])
    runs: dict[str, list[float]] = {engine: [] for engine in engines}
    for _ in range(repeats):
        for engine in engines:
            runs[engine].append(_timed(engine, ENGINES[engine])[0])
    results = [EngineResult(e, first_runs[e], tuple(runs[e])) for e in engines]
    return results, answers


def _same(metric: str, left: object, right: object) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if metric in EXACT_METRICS:
        return left == right
    return math.isclose(left, right, rel_tol=RELATIVE_TOLERANCE)


def _cells(table: pa.Table) -> dict[tuple[object, ...], dict[str, object]]:
    return {tuple(row[k] for k in KEYS): row for row in table.select([*KEYS, *METRICS]).to_pylist()}


def differences(reference_name: str, reference: pa.Table, name: str, other: pa.Table) -> list[str]:
    """Every way `other` disagrees with `reference`, as readable lines."""
    for engine, table in ((reference_name, reference), (name, other)):
        missing = [c for c in (*KEYS, *METRICS) if c not in table.column_names]
        if missing:
            return [f"{engine} has no column(s) {', '.join(missing)}"]
    expected, actual = _cells(reference), _cells(other)
    problems = [
        f"{engine} has {table.num_rows} rows for {len(cells)} distinct cells"
        for engine, table, cells in ((reference_name, reference, expected), (name, other, actual))
        if table.num_rows != len(cells)
    ]
    problems += [f"cell {key} only in {reference_name}" for key in expected.keys() - actual.keys()]
    problems += [f"cell {key} only in {name}" for key in actual.keys() - expected.keys()]
    for key in sorted(expected.keys() & actual.keys(), key=str):
        for metric in METRICS:
            left, right = expected[key][metric], actual[key][metric]
            if not _same(metric, left, right):
                problems.append(f"{metric} at {key}: {reference_name}={left!r} {name}={right!r}")
    return problems


def all_differences(answers: dict[str, pa.Table]) -> list[str]:
    (reference_name, reference), *others = answers.items()
    return [
        problem
        for name, table in others
        for problem in differences(reference_name, reference, name, table)
    ]


def _ratios(results: Sequence[EngineResult]) -> dict[str, float]:
    best = {r.engine: r.best for r in results}
    if "metricsmith" not in best:
        return {}
    return {
        f"metricsmith/{engine}": best["metricsmith"] / seconds
        for engine, seconds in best.items()
        if engine != "metricsmith"
    }


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("metricsmith", "duckdb", "polars", "pyarrow", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def record(
    spec: DataSpec, repeats: int, results: Sequence[EngineResult], problems: Sequence[str]
) -> dict[str, object]:
    """Everything needed to reproduce and compare a measurement, as JSON-ready data."""
    return {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": _versions(),
        "data": asdict(spec),
        "repeats": repeats,
        "engines": {
            r.engine: {"best_seconds": r.best, "first_run_seconds": r.first_run, "runs": r.runs}
            for r in results
        },
        "ratios": _ratios(results),
        "answers_match": not problems,
        "differences": list(problems),
    }


def _write_json(path: Path, data: dict[str, object]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(partial, path)


def results_table(spec: DataSpec, repeats: int, results: Sequence[EngineResult]) -> Table:
    table = Table(
        title=f"Scorecard: {spec.events:,} events, {spec.tickets:,} tickets, best of {repeats}",
        caption="wall times in seconds; first = the untimed warm-up run",
    )
    table.add_column("engine")
    table.add_column("best", justify="right")
    table.add_column("runs", justify="right")
    table.add_column("first", justify="right")
    ratios = _ratios(results)
    if ratios:
        table.add_column("metricsmith ÷ this", justify="right")
    for r in results:
        row = [
            r.engine,
            f"{r.best:.3f}",
            " ".join(f"{s:.3f}" for s in r.runs),
            f"{r.first_run:.3f}",
        ]
        if ratios:
            ratio = ratios.get(f"metricsmith/{r.engine}")
            row.append("—" if ratio is None else f"{ratio:.2f}×")
        table.add_row(*row)
    return table


def _engine_list(text: str) -> list[str]:
    engines = [e.strip() for e in text.split(",") if e.strip()]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown or not engines:
        raise argparse.ArgumentTypeError(
            f"unknown engine(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(ENGINES)}"
        )
    return engines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_spec_arguments(parser)
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (best counts)")
    parser.add_argument(
        "--engines",
        type=_engine_list,
        default=list(ENGINES),
        help=f"comma-separated, from {','.join(ENGINES)} (default: all)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    args = parser.parse_args()
    console = Console()

    spec = spec_from_arguments(args)
    if ensure_data(spec):
        console.print(f"generated data for {spec}")
    try:
        results, answers = run_engines(args.engines, args.repeats)
    except EngineFailed as failure:
        console.print(str(failure), style="bold red", markup=False, highlight=False)
        console.print("(--engines selects which engines run, e.g. --engines duckdb,polars)")
        return 2

    problems = all_differences(answers)
    console.print(results_table(spec, args.repeats, results))
    if problems:
        console.print(f"[bold red]answers differ ({len(problems)} difference(s)):[/]")
        for problem in problems[:MAX_DIFFERENCES_SHOWN]:
            console.print(f"  {problem}", markup=False)
    else:
        cells = next(iter(answers.values())).num_rows
        console.print(
            f"[green]answers agree[/] across {', '.join(answers)}: "
            f"{cells} cells × {len(METRICS)} metrics"
        )
    if args.json:
        _write_json(args.json, record(spec, args.repeats, results, problems))
        console.print(f"results written to {args.json}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
