"""Parsing `.metrics` text into model nodes, and syntax errors a person can act on."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from lark import Lark, Token, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from metricsmith.dsl.lower import Lower
from metricsmith.dsl.resync import broken_region, declaration_starts, start_pattern, unparsed
from metricsmith.errors import Diagnostic, QueryError
from metricsmith.model import decl as d
from metricsmith.model.decl import Module
from metricsmith.model.expr import Expr
from metricsmith.model.span import SourceFile, Span

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
SAVE_AS_UTF8 = (
    "definition files are UTF-8 text; save the file as UTF-8 (a byte order mark is fine), "
    "or move it out of the project if it is not a definition file"
)

LINE_START = re.compile(r"(^|\n)[ \t]*\Z")
MAX_SYNTAX_ERRORS = 20  # per file; the rest of a file beyond them is only read for its names

# How each named terminal is described in "expected ..." messages.
TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "INT": "a whole number",
    "SIGNED_INT": "a whole number such as -1",
    "STRING": 'a "string"',
    "DATE": "a date such as @2024-01-31",
    "TIMESTAMP": "a timestamp such as @2024-01-31T09:00:00Z",
    "PARAM": "a parameter such as $window",
    "$END": "the end of the file",
}
# Families of terminals that are named once, as a family, when the parser would take any of them.
FAMILIES = (
    (
        "a value",
        {"NAME", "NUMBER", "STRING", "DATE", "TIMESTAMP", "TRUE", "FALSE", "NULL", "CASE", "PARAM"},
    ),
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
        "a scorecard clause (description, grain, periods, compare, by, section)",
        {"DESCRIPTION", "GRAIN", "PERIODS", "COMPARE", "BY", "SECTION"},
    ),
    ("a section's contents (metrics, chart)", {"METRICS", "CHART"}),
    (
        "a new declaration (calendar, source, metric, override, dimension, scorecard, parameter)",
        {
            "CALENDAR",
            "SOURCE",
            "METRIC",
            "OVERRIDE",
            "DIMENSION",
            "PROJECT",
            "SCORECARD",
            "PARAMETER",
        },
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


@functools.cache
def _declarations() -> frozenset[str]:
    """The keywords that start a declaration: each is the name of its rule (`metric`, ...)."""
    return frozenset(r.expansion[0].name for r in _parser().rules if r.origin.name == "_decl")


@functools.cache
def _declaration_start() -> re.Pattern[str]:
    return start_pattern(_declarations())


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


def _found(err: UnexpectedInput, text: str, position: int) -> tuple[str, int]:
    """What was found at the error, for the message, and its width for the caret."""
    if isinstance(err, UnexpectedToken):
        token: Token = err.token
        if token.type == "$END":
            return "end of input", 1
        return f"`{token}`", max(1, len(str(token)))
    if isinstance(err, UnexpectedCharacters):
        char = text[position]
        return (f"`{char}`" if char.isprintable() else f"character U+{ord(char):04X}"), 1
    return "end of input", 1


def _error_offset(err: UnexpectedInput, text: str, shift: int) -> int:
    """Where in `text` the error is; `shift` turns an offset in the text parsed into one in
    `text` (see `parse_source`)."""
    if _at_end(err) or err.pos_in_stream is None:
        return len(text)
    return err.pos_in_stream + shift


def _at_end(err: UnexpectedInput) -> bool:
    return isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    )


def _hint(err: UnexpectedInput, text: str, position: int, expected: set[str]) -> str | None:
    if _at_end(err):
        return "the text ends in the middle of a declaration; is a bracket or quote unclosed?"
    rest = text[position:]
    if rest.startswith("'"):
        return 'strings are written in double quotes: "like this"'
    if rest.startswith("=") and not rest.startswith("==") and "COMP_OP" in expected:
        return "to compare two values write `==`; a single `=` only follows a name being defined"
    if rest.startswith("&&") or rest.startswith("||"):
        return "write `and` / `or`"
    word = re.match(r"[A-Za-z]+", rest)
    if word and word.group() in _declarations() and LINE_START.search(text, 0, position):
        return "the declaration before this one is unfinished; is a bracket unclosed?"
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


def syntax_diagnostic(err: UnexpectedInput, source: SourceFile, shift: int = 0) -> Diagnostic:
    """The diagnostic for `err`, raised parsing `source.text` from an offset: `shift` turns
    the error's offset into one in the whole text."""
    position = _error_offset(err, source.text, shift)
    found, width = _found(err, source.text, position)
    line = err.line if err.line and err.line > 0 else max(1, source.text.count("\n"))
    column = err.column if err.column and err.column > 0 else 1
    expected = _expected(err)
    message = f"unexpected {found}"
    if expected:
        message += f"; expected {expected_words(expected)}"
    span = Span(source, line, column, line, column + width)
    hint = _hint(err, source.text, position, expected)
    return Diagnostic(code="syntax", message=message, span=span, hint=hint)


def parse_source(source: SourceFile) -> tuple[Module, list[Diagnostic]]:
    """Parse one file's text into the module and its problems. After a syntax error, parsing
    resumes at the next declaration (see `resync`), so every broken declaration is reported
    (up to MAX_SYNTAX_ERRORS) and every other one is checked; a broken one becomes an
    `UnparsedDecl` naming what it defines."""
    text = source.text
    starts = declaration_starts(text, _declaration_start())
    decls: list[d.Decl] = []
    found: list[Diagnostic] = []
    begin: int | None = 0
    while begin is not None:
        shift = begin - text.count("\n", 0, begin)
        try:
            tree = _parse_from(text, begin)
        except UnexpectedInput as err:
            found.append(syntax_diagnostic(err, source, shift))
            failed_at = _error_offset(err, text, shift)
            broken, resume = broken_region(starts, begin, failed_at)
            if len(found) >= MAX_SYNTAX_ERRORS:
                resume = None
            decls += _lower_if_parses(source, begin, broken, found)
            end = len(text) if resume is None else resume
            decls += unparsed(source, broken, end, _declaration_start())
            begin = resume
            continue
        decls += _lower(source, tree, found)
        begin = None
    return Module(path=source.path, decls=tuple(decls)), found


def _parse_from(text: str, begin: int, end: int | None = None):
    """Parse `text[begin:end]` with line numbers as in the whole text (`begin` starts a line)."""
    return _parser().parse("\n" * text.count("\n", 0, begin) + text[begin:end], start="start")


def _lower(source: SourceFile, tree, found: list[Diagnostic]) -> tuple[d.Decl, ...]:
    lower = Lower(source)
    decls = lower.transform(tree)
    found += lower.diagnostics
    return decls


def _lower_if_parses(
    source: SourceFile, begin: int, end: int, found: list[Diagnostic]
) -> Sequence[d.Decl]:
    """The declarations of `text[begin:end]`, the text before a broken declaration. It parsed
    as far as the error; if a line that only looked like a declaration's start makes it fail
    now, its names are still read."""
    if end <= begin:
        return []
    try:
        tree = _parse_from(source.text, begin, end)
    except UnexpectedInput:
        return unparsed(source, begin, end, _declaration_start())
    return list(_lower(source, tree, found))


def parse_file(path: str | Path) -> tuple[Module, list[Diagnostic]]:
    """Parse one definition file. The file is read every time; only parsing its bytes again is
    spared (`_parsed_bytes`), so an edited file is always parsed afresh."""
    module, problems = _parsed_bytes(str(path), Path(path).read_bytes())
    return module, list(problems)


# Parsing is a pure function of a file's path and bytes, and its results are frozen, so a
# process that loads a project again (a notebook, a server, a benchmark; a library included by
# several projects) reuses them. Keyed by the bytes themselves, never by a modification time,
# so it cannot be stale; bounded, so a long-lived process holds at most this many files.
_PARSED_FILES_KEPT = 256


@functools.lru_cache(maxsize=_PARSED_FILES_KEPT)
def _parsed_bytes(path: str, data: bytes) -> tuple[Module, tuple[Diagnostic, ...]]:
    source, problem = decode_source(path, data)
    if problem is None:
        module, problems = parse_source(source)
        return module, tuple(problems)
    # Its names are read from what can be read, so other files' uses of them are not errors.
    readable = SourceFile(path, data.decode("utf-8", errors="replace"))
    decls = tuple(unparsed(readable, 0, len(readable.text), _declaration_start()))
    return Module(path=path, decls=decls), (problem,)


def decode_source(path: str, data: bytes) -> tuple[SourceFile, Diagnostic | None]:
    """A definition file's text: UTF-8, with or without a byte order mark. Otherwise a
    diagnostic at the first byte that is not text, naming its byte offset."""
    body = data.removeprefix(UTF8_BOM)  # some editors write one; it is not part of the text
    skipped = len(data) - len(body)
    if body.startswith(UTF16_BOMS):
        shown = SourceFile(path, "\ufffd")
        message = "the file is UTF-16 text (it starts with a UTF-16 byte order mark)"
        return shown, Diagnostic(
            code="encoding", message=message, span=Span(shown, 1, 1, 1, 2), hint=SAVE_AS_UTF8
        )
    nul = body.find(b"\0")
    try:
        text = body[: nul if nul >= 0 else None].decode("utf-8")
    except UnicodeDecodeError as err:
        bad = err.start
        what = f"byte 0x{body[bad]:02x} at byte offset {bad + skipped} is not UTF-8"
    else:
        if nul < 0:
            return SourceFile(path, text), None
        bad = nul
        what = f"a NUL byte at byte offset {bad + skipped}; text holds none"
    before = body[:bad].decode("utf-8")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    shown = SourceFile(path, before + "\ufffd")
    span = Span(shown, line, column, line, column + 1)
    return shown, Diagnostic(code="encoding", message=what, span=span, hint=SAVE_AS_UTF8)


# A query's formulas (`--by`, `--where`) are parsed once for the same text, as files are: a
# process asking the same query again (a dashboard, a benchmark) does not parse them again.
@functools.lru_cache(maxsize=_PARSED_FILES_KEPT)
def parse_expression(text: str, origin: str = "<query>") -> Expr:
    """Parse a formula given outside a file (a query's `--where`); raises QueryError."""
    source = SourceFile(origin, text)
    try:
        tree = _parser().parse(text, start="expr")
    except UnexpectedInput as err:
        raise QueryError(syntax_diagnostic(err, source).render()) from None
    lower = Lower(source)
    node = lower.formula(lower.transform(tree))
    if lower.diagnostics:
        raise QueryError("\n".join(diag.render() for diag in lower.diagnostics))
    return node
