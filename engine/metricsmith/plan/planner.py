"""From a query to a plan: expand metrics, sort the query's dimensions (row dimensions,
per-entity dimensions, a cohort and its ages), build the level tree with its fused grouped
passes, then work out projections and time-range pushdown."""

from __future__ import annotations

import datetime as dt

from metricsmith.check.checked import CheckedProject
from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import InternalError, QueryError
from metricsmith.model import bound as b
from metricsmith.model import expr as e
from metricsmith.plan.levels import LevelPlanner, QueryShape
from metricsmith.plan.nodes import AGE, CohortAxis, MetricOutput, Plan, Query
from metricsmith.plan.periods import GRAINS
from metricsmith.plan.reads import plan_reads
from metricsmith.plan.schema import dimension_types


def plan_query(project: CheckedProject, query: Query, *, as_of: dt.datetime | None = None) -> Plan:
    """The plan answering `query`; raises QueryError when the project cannot answer it.
    `as_of` is "now" for state sources when the range has no end (default: the current time)."""
    _check_query(project, query)
    expander = _MetricExpander(project)
    metrics = tuple(
        MetricOutput(name=name, formula=expander.expand(name), type=project.metrics[name].type)
        for name in query.metrics
    )
    shape, cohort_axis = _shape(project, query, expander)
    planner = LevelPlanner(shape)
    top = planner.top([(f"metric `{metric.name}`", metric.formula) for metric in metrics])
    return Plan(
        calendar=project.calendar,
        grain=query.grain,
        start=query.start,
        end=query.end,
        as_of=as_of or dt.datetime.now(dt.UTC),
        dimensions=shape.labels,
        cohort_dimension=(
            shape.labels.index(shape.cohort_label) if shape.cohort_label is not None else None
        ),
        cohort_axis=cohort_axis,
        reads=plan_reads(project, top, planner.time_needs),
        top=top,
        metrics=metrics,
        max_periods=query.max_periods,
        dimension_types=dimension_types(project, top, shape.labels),
    )


# ---- the query itself ---------------------------------------------------------------------
def _check_query(project: CheckedProject, query: Query) -> None:
    if not query.metrics:
        raise QueryError("the query names no metric", hint="name at least one metric")
    for name in query.metrics:
        if name not in project.metrics:
            hint = did_you_mean(name, project.metrics) or "`metricsmith check` lists the metrics"
            raise QueryError(f"unknown metric `{name}`", hint=hint)
    if query.grain is not None and query.grain not in GRAINS:
        hint = did_you_mean(query.grain, GRAINS) or f"use one of {', '.join(GRAINS)}"
        raise QueryError(f"unknown grain `{query.grain}`", hint=hint)
    for bound, label in ((query.start, "start"), (query.end, "end")):
        if bound is not None and bound.tzinfo is None:
            raise InternalError(f"the query's {label} must be timezone-aware")
    bounds = (query.start, query.end)
    if None not in bounds and bounds[0].astimezone(dt.UTC) >= bounds[1].astimezone(dt.UTC):
        raise QueryError(
            f"the range is empty: it starts at {query.start.isoformat()} and ends at "
            f"{query.end.isoformat()} (the end is excluded)",
            hint="give an end later than the start",
        )
    labels = [label for label, _ in query.by]
    outputs = [*([query.grain] if query.grain else []), *labels, *query.metrics]
    repeated = sorted({name for name in outputs if outputs.count(name) > 1})
    if repeated:
        raise QueryError(
            f"the result would have two columns named `{repeated[0]}`",
            hint="ask for each metric and dimension once",
        )


class _MetricExpander:
    """Replaces references to other metrics by their formulas (the checker has ruled out
    cycles), remembering each expansion."""

    def __init__(self, project: CheckedProject):
        self.project = project
        self.done: dict[str, b.BExpr] = {}
        self.active: set[str] = set()

    def expand(self, name: str) -> b.BExpr:
        if name in self.done:
            return self.done[name]
        if name in self.active:
            raise InternalError(f"metric `{name}` refers to itself; the checker should say so")
        self.active.add(name)
        expanded = self.formula(self.project.metrics[name].formula)
        self.active.discard(name)
        self.done[name] = expanded
        return expanded

    def formula(self, node: b.BExpr) -> b.BExpr:
        def replace(sub: b.BExpr) -> b.BExpr:
            return self.expand(sub.name) if isinstance(sub, b.BMetric) else sub

        return b.bmap(node, replace)


# ---- the query's dimensions ---------------------------------------------------------------
def _shape(
    project: CheckedProject, query: Query, expander: _MetricExpander
) -> tuple[QueryShape, CohortAxis | None]:
    rows: list[tuple[str, e.Expr]] = []
    per_entity: list[tuple[str, b.BExpr]] = []
    labels: list[str] = []
    age: int | None = None
    for label, formula in query.by:
        info = project.dimensions.get(label)
        if info is None and isinstance(formula, e.Name) and formula.parts == (AGE,):
            age = len(labels)
            continue
        labels.append(label)
        if info is not None and info.per_entity:
            assert info.formula is not None
            per_entity.append((label, expander.formula(info.formula)))
        else:
            rows.append((label, formula))
    cohorts = [label for label, formula in rows if _is_cohort(formula)]
    cohort_label = cohorts[0] if len(cohorts) == 1 else None
    axis = None
    if age is not None:
        if query.grain is None:
            raise QueryError(
                "`age` counts periods since each cohort's own period, so it needs a grain",
                hint="add a grain, e.g. `--grain month`",
            )
        if cohort_label is None:
            found = f"{len(cohorts)} cohort dimensions" if cohorts else "no cohort dimension"
            raise QueryError(
                f"`age` needs exactly one cohort dimension to count from, and the query has "
                f"{found}",
                hint='slice by one cohort, e.g. `--by "cohort(accounts.signed_up_at, month)"`',
            )
        axis = CohortAxis(cohort=labels.index(cohort_label), age=age)
    shape = QueryShape(
        project=project,
        query=query,
        row_dimensions=tuple(rows),
        entity_dimensions=tuple(per_entity),
        labels=tuple(labels),
        cohort_label=cohort_label,
    )
    return shape, axis


def _is_cohort(formula: e.Expr) -> bool:
    return isinstance(formula, e.Call) and formula.name == "cohort"
