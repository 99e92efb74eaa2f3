"""Loading plugins and collecting what they register: the registry.

The built-in plugins are registered first, then every installed distribution publishing a
`metricsmith` entry point (limited by METRICSMITH_PLUGINS), then the plugins the caller hands
over (`load_project(..., plugins=[...])`). Each plugin's hooks are called one plugin at a time,
so a plugin that fails to import, whose hook raises or returns nonsense, or that reuses a taken
name is written down in `Registry.problems` and skipped; the rest of the engine keeps working.
A plugin the caller handed over is the exception: its problems raise `PluginError`, because
the caller is there to hear about them.

The registry sits above everything it collects (the contracts, the built-in plugins) and next
to the API: only the entry points (api.py, cli.py) build it; the pipeline is handed what it
needs (the checked project carries its functions, the engine is looked up here).
"""

from __future__ import annotations

import importlib.metadata
import inspect
import os
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import attrs
import pluggy
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.builtin import (
    connectors,
    duckdb_file,
    engines,
    formats,
    functions,
    spark_table,
)
from metricsmith.check.libraries import themes
from metricsmith.errors import PluginError
from metricsmith.plugins import hookspecs
from metricsmith.plugins.connector import Connector, PluginConnector
from metricsmith.plugins.engine import AUTO, Engine, PluginEngine
from metricsmith.plugins.formats import OutputFormat
from metricsmith.plugins.functions import AggregateFunction, FunctionTable, ScalarFunction
from metricsmith.plugins.provenance import Provenance

#: Built-in features are plugins like any other, registered before the installed ones.
BUILTIN_PLUGINS: tuple[types.ModuleType, ...] = (
    connectors,
    formats,
    functions,
    spark_table,
    duckdb_file,
    engines,
)
#: Comma-separated entry-point or distribution names to load; unset loads all, "" none.
SELECTION_VARIABLE = "METRICSMITH_PLUGINS"
#: The origin of the built-in plugins.
BUILTIN = "builtin"


@frozen
class PluginInfo:
    """A loaded plugin, as `metricsmith plugins` lists it."""

    name: str
    #: Where it comes from: "builtin"; "<distribution> <version> (<module file>)" for an
    #: installed plugin; "registered directly (<module file>)" for one handed to
    #: `build_registry`.
    location: str
    #: The file of the plugin's module, when it has one.
    module_file: str | None
    #: The hooks it implements.
    hooks: tuple[str, ...]
    #: The installed distribution it comes from, and its version (None when unknown).
    distribution: str | None = None
    version: str | None = None

    def provenance(self, kind: str, name: str, hook: str) -> Provenance:
        """Where an item this plugin registered comes from."""
        return Provenance(
            kind,
            name,
            self.name,
            hook,
            self.distribution,
            self.version,
            builtin=self.location == BUILTIN,
        )


@frozen
class MetricLibrary:
    """A folder of `.metrics` files a plugin ships (a KPI pack), as `metricsmith plugins`
    lists it: included by its folder's name, each file one theme."""

    folder: str
    provenance: Provenance

    @property
    def name(self) -> str:
        return os.path.basename(self.folder)

    @property
    def themes(self) -> tuple[str, ...]:
        return themes(Path(self.folder))


@frozen(eq=False)
class Registry:
    """Everything the loaded plugins provide, by name."""

    connectors: dict[str, Connector]
    scalar_functions: dict[str, ScalarFunction]
    aggregate_functions: dict[str, AggregateFunction]
    #: Folders of `.metrics` files shipped by packages.
    libraries: list[str]
    formats: dict[str, OutputFormat]
    plugins: list[PluginInfo]
    #: One message per plugin failure, naming the plugin and the hook.
    problems: list[str]
    #: The engines queries run on, by name.
    engines: dict[str, Engine] = attrs.field(factory=dict)
    #: The metric libraries (`libraries`) with the plugin each comes from.
    packs: list[MetricLibrary] = attrs.field(factory=list)

    @property
    def functions(self) -> FunctionTable:
        """The functions formulas may call, as a project is checked with them."""
        return FunctionTable(self.scalar_functions, self.aggregate_functions)


class _Named(Protocol):
    """What a named hook returns: things with a name."""

    @property
    def name(self) -> str: ...


_T = TypeVar("_T")
_Item = TypeVar("_Item", bound=_Named)
_Described = TypeVar("_Described", ScalarFunction, AggregateFunction, OutputFormat)


@frozen
class _NamedHook(Generic[_Item]):
    """A hook returning named things; names are unique within `namespace`. `handed_out` is
    an item as the registry hands it out, carrying where it comes from."""

    hook: str
    noun: str
    # A tuple: a Protocol class may be given (mypy takes `type[X]` alone as a concrete class).
    expected: tuple[type[_Item], ...]
    namespace: str
    handed_out: Callable[[_Item, Provenance], _Item]


def _connector_handed_out(connector: Connector, provenance: Provenance) -> Connector:
    """A plugin's connector is wrapped so that its failures name it (the built-in ones are
    handed out as they are)."""
    return connector if provenance.builtin else PluginConnector(connector, provenance)


def _engine_handed_out(engine: Engine, provenance: Provenance) -> Engine:
    """As `_connector_handed_out`, for engines."""
    return engine if provenance.builtin else PluginEngine(engine, provenance)


def _with_provenance(item: _Described, provenance: Provenance) -> _Described:
    """Functions and formats carry where they come from in their `provenance` field."""
    return attrs.evolve(item, provenance=provenance)


_CONNECTORS = _NamedHook(
    "metricsmith_connectors", "connector", (Connector,), "connector", _connector_handed_out
)
_SCALARS = _NamedHook(
    "metricsmith_scalar_functions",
    "scalar function",
    (ScalarFunction,),
    "function",
    _with_provenance,
)
_AGGREGATES = _NamedHook(
    "metricsmith_aggregate_functions",
    "aggregate function",
    (AggregateFunction,),
    "function",
    _with_provenance,
)
_FORMATS = _NamedHook(
    "metricsmith_output_formats", "output format", (OutputFormat,), "format", _with_provenance
)
_ENGINES = _NamedHook("metricsmith_engines", "engine", (Engine,), "engine", _engine_handed_out)
_LIBRARIES_HOOK = "metricsmith_metric_libraries"
#: What the libraries hook's items may be: a folder's path.
_FOLDER_TYPES: tuple[type[str | os.PathLike[str]], ...] = (str, os.PathLike)

# The registry last built, and the METRICSMITH_PLUGINS it was built for.
_cached: tuple[str | None, Registry] | None = None


def get_registry(refresh: bool = False) -> Registry:
    """The registry of the built-in and installed plugins, built on first use and again when
    METRICSMITH_PLUGINS has changed since; `refresh` rebuilds it (after installing a plugin).
    Only the entry points call it (api.py, cli.py)."""
    global _cached
    selection = os.environ.get(SELECTION_VARIABLE)
    if refresh or _cached is None or _cached[0] != selection:
        _cached = (selection, build_registry())
    return _cached[1]


def build_registry(extra_plugins: Sequence[object] = (), *, strict: bool = False) -> Registry:
    """A fresh registry: built-in plugins, installed plugins, then `extra_plugins` (modules or
    objects with hook implementations, registered directly, as an embedder or a test would).
    With `strict`, a problem of one of the `extra_plugins` raises PluginError instead of being
    recorded (`load_project(..., plugins=[...])` builds it so)."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    problems = _Problems()
    plugins: list[PluginInfo] = []

    def register(
        plugin: object,
        name: str,
        origin: str,
        distribution: importlib.metadata.Distribution | None = None,
    ) -> None:
        try:
            manager.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as failure:
            problems.add(name, f"plugin `{name}` ({origin}) was not registered: {failure}")
            return
        callers = manager.get_hookcallers(plugin) or []
        for unknown in sorted(c.name for c in callers if c.spec is None):
            problems.add(
                name,
                f"plugin `{name}` ({origin}) implements `{unknown}`, which is not a metricsmith "
                f"hook; it is ignored (the hooks are {', '.join(_hook_names())})",
            )
        hooks = tuple(sorted(c.name for c in callers if c.spec is not None))
        module_file = _module_file(plugin)
        location = origin if origin == BUILTIN or not module_file else f"{origin} ({module_file})"
        plugins.append(
            PluginInfo(
                name,
                location,
                module_file,
                hooks,
                distribution.name if distribution else None,
                distribution.version if distribution else None,
            )
        )

    for module in BUILTIN_PLUGINS:
        register(module, module.__name__.removeprefix("metricsmith."), BUILTIN)
    for entry_point in _selected_entry_points(problems):
        origin = _distribution_label(entry_point)
        try:
            plugin = entry_point.load()
        except Exception as failure:  # a broken plugin must not take the engine down
            problems.add(
                entry_point.name,
                f"plugin `{entry_point.name}` ({origin}) failed to import: "
                f"{type(failure).__name__}: {failure}",
            )
            continue
        register(plugin, entry_point.name, origin, entry_point.dist)
    direct = []
    for plugin in extra_plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        register(plugin, name, "registered directly")
        direct.append(name)

    by_name = {info.name: info for info in plugins}
    named = _NamedItems(manager, [info.name for info in plugins], by_name, problems)
    found_connectors = named.collect(_CONNECTORS)
    found_scalars = named.collect(_SCALARS)
    found_aggregates = named.collect(_AGGREGATES)
    found_formats = named.collect(_FORMATS)
    found_engines = named.collect(_ENGINES)
    packs = _libraries(manager, named.order, by_name, problems)
    failed = [message for name in direct for message in problems.of(name)]
    if strict and failed:
        raise PluginError("\n".join(failed))
    return Registry(
        connectors=found_connectors,
        scalar_functions=found_scalars,
        aggregate_functions=found_aggregates,
        libraries=[pack.folder for pack in packs],
        formats=found_formats,
        plugins=plugins,
        problems=problems.messages,
        engines=found_engines,
        packs=packs,
    )


@attrs.define
class _NamedItems:
    """Collects what the named hooks return, hook by hook, plugin by plugin in `order`; a
    name already taken in its namespace (by any hook) is reported and skipped."""

    manager: pluggy.PluginManager
    order: list[str]
    by_name: Mapping[str, PluginInfo]
    problems: _Problems
    #: (namespace, name) -> (the plugin that registered it, what it registered).
    owners: dict[tuple[str, str], tuple[str, str]] = attrs.field(factory=dict)

    def collect(self, spec: _NamedHook[_Item]) -> dict[str, _Item]:
        problems, owners = self.problems, self.owners
        found: dict[str, _Item] = {}
        for plugin_name, item in _items(
            self.manager, spec.hook, spec.expected, self.order, problems
        ):
            key = (spec.namespace, item.name)
            broken = _broken_contract(item)
            if broken is not None:
                problems.add(
                    plugin_name,
                    f"plugin `{plugin_name}` (hook {spec.hook}): {spec.noun} `{item.name}` is "
                    f"ignored because {broken}",
                )
                continue
            if key in owners:
                first_plugin, first_noun = owners[key]
                problems.add(
                    plugin_name,
                    f"plugin `{plugin_name}` (hook {spec.hook}): {spec.noun} `{item.name}` is "
                    f"ignored because plugin `{first_plugin}` already registered a {first_noun} "
                    "of that name",
                )
                continue
            owners[key] = (plugin_name, spec.noun)
            provenance = self.by_name[plugin_name].provenance(spec.noun, item.name, spec.hook)
            found[item.name] = spec.handed_out(item, provenance)
        return found


@attrs.define
class _Problems:
    """The problems met while building a registry, in order, each with the plugin it concerns
    (None for the selection in METRICSMITH_PLUGINS)."""

    found: list[tuple[str | None, str]] = attrs.field(factory=list)

    def add(self, plugin: str | None, message: str) -> None:
        self.found.append((plugin, message))

    def of(self, plugin: str) -> list[str]:
        return [message for name, message in self.found if name == plugin]

    @property
    def messages(self) -> list[str]:
        return [message for _, message in self.found]


def _broken_contract(item: object) -> str | None:
    """What makes an item unusable, found before it is ever called: an aggregate must name a
    pyarrow hash aggregation that exists, or compute its groups itself; no engine may be
    called `auto`, which chooses among them (execute/choosing.py)."""
    if isinstance(item, Engine) and item.name == AUTO:
        return f"`{AUTO}` is not an engine's name: it asks metricsmith to choose one"
    if not isinstance(item, AggregateFunction):
        return None
    if item.hash_name is None:
        return None if item.grouped is not None else "it has neither `hash_name` nor `grouped`"
    try:
        pc.get_function(f"hash_{item.hash_name}")
    except (KeyError, pa.ArrowException):
        return f"pyarrow has no hash aggregation `{item.hash_name}` (its `hash_name`)"
    return None


def _items(
    manager: pluggy.PluginManager,
    hook: str,
    expected: tuple[type[_T], ...],
    order: Sequence[str],
    problems: _Problems,
) -> Iterator[tuple[str, _T]]:
    """(plugin name, item) for every item the plugins' implementations of `hook` return,
    calling one plugin at a time in registration order."""
    implementations = {
        impl.plugin_name: impl for impl in getattr(manager.hook, hook).get_hookimpls()
    }
    for plugin_name in order:
        if plugin_name not in implementations:
            continue
        try:
            result = implementations[plugin_name].function()
        except Exception as failure:  # one plugin's bug must not hide the others' features
            problems.add(
                plugin_name,
                f"plugin `{plugin_name}` (hook {hook}) raised {type(failure).__name__}: {failure}",
            )
            continue
        if result is None:  # pluggy's convention for "nothing to add"
            continue
        if not isinstance(result, list | tuple):
            problems.add(
                plugin_name,
                f"plugin `{plugin_name}` (hook {hook}) returned {type(result).__name__}, "
                "not a list",
            )
            continue
        for item in result:
            if isinstance(item, expected):
                yield plugin_name, item
            else:
                problems.add(
                    plugin_name,
                    f"plugin `{plugin_name}` (hook {hook}) returned {item!r}, which is not "
                    f"a {_type_names(expected)}; it is ignored",
                )


def _libraries(
    manager: pluggy.PluginManager,
    order: Sequence[str],
    by_name: Mapping[str, PluginInfo],
    problems: _Problems,
) -> list[MetricLibrary]:
    packs: list[MetricLibrary] = []
    for plugin_name, item in _items(manager, _LIBRARIES_HOOK, _FOLDER_TYPES, order, problems):
        folder = os.fspath(item)
        if not (os.path.isabs(folder) and os.path.isdir(folder)):
            problems.add(
                plugin_name,
                f"plugin `{plugin_name}` (hook {_LIBRARIES_HOOK}): `{folder}` is not an "
                "existing folder given by an absolute path; it is ignored",
            )
        elif folder not in [pack.folder for pack in packs]:
            provenance = by_name[plugin_name].provenance(
                "metric library", os.path.basename(folder), _LIBRARIES_HOOK
            )
            packs.append(MetricLibrary(folder, provenance))
    return packs


def _selected_entry_points(problems: _Problems) -> list[importlib.metadata.EntryPoint]:
    """The installed entry points METRICSMITH_PLUGINS asks for (all when it is unset)."""
    installed = list(importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP))
    selection = os.environ.get(SELECTION_VARIABLE)
    if selection is None:
        return installed
    wanted = {_normalized(name) for name in selection.split(",") if name.strip()}

    def names(entry_point: importlib.metadata.EntryPoint) -> set[str]:
        distribution = entry_point.dist.name if entry_point.dist else entry_point.name
        return {_normalized(entry_point.name), _normalized(distribution)}

    known = set().union(*(names(entry_point) for entry_point in installed))
    for name in sorted(wanted - known):
        problems.add(
            None,
            f"{SELECTION_VARIABLE} names `{name}`, but no installed plugin is called that "
            f"(installed: {', '.join(sorted(known)) or 'none'})",
        )
    return [entry_point for entry_point in installed if names(entry_point) & wanted]


def _normalized(name: str) -> str:
    """Distribution names compare case-insensitively, with `-`, `_` and `.` alike."""
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _distribution_label(entry_point: importlib.metadata.EntryPoint) -> str:
    if entry_point.dist is None:
        return "unknown distribution"
    return f"{entry_point.dist.name} {entry_point.dist.version}"


def _module_file(plugin: object) -> str | None:
    module = plugin if isinstance(plugin, types.ModuleType) else inspect.getmodule(type(plugin))
    return getattr(module, "__file__", None)


def _hook_names() -> list[str]:
    return [name for name in dir(hookspecs) if name.startswith("metricsmith_")]


def _type_names(expected: tuple[type, ...]) -> str:
    return " or ".join(kind.__name__ for kind in expected)
