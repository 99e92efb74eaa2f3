"""Source positions: every model node carries the span of text it came from."""

from __future__ import annotations

from attrs import field, frozen


@frozen
class SourceFile:
    """A definition file's path and text; equality is by path alone."""

    path: str
    text: str = field(eq=False, repr=False)

    def line(self, number: int) -> str:
        lines = self.text.splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else ""


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

    def __str__(self) -> str:
        return f"{self.source.path}:{self.line}:{self.column}"


BUILTIN = SourceFile("<builtin>", "")
NO_SPAN = Span(BUILTIN, 0, 0, 0, 0)
