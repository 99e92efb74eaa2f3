"""Source positions: every model node carries the span of text it came from."""

from __future__ import annotations

from attrs import field, frozen

# C0 controls and DEL, except tab (shown as whitespace); line breaks never reach a line.
_UNPRINTABLE = {code: "\ufffd" for code in [*range(0x09), *range(0x0A, 0x20), 0x7F]}


@frozen
class SourceFile:
    """A definition file's path and text; equality is by path alone."""

    path: str
    text: str = field(eq=False, repr=False)

    def line(self, number: int) -> str:
        """Line `number` as shown under a message: control characters (which a terminal would
        obey, not print) appear as U+FFFD, one for one, so columns still line up."""
        lines = self.text.splitlines()
        text = lines[number - 1] if 0 < number <= len(lines) else ""
        return text.translate(_UNPRINTABLE)


@frozen
class Span:
    """A 1-based line/column range inside a source file."""

    source: SourceFile
    line: int
    column: int
    end_line: int
    end_column: int

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def line_text(self) -> str:
        return self.source.line(self.line)

    @property
    def text(self) -> str:
        """The text the span covers, as messages quote it (one line: longer spans are cut)."""
        if self.line == 0:
            return ""
        if self.end_line == self.line:
            return self.line_text[self.column - 1 : self.end_column - 1]
        return self.line_text[self.column - 1 :].rstrip() + " …"

    def __str__(self) -> str:
        return f"{self.source.path}:{self.line}:{self.column}"


BUILTIN = SourceFile("<builtin>", "")
NO_SPAN = Span(BUILTIN, 0, 0, 0, 0)
