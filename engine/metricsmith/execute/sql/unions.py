"""Set operations over several selects."""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp


def union(selects: Sequence[exp.Select], *, distinct: bool) -> exp.Select | exp.Union:
    """The selects' rows together (sqlglot before 26 unions two expressions at a time)."""
    result: exp.Select | exp.Union = selects[0]
    for select in selects[1:]:
        result = exp.union(result, select, distinct=distinct)
    return result
