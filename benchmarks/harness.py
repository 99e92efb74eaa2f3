"""What the benchmark runners share: timing engines in turns, comparing their answers cell by
cell, and reporting (a rich table on the terminal, optionally a JSON record).

A runner is a function of no arguments that does one whole end-to-end run and returns an
Arrow table: one row per cell, identified by key columns, with one column per metric. Each
metric has a tolerance saying when two answers agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path

import pyarrow as pa
from attrs import field, frozen
from rich.console import Console
from rich.table import Table

Runner = Callable[[], pa.Table]
#: How many threads the Arrow engine groups a source's batches on (docs/engines.md, Threads).
ARROW_THREADS = "METRICSMITH_ARROW_THREADS"


def on_one_thread(run: Callable[..., pa.Table]) -> Callable[..., pa.Table]:
    """`run` with the Arrow engine on one thread (the `metricsmith-1thread` engines)."""

    @functools.wraps(run)
    def one_thread(*args: object, **kwargs: object) -> pa.Table:
        before = os.environ.get(ARROW_THREADS)
        os.environ[ARROW_THREADS] = "1"
        try:
            return run(*args, **kwargs)
        finally:
            if before is None:
                del os.environ[ARROW_THREADS]
            else:
                os.environ[ARROW_THREADS] = before

    return one_thread


# Extra checks on one engine's answer (e.g. an identity between its columns): problem lines.
AnswerCheck = Callable[[str, pa.Table], list[str]]
MAX_DIFFERENCES_SHOWN = 10


@frozen
class Tolerance:
    """When two values of a metric count as the same: `exact`, or within `absolute` or
    `relative` of each other. Nulls agree only with nulls."""

    absolute: float = 0.0
    relative: float = 0.0

    def same(self, left: object, right: object) -> bool:
        if left is None or right is None:
            return left is None and right is None
        if not self.absolute and not self.relative:
            return left == right
        return math.isclose(left, right, rel_tol=self.relative, abs_tol=self.absolute)


EXACT = Tolerance()
CENTS = Tolerance(absolute=0.005)
RELATIVE = Tolerance(relative=1e-9)


@frozen
class AnswerShape:
    """The columns every engine's answer has: cell keys, then metrics with their tolerances."""

    keys: tuple[str, ...]
    metrics: Mapping[str, Tolerance] = field(hash=False)


@frozen
class EngineResult:
    engine: str
    first_run: float
    runs: tuple[float, ...]

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        """The middle run (the mean of the middle two): on a shared machine the best run
        can be a lucky one, the median is steadier."""
        return statistics.median(self.runs)


class EngineFailed(Exception):
    def __init__(self, engine: str, error: BaseException) -> None:
        super().__init__(f"{engine} failed: {type(error).__name__}: {error}")


def _timed(engine: str, run: Runner) -> tuple[float, pa.Table]:
    gc.collect()
    started = time.perf_counter()
    try:
        answer = run()
    # Any exception from an engine is reported as that engine's failure, not a crash of the
    # harness: while the engine is being built, "not wired yet" is an expected outcome.
    except Exception as error:
        raise EngineFailed(engine, error) from error
    return time.perf_counter() - started, answer


def run_engines(
    runners: Mapping[str, Runner], repeats: int
) -> tuple[list[EngineResult], dict[str, pa.Table]]:
    """Warm up each engine once (keeping its answer), then time `repeats` rounds in turn.
    Each round starts one engine further along: an engine run right after another pays for
    what that one left behind (DuckDB's freed memory cost the next engine about 0.4 s in the
    health family), so every engine takes each place in the order in turn."""
    first_runs: dict[str, float] = {}
    answers: dict[str, pa.Table] = {}
    for engine, run in runners.items():
        first_runs[engine], answers[engine] = _timed(engine, run)
    runs: dict[str, list[float]] = {engine: [] for engine in runners}
    order = list(runners.items())
    for round_number in range(repeats):
        shift = round_number % len(order)
        for engine, run in order[shift:] + order[:shift]:
            runs[engine].append(_timed(engine, run)[0])
    results = [EngineResult(e, first_runs[e], tuple(runs[e])) for e in runners]
    return results, answers


def peak_memory(command: Sequence[str]) -> float:
    """The peak resident memory (MB) of `command`, a fresh process that ends by printing
    `own_peak_memory()` on its last line: what one end-to-end run costs, interpreter and
    libraries included. (The child's own count: Linux carries the peak of the forking parent
    into a child's rusage.)"""
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return float(done.stdout.split()[-1])


def own_peak_memory() -> float:
    """This process's peak resident memory in MB (VmHWM: since it started its program)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise OSError("no VmHWM in /proc/self/status (peak memory is measured on Linux)")


def _cells(shape: AnswerShape, table: pa.Table) -> dict[tuple[object, ...], dict[str, object]]:
    rows = table.select([*shape.keys, *shape.metrics]).to_pylist()
    return {tuple(row[k] for k in shape.keys): row for row in rows}


def differences(
    shape: AnswerShape, reference_name: str, reference: pa.Table, name: str, other: pa.Table
) -> list[str]:
    """Every way `other` disagrees with `reference`, as readable lines."""
    for engine, table in ((reference_name, reference), (name, other)):
        missing = [c for c in (*shape.keys, *shape.metrics) if c not in table.column_names]
        if missing:
            return [f"{engine} has no column(s) {', '.join(missing)}"]
    expected, actual = _cells(shape, reference), _cells(shape, other)
    problems = [
        f"{engine} has {table.num_rows} rows for {len(cells)} distinct cells"
        for engine, table, cells in ((reference_name, reference, expected), (name, other, actual))
        if table.num_rows != len(cells)
    ]
    problems += [f"cell {key} only in {reference_name}" for key in expected.keys() - actual.keys()]
    problems += [f"cell {key} only in {name}" for key in actual.keys() - expected.keys()]
    for key in sorted(expected.keys() & actual.keys(), key=str):
        for metric, tolerance in shape.metrics.items():
            left, right = expected[key][metric], actual[key][metric]
            if not tolerance.same(left, right):
                problems.append(f"{metric} at {key}: {reference_name}={left!r} {name}={right!r}")
    return problems


def all_differences(shape: AnswerShape, answers: Mapping[str, pa.Table]) -> list[str]:
    """How every engine's answer differs from the first engine's."""
    (reference_name, reference), *others = answers.items()
    return [
        problem
        for name, table in others
        for problem in differences(shape, reference_name, reference, name, table)
    ]


def ratios(results: Sequence[EngineResult], *, medians: bool = False) -> dict[str, float]:
    """The best time of metricsmith (on each of its engines: `metricsmith`,
    `metricsmith-duckdb`...) over each hand-written engine's; with `medians`, the median
    times' ratio instead."""
    times = {r.engine: r.median if medians else r.best for r in results}
    ours = [engine for engine in times if engine.startswith("metricsmith")]
    return {
        f"{mine}/{engine}": times[mine] / seconds
        for mine in ours
        for engine, seconds in times.items()
        if not engine.startswith("metricsmith")
    }


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("metricsmith", "duckdb", "polars", "pyarrow", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _load() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: other work on the machine skews the times."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def record(
    data: Mapping[str, object],
    repeats: int,
    results: Sequence[EngineResult],
    problems: Sequence[str],
) -> dict[str, object]:
    """Everything needed to reproduce and compare a measurement, as JSON-ready data."""
    return {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load": _load()},
        "versions": _versions(),
        "data": dict(data),
        "repeats": repeats,
        "engines": {
            r.engine: {
                "best_seconds": r.best,
                "median_seconds": r.median,
                "first_run_seconds": r.first_run,
                "runs": r.runs,
            }
            for r in results
        },
        "ratios": ratios(results),
        "median_ratios": ratios(results, medians=True),
        "answers_match": not problems,
        "differences": list(problems),
    }


def write_json(path: Path, data: Mapping[str, object]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(partial, path)


def results_table(title: str, results: Sequence[EngineResult]) -> Table:
    load = _load()
    table = Table(
        title=title,
        caption="wall times in seconds; first = the untimed warm-up run; ratios of the best"
        " times, of the medians in brackets"
        + ("" if load is None else f"; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"),
    )
    table.add_column("engine")
    table.add_column("best", justify="right")
    table.add_column("median", justify="right")
    table.add_column("runs", justify="right")
    table.add_column("first", justify="right")
    by_engine = ratios(results)
    by_median = ratios(results, medians=True)
    ours = [r.engine for r in results if r.engine.startswith("metricsmith")] if by_engine else []
    for mine in ours:
        table.add_column(f"{mine} ÷ this", justify="right")
    for r in results:
        row = [
            r.engine,
            f"{r.best:.3f}",
            f"{r.median:.3f}",
            " ".join(f"{s:.3f}" for s in r.runs),
            f"{r.first_run:.3f}",
        ]
        for mine in ours:
            pair = f"{mine}/{r.engine}"
            ratio = by_engine.get(pair)
            row.append("—" if ratio is None else f"{ratio:.2f}× ({by_median[pair]:.2f}×)")
        table.add_row(*row)
    return table


def comma_list(choices: Sequence[str], what: str) -> Callable[[str], list[str]]:
    """An argparse type: a comma-separated list of some of `choices` (`what` names them in the
    error, e.g. "engine(s)")."""

    def chosen_list(text: str) -> list[str]:
        chosen = [c.strip() for c in text.split(",") if c.strip()]
        unknown = [c for c in chosen if c not in choices]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(unknown) or '(none given)'}; "
                f"choose from {', '.join(choices)}"
            )
        return chosen

    return chosen_list


def add_run_arguments(
    parser: argparse.ArgumentParser, engines: Sequence[str], default: Sequence[str]
) -> None:
    """--repeats, --engines (from `engines`, `default` when not given) and --json."""

    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (best counts)")
    parser.add_argument(
        "--engines",
        type=comma_list(engines, "engine(s)"),
        default=list(default),
        help=f"comma-separated, from {','.join(engines)} (default: {','.join(default)})",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")


@frozen
class Measurement:
    """One benchmark's timings and the ways its engines' answers disagree (none: they agree)."""

    results: tuple[EngineResult, ...]
    problems: tuple[str, ...]

    @property
    def status(self) -> int:
        """The exit status it calls for: 0 when every answer agreed, 1 when not."""
        return 1 if self.problems else 0


def measure(
    console: Console,
    *,
    title: str,
    shape: AnswerShape,
    runners: Mapping[str, Runner],
    repeats: int,
    checks: Sequence[AnswerCheck] = (),
) -> Measurement | None:
    """Time the engines, compare their answers and print both; None, after saying which
    engine failed, when one failed to run."""
    try:
        results, answers = run_engines(runners, repeats)
    except EngineFailed as failure:
        console.print(str(failure), style="bold red", markup=False, highlight=False)
        console.print("(--engines selects which engines run)")
        return None

    problems = all_differences(shape, answers)
    problems += [p for check in checks for name, t in answers.items() for p in check(name, t)]
    console.print(results_table(title, results))
    if problems:
        console.print(f"[bold red]answers differ ({len(problems)} difference(s)):[/]")
        for problem in problems[:MAX_DIFFERENCES_SHOWN]:
            console.print(f"  {problem}", markup=False)
    else:
        cells = next(iter(answers.values())).num_rows
        console.print(
            f"[green]answers agree[/] across {', '.join(answers)}: "
            f"{cells} cells × {len(shape.metrics)} metrics"
        )
    return Measurement(tuple(results), tuple(problems))


def run_and_report(
    console: Console,
    *,
    title: str,
    shape: AnswerShape,
    runners: Mapping[str, Runner],
    repeats: int,
    data: Mapping[str, object],
    json_path: Path | None,
    checks: Sequence[AnswerCheck] = (),
) -> int:
    """Time the engines, compare their answers, print the outcome; the process exit status:
    0 when every engine gave the same (and well-formed) answer, 1 when not, 2 when an engine
    failed to run."""
    measured = measure(
        console, title=title, shape=shape, runners=runners, repeats=repeats, checks=checks
    )
    if measured is None:
        return 2
    if json_path:
        write_json(json_path, record(data, repeats, measured.results, measured.problems))
        console.print(f"results written to {json_path}")
    return measured.status
