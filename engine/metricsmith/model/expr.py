"""Expression nodes as written by the metric author (names not yet resolved).

Every node is frozen and carries the span of the text it came from, so later stages can point
at the exact place a problem is.
"""

from __future__ import annotations

from typing import Union, assert_never

from attrs import frozen

from metricsmith.model.span import Span
from metricsmith.model.time import Grain, WindowKind
from metricsmith.model.types import Type


@frozen(kw_only=True)
class Literal:
    """A constant: number, string, boolean, null, date, timestamp or duration."""

    value: object
    type: Type
    span: Span


@frozen(kw_only=True)
class Name:
    """A possibly dotted name: a metric, a column, `source.column` or a source itself."""

    parts: tuple[str, ...]
    span: Span

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@frozen(kw_only=True)
class Parameter:
    """`$window`: the value of a declared parameter, set per query (its default otherwise).
    A node of its own, typed by its declaration, never text put into the formula."""

    name: str
    span: Span


@frozen(kw_only=True)
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    span: Span


@frozen(kw_only=True)
class Binary:
    op: str  # + - * / == != < <= > >= and or
    left: Expr
    right: Expr
    span: Span


@frozen(kw_only=True)
class IsNull:
    operand: Expr
    negated: bool
    span: Span


@frozen(kw_only=True)
class InList:
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool
    span: Span


@frozen(kw_only=True)
class Case:
    whens: tuple[tuple[Expr, Expr], ...]
    default: Expr | None
    span: Span


@frozen(kw_only=True)
class Call:
    """A function call. Whether it is a scalar function or an aggregate is decided by the
    function registry, not by the grammar, so plugins can add either kind."""

    name: str
    args: tuple[Expr, ...]
    where: Expr | None
    per: Per | None
    span: Span
    name_span: Span


@frozen(kw_only=True)
class Per:
    """`per <entity or sub-period> [: expr]` inside an aggregate call."""

    target: str
    body: Expr | None
    span: Span


@frozen(kw_only=True)
class Offset:
    """`expr[-k]`: the value k periods earlier at the query grain."""

    operand: Expr
    periods: int
    span: Span


@frozen(kw_only=True)
class Window:
    """`expr over last N unit`, `expr over month to date`, `expr over all time`; N may be a
    parameter (`over last $days days`)."""

    operand: Expr
    kind: WindowKind
    count: int | Parameter | None
    unit: Grain | None
    span: Span


@frozen(kw_only=True)
class At:
    """`aggregate at <column>`: the aggregate's rows placed in periods by `column` (a column
    of its source, or one reached through its links) instead of the source's `time`."""

    operand: Expr
    column: Name
    span: Span


@frozen(kw_only=True)
class Conversion:
    """`conversions(base [where c] -> [all] target [where c] within <duration>)` (and
    `conversion_rate(...)`): the rows of `target` that follow a row of `base` of the same
    entity within the window, credited to the base row's period (docs/language.md,
    "Conversions and attribution windows"). `every`: all of them, not just each base row's
    first conversion."""

    function: str
    base: Expr
    base_where: Expr | None
    target: Expr
    target_where: Expr | None
    within: Expr
    every: bool
    span: Span
    name_span: Span


Expr = Union[  # noqa: UP007
    Literal,
    Name,
    Parameter,
    Unary,
    Binary,
    IsNull,
    InList,
    Case,
    Call,
    Offset,
    Window,
    At,
    Conversion,
]


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of a node, in source order."""
    match node:
        case Unary(operand=o) | IsNull(operand=o) | Offset(operand=o) | Window(operand=o):
            return (o,)
        case Binary(left=left, right=right):
            return (left, right)
        case InList(operand=o, items=items):
            return (o, *items)
        case Case(whens=whens, default=default):
            flat = [e for pair in whens for e in pair]
            return (*flat, default) if default is not None else tuple(flat)
        case Call(args=args, where=where, per=per):
            extra = [e for e in (per.body if per else None, where) if e is not None]
            return (*args, *extra)
        # The names of sources and columns these place rows by are not formulas.
        case At(operand=operand):
            return (operand,)
        case Conversion(base_where=base_where, target_where=target_where, within=within):
            return tuple(e for e in (base_where, target_where, within) if e is not None)
        case Literal() | Name() | Parameter():
            return ()
        case _:
            assert_never(node)


#: How deeply formulas may nest, counting every operator, call and `case` and the levels of the
#: formulas they name (docs/language.md, "Limits"): the engines recurse over formulas and SQL
#: generation runs out of Python's stack a little beyond 150 levels.
MAX_NESTING = 100


def deeper_than(node: Expr, limit: int) -> Expr | None:
    """A node nested more than `limit` levels deep (`node` itself is level 1), or None.
    Iterative, so a tree of any depth is measured without recursion."""
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        if level > limit:
            return current
        stack += [(child, level + 1) for child in children(current)]
    return None


def walk(node: Expr):
    """Every node of the tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)
