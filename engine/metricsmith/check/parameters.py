"""Parameters: their declarations checked, and the values a query gives them.

`parameter window: duration = 30 days` declares a name, a type and a default; formulas read it
as `$window` (a `BParameter` node of the declared type, bound in check/bind.py). A query sets
values by name (`--param window=14d`, `params={"window": timedelta(days=14)}`): each is checked
against the declared type here, once, so the planner and the engines only ever see a value of
the right Python type for the language type (model/types.py).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

import attrs
from attrs import frozen

from metricsmith.check.suggest import did_you_mean
from metricsmith.dsl.lower import DURATION_UNITS, MAX_DURATION, MAX_WINDOW, MAX_YEARS, singular
from metricsmith.errors import Diagnostic, QueryError
from metricsmith.model import expr as e
from metricsmith.model.decl import MetricDecl, ParameterDecl
from metricsmith.model.span import Span
from metricsmith.model.time import Grain
from metricsmith.model.types import INTEGER_RANGE, TYPE_NAMES, Type


@frozen(kw_only=True)
class ParameterInfo:
    """A checked parameter: its type, and its default as a value of that type."""

    name: str
    type: Type
    default: object
    span: Span


#: How a value of each type is written on the command line, for messages.
EXAMPLES: dict[Type, str] = {
    Type.INTEGER: "a whole number such as 5",
    Type.FLOAT: "a number such as 0.25",
    Type.DECIMAL: "a number such as 19.99",
    Type.STRING: "any text",
    Type.BOOLEAN: "true or false",
    Type.DATE: "a date such as 2024-01-31",
    Type.TIMESTAMP: "a timestamp such as 2024-01-31T09:00:00Z",
    Type.DURATION: "a duration such as 14d, 14 days, 36h or 90 minutes",
}

#: Short duration units accepted on the command line (`14d`), besides the language's words.
_SHORT_UNITS = {"s": "second", "m": "minute", "min": "minute", "h": "hour", "d": "day"}
_SHORT_UNITS |= {"w": "week", "sec": "second", "hr": "hour"}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)")


# ---- declarations ---------------------------------------------------------------------------
def check_parameters(
    decls: Sequence[ParameterDecl],
) -> tuple[dict[str, ParameterInfo], list[Diagnostic]]:
    """The declared parameters by name, and what is wrong with their declarations: a name
    declared twice, an unknown type, a default that is not a constant of the type."""
    found: dict[str, ParameterInfo] = {}
    problems: list[Diagnostic] = []
    for decl in decls:
        name = decl.name.name
        if name in found:
            problems.append(
                Diagnostic(
                    code="duplicate-parameter",
                    message=f"parameter `${name}` is already declared at {found[name].span}",
                    span=decl.name.span,
                    hint="declare each parameter once; rename one of them",
                )
            )
            continue
        type_ = TYPE_NAMES.get(decl.type_name.name.lower())
        if type_ is None:
            problems.append(
                Diagnostic(
                    code="unknown-type",
                    message=f"unknown parameter type `{decl.type_name.name}`",
                    span=decl.type_name.span,
                    hint="use one of: " + ", ".join(sorted(TYPE_NAMES)),
                )
            )
            continue
        default, problem = _default(decl, type_)
        if problem is not None:
            problems.append(problem)
        found[name] = ParameterInfo(name=name, type=type_, default=default, span=decl.name.span)
    return found, problems


def _default(decl: ParameterDecl, type_: Type) -> tuple[object, Diagnostic | None]:
    written = decl.default
    value = _constant(written, type_)
    if value is not None:
        return value, None
    described = (
        f"`{written.span.text}` is {a_type(written.type)}"
        if isinstance(written, e.Literal) and written.type is not Type.NULL
        else f"`{written.span.text}` is not a constant"
    )
    return None, Diagnostic(
        code="parameter-type",
        message=f"parameter `${decl.name.name}` is {a_type(type_)}, but its default {described}",
        span=written.span,
        hint=f"write a default of type {type_}: {EXAMPLES[type_]}",
    )


def _constant(node: e.Expr, type_: Type) -> object | None:
    """The literal's value as a value of `type_` (an integer widens to a float or a decimal),
    or None when it is not a literal of that type."""
    if not isinstance(node, e.Literal) or node.value is None:
        return None
    if node.type is type_:
        return node.value
    if node.type is Type.INTEGER and type_ in (Type.FLOAT, Type.DECIMAL):
        return _python_value(type_, node.value)
    if node.type is Type.FLOAT and type_ is Type.DECIMAL:
        return Decimal(str(node.value))
    return None


def a_type(type_: Type) -> str:
    """`a string`, `an integer`: a type in a sentence."""
    word = str(type_)
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


# ---- a query's values -----------------------------------------------------------------------
def query_values(
    declared: Mapping[str, ParameterInfo], given: Mapping[str, object]
) -> dict[str, object]:
    """Every declared parameter's value for a query: the one `given` (text as written on the
    command line, or a Python value), else the default. An undeclared name, or a value that is
    not of the declared type, is a QueryError naming the parameter."""
    for name in given:
        if name.lstrip("$") not in declared:
            hint = did_you_mean(name.lstrip("$"), declared) or (
                "declare it with `parameter <name>: <type> = <default>`"
                if not declared
                else "the project declares " + ", ".join(f"`{n}`" for n in sorted(declared))
            )
            raise QueryError(f"unknown parameter `{name}`", hint=hint)
    values = {name: info.default for name, info in declared.items()}
    for name, value in given.items():
        info = declared[name.lstrip("$")]
        values[info.name] = parameter_value(info, value)
    return values


def parameter_value(info: ParameterInfo, value: object) -> object:
    """`value` as a value of the parameter's type: text is read as written on the command line
    (`14d`, `2024-01-31`, `true`); a Python value must already be of the type."""
    if isinstance(value, str) and not _is_utf8(value):
        # The command line hands on bytes that are not UTF-8 as lone surrogates; no engine
        # can read them, and no data holds them.
        readable = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise QueryError(
            f"parameter `{info.name}`: `{readable}` is not UTF-8 text",
            hint="give the value as UTF-8 text",
        )
    converted = (
        _parsed(info.type, value.strip())
        if isinstance(value, str) and info.type is not Type.STRING
        else _python_value(info.type, value)
    )
    if converted is None:
        shown = repr(value) if not isinstance(value, str) else f"`{value}`"
        raise QueryError(
            f"parameter `{info.name}` is {a_type(info.type)}: {shown} is not one",
            hint=f"give {EXAMPLES[info.type]}",
        )
    return converted


def window_length(name: str, value: object, unit: Grain) -> int:
    """A parameter's value as the length of a window counted in `unit`; a QueryError when it
    is not one (`window_problem`)."""
    problem = window_problem(name, value, unit)
    if problem is not None:
        raise QueryError(*problem)
    assert isinstance(value, int)
    return value


def conversion_window(name: str, value: object) -> dt.timedelta:
    """A parameter's value as the length of a conversion window (`within $window`): a
    positive duration, else a QueryError."""
    if isinstance(value, dt.timedelta) and value > dt.timedelta(0):
        return value
    raise QueryError(
        f"parameter `{name}` sets a conversion window's length to {value}; a window is a "
        "positive duration",
        f"give `{name}` a positive duration, e.g. 30d",
    )


def window_problem(name: str, value: object, unit: Grain) -> tuple[str, str] | None:
    """Why a parameter's value cannot be the length of a window counted in `unit`, and what
    to do (None: it can)."""
    longest = MAX_WINDOW.get(unit.value, MAX_YEARS)
    if isinstance(value, int) and 1 <= value <= longest:
        return None
    return (
        f"parameter `{name}` sets a window's length to {value}; a window is from 1 to "
        f"{longest:,} {unit.value}s long",
        f"give `{name}` a whole number from 1 to {longest:,}",
    )


def with_target(decl: MetricDecl, values: Mapping[str, object]) -> MetricDecl:
    """The metric with its target's value set by the parameter the target reads
    (`target >= $goal`), when `values` has one."""
    target = decl.target
    if target is None or target.parameter is None or target.parameter.name not in values:
        return decl
    value = values[target.parameter.name]
    assert isinstance(value, int | float | Decimal), "a target's parameter is a number"
    return attrs.evolve(decl, target=attrs.evolve(target, value=float(value)))


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _python_value(type_: Type, value: object) -> object | None:
    match type_:
        case Type.INTEGER:
            ok = isinstance(value, int) and not isinstance(value, bool)
            return value if ok and value in INTEGER_RANGE else None
        case Type.FLOAT:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value) if math.isfinite(value) else None
            return None
        case Type.DECIMAL:
            if isinstance(value, Decimal | int) and not isinstance(value, bool):
                return Decimal(value) if Decimal(value).is_finite() else None
            return None
        case Type.STRING:
            return value if isinstance(value, str) and "\0" not in value else None
        case Type.BOOLEAN:
            return value if isinstance(value, bool) else None
        case Type.DATE:
            ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
            return value if ok else None
        case Type.TIMESTAMP:
            return value if isinstance(value, dt.datetime) else None
        case Type.DURATION:
            ok = isinstance(value, dt.timedelta) and abs(value) <= MAX_DURATION
            return value if ok else None
    return None


def _parsed(type_: Type, text: str) -> object | None:
    """A value written as text, or None when it does not spell one of the type."""
    try:
        match type_:
            case Type.INTEGER:
                return _python_value(type_, int(text)) if re.fullmatch(r"[+-]?\d+", text) else None
            case Type.FLOAT:
                return _python_value(type_, float(text))
            case Type.DECIMAL:
                return _python_value(type_, Decimal(text))
            case Type.BOOLEAN:
                return {"true": True, "false": False}.get(text.lower())
            case Type.DATE:
                return dt.date.fromisoformat(text.removeprefix("@"))
            case Type.TIMESTAMP:
                return dt.datetime.fromisoformat(text.removeprefix("@").replace("Z", "+00:00"))
            case Type.DURATION:
                return _duration(text)
    except (ValueError, InvalidOperation, OverflowError):
        return None
    return None


def _duration(text: str) -> dt.timedelta | None:
    """`14d`, `14 days`, `1.5h`, `90 minutes`, `2w`."""
    found = _DURATION.fullmatch(text)
    if found is None:
        return None
    amount, unit = found.groups()
    word = _SHORT_UNITS.get(unit.lower(), singular(unit.lower()))
    if word not in DURATION_UNITS:
        return None
    value = float(amount) * DURATION_UNITS[word]
    return value if abs(value) <= MAX_DURATION else None
