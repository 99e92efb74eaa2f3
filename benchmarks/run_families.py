"""Time the customer-success library's metric families in metricsmith against the same
definitions written by hand for DuckDB and Polars.

Six families, each one query of the library's own metrics (families.metrics includes the
library and only declares the sources): retention (customers, acquired, lost, retained, churn
rates, logo retention), cohort logo retention (by sign-up month and age), voice of the
customer (NPS, CSAT, CES), support (volumes, first response and resolution times,
first-contact resolution), renewals (renewal rates) and customer health (customers and their
average health score by health band). Per family, as in the other runners, one warm-up run per
engine provides the answers compared cell for cell, then the engines take turns for --repeats
rounds; the best and the median wall time count. With --memory each engine then runs each
family once more alone in a fresh process, for its peak memory.

    python benchmarks/run_families.py                          # 200,000 accounts, best of 3
    python benchmarks/run_families.py --repeats 5 --memory --json families.json
    python benchmarks/run_families.py --accounts 2000 --events 100000 --tickets 20000 \\
        --surveys 10000 --repeats 1                            # a smoke run
    python benchmarks/run_families.py --families voice,support

Exit status: 0 when every engine gave the same answer in every family, 1 when answers
differ, 2 when an engine failed to run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs
import families_polars
import pyarrow as pa
from attrs import field, frozen
from datasets import add_spec_arguments, spec_flags, spec_from_arguments
from duckdb_runner import run_sql_file
from generate_families import FamiliesSpec, ensure_families_data
from harness import (
    EXACT,
    RELATIVE,
    AnswerShape,
    EngineResult,
    Runner,
    Tolerance,
    add_run_arguments,
    comma_list,
    measure,
    on_one_thread,
    own_peak_memory,
    peak_memory,
    ratios,
    record,
    write_json,
)
from rich.console import Console
from rich.table import Table

PROJECT = Path(__file__).resolve().parent / "families.metrics"
SEGMENT = "accounts.segment"
COHORT = "cohort(accounts.signed_up_at, month)"


def _utc(year: int, month: int) -> dt.datetime:
    return dt.datetime(year, month, 1, tzinfo=dt.UTC)


WHOLE_HISTORY = (_utc(2022, 1), _utc(2025, 1))
LAST_YEAR = (_utc(2024, 1), _utc(2025, 1))


@frozen
class Family:
    """One query of library metrics by month (or cohort and age), with its hand-written twins:
    `sql`, a file in benchmarks/, and `polars`, a function of the range in families_polars."""

    name: str
    metrics: Mapping[str, Tolerance] = field(hash=False)
    by: tuple[str, ...]
    period: tuple[dt.datetime, dt.datetime]
    sql: str
    polars: Callable[[dt.datetime, dt.datetime], pa.Table]

    @property
    def shape(self) -> AnswerShape:
        keys = self.by if "age" in self.by else ("month", *self.by)
        return AnswerShape(keys=keys, metrics=self.metrics)


FAMILIES = {
    family.name: family
    for family in (
        Family(
            "retention",
            {
                "customers": EXACT,
                "acquired_customers": EXACT,
                "churned_customers": EXACT,
                "retained_customers": EXACT,
                "customer_churn_rate_incl_free": RELATIVE,
                "customer_churn_rate_incl_free_with_new": RELATIVE,
                "logo_retention": RELATIVE,
                "retention_rate": RELATIVE,
            },
            (SEGMENT,),
            WHOLE_HISTORY,
            "families_retention.sql",
            families_polars.retention,
        ),
        Family(
            "cohorts",
            {"cohort_logo_retention": RELATIVE},
            (COHORT, "age"),
            LAST_YEAR,
            "families_cohorts.sql",
            families_polars.cohorts,
        ),
        Family(
            "voice",
            {
                "nps_responses": EXACT,
                "promoters": EXACT,
                "detractors": EXACT,
                "nps": RELATIVE,
                "csat": RELATIVE,
                "csat_responses": EXACT,
                "csat_pct": RELATIVE,
                "ces": RELATIVE,
                "ces_easy_share": RELATIVE,
            },
            (SEGMENT,),
            WHOLE_HISTORY,
            "families_voice.sql",
            families_polars.voice,
        ),
        Family(
            "support",
            {
                "tickets_opened": EXACT,
                "tickets_resolved": EXACT,
                "avg_first_response_hours": RELATIVE,
                "median_first_response_hours": RELATIVE,
                "avg_resolution_hours_of_resolved": RELATIVE,
                "median_resolution_hours_of_resolved": RELATIVE,
                "first_contact_resolution": RELATIVE,
                "first_contact_resolution_all_cases": RELATIVE,
            },
            (SEGMENT,),
            WHOLE_HISTORY,
            "families_support.sql",
            families_polars.support,
        ),
        Family(
            "renewals",
            {
                "renewals_due": EXACT,
                "renewal_rate": RELATIVE,
                "gross_renewal_rate": RELATIVE,
                "net_renewal_rate": RELATIVE,
            },
            (SEGMENT,),
            WHOLE_HISTORY,
            "families_renewals.sql",
            families_polars.renewals,
        ),
        Family(
            "health",
            {"customer_accounts": EXACT, "avg_health_score": RELATIVE},
            ("health_band",),
            LAST_YEAR,
            "families_health.sql",
            families_polars.health,
        ),
    )
}
ENGINES = ("metricsmith", "metricsmith-1thread", "metricsmith-duckdb", "duckdb", "polars")
# By default, all but the Arrow engine on one thread (a comparison of the engine with itself).
DEFAULT_ENGINES = tuple(e for e in ENGINES if e != "metricsmith-1thread")


def _metricsmith(family: Family, engine: str) -> pa.Table:
    # Imported here so the hand-written engines can be timed without the package installed.
    import metricsmith

    start, end = family.period
    project = metricsmith.load_project(str(PROJECT))
    return project.query(
        list(family.metrics),
        by=list(family.by),
        grain="month",
        start=start.date().isoformat(),
        end=end.date().isoformat(),
        engine=engine,
    )


def runner(family: Family, engine: str) -> Runner:
    """One whole end-to-end run of `family` on `engine`."""
    start, end = family.period
    match engine:
        case "metricsmith":
            return functools.partial(_metricsmith, family, "arrow")
        case "metricsmith-1thread":
            return functools.partial(on_one_thread(_metricsmith), family, "arrow")
        case "metricsmith-duckdb":
            return functools.partial(_metricsmith, family, "duckdb")
        case "duckdb":
            params = {"range_start": start, "range_end": end}
            return functools.partial(run_sql_file, family.sql, params)
        case "polars":
            return functools.partial(family.polars, start, end)
    raise ValueError(f"unknown engine {engine}")


def summary_table(
    rows: Mapping[str, list[EngineResult]], peaks: Mapping[tuple[str, str], float]
) -> Table:
    """A row per family: each engine's best time, metricsmith's ratios to the hand-written
    engines (best, median in brackets) and, when measured, each engine's peak memory."""
    table = Table(title="Customer-success families: metricsmith ÷ hand-written, best (median)")
    table.add_column("family")
    engines = [e for e in ENGINES if any(r.engine == e for rs in rows.values() for r in rs)]
    for engine in engines:
        table.add_column(f"{engine} best (s)", justify="right")
    pairs = [
        (mine, theirs)
        for mine in engines
        if mine.startswith("metricsmith")
        for theirs in engines
        if not theirs.startswith("metricsmith")
    ]
    for mine, theirs in pairs:
        table.add_column(f"{mine} ÷ {theirs}", justify="right")
    if peaks:
        for engine in engines:
            table.add_column(f"{engine} peak (MB)", justify="right")
    for name, results in rows.items():
        best = {r.engine: f"{r.best:.3f}" for r in results}
        by_best, by_median = ratios(results), ratios(results, medians=True)
        cells = [name, *(best.get(e, "—") for e in engines)]
        cells += [
            f"{by_best[pair]:.2f}× ({by_median[pair]:.2f}×)" if pair in by_best else "—"
            for pair in (f"{mine}/{theirs}" for mine, theirs in pairs)
        ]
        if peaks:
            cells += [f"{peaks[name, e]:.0f}" if (name, e) in peaks else "—" for e in engines]
        table.add_row(*cells)
    return table


def _memory(
    families: list[str], engines: list[str], spec: FamiliesSpec, console: Console
) -> dict[tuple[str, str], float]:
    """Each engine's peak memory (MB) on each family, alone in a fresh process."""
    peaks = {}
    for family in families:
        for engine in engines:
            child = [sys.executable, __file__, *spec_flags(spec), "--only-run", family, engine]
            peaks[family, engine] = peak_memory(child)
            console.print(f"peak memory of {engine} on {family}: {peaks[family, engine]:.0f} MB")
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_spec_arguments(parser, FamiliesSpec)
    add_run_arguments(parser, ENGINES, default=DEFAULT_ENGINES)
    parser.add_argument(
        "--families",
        type=comma_list(list(FAMILIES), "famil(ies)"),
        default=list(FAMILIES),
        help=f"comma-separated, from {','.join(FAMILIES)} (default: all)",
    )
    parser.add_argument("--memory", action="store_true", help="also each engine's peak memory")
    parser.add_argument("--only-run", nargs=2, metavar=("FAMILY", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    console = Console()
    spec = spec_from_arguments(FamiliesSpec, args)
    if args.only_run:
        family, engine = args.only_run
        runner(FAMILIES[family], engine)()
        print(own_peak_memory())
        return 0
    if ensure_families_data(spec):
        console.print(f"generated data for {spec}")
    status = 0
    rows: dict[str, list[EngineResult]] = {}
    records = {}
    for name in args.families:
        family = FAMILIES[name]
        console.rule(name)
        measured = measure(
            console,
            title=f"{name}, best of {args.repeats}",
            shape=family.shape,
            runners={engine: runner(family, engine) for engine in args.engines},
            repeats=args.repeats,
        )
        if measured is None:
            status = 2
            continue
        status = max(status, measured.status)
        rows[name] = list(measured.results)
        records[name] = record(
            attrs.asdict(spec), args.repeats, measured.results, measured.problems
        )
    peaks = _memory(list(rows), args.engines, spec, console) if args.memory else {}
    console.print(summary_table(rows, peaks))
    if args.json:
        memory = {f"{family}/{engine}": mb for (family, engine), mb in peaks.items()}
        write_json(args.json, {"families": records, "peak_memory_mb": memory})
        console.print(f"results written to {args.json}")
    return status


if __name__ == "__main__":
    sys.exit(main())
