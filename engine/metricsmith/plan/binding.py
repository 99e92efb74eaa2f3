"""Binding a query's dimensions and filters against the rows one grouped pass reads, and the
link paths they follow."""

from __future__ import annotations

from collections.abc import Iterable

from metricsmith.check.bind import bind_row, source_text
from metricsmith.check.checked import CheckedProject
from metricsmith.check.links import LinkGraph
from metricsmith.errors import QueryError
from metricsmith.model import bound as b
from metricsmith.model.expr import Expr
from metricsmith.model.types import Type
from metricsmith.plan.nodes import Join


class RowBinding:
    """Binds a query's dimensions and filters against one root source, explaining failures
    in terms of what needs the root (`subject`, e.g. "metric `x` aggregates rows of `y`", said
    of `who`, e.g. "metric `x`")."""

    def __init__(self, project: CheckedProject, root: str, subject: str, who: str):
        self.project = project
        self.root = root
        self.subject = subject
        self.who = who
        self.graph = LinkGraph({name: info.links for name, info in project.sources.items()})

    def _cannot(self, what: str, detail: str) -> QueryError:
        return QueryError(
            f"{self.subject}, which cannot be {what}:\n{detail}",
            hint=f"slice and filter {self.who} only by columns of `{self.root}` or of "
            f"sources its entity links reach",
        )

    def dimension(self, label: str, formula: Expr) -> b.BExpr:
        what = f"sliced by `{label}`"
        named = self.project.dimensions.get(label)
        if named is None:
            return self._bind(formula, self.root, what)
        assert named.source is not None, "per-entity dimensions are not bound to rows"
        # A named dimension reads its own source: bind it there, then reach that source from
        # the root through entity links.
        path = self.graph.path(self.root, named.source)
        if path is None:
            detail = self.graph.fan_out_message(self.root, named.source) or (
                f"dimension `{label}` reads `{named.source}`, which no entity link leads to "
                f"from `{self.root}`"
            )
            raise self._cannot(what, detail)
        return b.rebase(self._bind(named.decl.expr, named.source, what), path)

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


def columns_of(nodes: Iterable[b.BExpr]) -> list[b.BColumn]:
    return [n for node in nodes for n in b.bwalk(node) if isinstance(n, b.BColumn)]


def joins_for(project: CheckedProject, root: str, nodes: Iterable[b.BExpr]) -> tuple[Join, ...]:
    """Every link path (and each of its prefixes) the nodes follow from `root`."""
    joins: dict[tuple[str, ...], Join] = {}
    for column in columns_of(nodes):
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
