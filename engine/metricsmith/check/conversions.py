"""Binding the constructs that credit rows to another time than their own (docs/language.md,
"Conversions and attribution windows").

`count(x) at <column>` places an aggregate's rows by another time column of its source, or
one reached through its links. A conversion is bound to aggregates over the conversion
source placed at the base row's time, which that source reaches through its links:

    conversions(accounts -> subscriptions within 30 days)
      = count_distinct(subscriptions.<accounts' key> where <in the window>)
        at accounts.signed_up_at
    conversion_rate(...) = conversions(...) / count(accounts)

so every engine computes them with the passes it already has.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from metricsmith.check.checked import Need
from metricsmith.model import bound as b
from metricsmith.model import expr as e
from metricsmith.model.span import Span
from metricsmith.model.types import Type

if TYPE_CHECKING:
    from metricsmith.check.bind import Binder

#: The time types rows may be placed by.
TIMES = (Type.TIMESTAMP, Type.DATE)
#: The conversion functions: the count, and the count over the base rows.
CONVERSION_FUNCTIONS = ("conversions", "conversion_rate")
_EXAMPLE = "conversions(accounts -> subscriptions within 30 days)"


def bind_at(binder: Binder, node: e.At, root: str | None) -> b.BExpr:
    """`aggregate at column`: the aggregate with its rows placed by `column`."""
    operand = (
        binder.bind_metric(node.operand) if root is None else binder.bind_row(node.operand, root)
    )
    if operand.type == Type.UNKNOWN:
        return operand
    if not isinstance(operand, b.BAggregate):
        binder.error(
            "bad-placement",
            "`at` places the rows of an aggregate, e.g. `count(events) at signup_at`",
            node.span,
            "write `at <time column>` right after the aggregate's closing parenthesis "
            "(before any `over` window)",
        )
        return binder.unknown(node)
    decl = binder.source_decls.get(operand.source)
    if decl is not None and decl.validity is not None:
        binder.error(
            "bad-placement",
            f"`{operand.source}` is a state source: its rows are placed by their validity, "
            "not by one time column",
            node.column.span,
            "place rows of an event source (one with `time`, or none)",
        )
        return binder.unknown(node)
    time = placement(binder, operand.source, node.column.parts, node.column.span)
    if time is None:
        return binder.unknown(node)
    # Everything else of the aggregate stays, its ordering too: `last(x) at col` is the
    # latest value by the source's own time, among the rows `col` places in the period.
    return attrs.evolve(operand, time=time, span=node.span)


def placement(binder: Binder, root: str, parts: tuple[str, ...], span: Span) -> str | None:
    """The name rows of `root` are placed by for the time column `parts` (a column of `root`,
    or `source.column` through its links, registered in `binder.placements`); None after
    reporting a problem."""
    name = ".".join(parts)
    value = binder.bind_row(e.Name(parts=parts, span=span), root)
    if value.type == Type.UNKNOWN:
        return None
    if value.type not in TIMES:
        binder.error(
            "bad-placement",
            f"`{name}` is a {value.type}, not a time: rows are placed in periods by a "
            "timestamp or a date",
            span,
            "name a timestamp or date column",
        )
        return None
    if len(parts) > 1:
        binder.placements.setdefault(root, {})[name] = value
    return name


def bind_conversion(binder: Binder, node: e.Conversion, root: str | None) -> b.BExpr:
    if root is not None:
        binder.error(
            "bad-conversion",
            f"`{node.function}` counts rows of sources; it cannot be used in a row formula",
            node.span,
            "define the conversion as a metric of its own and use it at metric level",
        )
        return binder.unknown(node)
    if node.function not in CONVERSION_FUNCTIONS:
        binder.error(
            "bad-conversion",
            f"`{node.function}(... -> ...)` is not a conversion function",
            node.name_span,
            "write `conversions(...)` for the count or `conversion_rate(...)` for the share "
            "of base rows that convert",
        )
        return binder.unknown(node)
    base = _base(binder, node.base)
    target = _target(binder, node.target)
    window = _window(binder, node.within)
    if base is None or target is None or window is None:
        return binder.unknown(node)
    base_source, key, base_time = base
    length, settles, parameter = window
    target_source, target_time = target
    path = binder.graph.path(target_source, base_source)
    if path is None or not path:
        binder.error(
            "bad-conversion",
            f"rows of `{target_source}` do not say which `{base_source}` row they follow: "
            f"a conversion needs a link from `{target_source}` to `{base_source}`",
            node.target.span,
            f"declare `entity <column> -> {base_source}` in source `{target_source}`",
        )
        return binder.unknown(node)
    started = b.rebase(binder.column_value(base_source, base_time), path)
    converted = binder.column_value(target_source, target_time)
    span = node.span
    conditions = [
        _condition(binder, node.target_where, target_source),
        _rebased(_condition(binder, node.base_where, base_source), path),
        *_within(started, converted, length, span),
    ]
    where = _all(conditions, span)
    time = placement(binder, target_source, (base_source, base_time), node.base.span)
    if time is None:
        return binder.unknown(node)
    entity = b.rebase(binder.column_value(base_source, key), path)
    count = b.BAggregate(
        function="count" if node.every else "count_distinct",
        source=target_source,
        arg=None if node.every else entity,
        params=(),
        where=where,
        type=Type.INTEGER,
        time=time,
        settles=settles,
        settles_parameter=parameter,
        span=span,
    )
    if node.function == "conversions":
        return count
    bases = b.BAggregate(
        function="count",
        source=base_source,
        arg=None,
        params=(),
        where=_condition(binder, node.base_where, base_source),
        type=Type.INTEGER,
        span=span,
    )
    return b.BBinary(op="/", left=count, right=bases, type=Type.FLOAT, span=span)


def _base(binder: Binder, node: e.Expr) -> tuple[str, str, str] | None:
    """The base source, its key and its time."""
    source = _source(binder, node, "base")
    if source is None:
        return None
    decl = binder.source_decls[source]
    if decl.key is None or decl.time is None or decl.validity is not None:
        binder.error(
            "bad-conversion",
            f"`{source}` cannot be a conversion's base: a base is a source with a `key` and "
            "a `time` (one row per entity, from when it starts: a sign-up, a trial)",
            node.span,
            f"declare `key <column>` and `time <column>` in source `{source}`",
        )
        return None
    if binder.column_value(source, decl.time.name).type not in TIMES:
        return None  # reported at the source's `time`
    return source, decl.key.name, decl.time.name


def _target(binder: Binder, node: e.Expr) -> tuple[str, str] | None:
    """The conversion source and its time: its `time`, or when each row of a state source
    starts (a subscription converts when it starts)."""
    source = _source(binder, node, "conversion")
    if source is None:
        return None
    decl = binder.source_decls[source]
    time = decl.validity.start if decl.validity is not None else decl.time
    if time is None:
        binder.error(
            "bad-conversion",
            f"`{source}` has no `time`: a conversion's window is measured from the base "
            "row's time to the conversion row's",
            node.span,
            f"declare `time <column>` in source `{source}`",
        )
        return None
    if binder.column_value(source, time.name).type not in TIMES:
        return None  # reported at the source's `time`
    return source, time.name


def _source(binder: Binder, node: e.Expr, side: str) -> str | None:
    if isinstance(node, e.Name) and len(node.parts) == 1:
        name = node.parts[0]
        if name in binder.sources:
            return name
        if binder._absent(name):  # a library metric the project lacks the source of
            binder._lacks(Need(source=name))
            return None
    binder.error(
        "bad-conversion",
        f"a conversion's {side} is a source, not `{node.span.text}`",
        node.span,
        f"for example: {_EXAMPLE}",
    )
    return None


def _window(
    binder: Binder, node: e.Expr
) -> tuple[b.BLiteral | b.BParameter, dt.timedelta, str | None] | None:
    """The window's length as the conversion's condition reads it, its value, and the
    parameter setting it, if one does (`within $window`: the value is its default until the
    query's replaces it)."""
    if isinstance(node, e.Parameter):
        info = binder.parameter(node, Type.DURATION)
        if info is None or not isinstance(info.default, dt.timedelta):
            return None  # reported here, or at the declaration's default
        if info.default <= dt.timedelta(0):
            binder.error(
                "bad-conversion",
                f"a conversion window is a positive duration: `${info.name}` defaults to "
                f"{info.default}",
                node.span,
                f"give `{info.name}` a positive default, e.g. `= 30 days`",
            )
            return None
        length = b.BParameter(name=info.name, type=Type.DURATION, span=node.span)
        return length, info.default, info.name
    value = node.value if isinstance(node, e.Literal) else None
    if isinstance(node, e.Literal) and node.type == Type.DURATION:
        if isinstance(value, dt.timedelta) and value > dt.timedelta(0):
            return b.BLiteral(value=value, type=Type.DURATION, span=node.span), value, None
        if value is None:
            return None  # reported where it was read
    binder.error(
        "bad-conversion",
        f"a conversion window is a positive duration, not `{node.span.text}`",
        node.span,
        "write `within 30 days` (seconds to weeks) or `within $window` (a duration parameter)",
    )
    return None


def _condition(binder: Binder, node: e.Expr | None, root: str) -> b.BExpr | None:
    return None if node is None else binder._condition(node, root)


def _rebased(node: b.BExpr | None, path: tuple[str, ...]) -> b.BExpr | None:
    return None if node is None else b.rebase(node, path)


def _within(
    started: b.BExpr, converted: b.BExpr, length: b.BExpr, span: Span
) -> tuple[b.BExpr, b.BExpr]:
    """`started <= converted <= started + length`: at or after the base row, and no later
    than the window's length after it."""
    closes = b.BBinary(op="+", left=started, right=length, type=Type.TIMESTAMP, span=span)
    return (
        b.BBinary(op=">=", left=converted, right=started, type=Type.BOOLEAN, span=span),
        b.BBinary(op="<=", left=converted, right=closes, type=Type.BOOLEAN, span=span),
    )


def _all(conditions: list[b.BExpr | None], span: Span) -> b.BExpr:
    present = [c for c in conditions if c is not None]
    result = present[0]
    for condition in present[1:]:
        result = b.BBinary(op="and", left=result, right=condition, type=Type.BOOLEAN, span=span)
    return result
