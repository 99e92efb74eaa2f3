"""Resolved, typed expressions: what the checker produces and the planner consumes.

Names are resolved (a column of a source reached through entity links, or another metric),
derived columns are inlined, and every node knows its type. Spans do not take part in equality,
so two aggregates written identically in different places are the same aggregate and are
computed once.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any, Union, assert_never

from attrs import evolve, field, fields, frozen

from metricsmith.model.span import NO_SPAN, Span
from metricsmith.model.time import Grain, WindowKind
from metricsmith.model.types import Type

_span = field(eq=False, repr=False, default=NO_SPAN)


@frozen(kw_only=True)
class BLiteral:
    value: object
    type: Type
    span: Span = _span


@frozen(kw_only=True)
class BParameter:
    """A declared parameter's value (`$plan`), of its declared type: the plan carries the
    query's values (`Plan.parameters`), the Arrow engine reads them and the SQL engines bind
    them to a placeholder."""

    name: str
    type: Type
    span: Span = _span


@frozen(kw_only=True)
class BColumn:
    """A physical column. `path` is the chain of link columns followed from the aggregate's
    root source to reach `source` (empty when the column belongs to the root itself)."""

    source: str
    path: tuple[str, ...]
    column: str
    type: Type
    span: Span = _span


@frozen(kw_only=True)
class BUnary:
    op: str
    operand: BExpr
    type: Type
    span: Span = _span


@frozen(kw_only=True)
class BBinary:
    op: str
    left: BExpr
    right: BExpr
    type: Type
    span: Span = _span


@frozen(kw_only=True)
class BIsNull:
    operand: BExpr
    negated: bool
    type: Type = Type.BOOLEAN
    span: Span = _span


@frozen(kw_only=True)
class BInList:
    operand: BExpr
    items: tuple[BExpr, ...]
    negated: bool
    type: Type = Type.BOOLEAN
    span: Span = _span


@frozen(kw_only=True)
class BCase:
    whens: tuple[tuple[BExpr, BExpr], ...]
    default: BExpr | None
    type: Type
    span: Span = _span


@frozen(kw_only=True)
class BCall:
    """A scalar function call, by registered function name."""

    function: str
    args: tuple[BExpr, ...]
    type: Type
    span: Span = _span


@frozen(kw_only=True)
class BAggregate:
    """An aggregate over the rows of `source` (the root). `arg` is the row expression to
    aggregate (None for `count(source)`), `params` constant extra arguments such as a
    percentile's fraction, and `where` the row filter. An ordered aggregate (`last`, `max_by`,
    see `AggregateFunction.ordering`) returns `arg` at the row where `order` is largest (or
    smallest): the source's time column for `last` and `first`, the second argument, as
    `order_written` says, for `max_by` and `min_by`.

    `time` names the column of the root that places its rows in periods instead of the
    source's `time` (`count(events) at signup_at`, and conversions, which place a conversion
    at its base event's time; `SourceInfo.value_of` reads it). `settles`: the value of a
    period is final only that long after the period's end (a conversion window), so a period
    more recent than that is immature and its value null (docs/language.md, "Conversions and
    attribution windows"). `settles_parameter`: the parameter setting that window's length
    (`within $window`); `settles` holds its default until the query's value replaces it, in
    `settles` and in `where` (check/query.py), before planning."""

    function: str
    source: str
    arg: BExpr | None
    params: tuple[float, ...]
    where: BExpr | None
    type: Type
    order: BExpr | None = None
    order_written: bool = False
    time: str | None = None
    settles: dt.timedelta | None = None
    settles_parameter: str | None = None
    span: Span = _span


@frozen(kw_only=True)
class BMetric:
    """A reference to another metric, expanded by the planner."""

    name: str
    type: Type
    span: Span = _span


class EntityKind(StrEnum):
    """What kind of thing a `per` iterates over: the rows of a source with a key (`KEY`), the
    distinct values of columns declared `entity <column> as <name>` (`IDENTIFIER`), or the
    finer periods inside the current one (`PERIOD`)."""

    KEY = "key"
    IDENTIFIER = "identifier"
    PERIOD = "period"


@frozen
class Entity:
    """What a `per` iterates over: for a `KEY`, the rows of `source` identified by its key
    `column`; for a `PERIOD`, `name` is the grain."""

    name: str
    kind: EntityKind
    source: str | None = None
    column: str | None = None


class OffsetUnit(StrEnum):
    """What an offset counts other than the grain's periods: calendar years, whatever the
    grain (`same_period_last_year`), or the way back to the cell's cohort (`cohort_start`)."""

    YEAR = "year"
    COHORT = "cohort"


@frozen(kw_only=True)
class BOffset:
    """`operand[-periods]`: the operand's value `periods` grains earlier, all else equal.
    With `unit` YEAR, the offset is that many calendar years whatever the grain; with `unit`
    COHORT, the value at age 0 of the cell's cohort (`periods` is then unused)."""

    operand: BExpr
    periods: int
    type: Type
    unit: OffsetUnit | None = None
    span: Span = _span


@frozen(kw_only=True)
class BWindow:
    """An aggregate read over a window ending at each period's end instead of the period:
    `last` N units, `to_date` (from the start of the calendar `unit`), or `all_time`."""

    operand: BAggregate
    kind: WindowKind
    count: int | None
    unit: Grain | None
    type: Type
    #: The parameter setting `count` per query (`over last $days days`); `count` holds its
    #: default until the query's value replaces it (check/query.py), before planning.
    count_parameter: str | None = None
    span: Span = _span


@frozen(kw_only=True)
class BPer:
    """`function(per entity [: body] [where condition])`: `body` and `where` are metric-level
    formulas evaluated once per entity value (their aggregates restricted to that entity),
    then combined with the aggregate `function`. No body means count the entities."""

    function: str
    entity: Entity
    body: BExpr | None
    where: BExpr | None
    params: tuple[float, ...]
    type: Type
    span: Span = _span


BExpr = Union[  # noqa: UP007
    BLiteral,
    BParameter,
    BColumn,
    BUnary,
    BBinary,
    BIsNull,
    BInList,
    BCase,
    BCall,
    BAggregate,
    BMetric,
    BOffset,
    BWindow,
    BPer,
]


def bchildren(node: BExpr) -> tuple[BExpr, ...]:
    match node:
        case BUnary(operand=o) | BIsNull(operand=o) | BOffset(operand=o) | BWindow(operand=o):
            return (o,)
        case BPer(body=body, where=where):
            return tuple(e for e in (body, where) if e is not None)
        case BBinary(left=left, right=right):
            return (left, right)
        case BInList(operand=o, items=items):
            return (o, *items)
        case BCase(whens=whens, default=default):
            flat = [e for pair in whens for e in pair]
            return (*flat, default) if default is not None else tuple(flat)
        case BCall(args=args):
            return args
        case BAggregate(arg=arg, where=where, order=order):
            return tuple(e for e in (arg, where, order) if e is not None)
        case BLiteral() | BParameter() | BColumn() | BMetric():
            return ()
        case _:
            assert_never(node)


def bwalk(node: BExpr) -> Iterator[BExpr]:
    yield node
    for child in bchildren(node):
        yield from bwalk(child)


def bmap(node: BExpr, fn: Callable[[BExpr], BExpr]) -> BExpr:
    """Rebuild a tree bottom-up, replacing each node by `fn(node with mapped children)`."""
    # Any: the fields rebuilt differ in type (a node, a tuple of nodes, a tuple of pairs).
    changes: dict[str, Any] = {}
    for f in fields(type(node)):
        value = getattr(node, f.name)
        if isinstance(value, _NODE_TYPES):
            changes[f.name] = bmap(value, fn)
        elif isinstance(value, tuple) and value and isinstance(value[0], tuple):
            changes[f.name] = tuple(tuple(bmap(v, fn) for v in pair) for pair in value)
        elif isinstance(value, tuple) and value and isinstance(value[0], _NODE_TYPES):
            changes[f.name] = tuple(bmap(v, fn) for v in value)
    return fn(evolve(node, **changes) if changes else node)


_NODE_TYPES = typing.get_args(BExpr)


def rebase(node: BExpr, path: tuple[str, ...]) -> BExpr:
    """A row formula bound at the end of `path`, re-rooted at the start of the path."""
    if not path:
        return node

    def prefix(sub: BExpr) -> BExpr:
        if isinstance(sub, BColumn):
            return evolve(sub, path=(*path, *sub.path))
        return sub

    return bmap(node, prefix)
