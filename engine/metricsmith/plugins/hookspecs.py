"""The hooks a metricsmith plugin can implement. This module holds only their specifications.

A plugin is a module (or object) with functions decorated by `hookimpl`, named exactly like
the specs below, published under the `metricsmith` entry-point group. Every hook takes no
arguments and returns a list; metricsmith calls each plugin's implementation separately, so a
plugin whose hook raises is reported and skipped without affecting the others.
"""

import pluggy

from metricsmith.plugins.connector import Connector
from metricsmith.plugins.engine import Engine
from metricsmith.plugins.formats import OutputFormat
from metricsmith.plugins.functions import AggregateFunction, ScalarFunction

PROJECT_NAME = "metricsmith"
ENTRY_POINT_GROUP = "metricsmith"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def metricsmith_connectors() -> list[Connector]:
    """Connectors this plugin provides, each usable as `source x from <name>(...)`.

    A connector's `name` must be unique across all plugins; a second connector with a name
    already taken is ignored and reported."""


@hookspec
def metricsmith_scalar_functions() -> list[ScalarFunction]:
    """Row-level functions this plugin adds to the formula language.

    Scalar and aggregate functions share one namespace: a name may be registered once."""


@hookspec
def metricsmith_aggregate_functions() -> list[AggregateFunction]:
    """Aggregate functions this plugin adds to the formula language.

    Scalar and aggregate functions share one namespace: a name may be registered once."""


@hookspec
def metricsmith_metric_libraries() -> list[str]:
    """Absolute paths of folders of `.metrics` files this package ships (a KPI pack).

    They are collected in `Registry.libraries`; a path that is not an existing absolute
    folder is reported and skipped."""


@hookspec
def metricsmith_output_formats() -> list[OutputFormat]:
    """Output formats this plugin provides, usable as `--format <name>`.

    `write` must be atomic; use `metricsmith.plugins.formats.atomic_output`. It is only given
    the path of a regular file, or of one that does not exist yet: a device, a FIFO and stdout
    receive the bytes `render` returns."""


@hookspec
def metricsmith_engines() -> list[Engine]:
    """Engines this plugin provides, usable as `--engine <name>` and `engine="<name>"`.

    An engine is given the plan, the checked project and its options, and returns the answer
    as an Arrow table (docs/architecture.md, "How to add an engine"). Its `name` must be
    unique across all plugins."""
