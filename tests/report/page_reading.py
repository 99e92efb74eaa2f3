"""Reading a report back: its table rows, headings and images, with the standard library's
HTML parser (the tests check what a reader sees, not how the page spells it)."""

from __future__ import annotations

from html.parser import HTMLParser

from attrs import frozen


@frozen
class Cell:
    tag: str  # td or th
    text: str
    style: str


_HIDDEN = frozenset({"style", "svg"})


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[Cell]] = []
        self.headings: dict[str, list[str]] = {}
        self.images: list[dict[str, str]] = []
        self._cell: tuple[str, str, list[str]] | None = None
        self._heading: str | None = None
        self._hidden = 0  # inside a <style> or an <svg>: not text a reader sees

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = (tag, found.get("style", ""), [])
        elif tag in ("h1", "h2", "h3"):
            self._heading = tag
            self.headings.setdefault(tag, []).append("")
        elif tag == "img":
            self.images.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden -= 1
        elif tag in ("td", "th") and self._cell is not None:
            kind, style, parts = self._cell
            self.rows[-1].append(Cell(kind, " ".join("".join(parts).split()), style))
            self._cell = None
        elif tag == self._heading:
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._cell is not None:
            self._cell[2].append(data)
        if self._heading is not None:
            self.headings[self._heading][-1] += data

    @property
    def body_rows(self) -> list[list[Cell]]:
        """The rows of data: those with `td` cells (a table's header has only `th`)."""
        return [row for row in self.rows if any(c.tag == "td" for c in row)]


def read_page(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page
