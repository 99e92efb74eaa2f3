"""The link paths a grouped pass joins: those its bound row formulas follow from its root."""

from __future__ import annotations

from collections.abc import Iterable

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import QueryError
from metricsmith.model import bound as b
from metricsmith.plan.nodes import Join


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
