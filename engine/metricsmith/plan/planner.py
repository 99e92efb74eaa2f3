"""From a checked query to a plan: build the level tree with its fused grouped passes, record
how each pass is computed (plan/physical.py), then work out projections and time-range
pushdown."""

from __future__ import annotations

import datetime as dt

from metricsmith.check.checked import CheckedProject
from metricsmith.check.query import CheckedQuery
from metricsmith.model import bound as b
from metricsmith.model.bound import BLiteral
from metricsmith.model.contracts import Verification
from metricsmith.plan.levels import LevelPlanner
from metricsmith.plan.nodes import CohortAxis, Plan
from metricsmith.plan.periods import period_starts
from metricsmith.plan.physical import annotate
from metricsmith.plan.reads import kept_to_own_rows, plan_reads
from metricsmith.plan.reliance import relying_on_facts
from metricsmith.plan.schema import dimension_types


def plan_query(
    project: CheckedProject,
    query: CheckedQuery,
    *,
    as_of: dt.datetime | None = None,
    facts: Verification | None = None,
) -> Plan:
    """The plan answering `query` (check/query.py); raises QueryError when a grouped pass
    needs something the project cannot give it. `as_of` is "now" for state sources when the
    range has no end (default: the current time). With `facts`, the plan takes the shortcuts
    that contracts verified to hold on the data allow (plan/reliance.py)."""
    planner = LevelPlanner(project, query)
    top = planner.top([(f"metric `{metric.name}`", metric.formula) for metric in query.metrics])
    reads = plan_reads(
        project,
        top,
        planner.time_needs,
        one_period=query.grain is None and query.start is None and query.end is None,
    )
    top = kept_to_own_rows(top, reads, planner.own_rows)
    formulas = [metric.formula for metric in query.metrics]
    top = annotate(top, formulas, project.functions.aggregates)
    cohort = None if query.cohort_label is None else query.labels.index(query.cohort_label)
    plan = Plan(
        calendar=project.calendar,
        grain=query.grain,
        start=query.start,
        end=query.end,
        as_of=as_of or dt.datetime.now(dt.UTC),
        dimensions=query.labels,
        cohort_dimension=cohort,
        cohort_axis=(
            None
            if query.age is None or cohort is None
            else CohortAxis(cohort=cohort, age=query.age)
        ),
        reads=reads,
        top=top,
        metrics=query.metrics,
        max_periods=query.max_periods,
        dimension_types=dimension_types(project, top, query),
        parameters=tuple(
            (name, BLiteral(value=value, type=project.parameters[name].type))
            for name, value in query.parameters.items()
        ),
        cohorts=_range_cohorts(project, query),
    )
    return plan if facts is None else relying_on_facts(plan, project, facts)


def _range_cohorts(project: CheckedProject, query: CheckedQuery) -> tuple[dt.date, ...]:
    """The cohorts of the query's range: the periods of the cohort dimension's grain
    (`cohort(time, grain)`) overlapping it, which have a row each even when no entity starts
    in them."""
    if query.cohort_label is None or query.start is None or query.end is None:
        return ()
    (row,) = (row for row in query.row_dimensions if row.label == query.cohort_label)
    grains = {
        node.args[1].value
        for formula in row.bound.values()
        for node in b.bwalk(formula)
        if isinstance(node, b.BCall)
        and node.function == "cohort"
        and isinstance(node.args[1], b.BLiteral)
    }
    if len(grains) != 1:
        return ()
    (grain,) = grains
    calendar = project.calendar
    return tuple(
        period_starts(query.start, query.end, str(grain), calendar.timezone, calendar.rules)
    )
