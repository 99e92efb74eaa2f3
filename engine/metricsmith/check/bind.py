"""Name resolution and typing: formulas as written → bound, typed formulas.

Two scopes (docs/language.md, "Names: what a name refers to"). At *metric level* a bare name
is another metric and aggregates open a row scope. In a *row scope* over a root source, a bare
name is a column of the root (or a named dimension), and `other.column` is a column of a source
reached from the root through many-to-one entity links. Derived columns are inlined where they
are used.

The binder never raises for a problem in the user's text: it records a diagnostic and returns a
node of type UNKNOWN, so one run reports every problem and an error is not reported twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, assert_never

import attrs

from metricsmith.check import typing_rules
from metricsmith.check.checked import CheckedProject, MetricInfo, Need
from metricsmith.check.conversions import bind_at, bind_conversion
from metricsmith.check.entities import EntityCatalog
from metricsmith.check.links import LinkGraph
from metricsmith.check.literals import literal_problem
from metricsmith.check.parameters import ParameterInfo, a_type, window_problem
from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import Diagnostic, PluginFailure
from metricsmith.model import bound as b
from metricsmith.model import expr as e
from metricsmith.model.decl import DimensionDecl, SourceDecl
from metricsmith.model.span import NO_SPAN, Span
from metricsmith.model.time import GRAINS, Grain, WindowKind
from metricsmith.model.types import Type
from metricsmith.plugins.functions import (
    NOT_CONSTANT,
    AggregateFunction,
    OrderedBy,
    Pick,
    ScalarFunction,
)
from metricsmith.plugins.provenance import calling_plugin, from_a_plugin

UNKNOWN = Type.UNKNOWN
#: Scalar functions whose grain argument may be written as a bare name.
GRAIN_ARGUMENT_FUNCTIONS = frozenset({"cohort", "date_trunc"})
#: Period comparisons, expanded into offsets.
METRIC_MACROS = frozenset({"growth", "change", "previous", "same_period_last_year", "cohort_start"})


class MetricLookup(Protocol):
    """The metrics a formula may refer to, and their types."""

    def type_of(self, name: str) -> Type | None: ...

    def names(self) -> list[str]: ...

    def resolve(self, name: str) -> str:
        """The metric a (possibly qualified) name refers to."""
        ...


class SourceShape(Protocol):
    """What the binder needs to know about a source."""

    @property
    def name(self) -> str: ...

    @property
    def physical(self) -> Mapping[str, Type]: ...

    @property
    def time(self) -> str | None: ...


def _first_source_name(node: e.Expr, sources: Mapping[str, object]) -> str | None:
    """The source a row formula reads: the head of its first qualified name."""
    for sub in e.walk(node):
        if isinstance(sub, e.Name) and len(sub.parts) >= 2 and sub.parts[0] in sources:
            return sub.parts[0]
    return None


def root_of_row_formula(node: e.Expr, sources: Mapping[str, object]) -> str | None:
    return _first_source_name(node, sources)


@attrs.define
class Binder:
    """Binds formulas of one project; collects diagnostics in `diagnostics`."""

    sources: Mapping[str, SourceShape]
    derived_decls: Mapping[str, Mapping[str, e.Expr]]
    graph: LinkGraph
    metrics: MetricLookup
    dimensions: Mapping[str, DimensionDecl]
    scalars: Mapping[str, ScalarFunction]
    aggregates: Mapping[str, AggregateFunction]
    entities: EntityCatalog
    #: The declared sources (their key and time roles), for conversions and `at`.
    source_decls: Mapping[str, SourceDecl] = attrs.field(factory=dict)
    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    #: The declared parameters (`$name` in formulas), by name.
    parameters: Mapping[str, ParameterInfo] = attrs.field(factory=dict)
    #: The linked time columns aggregates place rows by, per source (`SourceInfo.placements`).
    placements: dict[str, dict[str, b.BExpr]] = attrs.field(factory=dict)
    #: The included library metric being bound, if any (see `LazyMetrics`): while it is set,
    #: what the formula reads but the project does not declare is recorded in `missing`
    #: instead of reported, and problems go to `deferred`, reported only if the metric turns
    #: out to be available (the others are follow-ons of the missing input).
    lenient_for: str | None = None
    missing: dict[str, set[Need]] = attrs.field(factory=dict)
    deferred: dict[str, list[Diagnostic]] = attrs.field(factory=dict)
    _derived: dict[tuple[str, str], b.BExpr] = attrs.field(factory=dict)
    _deriving: set[tuple[str, str]] = attrs.field(factory=set)

    # ---- reporting --------------------------------------------------------------------
    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        found = Diagnostic(code=code, message=message, span=span, hint=hint)
        if self.lenient_for is not None:
            self.deferred.setdefault(self.lenient_for, []).append(found)
        else:
            self.diagnostics.append(found)

    def _lacks(self, need: Need) -> bool:
        """Record that the library metric being bound needs `need`; False outside one (the
        caller then reports the problem as usual)."""
        if self.lenient_for is None:
            return False
        self.missing.setdefault(self.lenient_for, set()).add(need)
        return True

    def _absent(self, source: str) -> bool:
        """Whether `source` is undeclared and read by the library metric being bound."""
        return self.lenient_for is not None and source not in self.sources

    def unknown(self, node: e.Expr) -> b.BLiteral:
        return b.BLiteral(value=None, type=UNKNOWN, span=node.span)

    # ---- functions a plugin may supply ------------------------------------------------
    def _signature(
        self, fn: ScalarFunction | AggregateFunction, span: Span, types: object
    ) -> Type | str:
        return self._ask(fn, span, "signature", types, (Type, str), UNKNOWN)

    def _ask(
        self,
        fn: ScalarFunction | AggregateFunction,
        span: Span,
        method: str,
        argument: object,
        returns: tuple[type, ...],
        default: object,
    ):
        """`fn.<method>(argument)`: a function's `signature` or `constants`. When a plugin's
        code raises or returns something other than `returns`, a diagnostic at the call names
        the plugin, and `default` stands for the answer."""
        try:
            with calling_plugin(fn.provenance, "while checking a call"):
                answer = getattr(fn, method)(argument)
            if not isinstance(answer, returns) and from_a_plugin(fn.provenance):
                kinds = " or ".join(kind.__name__ for kind in returns)
                raise fn.provenance.failure(
                    f"returned {type(answer).__name__} from `{method}`, not {kinds}"
                )
        except PluginFailure as failure:
            self.error("plugin-failure", failure.message, span, failure.hint)
            return default
        return answer

    # ---- metric level -----------------------------------------------------------------
    def bind_metric(self, node: e.Expr) -> b.BExpr:
        return self._bind(node, None)

    def bind_row(self, node: e.Expr, root: str) -> b.BExpr:
        return self._bind(node, root)

    def _bind(self, node: e.Expr, root: str | None) -> b.BExpr:
        match node:
            case e.Literal(value=value, type=type_):
                return self._literal(node, value, type_)
            case e.Name():
                return self._name(node, root)
            case e.Parameter():
                return self._parameter(node)
            case e.Unary(op=op, operand=operand):
                return self._unary(node, op, self._bind(operand, root))
            case e.Binary(op=op, left=left, right=right):
                return self._binary(node, op, self._bind(left, root), self._bind(right, root))
            case e.IsNull(operand=operand, negated=negated):
                return b.BIsNull(operand=self._bind(operand, root), negated=negated, span=node.span)
            case e.InList():
                return self._in_list(node, root)
            case e.Case():
                return self._case(node, root)
            case e.Call():
                return self._call(node, root)
            case e.Offset():
                return self._offset(node, root)
            case e.Window():
                return self._window(node, root)
            case e.At():
                return bind_at(self, node, root)
            case e.Conversion():
                return bind_conversion(self, node, root)
            case _:
                assert_never(node)

    def _literal(self, node: e.Literal, value: object, type_: Type) -> b.BExpr:
        problem = literal_problem(value, type_, node.span)
        if problem is not None:
            message, hint = problem
            self.error("number-range", message, node.span, hint=hint)
            return self.unknown(node)
        return b.BLiteral(value=value, type=type_, span=node.span)

    # ---- parameters -------------------------------------------------------------------
    def _parameter(self, node: e.Parameter) -> b.BExpr:
        info = self.parameter(node)
        if info is None:
            return self.unknown(node)
        return b.BParameter(name=info.name, type=info.type, span=node.span)

    def parameter(self, node: e.Parameter, expected: Type | None = None) -> ParameterInfo | None:
        """The declaration `$name` refers to, or None after reporting that there is none or,
        when a use needs one type (`expected`: a window's length), that it is of another."""
        info = self.parameters.get(node.name)
        if info is None:
            hint = did_you_mean(f"${node.name}", [f"${name}" for name in self.parameters]) or (
                f"declare it: `parameter {node.name}: <type> = <default>`"
            )
            self.error("unknown-parameter", f"unknown parameter `${node.name}`", node.span, hint)
            return None
        if expected is not None and info.type not in (expected, UNKNOWN):
            self.error(
                "parameter-type",
                f"`${node.name}` is {a_type(info.type)}, but {a_type(expected)} is needed here",
                node.span,
                f"declare a parameter of type {expected} for this",
            )
            return None
        return info

    # ---- names ------------------------------------------------------------------------
    def _name(self, node: e.Name, root: str | None) -> b.BExpr:
        if root is None:
            return self._metric_name(node)
        if len(node.parts) == 1:
            return self._bare_column(node, root)
        if len(node.parts) == 2:
            return self._qualified_column(node, root, node.parts[0], node.parts[1])
        self.error(
            "unknown-name",
            f"`{node.dotted}` has too many parts",
            node.span,
            "write `column` or `source.column`",
        )
        return self.unknown(node)

    def _metric_name(self, node: e.Name) -> b.BExpr:
        # Dotted names are only metrics when qualified by a library (`customer_success.nps`).
        name = self.metrics.resolve(node.dotted)
        metric_type = self.metrics.type_of(name)
        if metric_type is not None:
            return b.BMetric(name=name, type=metric_type, span=node.span)
        if len(node.parts) == 1 and name in self.sources:
            self.error(
                "not-a-value",
                f"`{name}` is a source, not a value",
                node.span,
                f"to count its rows write `count({name})`",
            )
        elif self._is_column_reference(node):
            self.error(
                "row-outside-aggregate",
                f"`{name}` is a row-level column, but a metric needs one value per period",
                node.span,
                f"aggregate it, e.g. `sum({self._qualified(node)})` or "
                f"`avg({self._qualified(node)})`",
            )
        else:
            hint = did_you_mean(name, [*self.metrics.names(), *self.sources])
            for source in self.sources:
                hint = hint and hint.replace(f"`{source}`", f"`count({source})`")
            self.error("unknown-name", f"unknown metric `{name}`", node.span, hint)
        return self.unknown(node)

    def _is_column_reference(self, node: e.Name) -> bool:
        if len(node.parts) == 2:
            source = self.sources.get(node.parts[0])
            return source is not None and self._has_column(node.parts[0], node.parts[1])
        return any(self._has_column(s, node.parts[0]) for s in self.sources)

    def _qualified(self, node: e.Name) -> str:
        if len(node.parts) == 2:
            return node.dotted
        owners = [s for s in self.sources if self._has_column(s, node.parts[0])]
        return f"{owners[0]}.{node.parts[0]}" if owners else node.dotted

    def _has_column(self, source: str, column: str) -> bool:
        shape = self.sources[source]
        return column in shape.physical or column in self.derived_decls.get(source, {})

    def _bare_column(self, node: e.Name, root: str) -> b.BExpr:
        column = node.parts[0]
        if self._absent(root):
            self._lacks(Need(source=root, column=column))
            return self.unknown(node)
        if self._has_column(root, column):
            return self._column(root, (), column, node.span)
        if column in self.dimensions:
            return self._dimension(node, root, self.dimensions[column])
        candidates = [*self.sources[root].physical, *self.derived_decls.get(root, {})]
        hint = did_you_mean(column, candidates)
        if hint is None and self.metrics.type_of(column) is not None:
            hint = (
                f"`{column}` is a metric; inside an aggregate over `{root}`, names are columns "
                f"of `{root}`"
            )
        if not self._lacks(Need(source=root, column=column)):
            self.error("unknown-name", f"`{root}` has no column `{column}`", node.span, hint)
        return self.unknown(node)

    def _qualified_column(self, node: e.Name, root: str, source: str, column: str) -> b.BExpr:
        if self._absent(source):
            self._lacks(Need(source=source, column=column))
            return self.unknown(node)
        if self._absent(root):  # a declared source's column, read from rows of an absent one
            return self.unknown(node)
        if source not in self.sources:
            hint = did_you_mean(source, self.sources)
            self.error("unknown-name", f"unknown source `{source}`", node.span, hint)
            return self.unknown(node)
        path = self.graph.path(root, source)
        if path is None:
            fan_out = self.graph.fan_out_message(root, source)
            if fan_out:
                self.error(
                    "fan-out",
                    fan_out,
                    node.span,
                    f"aggregate over `{source}` instead, or slice `{source}` by `{root}`",
                )
            else:
                self.error(
                    "no-link",
                    f"`{source}` cannot be reached from rows of `{root}`",
                    node.span,
                    f"declare an entity link in `{root}`, e.g. `entity {source}_id -> {source}`",
                )
            return self.unknown(node)
        if not self._has_column(source, column):
            candidates = [*self.sources[source].physical, *self.derived_decls.get(source, {})]
            hint = did_you_mean(column, candidates)
            if not self._lacks(Need(source=source, column=column)):
                self.error("unknown-name", f"`{source}` has no column `{column}`", node.span, hint)
            return self.unknown(node)
        return self._column(source, path, column, node.span)

    def _column(self, source: str, path: tuple[str, ...], column: str, span: Span) -> b.BExpr:
        shape = self.sources[source]
        if column in shape.physical:
            return b.BColumn(
                source=source, path=path, column=column, type=shape.physical[column], span=span
            )
        derived = self._derived_column(source, column)
        return b.rebase(derived, path)

    def column_value(self, source: str, column: str) -> b.BExpr:
        """A column of `source`'s rows as a row formula: the column, or a derived column's
        formula (an unknown column, already reported where it is named, is unknown)."""
        if not self._has_column(source, column):
            return b.BLiteral(value=None, type=UNKNOWN)
        return self._column(source, (), column, NO_SPAN)

    def _derived_column(self, source: str, column: str) -> b.BExpr:
        key = (source, column)
        if key in self._derived:
            return self._derived[key]
        formula = self.derived_decls[source][column]
        if key in self._deriving:
            self.error(
                "cycle",
                f"derived column `{source}.{column}` is defined in terms of itself",
                formula.span,
            )
            return self.unknown(formula)
        self._deriving.add(key)
        result = self.bind_row(formula, source)
        self._deriving.discard(key)
        self._derived[key] = result
        return result

    def _dimension(self, node: e.Name, root: str, decl: DimensionDecl) -> b.BExpr:
        return self.bind_row(decl.expr, root)

    # ---- operators --------------------------------------------------------------------
    def _check(self, node: e.Expr | b.BExpr, result: Type | str) -> Type:
        if isinstance(result, str):
            self.error("type", f"{result} in `{node.span.text}`", node.span)
            return UNKNOWN
        return result

    def _unary(self, node: e.Unary, op: str, operand: b.BExpr) -> b.BExpr:
        if op == "not":
            result = typing_rules.logical("not", operand.type, Type.BOOLEAN)
        elif operand.type.is_numeric or operand.type in (Type.DURATION, *typing_rules.LENIENT):
            result = operand.type
        else:
            result = f"cannot negate {operand.type}"
        return b.BUnary(op=op, operand=operand, type=self._check(node, result), span=node.span)

    def _binary(self, node: e.Binary, op: str, left: b.BExpr, right: b.BExpr) -> b.BExpr:
        if op in ("and", "or"):
            result = typing_rules.logical(op, left.type, right.type)
        elif op in ("==", "!=", "<", "<=", ">", ">="):
            result = typing_rules.comparison(op, left.type, right.type)
        else:
            result = typing_rules.arithmetic(op, left.type, right.type)
        return b.BBinary(
            op=op, left=left, right=right, type=self._check(node, result), span=node.span
        )

    def _in_list(self, node: e.InList, root: str | None) -> b.BExpr:
        operand = self._bind(node.operand, root)
        items = tuple(self._bind(item, root) for item in node.items)
        for item in items:
            if not typing_rules.comparable(operand.type, item.type):
                self._check(item, f"cannot compare {operand.type} with {item.type}")
        return b.BInList(operand=operand, items=items, negated=node.negated, span=node.span)

    def _case(self, node: e.Case, root: str | None) -> b.BExpr:
        whens = []
        for condition, value in node.whens:
            bound_condition = self._condition(condition, root)
            whens.append((bound_condition, self._bind(value, root)))
        default = self._bind(node.default, root) if node.default is not None else None
        branch_types = [v.type for _, v in whens] + ([default.type] if default else [])
        result = self._check(node, typing_rules.unify(branch_types))
        return b.BCase(whens=tuple(whens), default=default, type=result, span=node.span)

    def _condition(self, node: e.Expr, root: str | None) -> b.BExpr:
        bound = self._bind(node, root)
        if bound.type not in (Type.BOOLEAN, *typing_rules.LENIENT):
            self.error(
                "type",
                f"a condition must be true/false, but `{node.span.text}` is {bound.type}",
                node.span,
                "compare it, e.g. `x > 0` or `x is not null`",
            )
        return bound

    # ---- time intelligence ------------------------------------------------------------
    def _offset(self, node: e.Offset, root: str | None) -> b.BExpr:
        if root is not None:
            self.error(
                "bad-offset",
                "offsets apply to metrics and aggregates, not to values of single rows",
                node.span,
                f"inside an aggregate over `{root}`, compare columns of the row instead",
            )
            return self.unknown(node)
        if node.periods >= 0:
            self.error(
                "bad-offset",
                f"offsets look back: `[{node.periods}]` would be the same or a future period",
                node.span,
                "write `m[-1]` for the previous period",
            )
            return self.unknown(node)
        operand = self._bind(node.operand, None)
        return b.BOffset(operand=operand, periods=-node.periods, type=operand.type, span=node.span)

    def _window(self, node: e.Window, root: str | None) -> b.BExpr:
        operand = self._bind(node.operand, root)
        if operand.type == UNKNOWN:
            return operand
        if not isinstance(operand, b.BAggregate):
            self.error(
                "bad-window",
                "a window applies to an aggregate, e.g. `count(events) over last 7 days`",
                node.span,
                "put the window right after the aggregate's closing parenthesis",
            )
            return self.unknown(node)
        if node.kind is WindowKind.TO_DATE and node.unit is Grain.DAY:
            self.error(
                "bad-window",
                "`day to date` is the day itself",
                node.span,
                "use week, month, quarter or year to date",
            )
            return self.unknown(node)
        count, parameter = node.count, None
        if isinstance(count, e.Parameter):
            info = self.parameter(count, Type.INTEGER)
            # An unknown unit is reported where it is written, a parameter that did not
            # parse where its declaration is.
            if info is None or info.type is UNKNOWN or node.unit is None:
                return self.unknown(node)
            problem = window_problem(info.name, info.default, node.unit)
            if problem is not None:
                self.error("out-of-range", problem[0], count.span, problem[1])
                return self.unknown(node)
            # The default stands until a query's value replaces it (check/query.py).
            assert isinstance(info.default, int)
            count, parameter = info.default, info.name
        return b.BWindow(
            operand=operand,
            kind=node.kind,
            count=count,
            unit=node.unit,
            type=operand.type,
            count_parameter=parameter,
            span=node.span,
        )

    def _per(self, node: e.Call, fn: AggregateFunction) -> b.BExpr:
        per = node.per
        assert per is not None
        entity = self.entities.resolve(per.target)
        if entity is None and self._lacks(Need(entity=per.target)):
            return self.unknown(node)
        if entity is None:
            hint = did_you_mean(per.target, self.entities.names()) or (
                "iterate over a source with a key (`per account` for `accounts`), an "
                "identifier declared `entity user_id as user`, or `per day` / `per week`"
            )
            self.error("unknown-name", f"unknown entity `{per.target}`", per.span, hint)
            return self.unknown(node)
        if fn.ordering is not None:
            self.error(
                "bad-call",
                f"`{fn.name}` picks one row of a source, not one of the values per {per.target}",
                node.span,
                f"take each {per.target}'s value with `{fn.name}` inside the formula and combine "
                f"them, e.g. `sum(per {per.target}: {fn.name}(<source>.<column>))`",
            )
            return self.unknown(node)
        if node.args:
            self.error(
                "bad-call",
                "`per` takes the place of the aggregate's argument",
                node.span,
                f"write `{fn.name}(per {per.target}: <formula>)`",
            )
            return self.unknown(node)
        body = self._bind(per.body, None) if per.body is not None else None
        where = self._condition(node.where, None) if node.where is not None else None
        if body is None and not fn.counts_rows:
            self.error(
                "bad-call",
                f"`{fn.name}(per {per.target})` needs a formula to {fn.name}",
                node.span,
                f"for example: `{fn.name}(per {per.target}: mrr)`",
            )
            return self.unknown(node)
        if entity.kind == "identifier" and not _may_read_a_source(body, where):
            # An identifier's values are found in the rows the formula reads: with none, the
            # query would have nothing to iterate over.
            self.error(
                "bad-call",
                f"`per {per.target}` finds its {per.target} values in the rows its formula "
                "reads, but this formula reads no source",
                node.span,
                f"compare something per {per.target}, e.g. "
                f"`{fn.name}(per {per.target} where count(events) > 0)`, or count the values "
                "with `count_distinct(events.<column>)`",
            )
            return self.unknown(node)
        if body is not None and body.type == UNKNOWN:
            result: Type | str = UNKNOWN
        else:
            result = self._signature(fn, node.span, body.type if body is not None else None)
        if isinstance(result, str):
            self.error("type", f"{result} in `{node.span.text}`", node.span)
            result = UNKNOWN
        return b.BPer(
            function=fn.name,
            entity=entity,
            body=body,
            where=where,
            params=(),
            type=result,
            span=node.span,
        )

    def _macro(self, node: e.Call) -> b.BExpr:
        """growth(m), change(m), previous(m), same_period_last_year(m), cohort_start(m)."""
        if len(node.args) != 1 or node.where is not None or node.per is not None:
            self.error(
                "bad-call",
                f"`{node.name}` takes one metric formula",
                node.span,
                f"for example: `{node.name}(mrr)`",
            )
            return self.unknown(node)
        operand = self._bind(node.args[0], None)
        if operand.type not in (UNKNOWN, *typing_rules.LENIENT) and not (
            operand.type.is_numeric
            or node.name in ("previous", "same_period_last_year", "cohort_start")
        ):
            self._check(node, f"`{node.name}` needs a number, not {operand.type}")
            return self.unknown(node)
        if node.name in ("same_period_last_year", "cohort_start"):
            yearly = node.name == "same_period_last_year"
            unit = b.OffsetUnit.YEAR if yearly else b.OffsetUnit.COHORT
            return b.BOffset(
                operand=operand, periods=1, unit=unit, type=operand.type, span=node.span
            )
        before = b.BOffset(operand=operand, periods=1, type=operand.type, span=node.span)
        if node.name == "previous":
            return before
        if node.name == "change":
            kind = typing_rules.arithmetic("-", operand.type, operand.type)
            return b.BBinary(
                op="-", left=operand, right=before, type=self._check(node, kind), span=node.span
            )
        ratio = b.BBinary(op="/", left=operand, right=before, type=Type.FLOAT, span=node.span)
        one = b.BLiteral(value=1, type=Type.INTEGER, span=node.span)
        return b.BBinary(op="-", left=ratio, right=one, type=Type.FLOAT, span=node.span)

    # ---- calls ------------------------------------------------------------------------
    def _call(self, node: e.Call, root: str | None) -> b.BExpr:
        if node.name in METRIC_MACROS and node.name not in self.scalars:
            if root is not None:
                self.error(
                    "bad-call",
                    f"`{node.name}` compares periods of a metric; it cannot be used on single rows",
                    node.span,
                )
                return self.unknown(node)
            return self._macro(node)
        if node.name in self.aggregates:
            if root is not None:
                self.error(
                    "nested-aggregate",
                    f"`{node.name}` is an aggregate, but this is a row formula "
                    f"over `{root}` (one value per row)",
                    node.span,
                    "aggregates cannot be nested; define the inner aggregate as its own metric",
                )
                return self.unknown(node)
            return self._aggregate(node, self.aggregates[node.name])
        if node.name in self.scalars:
            return self._scalar(node, self.scalars[node.name], root)
        hint = did_you_mean(node.name, [*self.scalars, *self.aggregates])
        self.error("unknown-function", f"unknown function `{node.name}`", node.name_span, hint)
        return self.unknown(node)

    def _scalar(self, node: e.Call, fn: ScalarFunction, root: str | None) -> b.BExpr:
        if node.where is not None or node.per is not None:
            self.error(
                "bad-call",
                f"`where` and `per` belong to aggregates; `{fn.name}` is a row function",
                node.span,
            )
        args = tuple(self._scalar_argument(fn, arg, root) for arg in node.args)
        count_ok = len(args) >= fn.min_args and (fn.max_args is None or len(args) <= fn.max_args)
        if not count_ok:
            self.error(
                "bad-call",
                f"`{fn.name}` takes {_arity(fn)}, not {len(args)}",
                node.span,
                f"for example: {fn.example}",
            )
            return self.unknown(node)
        if any(a.type == UNKNOWN for a in args):
            result: Type | str = UNKNOWN
        else:
            result = self._signature(fn, node.span, [a.type for a in args])
        if fn.constants is not None and result != UNKNOWN and not isinstance(result, str):
            constants = [_constant_value(a) for a in args]
            problem = self._ask(fn, node.span, "constants", constants, (str, type(None)), None)
            if problem is not None:
                self.error("bad-call", problem, node.span, f"for example: {fn.example}")
                result = UNKNOWN
        return b.BCall(function=fn.name, args=args, type=self._check(node, result), span=node.span)

    def _scalar_argument(self, fn: ScalarFunction, arg: e.Expr, root: str | None) -> b.BExpr:
        # `cohort(accounts.signed_up_at, month)`: a bare grain name is the grain, unless the
        # row has a column of that name.
        if (
            fn.name in GRAIN_ARGUMENT_FUNCTIONS
            and isinstance(arg, e.Name)
            and len(arg.parts) == 1
            and arg.parts[0] in GRAINS
            and not (root is not None and self._has_column(root, arg.parts[0]))
        ):
            return b.BLiteral(value=arg.parts[0], type=Type.STRING, span=arg.span)
        return self._bind(arg, root)

    def _aggregate(self, node: e.Call, fn: AggregateFunction) -> b.BExpr:
        if node.per is not None:
            return self._per(node, fn)
        if not node.args:
            self.error(
                "bad-call",
                f"`{fn.name}` needs something to aggregate",
                node.span,
                f"for example: {fn.example}",
            )
            return self.unknown(node)
        first, *params = node.args
        # `max_by(x, y)`: the second argument is the row formula ordering the rows.
        written_order = fn.ordering is not None and fn.ordering.by == OrderedBy.ARGUMENT
        extra = fn.params + written_order
        if len(params) != extra:
            self.error(
                "bad-call",
                f"`{fn.name}` takes {1 + extra} argument{'s' if extra else ''}, "
                f"not {len(node.args)}",
                node.span,
                f"for example: {fn.example}",
            )
            return self.unknown(node)
        by = params.pop(0) if written_order else None
        values = []
        for param in params:
            if (
                isinstance(param, e.Literal)
                and param.type in (Type.INTEGER, Type.FLOAT)
                and isinstance(param.value, int | float)
            ):
                values.append(float(param.value))
            else:
                self.error("bad-call", f"`{fn.name}` needs a constant number here", param.span)
                return self.unknown(node)
        root, counts_rows = self._aggregate_root(node, first, fn)
        if root is None:
            return self.unknown(node)
        arg = None if counts_rows else self.bind_row(first, root)
        where = self._condition(node.where, root) if node.where is not None else None
        order = None
        if fn.ordering is not None:
            order = self.bind_row(by, root) if by is not None else self._time_order(node, fn, root)
            if order is None:
                return self.unknown(node)
        if arg is not None and arg.type == UNKNOWN:
            result: Type | str = UNKNOWN
        else:
            result = self._signature(fn, first.span, arg.type if arg is not None else None)
        if isinstance(result, str):
            what = first.span.text
            self.error("type", f"{result} in `{fn.name}({what})`", first.span)
            result = UNKNOWN
        return b.BAggregate(
            function=fn.name,
            source=root,
            arg=arg,
            params=tuple(values),
            where=where,
            type=result,
            order=order,
            order_written=by is not None,
            span=node.span,
        )

    def _time_order(self, node: e.Call, fn: AggregateFunction, root: str) -> b.BExpr | None:
        """What orders the rows of `last` and `first`: the time column of the source they
        read (None, reported, when it has none)."""
        if self._absent(root):
            return self.unknown(node)
        time = self.sources[root].time
        if time is None:
            largest = fn.ordering is not None and fn.ordering.pick == Pick.LARGEST
            extreme = "latest" if largest else "earliest"
            self.error(
                "no-time",
                f"`{node.name}` takes the value at the {extreme} time, but "
                f"source `{root}` has no time column",
                node.span,
                f"declare the column that orders its rows in source `{root}`: "
                f"`time <column>`; or order by a column of your choice: "
                f"`max_by({node.args[0].span.text}, <column>)`",
            )
            return None
        return self.column_value(root, time)

    def _aggregate_root(
        self, node: e.Call, first: e.Expr, fn: AggregateFunction
    ) -> tuple[str | None, bool]:
        """Which source an aggregate reads, and whether it counts that source's rows."""
        if isinstance(first, e.Name) and len(first.parts) == 1 and first.parts[0] in self.sources:
            if fn.counts_rows:
                return first.parts[0], True
            self.error(
                "bad-call",
                f"`{fn.name}` needs a column of `{first.parts[0]}`, not the whole source",
                first.span,
                f"for example: {fn.name}({first.parts[0]}.<column>)",
            )
            return None, False
        absent = self._absent_root(first)
        if absent is not None:
            self._lacks(Need(source=absent))
            return absent, fn.counts_rows and isinstance(first, e.Name) and len(first.parts) == 1
        root = _first_source_name(first, self.sources)
        if root is not None:
            return root, False
        if isinstance(first, e.Name) and len(first.parts) == 1:
            owners = sorted(s for s in self.sources if self._has_column(s, first.parts[0]))
            if owners:
                hint = "write " + " or ".join(f"`{fn.name}({s}.{first.parts[0]})`" for s in owners)
                message = f"say which source `{first.parts[0]}` is read from"
                self.error("no-source", message, first.span, hint)
                return None, False
            suggestion = did_you_mean(first.parts[0], self.sources)
            self.error("unknown-name", f"unknown source `{first.parts[0]}`", first.span, suggestion)
            return None, False
        self.error(
            "no-source",
            f"cannot tell which source `{fn.name}` reads",
            first.span,
            f"name a column with its source, e.g. `{fn.name}(tickets.contacts)`",
        )
        return None, False

    def _absent_root(self, first: e.Expr) -> str | None:
        """The undeclared source a library metric's aggregate reads: `count(tickets)`, or the
        head of the argument's first qualified name (`sum(payments.amount)`)."""
        if self.lenient_for is None:
            return None
        for sub in e.walk(first):
            if isinstance(sub, e.Name) and (len(sub.parts) >= 2 or sub is first):
                head = sub.parts[0]  # the source the aggregate reads, as `root_of_row_formula`
                known = self.metrics.type_of(head) is not None or head in self.dimensions
                if head in self.sources or known:
                    return None
                if not any(self._has_column(s, head) for s in self.sources):
                    return head
                return None
        return None


def _constant_value(node: b.BExpr) -> object:
    """The value of an argument written as a constant (a negative number too)."""
    if isinstance(node, b.BLiteral):
        return node.value
    if isinstance(node, b.BUnary) and node.op == "-" and isinstance(node.operand, b.BLiteral):
        value = node.operand.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value
    return NOT_CONSTANT


def _arity(fn: ScalarFunction) -> str:
    if fn.max_args == fn.min_args:
        return f"{fn.min_args} argument{'s' if fn.min_args != 1 else ''}"
    if fn.max_args is None:
        return f"at least {fn.min_args} arguments"
    return f"{fn.min_args} to {fn.max_args} arguments"


@attrs.frozen
class CheckedMetrics:
    """MetricLookup over the metrics of a checked project."""

    infos: Mapping[str, MetricInfo]
    aliases: Mapping[str, str] = attrs.field(factory=dict)

    def resolve(self, name: str) -> str:
        return self.aliases.get(name, name)

    def type_of(self, name: str) -> Type | None:
        info = self.infos.get(name)
        return info.type if info is not None else None

    def names(self) -> list[str]:
        return list(self.infos)


def binder_for(project: CheckedProject) -> Binder:
    """A binder over a CheckedProject (see check/checked.py), with the functions the project
    was checked with."""
    graph = LinkGraph({name: info.links for name, info in project.sources.items()})
    return Binder(
        sources=project.sources,
        derived_decls={
            name: {c.name.name: c.expr for c in info.decl.columns if c.expr is not None}
            for name, info in project.sources.items()
        },
        graph=graph,
        metrics=CheckedMetrics(project.metrics, project.aliases),
        dimensions={name: info.decl for name, info in project.dimensions.items()},
        scalars=project.functions.scalars,
        aggregates=project.functions.aggregates,
        parameters=project.parameters,
        source_decls={name: info.decl for name, info in project.sources.items()},
        entities=entity_catalog(
            {name: info.decl for name, info in project.sources.items()},
            lambda source, column: project.sources[source].value_of(column),
            graph,
        ),
    )


def entity_catalog(
    sources: Mapping[str, SourceDecl],
    column_value: Callable[[str, str], b.BExpr],
    graph: LinkGraph,
) -> EntityCatalog:
    identities: dict[str, dict[str, str]] = {}
    for name, decl in sources.items():
        for identity in decl.identities:
            identities.setdefault(identity.entity.name, {})[name] = identity.column.name
    return EntityCatalog(
        keys={name: decl.key.name for name, decl in sources.items() if decl.key},
        identities=identities,
        graph=graph,
        column_value=column_value,
    )


def _may_read_a_source(*formulas: b.BExpr | None) -> bool:
    """Whether the formulas read rows: an aggregate over a source, or a metric (whose own
    formula may; the planner refuses one that does not)."""
    return any(
        isinstance(node, b.BAggregate | b.BMetric)
        for formula in formulas
        if formula is not None
        for node in b.bwalk(formula)
    )
