"""Entities: what `per <name>` iterates over, and how each source's rows name one.

An entity is either a source with a key (`per account` or `per accounts` both name the source
`accounts`), an identifier column declared `entity user_id as user` in one or more sources, or
a finer period (`per day`, `per week`) inside the current one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from attrs import frozen

from metricsmith.check.links import LinkGraph
from metricsmith.model.bound import BExpr, Entity, EntityKind, rebase
from metricsmith.model.time import SUB_PERIODS


@frozen
class EntityCatalog:
    #: source name → its key column, for sources that have one
    keys: Mapping[str, str]
    #: entity name → {source: identifier column}
    identities: Mapping[str, Mapping[str, str]]
    graph: LinkGraph
    #: (source, column) → the column's value for each row of the source: the column itself,
    #: or a derived column's formula (a key or identifier may be derived)
    column_value: Callable[[str, str], BExpr]

    def resolve(self, name: str) -> Entity | None:
        if name in SUB_PERIODS:
            return Entity(name=name, kind=EntityKind.PERIOD)
        source = key_source(name, self.keys)
        if source is not None:
            return Entity(name=name, kind=EntityKind.KEY, source=source, column=self.keys[source])
        if name in self.identities:
            return Entity(name=name, kind=EntityKind.IDENTIFIER)
        return None

    def names(self) -> list[str]:
        return [*self.keys, *self.identities, *SUB_PERIODS]

    def value(self, entity: Entity, root: str) -> BExpr | None:
        """The row formula naming, for each row of `root`, the entity the row belongs to; None
        when rows of `root` cannot be attributed to the entity."""
        if entity.kind is EntityKind.KEY:
            assert entity.source is not None and entity.column is not None
            path = self.graph.path(root, entity.source)
            if path is None:
                return None
            if not path:
                return self._column(root, (), entity.column)
            # The last link column already holds the key; no need to join the key source.
            before = self._walk(root, path[:-1])
            return self._column(before, path[:-1], path[-1])
        if entity.kind is EntityKind.IDENTIFIER:
            owners = self.identities[entity.name]
            for source, column in owners.items():
                path = self.graph.path(root, source)
                if path is not None:
                    return self._column(source, path, column)
        return None

    def _walk(self, root: str, path: tuple[str, ...]) -> str:
        here = root
        for column in path:
            here = self.graph.links[here][column]
        return here

    def _column(self, source: str, path: tuple[str, ...], column: str) -> BExpr:
        return rebase(self.column_value(source, column), path)


def key_source(name: str, keys: Mapping[str, object]) -> str | None:
    """The source with a key that `per <name>` iterates over (`account` or `accounts` for
    `accounts`), if any: it comes before an identifier of the same name."""
    for source in (name, f"{name}s", f"{name}es"):
        if source in keys:
            return source
    return None
