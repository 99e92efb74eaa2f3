"""Entity links between sources: many-to-one paths, and the one-to-many ones we refuse."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from attrs import frozen


@frozen
class LinkGraph:
    """`links[source][column] = target`: each row of `source` names one row of `target`."""

    links: Mapping[str, Mapping[str, str]]

    def path(self, start: str, goal: str) -> tuple[str, ...] | None:
        """The link columns to follow from `start` to `goal` (shortest, first declared), or
        None when `goal` cannot be reached through many-to-one links."""
        if start == goal:
            return ()
        seen = {start}
        queue: deque[tuple[str, tuple[str, ...]]] = deque([(start, ())])
        while queue:
            here, path = queue.popleft()
            for column, target in self.links.get(here, {}).items():
                if target in seen:
                    continue
                if target == goal:
                    return (*path, column)
                seen.add(target)
                queue.append((target, (*path, column)))
        return None

    def describe(self, start: str, path: tuple[str, ...]) -> str:
        """`tickets.account_id → accounts.region_id → regions`"""
        parts, here = [], start
        for column in path:
            parts.append(f"{here}.{column}")
            here = self.links[here][column]
        return " → ".join([*parts, here])

    def fan_out_message(self, start: str, goal: str) -> str | None:
        """Why `goal` cannot be joined to rows of `start`, when the only connection runs the
        other way (one-to-many), naming that path; None when they are not connected at all."""
        backwards = self.path(goal, start)
        if backwards is None:
            return None
        return (
            f"joining `{goal}` onto rows of `{start}` would fan out: the link runs "
            f"{self.describe(goal, backwards)}, so one `{start}` row matches many `{goal}` rows"
        )
