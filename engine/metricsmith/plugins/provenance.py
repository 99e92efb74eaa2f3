"""Which plugin registered what, and running a plugin's code so that a failure names it.

The registry gives every item it registers a `Provenance` (see `manager.py`). Wherever the
engine calls code a plugin supplied (a connector, a function, an output format), it does so
inside `calling_plugin(provenance)`: an exception escaping the plugin becomes a
`PluginFailure` naming the item, the plugin's distribution and version, and the hook, instead
of an internal error blaming metricsmith. The built-in plugins are metricsmith's own code, so
their failures stay internal errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TypeGuard

import pyarrow as pa
from attrs import frozen

from metricsmith.errors import MetricsmithError, PluginFailure
from metricsmith.model.types import Type, type_of_arrow


@frozen
class Provenance:
    """Where a registered item comes from."""

    #: What the item is, for messages: "connector", "scalar function", "output format"...
    kind: str
    #: The item's name (`p90`, `sqlite`).
    name: str
    #: The plugin's name: its entry point's, "builtin.functions", or as registered directly.
    plugin: str
    #: The hook that returned the item.
    hook: str
    #: The installed distribution and its version, when the plugin came from one.
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False

    @property
    def origin(self) -> str:
        """The distribution and its version (metricsmith-acme 1.2.0), or the plugin's name
        when it comes from no known distribution (plugin `acme`)."""
        if self.distribution is not None:
            return f"{self.distribution} {self.version}"
        return f"plugin `{self.plugin}`"

    @property
    def culprit(self) -> str:
        return f"the {self.kind} `{self.name}` from {self.origin} (hook {self.hook})"

    def failure(self, problem: str) -> PluginFailure:
        return PluginFailure(self.culprit, problem, authors=self.origin)


def from_a_plugin(provenance: Provenance | None) -> TypeGuard[Provenance]:
    """Whether an item is a plugin's: not built in, and registered (items made directly, as
    in a test, carry no provenance)."""
    return provenance is not None and not provenance.builtin


@contextlib.contextmanager
def calling_plugin(provenance: Provenance | None, doing: str = "") -> Iterator[None]:
    """Run code a plugin supplied: an exception escaping it becomes a `PluginFailure`
    (`doing` says what it was asked to do, e.g. "while reading source `orders`").

    Errors a user can act on pass unchanged: metricsmith's own errors (a plugin reporting bad
    data raises `DataError`) and operating-system errors (a full disk, a missing file)."""
    if not from_a_plugin(provenance):
        yield
        return
    try:
        yield
    except (MetricsmithError, OSError):
        raise
    except Exception as failure:
        where = f" {doing}" if doing else ""
        raise provenance.failure(f"raised {type(failure).__name__}{where}: {failure}") from failure


def checked_values(
    provenance: Provenance | None,
    result: object,
    *,
    length: int | None,
    declared: Type,
    scalar_allowed: bool = False,
) -> pa.Array | pa.ChunkedArray | pa.Scalar:
    """`result`, if it is what a function promised: Arrow values (`length` of them, when
    given), of a type compatible with the `declared` result type. A built-in's result is
    trusted."""
    if not from_a_plugin(provenance):
        return result
    kinds = (
        (pa.Array, pa.ChunkedArray, pa.Scalar) if scalar_allowed else (pa.Array, pa.ChunkedArray)
    )
    if not isinstance(result, kinds):
        wanted = "an Arrow array or scalar" if scalar_allowed else "an Arrow array"
        raise provenance.failure(f"returned {type(result).__name__}, not {wanted}")
    if length is not None and not isinstance(result, pa.Scalar) and len(result) != length:
        raise provenance.failure(
            f"returned {_values(len(result))} where {length} {'was' if length == 1 else 'were'} "
            "expected (one per row, or per group for an aggregate)"
        )
    actual = type_of_arrow(result.type)
    if not _compatible(actual, declared):
        raise provenance.failure(
            f"returned {result.type} values where its signature promised {declared}"
        )
    return result


def _values(count: int) -> str:
    return f"{count} value" + ("" if count == 1 else "s")


def _compatible(actual: Type, declared: Type) -> bool:
    if actual == declared or Type.UNKNOWN in (actual, declared) or actual == Type.NULL:
        return True
    return actual.is_numeric and declared.is_numeric
