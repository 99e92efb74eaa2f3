"""A logical plan as one SQL query (a sqlglot expression tree), for any dialect.

The query follows the Arrow executor's work step by step, each step a common table
expression:

    spine       one row per period (spine.py), inlined as VALUES
    src_<s>     each source read once, its columns normalised (sources.py)
    scan_<i>    one grouped pass per scan: rows placed in periods, links joined, filters
                applied, every fused aggregate computed at once (scans.py)
    combos, cells, results, final
                the grid of periods x dimension combinations and the metric formulas over
                it (grid.py)
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen
from sqlglot import exp

from metricsmith.check.checked import CheckedProject
from metricsmith.execute.arrow.timeline import Timeline, extend
from metricsmith.execute.sql import grid
from metricsmith.execute.sql.dialects import SqlDialect
from metricsmith.execute.sql.names import scan_cte, source_cte
from metricsmith.execute.sql.scalar_functions import ScalarFunctions
from metricsmith.execute.sql.scans import ScanCompiler
from metricsmith.execute.sql.sources import Relation, normalised
from metricsmith.execute.sql.spine import SPINE, spine
from metricsmith.model import bound as b
from metricsmith.plan.formatting import format_expr
from metricsmith.plan.nodes import Plan, WindowSpec


@frozen
class Compilation:
    """Everything a compilation needs besides the plan."""

    project: CheckedProject
    dialect: SqlDialect
    relations: Mapping[str, Relation]
    scalar_functions: Mapping[str, object]
    aggregate_functions: Mapping[str, object]

    @property
    def functions(self) -> ScalarFunctions:
        return ScalarFunctions(self.scalar_functions)


def compile_plan(plan: Plan, timeline: Timeline, compilation: Compilation) -> exp.Select:
    """The query answering `plan` over the periods of `timeline` (the query's own periods;
    those before them that offsets read are added here)."""
    dialect = compilation.dialect
    require_supported(plan, dialect)
    computed = extend(timeline, plan.top.extension, plan.calendar)
    windows = windows_of(plan)
    ctes: list[tuple[str, exp.Expression]] = [(SPINE, spine(plan, computed, windows, dialect))]
    ctes += source_ctes(plan, compilation, {read.source for read in plan.reads})
    reads = {read.source: read for read in plan.reads}
    for index, scan in enumerate(plan.scans):
        scanner = ScanCompiler(plan, scan, reads, compilation, computed, windows)
        ctes.append((scan_cte(index), scanner.select()))
    if plan.dimensions:
        ctes.append((grid.COMBOS, grid.combinations(plan)))
    ctes.append((grid.CELLS, grid.cells(plan, _empty_values(plan, compilation))))
    ctes.append((grid.RESULTS, grid.results(plan, dialect, compilation.functions)))
    query = grid.final(plan, skipped=computed.count - timeline.count)
    for name, body in ctes:
        query = query.with_(name, as_=body)
    return query


def windows_of(plan: Plan) -> list[WindowSpec]:
    """The distinct windows of the plan's scans, in order."""
    return list(dict.fromkeys(scan.window for scan in plan.scans if scan.window is not None))


def _empty_values(plan: Plan, compilation: Compilation) -> dict[str, object]:
    functions = compilation.aggregate_functions
    return {
        fused.name: functions[fused.aggregate.function].empty
        for scan in plan.scans
        for fused in scan.aggregates
    }


#: Plan constructs the compiler refuses for now, with the reason it gives (docs/engines.md).
NOT_COMPILED_YET = {
    "per": "the SQL compiler does not compute per-entity or per-period iteration yet",
    "cohort_start": "the SQL compiler does not compute values at a cohort's start yet",
    "nested_offset": "the SQL compiler does not compute offsets of offsets yet",
    "age": "the SQL compiler does not compute cohort ages yet",
}


def require_supported(plan: Plan, dialect: SqlDialect) -> None:
    """Refuse, before emitting anything, the plan constructs this compiler cannot express."""
    top = plan.top
    if top.children:
        per = top.children[0].aggregates[0].per
        raise dialect.unsupported(
            f"`{format_expr(per)}` (iteration per {per.entity.name})", NOT_COMPILED_YET["per"]
        )
    for metric in plan.metrics:
        for node in b.bwalk(metric.formula):
            if not isinstance(node, b.BOffset):
                continue
            construct = f"`{format_expr(node)}` in metric `{metric.name}`"
            if node.unit == "cohort":
                raise dialect.unsupported(construct, NOT_COMPILED_YET["cohort_start"])
            if any(isinstance(n, b.BOffset) for n in b.bwalk(node.operand)):
                raise dialect.unsupported(construct, NOT_COMPILED_YET["nested_offset"])
    if plan.cohort_axis is not None:
        raise dialect.unsupported("cohort ages (`--by age`)", NOT_COMPILED_YET["age"])


def source_ctes(
    plan: Plan, compilation: Compilation, sources: set[str]
) -> list[tuple[str, exp.Select]]:
    """The normalised read of each of `sources`, named for the queries' WITH clauses."""
    return [
        (
            source_cte(read.source),
            normalised(
                read.source,
                compilation.project.sources[read.source],
                compilation.relations[read.source],
                read.columns,
                compilation.dialect,
                plan.calendar.timezone,
            ),
        )
        for read in plan.reads
        if read.source in sources
    ]
