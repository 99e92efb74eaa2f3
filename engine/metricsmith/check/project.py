"""Checking a whole project: every rule, every formula, all diagnostics in one run."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import TypeVar

import attrs

from metricsmith.check.availability import unavailable_metrics, unavailable_problem
from metricsmith.check.bind import Binder, entity_catalog, root_of_row_formula
from metricsmith.check.checked import CheckedProject, DimensionInfo, MetricInfo, SourceInfo
from metricsmith.check.links import LinkGraph
from metricsmith.check.overrides import Overridden, apply_overrides, type_mismatch
from metricsmith.check.parameters import ParameterInfo, a_type, check_parameters, with_target
from metricsmith.check.paths import UNCONFINED, PathPolicy
from metricsmith.check.rules.calendar import check_calendar
from metricsmith.check.rules.contracts import source_contracts
from metricsmith.check.rules.cycles import metric_cycles
from metricsmith.check.rules.duplicates import duplicate_names
from metricsmith.check.rules.metric_clauses import check_metric_clauses
from metricsmith.check.rules.nesting import too_deep
from metricsmith.check.rules.per_entity import unattributable_aggregates
from metricsmith.check.rules.sub_periods import (
    scorecard_periods_that_do_not_split,
    sub_periods_that_do_not_split,
)
from metricsmith.check.rules.year_back import year_offsets_in_short_periods
from metricsmith.check.scorecards import check_scorecards
from metricsmith.check.sources import (
    check_derived_roles,
    check_structure,
    column_types,
    open_reader,
)
from metricsmith.check.suggest import did_you_mean
from metricsmith.check.targets import check_target
from metricsmith.errors import Diagnostic, ProjectError
from metricsmith.model import decl as d
from metricsmith.model import expr as e
from metricsmith.model.bound import BAggregate, BExpr, BLiteral, BMetric, BPer, bwalk
from metricsmith.model.span import Span
from metricsmith.model.types import Type
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.connector import Connector, SourceReader
from metricsmith.plugins.functions import FunctionTable
from metricsmith.plugins.progress import Progress, no_progress

_Named = TypeVar("_Named", d.SourceDecl, d.MetricDecl, d.DimensionDecl)


@attrs.define
class LazyMetrics:
    """Binds metric formulas on first use, so a metric's type is known wherever it is
    referenced, whatever the order of the files. A metric met again while it is being bound
    is part of a cycle: its type is unknown here and the cycle rule reports it."""

    decls: Mapping[str, d.MetricDecl]
    #: Qualified names (`customer_success.nps`) and the metric each names.
    aliases: Mapping[str, str] = attrs.field(factory=dict)
    #: The included library metrics: bound leniently (`Binder.lenient_for`).
    library: frozenset[str] = frozenset()
    binder: Binder | None = None
    formulas: dict[str, BExpr] = attrs.field(factory=dict)
    _binding: set[str] = attrs.field(factory=set)

    def type_of(self, name: str) -> Type | None:
        if name not in self.decls:
            return None
        if name in self._binding:
            return Type.UNKNOWN
        return self.formula(name).type

    def names(self) -> list[str]:
        return list(self.decls)

    def resolve(self, name: str) -> str:
        return self.aliases.get(name, name)

    def formula(self, name: str) -> BExpr:
        if name not in self.formulas:
            assert self.binder is not None
            self._binding.add(name)
            outer = self.binder.lenient_for
            self.binder.lenient_for = name if name in self.library else None
            self.formulas[name] = self.binder.bind_metric(self.decls[name].formula)
            self.binder.lenient_for = outer
            self._binding.discard(name)
        return self.formulas[name]


def check_project(
    modules: Sequence[d.Module],
    *,
    connectors: Mapping[str, Connector],
    functions: FunctionTable,
    tables: Mapping[str, SourceReader] | None = None,
    paths: PathPolicy = UNCONFINED,
    connections: Mapping[str, Connection] | None = None,
    read_problems: Sequence[Diagnostic] = (),
    progress: Progress = no_progress,
    library_files: Collection[str] = frozenset(),
) -> CheckedProject:
    """Resolve and type every declaration with the `connectors` and `functions` the plugins
    provide; raise ProjectError listing every problem, with `read_problems` (syntax errors and
    the like, found reading the files). `tables` are readers bound to sources by name in place
    of their connectors (the API's in-memory tables). Sources name only the files `paths`
    admits, and `connections` are those their connectors may name (plugins/connections.py).
    Opening each source is reported to `progress` (a slow database or a large folder of files
    takes a while).

    Metrics declared in `library_files` (included libraries) that read what the project does
    not declare are unavailable rather than wrong (check/availability.py)."""
    tables = dict(tables or {})
    connections = dict(connections or {})
    decls = [decl for module in modules for decl in module.decls]
    namespaces = {module.path: module.namespace for module in modules if module.namespace}
    found: list[Diagnostic] = [*read_problems, *duplicate_names(decls, namespaces)]

    calendar, problems = check_calendar([x for x in decls if isinstance(x, d.CalendarDecl)])
    found += problems
    parameters, problems = check_parameters([x for x in decls if isinstance(x, d.ParameterDecl)])
    found += problems

    # Declarations that did not parse stand in for themselves, unless a real one has the name.
    stand_ins = _stand_ins([x for x in decls if isinstance(x, d.UnparsedDecl)])
    parameters = stand_ins.parameters | parameters
    source_decls = stand_ins.sources | _first_of_each(
        [x for x in decls if isinstance(x, d.SourceDecl)]
    )
    metric_decls = _first_of_each([x for x in decls if isinstance(x, d.MetricDecl)])
    dimension_decls = _first_of_each([x for x in decls if isinstance(x, d.DimensionDecl)])
    metric_decls = {
        name: x for name, x in stand_ins.metrics.items() if name not in dimension_decls
    } | metric_decls
    dimension_decls = {
        name: x
        for name, x in (stand_ins.dimensions | dimension_decls).items()
        if name not in metric_decls
    }
    found += _unknown_tables(tables, source_decls)
    overridden = apply_overrides(
        metric_decls,
        [x for x in decls if isinstance(x, d.OverrideDecl)],
        namespaces,
    )
    metric_decls = overridden.metrics
    found += overridden.problems

    opened = {}
    for name, decl in source_decls.items():
        if decl is stand_ins.sources.get(name):
            reader, problems = None, []  # every column exists, of unknown type
        else:
            progress(f"opening source {name}")
            reader, problems = open_reader(decl, connectors, tables, paths, connections)
        found += problems
        schema = reader.schema() if reader is not None else None
        physical, declared, problems = column_types(decl, schema)
        found += problems
        opened[name] = (decl, reader, schema, physical, declared)

    keys = {name: (decl.key.name if decl.key else None) for name, decl in source_decls.items()}
    links = {}
    for name, (decl, _, _, physical, _) in opened.items():
        derived_names = [c.name.name for c in decl.columns if c.expr is not None]
        links[name], problems = check_structure(decl, physical, derived_names, keys)
        found += problems

    shapes = {
        name: _Shape(name, physical, decl.time.name if decl.time else None)
        for name, (decl, _, _, physical, _) in opened.items()
    }
    derived_decls = {
        name: {c.name.name: c.expr for c in decl.columns if c.expr is not None}
        for name, decl in source_decls.items()
    }
    problems, metric_decls, dimension_decls, derived_decls = _within_nesting(
        metric_decls, dimension_decls, derived_decls
    )
    found += problems
    metrics = LazyMetrics(
        metric_decls,
        overridden.aliases,
        library=frozenset(n for n, x in metric_decls.items() if x.span.path in library_files),
    )
    graph = LinkGraph(links)
    binder = Binder(
        sources=shapes,
        derived_decls=derived_decls,
        graph=graph,
        metrics=metrics,
        dimensions=dimension_decls,
        scalars=functions.scalars,
        aggregates=functions.aggregates,
        parameters=parameters,
        source_decls=source_decls,
        # Derived keys and identifiers are bound by the binder itself, when first needed.
        entities=entity_catalog(
            source_decls, lambda source, column: binder.column_value(source, column), graph
        ),
    )
    metrics.binder = binder

    derived: dict[str, dict[str, BExpr]] = {}
    for name, columns in derived_decls.items():
        derived[name] = {col: binder.bind_row(formula, name) for col, formula in columns.items()}
        found += check_derived_roles(source_decls[name], shapes[name].physical, derived[name])

    key_types = {
        name: shapes[name].physical.get(key, Type.UNKNOWN) if key else None
        for name, key in keys.items()
    }
    contracts = {}
    for name, decl in source_decls.items():
        columns = {*shapes[name].physical, *derived[name]}
        contracts[name], problems = source_contracts(decl, binder, key_types, columns)
        found += problems

    # An overriding formula's type is checked before the metrics using it are bound.
    found += _overriding_types(metrics, overridden)
    for name in metric_decls:
        metrics.formula(name)
    unavailable = unavailable_metrics(
        {name: metric_decls[name] for name in metrics.library}, metrics.formulas, binder.missing
    )
    for name in metrics.library - unavailable.keys():
        found += binder.deferred.get(name, [])
    found += _uses_of_unavailable(
        [metrics.formula(n) for n in metric_decls if n not in metrics.library],
        unavailable,
        source_decls,
    )
    metric_infos = {}
    for name, decl in metric_decls.items():
        found += check_metric_clauses(decl)
        presented = _target_parameter(decl, binder)
        if name not in unavailable:
            formula = metrics.formula(name)
            checked_target = check_target(presented, formula.type, binder.bind_metric)
            found += checked_target.problems
            metric_infos[name] = MetricInfo(
                decl=checked_target.decl,
                goal=checked_target.goal,
                formula=formula,
                type=formula.type,
                origin=overridden.origins.get(name),
                overrides=overridden.changes.get(name, ()),
            )
    found += metric_cycles({name: metrics.formula(name) for name in metric_decls})
    formulas = {name: info.formula for name, info in metric_infos.items()}
    found += unattributable_aggregates(formulas, metrics.formula, binder.entities)
    found += year_offsets_in_short_periods(formulas, metrics.formula)
    found += sub_periods_that_do_not_split(formulas, metrics.formula)

    dimension_infos = {}
    for name, decl in dimension_decls.items():
        if decl.span.path in library_files and _lacks_inputs(binder, decl, shapes, unavailable):
            continue  # an included dimension the project cannot compute, as its metrics
        root = root_of_row_formula(decl.expr, shapes)
        if root is not None:
            bound = binder.bind_row(decl.expr, root)
            dimension_infos[name] = DimensionInfo(decl=decl, source=root, type=bound.type)
            continue
        # No source named: a metric-level formula, evaluated per entity.
        formula = binder.bind_metric(decl.expr)
        if formula.type != Type.UNKNOWN and not any(
            isinstance(n, BMetric | BAggregate | BPer) for n in bwalk(formula)
        ):
            found.append(
                Diagnostic(
                    code="no-source",
                    message=f"dimension `{name}` reads neither a source nor a metric",
                    span=decl.expr.span,
                    hint="name columns with their source, e.g. `accounts.employees`",
                )
            )
            continue
        found += _uses_of_unavailable([formula], unavailable, source_decls)
        dimension_infos[name] = DimensionInfo(
            decl=decl, source=None, type=formula.type, formula=formula
        )

    def check_row(formula: e.Expr) -> None:
        root = root_of_row_formula(formula, shapes)
        if root is not None:
            binder.bind_row(formula, root)
            return
        found.append(
            Diagnostic(
                code="no-source",
                message=f"`{formula.span.text}` reads no source",
                span=formula.span,
                hint="name a column with its source, e.g. `accounts.segment`",
            )
        )

    scorecards, problems = check_scorecards(
        [x for x in decls if isinstance(x, d.ScorecardDecl)],
        metric_decls,
        dimension_decls,
        check_row,
    )
    found += problems
    found += scorecard_periods_that_do_not_split(scorecards, formulas, metrics.formula)
    found += [
        attrs.evolve(unavailable_problem(unavailable[name], source_decls), span=span)
        for scorecard in decls
        if isinstance(scorecard, d.ScorecardDecl) and scorecard.span.path not in library_files
        for name, span in _metrics_named(scorecard)
        if name in unavailable
    ]
    found += binder.diagnostics
    errors = [x for x in found if x.severity == "error"]
    if errors:
        raise ProjectError(_in_source_order(found))

    sources = {}
    for name, (decl, reader, schema, physical, declared) in opened.items():
        # Without errors every source opened: a stand-in or a source that failed to open
        # reported one.
        assert reader is not None
        sources[name] = SourceInfo(
            decl=decl,
            reader=reader,
            schema=schema,
            physical=physical,
            declared=declared,
            derived=derived[name],
            links=links[name],
            contracts=contracts[name],
            placements=binder.placements.get(name, {}),
        )
    return CheckedProject(
        calendar=calendar,
        sources=sources,
        metrics=metric_infos,
        dimensions=dimension_infos,
        functions=functions,
        connections=connections,
        scorecards=scorecards,
        unavailable=unavailable,
        aliases=overridden.aliases,
        notes=tuple(x for x in _in_source_order(found) if x.severity == "info"),
        parameters=parameters,
    )


def _target_parameter(decl: d.MetricDecl, binder: Binder) -> d.MetricDecl:
    """A metric whose target is a parameter (`target >= $goal`), with the parameter's default
    as the target's value (a query setting the parameter replaces it: `with_target`)."""
    target = decl.target
    if target is None or target.parameter is None:
        return decl
    info = binder.parameter(target.parameter)
    if info is None or info.type is Type.UNKNOWN:
        return decl
    if not info.type.is_numeric:
        binder.error(
            "parameter-type",
            f"`${info.name}` is {a_type(info.type)}, but a target is a number",
            target.parameter.span,
            "declare the parameter as an int, float or decimal",
        )
        return decl
    return with_target(decl, {info.name: info.default})


def _metrics_named(scorecard: d.ScorecardDecl) -> Iterator[tuple[str, Span]]:
    """Every metric name a scorecard writes, in its sections and in their charts, with its
    position: the project asks for each."""
    for section in scorecard.sections:
        yield from ((metric.name, metric.span) for metric in section.metrics)
        for chart in section.charts:
            for formula in chart.formulas:
                names = (n for n in e.walk(formula) if isinstance(n, e.Name))
                yield from ((n.parts[0], n.span) for n in names if len(n.parts) == 1)
            if chart.total is not None:
                yield chart.total.name, chart.total.span


def _uses_of_unavailable(formulas: Sequence[BExpr], unavailable, sources) -> list[Diagnostic]:
    """The project's own formulas using an unavailable library metric: an error at the use,
    as the project asks for it."""
    return [
        attrs.evolve(unavailable_problem(unavailable[node.name], sources), span=node.span)
        for formula in formulas
        for node in bwalk(formula)
        if isinstance(node, BMetric) and node.name in unavailable
    ]


def _lacks_inputs(binder: Binder, decl: d.DimensionDecl, sources, unavailable) -> bool:
    """Whether an included dimension reads a source the project does not declare, or what
    an unavailable metric lacks (its formula bound leniently, as a library metric's)."""
    heads = {n.parts[0] for n in e.walk(decl.expr) if isinstance(n, e.Name) and len(n.parts) > 1}
    if heads - sources.keys():
        return True
    if root_of_row_formula(decl.expr, sources) is not None:
        return False
    key = f"dimension {decl.name.name}"
    binder.lenient_for = key
    formula = binder.bind_metric(decl.expr)
    binder.lenient_for = None
    binder.deferred.pop(key, None)  # reported when bound again, if it is available
    return key in binder.missing or any(
        isinstance(n, BMetric) and n.name in unavailable for n in bwalk(formula)
    )


def _overriding_types(metrics: LazyMetrics, overridden: Overridden) -> list[Diagnostic]:
    """An overriding formula whose type is not the library's is refused, and stands in as a
    formula of unknown type, so the metrics using its name report nothing more. Done before
    they are bound, which would read its type."""
    found = []
    for name, changes in overridden.changes.items():
        if "formula" not in changes:
            continue
        qualified = f"{overridden.origins[name]}.{name}"
        new, old = metrics.formula(name), metrics.formula(qualified)
        mismatch = type_mismatch(name, metrics.decls[name], new.type, old.type)
        if mismatch is not None:
            found.append(mismatch)
            metrics.formulas[name] = BLiteral(value=None, type=Type.UNKNOWN, span=new.span)
    return found


@attrs.frozen
class _Shape:
    name: str
    physical: dict[str, Type]
    time: str | None


@attrs.frozen
class _StandIns:
    """Declarations standing in for those that did not parse, by kind and name."""

    sources: dict[str, d.SourceDecl] = attrs.field(factory=dict)
    metrics: dict[str, d.MetricDecl] = attrs.field(factory=dict)
    dimensions: dict[str, d.DimensionDecl] = attrs.field(factory=dict)
    parameters: dict[str, ParameterInfo] = attrs.field(factory=dict)


def _stand_ins(unparsed: Sequence[d.UnparsedDecl]) -> _StandIns:
    """For each declaration that did not parse, one of its kind whose formula is of unknown
    type and whose source has every column and a key, so that nothing using its name is
    reported: the syntax error is the problem, and its follow-on errors would bury it."""
    found = _StandIns()
    for u in unparsed:
        unknown = e.Literal(value=None, type=Type.UNKNOWN, span=u.span)
        if u.kind == "metric":
            metric = d.MetricDecl(
                name=u.name,
                label=None,
                formula=unknown,
                description=None,
                unit=None,
                format=None,
                direction=None,
                target=None,
                span=u.span,
            )
            found.metrics.setdefault(u.name.name, metric)
        elif u.kind == "dimension":
            dimension = d.DimensionDecl(name=u.name, label=None, expr=unknown, span=u.span)
            found.dimensions.setdefault(u.name.name, dimension)
        elif u.kind == "parameter":
            parameter = ParameterInfo(
                name=u.name.name, type=Type.UNKNOWN, default=None, span=u.name.span
            )
            found.parameters.setdefault(u.name.name, parameter)
        else:
            connector = d.ConnectorCall(name=u.name, args=(), options=(), span=u.span)
            key = d.Ident(name="", span=u.span)
            source = d.SourceDecl(
                name=u.name,
                connector=connector,
                key=key,
                time=None,
                links=(),
                validity=None,
                columns=(),
                span=u.span,
            )
            found.sources.setdefault(u.name.name, source)
    return found


def _within_nesting(metrics, dimensions, derived):
    """The formulas, with those nesting too deep for the engines (counting the formulas they
    name) replaced by a placeholder of unknown type so that checking goes on, and the
    problems."""
    formulas: dict[str, e.Expr] = {name: x.formula for name, x in metrics.items()}
    formulas |= {name: x.expr for name, x in dimensions.items()}
    for source, columns in derived.items():
        formulas |= {f"{source}.{column}": f for column, f in columns.items()}
    found, over = too_deep(formulas)
    if not over:
        return found, metrics, dimensions, derived

    def cut(key: str) -> e.Expr:
        formula = formulas[key]
        if key not in over:
            return formula
        return e.Literal(value=None, type=Type.UNKNOWN, span=formula.span)

    metrics = {name: attrs.evolve(x, formula=cut(name)) for name, x in metrics.items()}
    dimensions = {name: attrs.evolve(x, expr=cut(name)) for name, x in dimensions.items()}
    derived = {
        source: {column: cut(f"{source}.{column}") for column in columns}
        for source, columns in derived.items()
    }
    return found, metrics, dimensions, derived


def _first_of_each(decls: Sequence[_Named]) -> dict[str, _Named]:
    """Declarations by name, keeping the first of duplicates (the duplicates rule reports)."""
    by_name: dict[str, _Named] = {}
    for decl in decls:
        by_name.setdefault(decl.name.name, decl)
    return by_name


def _unknown_tables(tables: Mapping[str, SourceReader], sources: Mapping[str, object]):
    return [
        Diagnostic(
            code="unknown-name",
            message=f"a table was given for `{name}`, but the project has no such source",
            hint=did_you_mean(name, sources) or "declare the source in a .metrics file",
        )
        for name in tables
        if name not in sources
    ]


def _in_source_order(found: list[Diagnostic]) -> list[Diagnostic]:
    def key(diag: Diagnostic):
        span = diag.span
        return (span.path, span.line, span.column) if span else ("", 0, 0)

    unique = list(dict.fromkeys(found))
    return sorted(unique, key=key)
