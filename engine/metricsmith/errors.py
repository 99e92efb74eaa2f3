"""Errors the user can act on, and how they are shown.

`MetricsmithError` and its subclasses are the user's mistakes (bad definitions, bad queries, bad
data); anything else escaping the engine is a bug in metricsmith.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from attrs import frozen

from metricsmith.model.span import Span


@frozen(kw_only=True)
class Diagnostic:
    """One problem found in a project, pointing at the text that caused it."""

    code: str  # a short stable identifier, e.g. "unknown-name"
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: str = "error"

    def render(self) -> str:
        """`file:line:col: error[code]: message`, the source line, a caret, and a hint."""
        if self.span is None or self.span.line == 0:
            head = f"{self.severity}[{self.code}]: {self.message}"
            return head + (f"\n  = help: {self.hint}" if self.hint else "")
        span = self.span
        text = span.line_text.rstrip("\n")
        gutter = str(span.line)
        pad = " " * len(gutter)
        width = (
            span.end_column - span.column
            if span.end_line == span.line
            else len(text) - span.column + 1
        )
        caret = " " * (span.column - 1) + "^" * max(1, width)
        lines = [
            f"{span}: {self.severity}[{self.code}]: {self.message}",
            f"{pad} |",
            f"{gutter} | {text}",
            f"{pad} | {caret}",
        ]
        if self.hint:
            lines.append(f"{pad} = help: {self.hint}")
        return "\n".join(lines)


def render_all(diagnostics: Iterable[Diagnostic]) -> str:
    diagnostics = list(diagnostics)
    body = "\n\n".join(d.render() for d in diagnostics)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    return f"{body}\n\n{errors} error{'s' if errors != 1 else ''} found"


class MetricsmithError(Exception):
    """Base class of every error caused by the user's definitions, query or data."""


class ProjectError(MetricsmithError):
    """The project's definition files have problems; `diagnostics` lists all of them."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__(render_all(self.diagnostics))


class QueryError(MetricsmithError):
    """A query asks for something the project cannot answer (unknown metric, bad range...)."""

    def __init__(self, message: str, hint: str | None = None):
        self.hint = hint
        super().__init__(message + (f"\n  = help: {hint}" if hint else ""))


class UnavailableMetric(QueryError):
    """A query asks for an included library metric whose inputs the project does not
    declare; `diagnostic` points at its declaration and says what to declare."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        self.hint = diagnostic.hint
        Exception.__init__(self, diagnostic.render())


class DataError(MetricsmithError):
    """Data read from a source is missing or malformed; names the source, column and row."""

    def __init__(
        self,
        message: str,
        *,
        source: str,
        column: str | None = None,
        row: int | None = None,
        location: str | None = None,
        hint: str | None = None,
    ):
        self.source = source
        self.column = column
        self.row = row
        self.location = location
        self.hint = hint
        where = [f"source `{source}`"]
        if location:
            where.append(location)
        if column is not None:
            where.append(f"column `{column}`")
        if row is not None:
            where.append(f"row {row}")
        text = f"data error in {', '.join(where)}: {message}"
        self.message = text
        super().__init__(text + (f"\n  = help: {hint}" if hint else ""))


class ArithmeticOverflow(DataError):
    """A value computed for a metric does not fit its type, on whichever engine ran it: an
    integer beyond 64 bits or a decimal beyond 29 digits before the point. Engines never wrap
    around or return null instead. The Arrow engine also names the formula that overflowed;
    the SQL engines compute every metric of a query in one statement and cannot tell which
    overflowed, so with several they name them all."""

    def __init__(
        self, metrics: Sequence[str], *, sources: Sequence[str], expression: str | None = None
    ):
        self.metrics = tuple(metrics)
        self.sources = tuple(sources)
        self.expression = expression
        names = ", ".join(f"`{name}`" for name in metrics)
        subject = f"metric {names}" if len(metrics) == 1 else f"one of the metrics {names}"
        if expression is not None:
            subject = f"`{expression}`" + (f" of {subject}" if metrics else "")
        super().__init__(
            f"cannot compute {subject}: arithmetic overflow, a value exceeds the range of its "
            "type (integers are 64-bit, decimals have 29 digits before the point)",
            source=", ".join(sources) or "(none)",
            hint="compute in floating point (multiply by 1.0) or look for outliers in the data",
        )


class DataWarning(UserWarning):
    """Data a query read that is usable but suspect (a row without a key, a validity range
    that ends before it starts): how many rows, and the first of them (its 1-based row in the
    order the source's rows are read). Issued through Python's `warnings` module; the CLI
    prints them on stderr."""

    def __init__(
        self,
        message: str,
        *,
        source: str,
        column: str,
        count: int,
        row: int | None = None,
        location: str | None = None,
        hint: str | None = None,
    ):
        self.source = source
        self.column = column
        self.count = count
        self.row = row
        self.location = location
        self.hint = hint
        where = [f"source `{source}`", *([location] if location else []), f"column `{column}`"]
        self.message = f"data warning in {', '.join(where)}: {message}"
        super().__init__(self.message + (f"\n  = help: {hint}" if hint else ""))

    def render(self) -> str:
        """The warning as the command line prints it (as `Diagnostic.render` does)."""
        return str(self)

    def __eq__(self, other: object) -> bool:
        # The same problem found by two queries is one warning.
        return isinstance(other, DataWarning) and str(other) == str(self)

    def __hash__(self) -> int:
        return hash(str(self))


class PluginError(MetricsmithError):
    """A plugin failed to load or misbehaved; names the plugin and the hook."""


class PluginFailure(PluginError):
    """Code a plugin registered failed while it ran, or returned something its contract
    forbids. `culprit` names the item, its plugin (distribution and version when installed)
    and the hook, e.g. "the aggregate function `p90` from metricsmith-acme 1.2.0 (hook
    metricsmith_aggregate_functions)"; `problem` says what went wrong; `authors` whom to tell."""

    def __init__(self, culprit: str, problem: str, *, authors: str):
        self.culprit = culprit
        self.problem = problem
        self.hint = (
            "this is a bug in the plugin, not in your definitions, your data or metricsmith; "
            f"please report it to the authors of {authors} (set METRICSMITH_TRACEBACK=1 to "
            "see where it was raised)"
        )
        self.message = f"plugin failure: {culprit} {problem}"
        super().__init__(f"{self.message}\n  = help: {self.hint}")


class InternalError(Exception):
    """A bug in metricsmith itself, not a problem with the user's input."""
