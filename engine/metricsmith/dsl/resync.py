"""Going on after a syntax error: where declarations start, and what a broken one defines.

A declaration begins with its keyword as the first word of a line (the layout every example
and the formatter of any sensible editor produce). After a syntax error, parsing resumes at the
next such line; the declaration holding the error is skipped, and only its kind and name are
read (`metric churn = ...` defines `churn`), so uses of it elsewhere are not reported as unknown.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from attrs import frozen

from metricsmith.model.decl import Ident, UnparsedDecl
from metricsmith.model.span import SourceFile, Span

_NAMED = re.compile(r"(source|metric|dimension|parameter)\s+([A-Za-z_][A-Za-z0-9_]*)")


@frozen
class Start:
    line_start: int  # offset of the line the declaration starts on
    keyword: int  # offset of its keyword


def start_pattern(keywords: Iterable[str]) -> re.Pattern[str]:
    """Matches a line starting with one of the declaration `keywords`."""
    words = "|".join(sorted(keywords))
    return re.compile(rf"^[ \t]*({words})\b", re.MULTILINE)


def declaration_starts(text: str, pattern: re.Pattern[str]) -> list[Start]:
    return [Start(m.start(), m.start(1)) for m in pattern.finditer(text)]


def broken_region(starts: list[Start], begin: int, failed_at: int) -> tuple[int, int | None]:
    """The declaration holding an error at offset `failed_at`, in text being parsed from offset
    `begin`: where it starts, and where parsing resumes (the next declaration's line, None at
    the end of the file). An error on a declaration's keyword belongs to the one before it (an
    unfinished formula), so parsing resumes at that keyword's line."""
    keywords = [s.keyword for s in starts]
    after = bisect.bisect_left(keywords, failed_at)
    resume = next((s for s in starts[after:] if s.line_start > begin), None)
    before = [
        s
        for s in starts[:after]
        if s.line_start >= begin and (resume is None or s.keyword < resume.keyword)
    ]
    start = before[-1].line_start if before else begin
    return start, resume.line_start if resume else None


def unparsed(
    source: SourceFile, begin: int, end: int, pattern: re.Pattern[str]
) -> list[UnparsedDecl]:
    """The names declared in `source.text[begin:end]`, text that did not parse."""
    text = source.text
    found = []
    for start in declaration_starts(text[begin:end], pattern):
        match = _NAMED.match(text, begin + start.keyword)
        if match is None:
            continue
        span = _span(source, match.start(), match.end())
        name = Ident(name=match.group(2), span=_span(source, match.start(2), match.end(2)))
        found.append(UnparsedDecl(kind=match.group(1), name=name, span=span))
    return found


def _span(source: SourceFile, start: int, end: int) -> Span:
    text = source.text
    line = text.count("\n", 0, start) + 1
    column = start - text.rfind("\n", 0, start)
    end_line = line + text.count("\n", start, end)
    end_column = end - text.rfind("\n", 0, end)
    return Span(source, line, column, end_line, end_column)
