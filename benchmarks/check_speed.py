"""Time `metricsmith check` on a 200-metric project.

Writes a project shaped like a large real one into a temporary folder: three sources over
small Parquet files, base metrics that aggregate them under many filters (some through the
link to accounts), and derived metrics built from other metrics, spread over several files.
Then times `metricsmith.load_project`, which parses and checks every file; that is all
`metricsmith check` does beyond printing.

    python benchmarks/check_speed.py               # 200 metrics, best of 5
    python benchmarks/check_speed.py --metrics 1000

The first load in the process is what a `metricsmith check` run pays (the package import is
reported separately), so it is the number held to the target; later loads show the steady
state (the files parsed by the first are reused: they time the checking). Exit status 1
when the first load misses the target.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from generate import DataSpec, ensure_data

TARGET_SECONDS = 0.3
# Enough rows for every column to have real values; checking reads only schemas.
TINY_DATA = DataSpec(accounts=50, users=200, events=2_000, tickets=500)

SOURCES = """\
calendar { timezone "UTC" week_start monday }

source accounts from parquet("data/accounts.parquet") {
  key account_id
  time signed_up_at
}

source events from parquet("data/events.parquet") {
  entity account_id -> accounts
  time occurred_at
}

source tickets from parquet("data/tickets.parquet") {
  entity account_id -> accounts
  time opened_at
  column resolution_hours = hours_between(opened_at, resolved_at)
  column escalated = contacts >= 3
}
"""

TICKET_FILTERS = (
    None,
    "contacts == 1",
    "resolved_at is not null",
    "resolved_at is null",
    "nps_score >= 9",
    "nps_score <= 6",
    "csat_score >= 4",
    "escalated",
    'accounts.segment == "enterprise"',
    'accounts.region in ("NA", "EMEA")',
    'contacts == 1 and accounts.segment != "smb"',
    "resolution_hours > 24 or nps_score < 5",
)
TICKET_AGGREGATES = (
    "count(tickets{where})",
    "sum(tickets.contacts{where})",
    "avg(tickets.resolution_hours{where})",
    "count_distinct(tickets.account_id{where})",
    "max(tickets.csat_score{where})",
)
EVENT_FILTERS = (
    None,
    'name == "login"',
    'name == "meeting_held"',
    'name in ("report_viewed", "report_exported")',
    "duration_seconds > 60",
    "duration_seconds is null",
    'accounts.segment == "smb" and name != "page_view"',
)
EVENT_AGGREGATES = (
    "count(events{where})",
    "count_distinct(events.user_id{where})",
    "avg(events.duration_seconds{where})",
    "min(events.duration_seconds{where})",
)
BASE_METRIC_COUNT = len(TICKET_FILTERS) * len(TICKET_AGGREGATES) + len(EVENT_FILTERS) * len(
    EVENT_AGGREGATES
)
OPERAND_PICKS = ((7, 0), (13, 5), (29, 11))
# Shapes of derived metrics over other metrics {a}, {b}, {c}.
DERIVED_SHAPES = (
    "{a} / {b}",
    "100 * ({a} - {b}) / {c}",
    "({a} + {b}) / 2",
    "{a} * 1.5 - {b}",
)


def _where(condition: str | None) -> str:
    return "" if condition is None else f" where {condition}"


def base_metrics(
    filters: tuple[str | None, ...], aggregates: tuple[str, ...], prefix: str
) -> Iterator[tuple[str, str]]:
    """(name, formula) for every aggregate under every filter."""
    for (i, condition), (j, aggregate) in itertools.product(
        enumerate(filters), enumerate(aggregates)
    ):
        yield f"{prefix}_{j}_{i}", aggregate.format(where=_where(condition))


def derived_metrics(base: list[str], count: int) -> Iterator[tuple[str, str]]:
    """`count` metrics over earlier ones; later derived metrics also use derived ones, so the
    checker resolves chains several levels deep."""
    names = list(base)
    for i in range(count):
        # Spread the operands over the whole list with different strides and starts.
        a, b, c = (names[(i * stride + start) % len(names)] for stride, start in OPERAND_PICKS)
        name = f"derived_{i}"
        yield name, DERIVED_SHAPES[i % len(DERIVED_SHAPES)].format(a=a, b=b, c=c)
        names.append(name)


def _metric_text(index: int, name: str, formula: str) -> str:
    # Every third metric carries the clauses a real scorecard metric has.
    if index % 3:
        return f"metric {name} = {formula}\n"
    return (
        f'metric {name} "{name.replace("_", " ").title()}" =\n    {formula}\n'
        f"  higher is better  target >= {index % 50}\n"
    )


def project_files(metric_count: int) -> dict[str, str]:
    """The project's files by name: sources, base metrics by source, derived metrics."""
    base = {
        "tickets.metrics": list(base_metrics(TICKET_FILTERS, TICKET_AGGREGATES, "tickets")),
        "events.metrics": list(base_metrics(EVENT_FILTERS, EVENT_AGGREGATES, "events")),
    }
    base_names = [name for metrics in base.values() for name, _ in metrics]
    derived = list(derived_metrics(base_names, metric_count - len(base_names)))
    index = itertools.count()
    return {
        "sources.metrics": SOURCES,
        **{
            file_name: "\n".join(_metric_text(next(index), *metric) for metric in metrics)
            for file_name, metrics in {**base, "derived.metrics": derived}.items()
        },
    }


def write_project(folder: Path, metric_count: int) -> None:
    ensure_data(TINY_DATA, folder / "data")
    for name, text in project_files(metric_count).items():
        (folder / name).write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--metrics", type=int, default=200, help="metrics in the project")
    parser.add_argument("--repeats", type=int, default=5, help="loads after the first")
    args = parser.parse_args()
    if args.metrics < BASE_METRIC_COUNT:
        parser.error(f"--metrics must be at least {BASE_METRIC_COUNT}, the base metrics")

    with tempfile.TemporaryDirectory(prefix="metricsmith-check-speed-") as folder:
        write_project(Path(folder), args.metrics)
        started = time.perf_counter()
        # The package resolves `load_project` lazily; naming it here puts the imports it
        # pulls in on the import line, not on the first load.
        from metricsmith import load_project

        imported = time.perf_counter()
        project = load_project(folder)
        first = time.perf_counter() - imported
        later = []
        for _ in range(args.repeats):
            started_load = time.perf_counter()
            load_project(folder)
            later.append(time.perf_counter() - started_load)

    verdict = "meets" if first < TARGET_SECONDS else "MISSES"
    print(f"project: {len(project.metrics)} metrics, {len(project.sources)} sources")
    print(f"import metricsmith:        {imported - started:.3f} s")
    print(f"first load_project:        {first:.3f} s  ({verdict} the {TARGET_SECONDS} s target)")
    if later:
        print(f"later loads, best of {len(later)}:  {min(later):.3f} s")
    return 0 if first < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
