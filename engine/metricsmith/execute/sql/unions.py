"""Set operations over several selects."""

from __future__ import annotations

import functools

from sqlglot import exp


def union(selects: list[exp.Select], *, distinct: bool) -> exp.Expression:
    """The selects' rows together (sqlglot before 26 unions two expressions at a time)."""
    return functools.reduce(lambda left, right: exp.union(left, right, distinct=distinct), selects)
