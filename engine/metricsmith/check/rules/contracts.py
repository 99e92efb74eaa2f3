"""Rule: every data contract of a source resolves — its columns exist, a condition is a true/false
row formula over the source (links followed), and `expect x in target` names a source with a
key whose values `x` can equal. The contracts come out bound, ready to verify against data."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import assert_never

from metricsmith.check.bind import Binder
from metricsmith.check.suggest import did_you_mean
from metricsmith.check.typing_rules import comparable
from metricsmith.errors import Diagnostic
from metricsmith.model import decl as d
from metricsmith.model import expr as e
from metricsmith.model.bound import BExpr
from metricsmith.model.contracts import Contract, ContractKind
from metricsmith.model.span import Span
from metricsmith.model.types import Type

_LENIENT = (Type.BOOLEAN, Type.NULL, Type.UNKNOWN)


def source_contracts(
    decl: d.SourceDecl,
    binder: Binder,
    key_types: Mapping[str, Type | None],
    columns: Collection[str],
) -> tuple[tuple[Contract, ...], list[Diagnostic]]:
    """The contracts of one source: its key's uniqueness (when the key is a known column) and
    each `expect`. `key_types` maps every source to the type of its key (None: no key);
    `columns` holds this source's physical and derived column names."""
    resolver = _Resolver(decl.name.name, binder, key_types)
    contracts = []
    if decl.key is not None and decl.key.name in columns:
        contracts.append(resolver.key(decl.key))
    for expectation in decl.expectations:
        contract = resolver.resolve(expectation)
        if contract is not None:
            contracts.append(contract)
    return tuple(dict.fromkeys(contracts)), resolver.found


class _Resolver:
    def __init__(self, source: str, binder: Binder, key_types: Mapping[str, Type | None]):
        self.source = source
        self.binder = binder
        self.key_types = key_types
        self.found: list[Diagnostic] = []

    def resolve(self, expectation: d.Expectation) -> Contract | None:
        match expectation:
            case d.ExpectUnique():
                return self.unique(expectation)
            case d.ExpectIn():
                return self.membership(expectation)
            case d.ExpectCondition():
                return self.condition(expectation)
            case _:
                assert_never(expectation)

    def key(self, ident: d.Ident) -> Contract:
        value = self.binder.bind_row(_name(ident.name, ident.span), self.source)
        return Contract(
            source=self.source,
            kind=ContractKind.KEY,
            text=f"key {ident.name}",
            values=((ident.name, value),),
            span=ident.span,
        )

    def unique(self, expectation: d.ExpectUnique) -> Contract | None:
        bound = self._bind_all([_name(c.name, c.span) for c in expectation.columns])
        if bound is None:
            return None
        return self._contract(expectation, ContractKind.UNIQUE, bound)

    def membership(self, expectation: d.ExpectIn) -> Contract | None:
        target = expectation.target
        if self._aggregates_in(expectation.value):
            return None
        bound = self._bind_all([expectation.value])
        if target.name not in self.key_types:
            self._problem(
                "unknown-name",
                f"`expect … in {target.name}`: there is no source `{target.name}`",
                target.span,
                did_you_mean(target.name, self.key_types) or "name a source with a key",
            )
            return None
        key_type = self.key_types[target.name]
        if key_type is None:
            self._problem(
                "no-key",
                f"`{target.name}` has no key, so no value can be one of its keys",
                target.span,
                f"declare the key of `{target.name}`: `key <column>`",
            )
            return None
        if bound is None:
            return None
        value = bound[0][1]
        if not comparable(value.type, key_type):
            self._problem(
                "type",
                f"`{bound[0][0]}` is {value.type} but the key of `{target.name}` is "
                f"{key_type}: no value could match",
                expectation.value.span,
                f"expect a column holding `{target.name}` keys",
            )
            return None
        return self._contract(expectation, ContractKind.IN, bound, target=target.name)

    def condition(self, expectation: d.ExpectCondition) -> Contract | None:
        if self._aggregates_in(expectation.condition):
            return None
        before = len(self.binder.diagnostics)
        formula = self.binder.bind_row(expectation.condition, self.source)
        if len(self.binder.diagnostics) > before:
            return None
        if formula.type not in _LENIENT:
            self._problem(
                "type",
                f"`expect` needs a condition that is true or false, not {formula.type}",
                expectation.condition.span,
                "compare the value, e.g. `expect mrr >= 0`, or `expect mrr is not null`",
            )
            return None
        names = {name.dotted: name for name in _names(expectation.condition)}
        shown = self._bind_all(list(names.values())) or ()
        return self._contract(expectation, ContractKind.CONDITION, shown, condition=formula)

    def _aggregates_in(self, formula: e.Expr) -> bool:
        """Report the aggregates of a formula: a contract is about each row, one at a time."""
        calls = [
            node
            for node in e.walk(formula)
            if isinstance(node, e.Call) and (node.name in self.binder.aggregates or node.per)
        ]
        for call in calls:
            self._problem(
                "aggregate-in-contract",
                f"`{call.name}` is an aggregate, but a contract holds for each row of "
                f"`{self.source}`",
                call.span,
                "write the condition over the row's columns; a promise about totals is a "
                "metric with a target",
            )
        return bool(calls)

    def _bind_all(self, formulas: list[e.Expr]) -> tuple[tuple[str, BExpr], ...] | None:
        """Each formula bound with its text as label; None when any does not bind."""
        before = len(self.binder.diagnostics)
        bound = tuple((_label(f), self.binder.bind_row(f, self.source)) for f in formulas)
        return bound if len(self.binder.diagnostics) == before else None

    def _contract(self, expectation, kind, values, **more) -> Contract:
        return Contract(
            source=self.source,
            kind=kind,
            text=_text(expectation.span),
            values=values,
            span=expectation.span,
            **more,
        )

    def _problem(self, code: str, message: str, span: Span, hint: str | None) -> None:
        self.found.append(Diagnostic(code=code, message=message, span=span, hint=hint))


def _name(column: str, span: Span) -> e.Name:
    return e.Name(parts=(column,), span=span)


def _names(condition: e.Expr) -> list[e.Name]:
    """The names a condition mentions, in the order written (what an example row shows)."""
    return [node for node in e.walk(condition) if isinstance(node, e.Name)]


def _label(formula: e.Expr) -> str:
    return formula.dotted if isinstance(formula, e.Name) else _text(formula.span)


def _text(span: Span) -> str:
    """The text a span covers, on one line (a contract may be written over several)."""
    lines = span.source.text.splitlines()[span.line - 1 : span.end_line]
    if not lines:
        return ""
    lines[-1] = lines[-1][: span.end_column - 1]
    lines[0] = lines[0][span.column - 1 :]
    return " ".join(line.strip() for line in lines)
