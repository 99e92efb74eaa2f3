"""Parsing `.metrics` text into model nodes, and syntax errors a person can act on."""

from __future__ import annotations

import functools
import re
from importlib.resources import files
from pathlib import Path

from lark import Lark, Token, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from metricsmith.dsl.lower import Lower
from metricsmith.errors import Diagnostic, QueryError
from metricsmith.model.decl import Module
from metricsmith.model.expr import Expr
from metricsmith.model.span import SourceFile, Span

# How each named terminal is described in "expected ..." messages.
TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "INT": "a whole number",
    "SIGNED_INT": "a whole number such as -1",
    "STRING": 'a "string"',
    "DATE": "a date such as @2024-01-31",
    "TIMESTAMP": "a timestamp such as @2024-01-31T09:00:00Z",
    "$END": "the end of the file",
}
# Families of terminals that are named once, as a family, when the parser would take any of them.
FAMILIES = (
    ("a value", {"NAME", "NUMBER", "STRING", "DATE", "TIMESTAMP", "TRUE", "FALSE", "NULL", "CASE"}),
    ("an operator", {"COMP_OP", "ADD_OP", "MUL_OP", "AND", "OR", "IS", "IN"}),
    (
        "a metric clause (description, label, unit, format, higher/lower is better, target)",
        {"DESCRIPTION", "LABEL", "UNIT", "FORMAT", "HIGHER", "LOWER", "TARGET"},
    ),
    (
        "a duration unit (seconds, minutes, hours, days, weeks)",
        {"SECOND", "SECONDS", "MINUTE", "MINUTES", "HOUR", "HOURS", "DAY", "DAYS", "WEEK", "WEEKS"},
    ),
    (
        "a new declaration (calendar, source, metric, dimension)",
        {"CALENDAR", "SOURCE", "METRIC", "DIMENSION", "PROJECT"},
    ),
)


class _WholeWords:
    """Keeps NAME in every lexer state so keywords only match whole words.

    Lark's contextual lexer only tries the terminals a parser state accepts; where a keyword is
    accepted but a name is not, `keyz` would otherwise lex as the keyword `key` followed by `z`.
    With NAME always present, a keyword is recognised only when the whole word is the keyword.
    """

    always_accept = ("NAME",)

    def process(self, stream):
        return stream


@functools.cache
def _parser() -> Lark:
    grammar = files("metricsmith.dsl").joinpath("metrics.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        start=["start", "expr"],
        propagate_positions=True,
        maybe_placeholders=True,
        postlex=_WholeWords(),
        cache=True,  # a parse table built once per grammar version, not per process
    )


def _describe(terminal: str) -> str:
    if terminal in TERMINAL_WORDS:
        return TERMINAL_WORDS[terminal]
    pattern = _parser().get_terminal(terminal).pattern
    return f"`{pattern.value}`" if pattern.type == "str" else terminal.lower()


def expected_words(terminals: set[str]) -> str:
    """A readable list of what the parser would have accepted."""
    words = []
    rest = set(terminals)
    for family, members in FAMILIES:
        if len(rest & members) >= 2:
            words.append(family)
            rest -= members
    words += sorted({_describe(t) for t in rest})
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _expected(err: UnexpectedInput) -> set[str]:
    if isinstance(err, UnexpectedToken) and err.interactive_parser is not None:
        return set(err.interactive_parser.accepts())
    return set(getattr(err, "expected", None) or getattr(err, "allowed", None) or ())


def _found(err: UnexpectedInput, text: str) -> tuple[str, int]:
    """What was found at the error, for the message, and its width for the caret."""
    if isinstance(err, UnexpectedToken):
        token: Token = err.token
        if token.type == "$END":
            return "end of input", 1
        return f"`{token}`", max(1, len(str(token)))
    if isinstance(err, UnexpectedCharacters):
        return f"`{text[err.pos_in_stream]}`", 1
    return "end of input", 1


def _at_end(err: UnexpectedInput) -> bool:
    return isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    )


def _hint(err: UnexpectedInput, text: str, expected: set[str]) -> str | None:
    if _at_end(err):
        return "the text ends in the middle of a declaration; is a bracket or quote unclosed?"
    position = err.pos_in_stream if err.pos_in_stream is not None else len(text)
    rest = text[position:]
    if rest.startswith("'"):
        return 'strings are written in double quotes: "like this"'
    if rest.startswith("=") and not rest.startswith("==") and "COMP_OP" in expected:
        return "to compare two values write `==`; a single `=` only follows a name being defined"
    if rest.startswith("&&") or rest.startswith("||"):
        return "write `and` / `or`"
    word = re.match(r"[A-Za-z]+", rest)
    if (
        word
        and word.group().rstrip("s") in ("month", "quarter", "year")
        and re.search(r"\d\s*$", text[:position])
    ):
        return (
            "durations are written in seconds, minutes, hours, days or weeks; months vary in "
            "length: use days_between() or a window (`over last 3 months`)"
        )
    return None


def syntax_diagnostic(err: UnexpectedInput, source: SourceFile) -> Diagnostic:
    found, width = _found(err, source.text)
    line = err.line if err.line and err.line > 0 else max(1, source.text.count("\n"))
    column = err.column if err.column and err.column > 0 else 1
    expected = _expected(err)
    message = f"unexpected {found}"
    if expected:
        message += f"; expected {expected_words(expected)}"
    span = Span(source, line, column, line, column + width)
    hint = _hint(err, source.text, expected)
    return Diagnostic(code="syntax", message=message, span=span, hint=hint)


def parse_source(source: SourceFile) -> tuple[Module | None, list[Diagnostic]]:
    """Parse one file's text. Returns the module (None on a syntax error) and diagnostics."""
    try:
        tree = _parser().parse(source.text, start="start")
    except UnexpectedInput as err:
        return None, [syntax_diagnostic(err, source)]
    lower = Lower(source)
    decls = lower.transform(tree)
    return Module(path=source.path, decls=decls), lower.diagnostics


def parse_file(path: str | Path) -> tuple[Module | None, list[Diagnostic]]:
    text = Path(path).read_text(encoding="utf-8")
    return parse_source(SourceFile(str(path), text))


def parse_expression(text: str, origin: str = "<query>") -> Expr:
    """Parse a formula given outside a file (a query's `--where`); raises QueryError."""
    source = SourceFile(origin, text)
    try:
        tree = _parser().parse(text, start="expr")
    except UnexpectedInput as err:
        raise QueryError(syntax_diagnostic(err, source).render()) from None
    lower = Lower(source)
    node = lower.transform(tree)
    if lower.diagnostics:
        raise QueryError("\n".join(diag.render() for diag in lower.diagnostics))
    return node
