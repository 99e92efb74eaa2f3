"""Which in-process engine wins which plan shape: the same queries on `arrow`, `duckdb` and
`auto` in turns, one shape at a time (docs/engines.md, "Choosing automatically").

Each shape is one query over the benchmarks' own data sets, small enough to run in seconds:

* the engagement data (`--events`, default 3M events): a distinct count by month (`mau`), a
  per-day level (`dau`), a per-user level with a 7-day window (`engaged_users_7d`), a
  per-account median (`hours_to_first_report`), and the whole family;
* the scorecard data (`--scorecard-events`, default 1M events, a tenth as many tickets): the
  six metrics by month and a joined segment read from Parquet, and the same with the tables
  already in memory as Arrow;
* the revenue data (200k accounts): MRR alone (a state source) and the MRR movements by segment
  (per-account levels over a state source);
* the sample project (`metric_defs/sample`, CSV files of a few thousand rows): small data.

Every engine's answer is compared with the others': `auto` must equal the engine it chose
cell for cell (it is reported when they agree within 1e-9 but not to the bit: DuckDB's float
averages over tables in memory vary in their last bit between runs), and arrow and duckdb must
agree cell for cell (counts exactly, other numbers within 1e-9 relative).

    python benchmarks/run_auto.py                       # every shape, best of 3
    python benchmarks/run_auto.py --shapes per-day,scorecard --repeats 5
    python benchmarks/run_auto.py --engines arrow,duckdb  # without auto

Exit status: 0 when the answers agree, 1 when they differ, 2 when an engine failed.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import attrs
import pyarrow as pa
import pyarrow.parquet as pq
from generate import DATA_DIR, DataSpec, ensure_data
from generate_engagement import EngagementSpec, ensure_engagement_data
from generate_revenue import RevenueSpec, ensure_revenue_data
from harness import EngineFailed, EngineResult, run_engines
from rich.console import Console

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ENGINES = ("arrow", "duckdb", "auto")


@attrs.frozen
class Shape:
    """One query: a project, its metrics and slices, and the data it needs."""

    name: str
    what: str
    project: Path
    metrics: tuple[str, ...]
    start: str
    end: str
    by: tuple[str, ...] = ()
    grain: str = "month"
    prepare: Callable[[argparse.Namespace], None] = lambda arguments: None
    tables: Callable[[], Mapping[str, pa.Table]] | None = None

    def run(self, engine: str) -> pa.Table:
        import metricsmith

        tables = self.tables() if self.tables else None
        project = metricsmith.load_project(str(self.project), tables=tables)
        return project.query(
            list(self.metrics),
            by=list(self.by),
            grain=self.grain,
            start=self.start,
            end=self.end,
            engine=engine,
        )

    def explain_choice(self) -> str:
        import metricsmith

        tables = self.tables() if self.tables else None
        project = metricsmith.load_project(str(self.project), tables=tables)
        text = project.explain(
            list(self.metrics),
            by=list(self.by),
            grain=self.grain,
            start=self.start,
            end=self.end,
            engine="auto",
        )
        lines = (line.strip() for line in text.splitlines())
        return next((line for line in lines if line.startswith("engine:")), "")


def _engagement(arguments: argparse.Namespace) -> None:
    ensure_engagement_data(EngagementSpec(events=arguments.events))


def _scorecard(arguments: argparse.Namespace) -> None:
    events = arguments.scorecard_events
    ensure_data(DataSpec(events=events, tickets=events // 10))


def _revenue(arguments: argparse.Namespace) -> None:
    ensure_revenue_data(RevenueSpec())


def _scorecard_in_memory() -> dict[str, pa.Table]:
    """The scorecard's tables read once, kept for every run (the caller's own tables)."""
    if not _IN_MEMORY:
        for name in ("accounts", "events", "tickets"):
            _IN_MEMORY[name] = pq.read_table(DATA_DIR / f"{name}.parquet")
    return _IN_MEMORY


_IN_MEMORY: dict[str, pa.Table] = {}
_ENGAGEMENT = HERE / "engagement.metrics"
_SCORECARD = HERE / "scorecard.metrics"
_REVENUE = HERE / "revenue.metrics"
_SAMPLE = ROOT / "metric_defs" / "sample"
_SCORECARD_METRICS = (
    "nps",
    "active_users",
    "avg_resolution_hours",
    "fcr_rate",
    "tickets_opened",
    "events_per_active_user",
)
_REVENUE_METRICS = (
    "mrr",
    "starting_mrr",
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "customers_at_start",
    "churned_customers",
    "churn_rate",
    "ndr",
)
_ENGAGEMENT_METRICS = (
    "mau",
    "dau",
    "stickiness",
    "engaged_users_7d",
    "signups",
    "conversion_30d",
    "hours_to_first_report",
)

SHAPES = {
    shape.name: shape
    for shape in (
        Shape(
            "distinct",
            "a distinct count by month (mau)",
            _ENGAGEMENT,
            ("mau",),
            "2022-01-01",
            "2025-01-01",
            prepare=_engagement,
        ),
        Shape(
            "per-day",
            "a per-day level: distinct users per day, averaged (dau)",
            _ENGAGEMENT,
            ("dau",),
            "2022-01-01",
            "2025-01-01",
            prepare=_engagement,
        ),
        Shape(
            "per-user-window",
            "a per-user level over a 7-day window (engaged_users_7d)",
            _ENGAGEMENT,
            ("engaged_users_7d",),
            "2022-01-01",
            "2025-01-01",
            prepare=_engagement,
        ),
        Shape(
            "per-account-median",
            "a per-account level, a median of minimums",
            _ENGAGEMENT,
            ("hours_to_first_report",),
            "2022-01-01",
            "2025-01-01",
            prepare=_engagement,
        ),
        Shape(
            "engagement",
            "the engagement + activation family (7 metrics)",
            _ENGAGEMENT,
            _ENGAGEMENT_METRICS,
            "2022-01-01",
            "2025-01-01",
            prepare=_engagement,
        ),
        Shape(
            "scorecard",
            "counts, a distinct count, shares by month and a joined segment",
            _SCORECARD,
            _SCORECARD_METRICS,
            "2024-01-01",
            "2025-01-01",
            by=("accounts.segment",),
            prepare=_scorecard,
        ),
        Shape(
            "in-memory",
            "the scorecard over tables already in memory as Arrow",
            _SCORECARD,
            _SCORECARD_METRICS,
            "2024-01-01",
            "2025-01-01",
            by=("accounts.segment",),
            prepare=_scorecard,
            tables=_scorecard_in_memory,
        ),
        Shape(
            "state",
            "MRR alone: a state source's level",
            _REVENUE,
            ("mrr",),
            "2022-02-01",
            "2025-01-01",
            by=("accounts.segment",),
            prepare=_revenue,
        ),
        Shape(
            "state-per-account",
            "MRR movements: per-account levels over a state source",
            _REVENUE,
            _REVENUE_METRICS,
            "2022-02-01",
            "2025-01-01",
            by=("accounts.segment",),
            prepare=_revenue,
        ),
        Shape(
            "small",
            "small data: the sample project's CSV files",
            _SAMPLE,
            ("nps", "mrr", "active_users", "dau", "ndr"),
            "2024-01-01",
            "2025-01-01",
        ),
    )
}


def _agree(left: pa.Table, right: pa.Table) -> str | None:
    """None when two answers agree cell for cell (floats within 1e-9 relative), else the
    first difference."""
    if left.schema != right.schema or left.num_rows != right.num_rows:
        return f"schemas or row counts differ: {left.schema} / {right.schema}"
    for name in left.column_names:
        for row, (a, b) in enumerate(
            zip(left.column(name).to_pylist(), right.column(name).to_pylist(), strict=True)
        ):
            if a == b:
                continue
            if isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9):
                continue
            return f"{name} row {row}: {a!r} / {b!r}"
    return None


def _run_shape(
    console: Console, shape: Shape, engines: Sequence[str], repeats: int
) -> tuple[list[EngineResult], list[str], str, str]:
    """The shape's timings, the problems with its answers, auto's choice (explain's line),
    and whether arrow's and duckdb's answers are the same to the bit."""
    runners = {engine: (lambda engine=engine: shape.run(engine)) for engine in engines}
    results, answers = run_engines(runners, repeats)
    problems = []
    choice = shape.explain_choice() if "auto" in engines else ""
    if "auto" in answers:
        chosen = choice.split("→ ")[1].split()[0] if "→ " in choice else ""
        if chosen not in answers:
            problems.append(f"auto chose {chosen or '(nothing)'}, not timed here")
        elif _agree(answers["auto"], answers[chosen]):
            problems.append(f"auto's answer is not {chosen}'s")
        elif not answers["auto"].equals(answers[chosen]):
            # DuckDB's float averages over tables in memory vary in their last bit from run to
            # run (its threads add in another order): auto is as reproducible as its engine.
            console.print(f"  {shape.name}: auto and {chosen} agree within 1e-9, not to the bit")
    same = ""
    if "arrow" in answers and "duckdb" in answers:
        difference = _agree(answers["arrow"], answers["duckdb"])
        if difference:
            problems.append(f"arrow and duckdb differ: {difference}")
        same = "to the bit" if answers["arrow"].equals(answers["duckdb"]) else "within 1e-9"
    return results, problems, choice, same


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds")
    parser.add_argument("--events", type=int, default=3_000_000, help="engagement events")
    parser.add_argument(
        "--scorecard-events",
        type=int,
        default=1_000_000,
        help="scorecard events (a tenth as many tickets)",
    )
    arguments = parser.parse_args()
    console = Console()
    engines = [e for e in arguments.engines.split(",") if e]
    rows = [
        f"| shape | {' | '.join(engines)} | arrow ÷ duckdb | arrow = duckdb | auto chose | load |",
        "|---" * (len(engines) + 5) + "|",
    ]
    status = 0
    for name in arguments.shapes.split(","):
        shape = SHAPES[name]
        shape.prepare(arguments)
        load = _load()
        try:
            results, problems, choice, same = _run_shape(console, shape, engines, arguments.repeats)
        except EngineFailed as failure:
            console.print(f"{name}: {failure}", style="bold red", markup=False)
            status = 2
            continue
        times = {r.engine: r for r in results}
        cells = [f"{r.best:.3f} ({r.median:.3f})" for r in results]
        ratio = ""
        if "arrow" in times and "duckdb" in times:
            ratio = (
                f"{times['arrow'].best / times['duckdb'].best:.2f}× "
                f"({times['arrow'].median / times['duckdb'].median:.2f}×)"
            )
        chose = choice.removeprefix("engine: auto → ")
        rows.append(
            f"| {name}: {shape.what} | {' | '.join(cells)} | {ratio} | {same} | {chose} "
            f"| {load}–{_load()} |"
        )
        console.print(rows[-1], markup=False, highlight=False, soft_wrap=True)
        for problem in problems:
            console.print(f"  {problem}", style="bold red", markup=False)
            status = max(status, 1)
    console.print(
        f"\nbest (median) seconds of {arguments.repeats} rounds in turns after a warm-up:",
        markup=False,
    )
    for row in rows:
        console.print(row, markup=False, highlight=False, soft_wrap=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
