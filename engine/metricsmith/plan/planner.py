"""From a query to a plan: expand metrics, fuse aggregates per source, bind dimensions and
filters for each source, work out joins, projections and time-range pushdown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from metricsmith.check.bind import bind_row, rebase, source_text
from metricsmith.check.checked import CheckedProject
from metricsmith.check.links import LinkGraph
from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import InternalError, QueryError
from metricsmith.model import bound as b
from metricsmith.model.expr import Expr
from metricsmith.model.types import Type
from metricsmith.plan.nodes import (
    EventTime,
    FusedAggregate,
    Join,
    MetricOutput,
    Plan,
    Query,
    SourceRead,
    SourceScan,
    StateTime,
)
from metricsmith.plan.periods import GRAINS
from metricsmith.plugins.connector import TimeRange


def plan_query(project: CheckedProject, query: Query, *, as_of: dt.datetime | None = None) -> Plan:
    """The plan answering `query`; raises QueryError when the project cannot answer it.
    `as_of` is "now" for state sources when the range has no end (default: the current time)."""
    _check_query(project, query)
    expander = _MetricExpander(project)
    metrics = tuple(
        MetricOutput(name=name, formula=expander.expand(name), type=project.metrics[name].type)
        for name in query.metrics
    )
    for metric in metrics:
        _require_computable(metric)
    scans = _scans(project, query, metrics)
    return Plan(
        calendar=project.calendar,
        grain=query.grain,
        start=query.start,
        end=query.end,
        as_of=as_of or dt.datetime.now(dt.UTC),
        dimensions=tuple(label for label, _ in query.by),
        reads=_reads(project, query, scans),
        scans=scans,
        metrics=metrics,
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

        def replace(node: b.BExpr) -> b.BExpr:
            return self.expand(node.name) if isinstance(node, b.BMetric) else node

        expanded = b.bmap(self.project.metrics[name].formula, replace)
        self.active.discard(name)
        self.done[name] = expanded
        return expanded


# What the planner and executors handle; the language may bind more than they compute.
_COMPUTABLE = (
    b.BLiteral,
    b.BColumn,
    b.BUnary,
    b.BBinary,
    b.BIsNull,
    b.BInList,
    b.BCase,
    b.BCall,
    b.BAggregate,
)


def _require_computable(metric: MetricOutput) -> None:
    for node in b.bwalk(metric.formula):
        if not isinstance(node, _COMPUTABLE):
            raise QueryError(
                f"metric `{metric.name}` uses `{source_text(node.span)}`, which this version "
                "cannot compute yet",
                hint="compute the value for each period and compare periods in the output",
            )


# ---- scans --------------------------------------------------------------------------------
def _scans(
    project: CheckedProject, query: Query, metrics: tuple[MetricOutput, ...]
) -> tuple[SourceScan, ...]:
    """One scan per root source, fusing every distinct aggregate over it."""
    by_root: dict[str, list[b.BAggregate]] = {}
    first_metric: dict[str, str] = {}
    for metric in metrics:
        for node in b.bwalk(metric.formula):
            if isinstance(node, b.BAggregate) and node not in by_root.get(node.source, []):
                by_root.setdefault(node.source, []).append(node)
                first_metric.setdefault(node.source, metric.name)
    scans, counter = [], 0
    for root, aggregates in by_root.items():
        fused = []
        for aggregate in aggregates:
            fused.append(FusedAggregate(name=f"a{counter}", aggregate=aggregate))
            counter += 1
        context = _ScanContext(project, root, first_metric[root])
        dimensions = tuple(context.dimension(label, formula) for label, formula in query.by)
        filters = tuple(context.filter(formula) for formula in query.filters)
        joins = _joins(project, root, [*dimensions, *filters, *aggregates])
        scans.append(
            SourceScan(
                source=root,
                time=context.time_axis(query),
                dimensions=dimensions,
                filters=filters,
                joins=joins,
                aggregates=tuple(fused),
            )
        )
    return tuple(scans)


class _ScanContext:
    """Binds a query's dimensions and filters against one root, explaining failures in terms
    of the metric that needs the root."""

    def __init__(self, project: CheckedProject, root: str, metric: str):
        self.project = project
        self.root = root
        self.metric = metric
        self.graph = LinkGraph({name: info.links for name, info in project.sources.items()})

    def _cannot(self, what: str, detail: str) -> QueryError:
        return QueryError(
            f"metric `{self.metric}` aggregates rows of `{self.root}`, which cannot be "
            f"{what}:\n{detail}",
            hint=f"slice and filter `{self.metric}` only by columns of `{self.root}` or of "
            f"sources its entity links reach",
        )

    def dimension(self, label: str, formula: Expr) -> b.BExpr:
        what = f"sliced by `{label}`"
        named = self.project.dimensions.get(label)
        if named is None:
            return self._bind(formula, self.root, what)
        # A named dimension reads its own source: bind it there, then reach that source from
        # the root through entity links.
        path = self.graph.path(self.root, named.source)
        if path is None:
            detail = self.graph.fan_out_message(self.root, named.source) or (
                f"dimension `{label}` reads `{named.source}`, which no entity link leads to "
                f"from `{self.root}`"
            )
            raise self._cannot(what, detail)
        return rebase(self._bind(named.decl.expr, named.source, what), path)

    def filter(self, formula: Expr) -> b.BExpr:
        text = source_text(formula.span) or "the filter"
        bound = self._bind(formula, self.root, f"filtered by `{text}`")
        if bound.type not in (Type.BOOLEAN, Type.NULL):
            raise QueryError(
                f"the filter `{text}` is {bound.type}, not true/false",
                hint='compare it, e.g. `region == "EMEA"`',
            )
        return bound

    def _bind(self, formula: Expr, root: str, what: str) -> b.BExpr:
        try:
            return bind_row(formula, root, self.project)
        except QueryError as error:
            raise self._cannot(what, str(error)) from error

    def time_axis(self, query: Query) -> EventTime | StateTime | None:
        info = self.project.sources[self.root]
        if info.validity is not None:
            return StateTime(*info.validity)
        if info.time is not None:
            return EventTime(info.time)
        if query.grain:
            needs = f"split by {query.grain}"
        elif query.start or query.end:
            needs = "limited to a range"
        else:
            return None
        raise QueryError(
            f"metric `{self.metric}` aggregates rows of `{self.root}`, which has no time "
            f"column, so they cannot be {needs}",
            hint=f"declare `time <column>` in source `{self.root}`, or query "
            f"`{self.metric}` without a grain and range",
        )


def _columns(nodes: Iterable[b.BExpr]) -> list[b.BColumn]:
    return [n for node in nodes for n in b.bwalk(node) if isinstance(n, b.BColumn)]


def _joins(project: CheckedProject, root: str, nodes: Iterable[b.BExpr]) -> tuple[Join, ...]:
    """Every link path (and each of its prefixes) the nodes follow from `root`."""
    joins: dict[tuple[str, ...], Join] = {}
    for column in _columns(nodes):
        here = root
        for depth, link in enumerate(column.path, start=1):
            target = project.sources[here].links[link]
            path = column.path[:depth]
            if path not in joins:
                key = project.sources[target].key
                if key is None:
                    raise QueryError(
                        f"`{here}.{link}` links to `{target}`, which declares no key",
                        hint=f"declare `key <column>` in source `{target}`",
                    )
                joins[path] = Join(path=path, source=target, key=key)
            here = target
    return tuple(sorted(joins.values(), key=lambda j: len(j.path)))


# ---- reads --------------------------------------------------------------------------------
def _reads(
    project: CheckedProject, query: Query, scans: tuple[SourceScan, ...]
) -> tuple[SourceRead, ...]:
    """One read per source with the union of the columns any scan or join needs."""
    columns: dict[str, dict[str, None]] = {}

    def need(source: str, *names: str) -> None:
        columns.setdefault(source, {}).update(dict.fromkeys(names))

    join_targets: set[str] = set()
    for scan in scans:
        need(scan.source, *_time_columns(scan.time))
        targets = {(): scan.source, **{j.path: j.source for j in scan.joins}}
        for join in scan.joins:
            join_targets.add(join.source)
            need(targets[join.path[:-1]], join.path[-1])
            need(join.source, join.key)
        nodes = [*scan.dimensions, *scan.filters, *(f.aggregate for f in scan.aggregates)]
        for column in _columns(nodes):
            need(targets[column.path], column.column)
    return tuple(
        SourceRead(
            source=source,
            columns=tuple(names),
            # A join target needs every row (any of them may be linked to).
            time_range=None if source in join_targets else _pushdown(scans, source, query),
        )
        for source, names in columns.items()
    )


def _time_columns(time: EventTime | StateTime | None) -> tuple[str, ...]:
    match time:
        case EventTime(column=column):
            return (column,)
        case StateTime(start=start, end=end):
            return (start, end)
    return ()


def _pushdown(scans: tuple[SourceScan, ...], source: str, query: Query) -> TimeRange | None:
    if query.start is None and query.end is None:
        return None
    start = query.start.astimezone(dt.UTC) if query.start else None
    end = query.end.astimezone(dt.UTC) if query.end else None
    time = next(scan.time for scan in scans if scan.source == source)
    match time:
        case EventTime(column=column):
            return TimeRange(column, start, end)
        case StateTime(start=valid_from) if end is not None:
            # Rows in force at some period end e <= end started before e.
            return TimeRange(valid_from, None, end)
    return None
