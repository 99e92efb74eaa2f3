"""What a warm query costs end to end in one process: `load_project` and the query, as the
runners time them, repeated after two untimed runs, with the CPU time of the process
(`time.process_time`, DuckDB's threads included, so steadier than wall time on a busy machine)
and the wall time, median and best. No comparison and no hand-written peer: this is for
telling two versions of metricsmith apart (run it with each on `PYTHONPATH`, in turns).

    python benchmarks/warm_queries.py renewals,voice --engine duckdb --runs 20
    python benchmarks/warm_queries.py revenue --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import pyarrow as pa
from harness import comma_list
from run_families import FAMILIES, PROJECT
from run_revenue import WITH_CONTRACTS, run_metricsmith

QUERIES = (*FAMILIES, "revenue", "revenue-contracts")


def query(name: str, engine: str) -> Callable[[], pa.Table]:
    """One whole run of `name` on `engine`, as run_families.py and run_revenue.py time it."""
    if name == "revenue":
        return lambda: run_metricsmith(True, engine=engine)
    if name == "revenue-contracts":
        return lambda: run_metricsmith(True, engine=engine, definitions=WITH_CONTRACTS)
    import metricsmith

    family = FAMILIES[name]
    start, end = (instant.date().isoformat() for instant in family.period)

    def run() -> pa.Table:
        project = metricsmith.load_project(str(PROJECT))
        metrics, by = list(family.metrics), list(family.by)
        return project.query(metrics, by=by, grain="month", start=start, end=end, engine=engine)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("queries", type=comma_list(QUERIES, "query(ies)"))
    parser.add_argument("--engine", default="duckdb", help="a metricsmith engine (duckdb)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each (20)")
    arguments = parser.parse_args()
    for name in arguments.queries:
        run = query(name, arguments.engine)
        for _ in range(2):  # imports, checking, the verdicts kept per version of the files
            run()
        cpu, wall = [], []
        for _ in range(arguments.runs):
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            run()
            cpu.append(time.process_time() - cpu_start)
            wall.append(time.perf_counter() - wall_start)
        print(
            f"{name:18s} CPU {statistics.median(cpu) * 1000:8.1f} ms median, "
            f"{min(cpu) * 1000:8.1f} best; wall {statistics.median(wall) * 1000:8.1f} ms "
            f"median, {min(wall) * 1000:8.1f} best ({arguments.runs} runs)"
        )


if __name__ == "__main__":
    main()
