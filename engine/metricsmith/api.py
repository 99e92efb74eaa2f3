"""The Python API: load a project, query it, get Arrow tables back (a `QueryResult`: the
answer's Arrow table, which shows itself in a notebook; present/result.py)."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
import warnings
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs
import pyarrow as pa
from attrs import define, field, frozen

from metricsmith.builtin.connectors import InMemoryReader
from metricsmith.check.availability import availability_notes
from metricsmith.check.checked import (
    CheckedProject,
    DimensionInfo,
    MetricInfo,
    ScorecardInfo,
    SourceInfo,
    Unavailable,
)
from metricsmith.check.libraries import is_library_name, library_target, origin
from metricsmith.check.parameters import with_target
from metricsmith.check.paths import (
    UNCONFINED,
    PathPolicy,
    caller_policy,
    check_path,
    is_definition_file,
    resolve,
    with_project_settings,
)
from metricsmith.check.project import check_project
from metricsmith.check.query import DEFAULT_MAX_PERIODS, CheckedQuery, Query, check_query
from metricsmith.check.suggest import did_you_mean
from metricsmith.dsl.parser import parse_expression, parse_file
from metricsmith.errors import DataError, DataWarning, Diagnostic, ProjectError, QueryError
from metricsmith.execute.data.versions import files_version, remember
from metricsmith.execute.ranking import check_columns, ranked, ranking_of
from metricsmith.model import expr as e
from metricsmith.model.contracts import Contract, ContractResult, Verification
from metricsmith.model.decl import ChartKind, IncludeDecl, Module, ProjectDecl
from metricsmith.model.targets import with_statuses
from metricsmith.model.time import GRAINS
from metricsmith.plugins.connections import Connection, load_connections
from metricsmith.plugins.engine import AUTO, Engine
from metricsmith.plugins.progress import Progress, no_progress
from metricsmith.present.progress import reporting
from metricsmith.present.result import QueryResult
from metricsmith.present.scorecard import MetricView, ScorecardView
from metricsmith.present.scorecard_values import ScorecardWindow, scorecard_view
from metricsmith.registry import Registry, build_registry, get_registry

#: What a query does when the data breaks a contract of a source it reads
#: (`[contracts] on_violation` in metricsmith.toml).
CONTRACT_POLICIES = ("warn", "error", "off")
DateLike = str | dt.date | dt.datetime | None
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def discover(path: Path) -> list[Path]:
    """The `.metrics` files of a project: the file itself, or every one below a folder."""
    if path.is_file():
        return [path] if is_definition_file(path) else []
    return sorted(p for p in path.rglob("*.metrics") if is_definition_file(p))


def load_project(
    path: str | Path,
    tables: Mapping[str, object] | None = None,
    *,
    plugins: Sequence[object] = (),
    confine: bool = False,
    data_roots: Sequence[str | os.PathLike[str]] = (),
    trusted: bool = True,
    progress: bool | Progress = False,
) -> Project:
    """Parse and check a project (a `.metrics` file or a folder of them).

    `tables` binds sources to tables in memory instead of their connectors: Arrow tables,
    pandas or polars DataFrames, or anything speaking the Arrow stream protocol
    (`__arrow_c_stream__`). Raises ProjectError carrying every diagnostic when the
    definitions have problems.

    `plugins` are modules or objects with hook implementations (docs/plugins.md), registered
    for this project after the built-in and installed plugins; one that cannot be registered
    (a hook that raises, a name already taken...) raises PluginError. The project is checked,
    planned and run with the functions, connectors and engines they all provide.

    `confine=True` limits every path the definitions name (data files, includes) to the
    project's folder and `data_roots` (docs/security.md). `trusted=False` says the definitions
    come from someone who should not read every file this process can (the users of a server):
    their paths are confined, and data roots they declare cannot widen what the caller allows.
    A `metricsmith serve` is to load with `trusted=False`; METRICSMITH_CONFINE in the
    environment makes every load untrusted.

    `progress=True` shows what is being done (reading, opening each source, checking) on a
    terminal or in a notebook; a callable receives each phase instead (present/progress.py).
    """
    with reporting(progress, "reading the definitions") as report:
        return _load(Path(path), tables, plugins, confine, data_roots, trusted, report)


def _load(
    root: Path,
    tables: Mapping[str, object] | None,
    plugins: Sequence[object],
    confine: bool,
    data_roots: Sequence[str | os.PathLike[str]],
    trusted: bool,
    progress: Progress,
) -> Project:
    if not root.exists():
        raise ProjectError(
            [
                Diagnostic(
                    code="no-project",
                    message=f"`{root}` does not exist",
                    hint="pass a .metrics file or a folder containing them",
                )
            ]
        )
    files = discover(root)
    if not files:
        raise ProjectError(
            [
                Diagnostic(
                    code="no-project",
                    message=(
                        f"`{root}` is not a .metrics file"
                        if root.is_file()
                        else f"no .metrics files in `{root}`"
                    ),
                    hint="definition files end in .metrics; no other file is read as one",
                )
            ]
        )
    policy, found = caller_policy(
        str(root if root.is_dir() else root.parent),
        confine=confine,
        trusted=trusted,
        data_roots=data_roots,
    )
    registry = build_registry(plugins, strict=True) if plugins else get_registry()
    real = _RealPaths()
    modules, problems, policy = read_modules(files, registry.libraries, policy, real)
    found += problems
    progress(f"checking {len(modules)} definition file{'' if len(modules) == 1 else 's'}")
    connections = load_connections(root if root.is_dir() else root.parent, trusted=policy.trusted)
    # Files reached through an `include` (by path or by name) are libraries: their metrics
    # need only the inputs of those queried (docs/language.md, "Including a library").
    library_files = _included(modules, files, real)
    inputs = _CheckInputs(modules, registry, policy, connections, library_files, tuple(found))
    # Only definitions over files of their own can be checked once for several loads: a
    # table passed in memory or a plugin of the call's own makes a project of its own.
    earlier = None if tables or plugins else _checked_before(root, inputs)
    if earlier is not None:
        checked, verdicts = earlier.checked, earlier.verdicts
    else:
        # Syntax errors do not stop the checking of what parsed: one run shows every problem.
        checked = check_project(
            modules,
            connectors=registry.connectors,
            functions=registry.functions,
            tables=_in_memory(tables or {}),
            paths=policy,
            connections=connections,
            read_problems=found,
            progress=progress,
            library_files=library_files,
        )
        verdicts = Verdicts()
        if not tables and not plugins:
            _keep_checked(root, inputs, checked, verdicts)
    return Project(
        root,
        checked,
        [Path(m.path) for m in modules],
        paths=policy,
        engines=registry.engines,
        libraries=registry.libraries,
        verdicts=verdicts,
    )


@frozen(eq=False)
class _CheckInputs:
    """All that checking a project reads besides its data's schemas: the parsed files (the
    same objects while the files' bytes are the same: dsl/parser.py keeps them), the plugins'
    registry, the path policy, the connections, which files are libraries and what reading
    the files found. Equal inputs over the same data check to the same project."""

    modules: Sequence[Module]
    registry: Registry
    policy: PathPolicy
    connections: Mapping[str, Connection]
    library_files: frozenset[str]
    found: tuple[Diagnostic, ...]

    def same(self, other: _CheckInputs) -> bool:
        # Parsed modules compare by their declarations, which are the parser's cached objects
        # (an included file's module is re-made with its namespace, its declarations are not).
        return (
            self.registry is other.registry
            and list(self.modules) == list(other.modules)
            and (self.policy, self.connections, self.library_files, self.found)
            == (other.policy, other.connections, other.library_files, other.found)
        )


@frozen(eq=False)
class _CheckedLoad:
    """A project checked earlier in this process: what it was checked from, the version of
    the data files whose schemas checking read, and the contract verdicts on that data."""

    inputs: _CheckInputs
    checked: CheckedProject
    files: tuple[object, ...]
    verdicts: Verdicts


#: Projects checked in this process by folder or file, the most recent last: a process that
#: loads a project again (a notebook, a server, a benchmark) checks it again only when its
#: definitions or data files changed; bounded, so a long-lived process keeps a few.
_CHECKED: dict[Path, _CheckedLoad] = {}
_CHECKED_KEPT = 16


def _checked_before(root: Path, inputs: _CheckInputs) -> _CheckedLoad | None:
    earlier = _CHECKED.get(root.resolve())
    if earlier is None or not earlier.inputs.same(inputs):
        return None
    return earlier if _file_versions(earlier.checked) == earlier.files else None


def _keep_checked(
    root: Path, inputs: _CheckInputs, checked: CheckedProject, verdicts: Verdicts
) -> None:
    files = _file_versions(checked)
    if files is None:  # data that can change unseen: checked afresh each time
        return
    remember(
        _CHECKED, root.resolve(), _CheckedLoad(inputs, checked, files, verdicts), _CHECKED_KEPT
    )


def _file_versions(checked: CheckedProject) -> tuple[object, ...] | None:
    """The version of each source's file, when every source reads one plain file (a folder
    or a pattern can gain files unseen, a database changes unseen); None otherwise."""
    return _data_version(checked, one_file_each=True)


def _data_version(checked: CheckedProject, *, one_file_each: bool) -> tuple[object, ...] | None:
    """What identifies a project's data as it is now: each source's files with their versions
    (`files_version`), or the table held in memory (which does not change); None when a
    source's data has neither (a database's table) or, with `one_file_each`, when a source
    reads anything but the one file it names."""
    version: list[object] = []
    for name, info in sorted(checked.sources.items()):
        if isinstance(info.reader, InMemoryReader) and not one_file_each:
            version.append((name, id(info.reader)))
            continue
        files = files_version(info.reader)
        if files is None or (one_file_each and [f[0] for f in files] != [info.reader.location]):
            return None
        version.append((name, files))
    return tuple(version)


def project_connections(path: str | Path, *, trusted: bool = True) -> dict[str, Connection]:
    """The connections a project's sources may name (plugins/connections.py), read without
    loading its definitions, so that they can be listed and tested while a database is down:
    the project's metricsmith.toml's, unless the definitions are untrusted (`trusted=False`,
    or METRICSMITH_CONFINE in the environment), with the profiles file's over them."""
    root = Path(path)
    folder = root if root.is_dir() else root.parent
    policy, _ = caller_policy(str(folder), confine=False, trusted=trusted, data_roots=())
    return load_connections(folder, trusted=policy.trusted)


def _in_memory(tables: Mapping[str, object]) -> dict[str, InMemoryReader]:
    """Readers of the tables bound to sources by name."""
    return {
        name: InMemoryReader(_arrow_table(name, table), location=f"in-memory table for `{name}`")
        for name, table in tables.items()
    }


def _arrow_table(name: str, table: object) -> pa.Table:
    """A table given for a source as an Arrow table: pandas and polars frames, and anything
    speaking the Arrow stream protocol, are converted; anything else is a DataError naming the
    source. Text and binary columns in Arrow's view layouts (polars exports its text so) are
    read as plain ones, which every engine's kernels take."""
    arrow = _converted(name, table)
    plain = pa.schema(
        [field.with_type(_VIEWS.get(field.type, field.type)) for field in arrow.schema]
    )
    return arrow if plain == arrow.schema else arrow.cast(plain)


_VIEWS = {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}


def _converted(name: str, table: object) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if hasattr(table, "__arrow_c_stream__") or type(table).__module__.startswith("pandas"):
        try:
            return pa.table(table)
        except (pa.ArrowException, TypeError, ValueError) as problem:
            raise DataError(
                f"the {type(table).__name__} given for `{name}` cannot be read as an Arrow "
                f"table: {problem}",
                source=name,
                hint="give each column one type (a pandas `object` column mixing text and "
                "numbers cannot be converted), or convert it to a pyarrow.Table yourself",
            ) from None
    raise DataError(
        f"the {type(table).__name__} given for `{name}` is not a table",
        source=name,
        hint="give a pyarrow.Table, a pandas or polars DataFrame, or an object with "
        "__arrow_c_stream__",
    )


class _RealPaths(dict[str, str]):
    """The path each definition file of one load opens (`resolve`: every link followed), by
    the path it was found at, resolved once: the confinement check, parsing each file once
    and telling the project's own files from the included ones all ask, and resolving costs
    a system call per folder on the way (a load used to resolve each file four times)."""

    def __missing__(self, path: str) -> str:
        self[path] = found = resolve(path)
        return found


def read_modules(
    files: Sequence[Path],
    libraries: Sequence[str],
    policy: PathPolicy,
    real: _RealPaths,
) -> tuple[list[Module], list[Diagnostic], PathPolicy]:
    """Parse the project's files and, transitively, every file they include (once each).

    The project's own files come first: a `project` declaration among them completes the
    path policy, which every include must then satisfy. Returns the policy too. `real`
    keeps the files' resolved paths for the rest of the load."""
    by_name = {Path(folder).name: Path(folder) for folder in libraries}
    seen: set[str] = set()
    files, found = _within(files, policy, real)
    modules, problems = _parse_new(files, seen, real)
    found += problems
    settings = [x for module in modules for x in module.decls if isinstance(x, ProjectDecl)]
    policy, problems = with_project_settings(policy, settings)
    found += problems
    # A project confining itself holds its own files to it too.
    kept, problems = _within([Path(m.path) for m in modules], policy, real)
    found += problems
    modules = [m for m in modules if Path(m.path) in kept]
    may_include = policy.widened(libraries)
    pending = [(include, module) for module in modules for include in _includes(module)]
    while pending:
        include, module = pending.pop(0)
        targets, problems = _include_files(include, Path(module.path), by_name, may_include)
        found += problems
        included, problems = _parse_new(targets, seen, real)
        if included:  # only then was the target admitted, and may be looked at
            namespace = module.namespace or _namespace(include, Path(module.path))
            included = [attrs.evolve(m, namespace=namespace) for m in included]
        found += problems + [_included_project(x) for m in included for x in _settings(m)]
        modules += included
        pending += [(x, m) for m in included for x in _includes(m)]
    return modules, found, policy


def _parse_new(
    files: Sequence[Path], seen: set[str], real: _RealPaths
) -> tuple[list[Module], list[Diagnostic]]:
    """Parse the files not parsed yet."""
    modules, found = [], []
    for file in files:
        resolved = real[os.fspath(file)]
        if resolved in seen:
            continue
        seen.add(resolved)
        try:
            module, problems = parse_file(file)
        except OSError as err:  # unreadable: permissions, a folder named *.metrics, ...
            found.append(
                Diagnostic(
                    code="unreadable-file",
                    message=f"cannot read `{file}`: {err.strerror or err}",
                    hint="check that it is a readable file",
                )
            )
            continue
        found += problems
        modules.append(module)
    return modules, found


def _included(modules: Sequence[Module], own: Sequence[Path], real: _RealPaths) -> frozenset[str]:
    """The paths of the modules that are not the project's own files."""
    mine = {real[os.fspath(file)] for file in own}
    return frozenset(m.path for m in modules if real[os.fspath(m.path)] not in mine)


def _includes(module: Module) -> list[IncludeDecl]:
    return [x for x in module.decls if isinstance(x, IncludeDecl)]


def _settings(module: Module) -> list[ProjectDecl]:
    return [x for x in module.decls if isinstance(x, ProjectDecl)]


def _within(
    files: Sequence[Path], policy: PathPolicy, real: _RealPaths
) -> tuple[list[Path], list[Diagnostic]]:
    """The project's own files that the policy admits, and a problem for each other one (a
    link leading out of the project)."""
    kept = [file for file in files if policy.admits(real[os.fspath(file)])]
    return kept, [
        Diagnostic(
            code="path-outside-project",
            message=f"`{file}` is a link leading outside the folders this project may read",
            hint=f"paths are confined to {', '.join(policy.roots)}; copy the file into the "
            "project instead",
        )
        for file in files
        if file not in kept
    ]


def _included_project(decl: ProjectDecl) -> Diagnostic:
    return Diagnostic(
        code="included-project",
        message="a `project` block in an included file has no effect",
        span=decl.span,
        hint="declare the project in its own files, not in a file they include",
    )


def _include_files(
    include: IncludeDecl, file: Path, libraries: Mapping[str, Path], policy: PathPolicy
) -> tuple[list[Path], list[Diagnostic]]:
    """The definition files an include brings in, or why it brings none. A path is checked
    before the target is looked at, so nothing outside a confined project is read or probed;
    a library's name is no path (plugins are trusted)."""
    if include.library:
        found = library_target(include.target, include.target_span, libraries)
        if isinstance(found, Diagnostic):
            return [], [found]
        target: Path | None = found
    else:
        refused = check_path(include.target, str(file.parent), include.target_span, policy)
        if refused is not None:
            return [], [refused]
        target, problem = _include_target(include, file, libraries)
        if problem is not None:
            return [], [problem]
    if target is None:
        suggestion = did_you_mean(include.target, libraries)
        hint = (f"{suggestion} " if suggestion else "") + (
            "a path relative to this file, or a library: "
            + (", ".join(sorted(libraries)) or "(no plugin ships one)")
        )
        return [], [
            Diagnostic(
                code="bad-include",
                message=f"nothing to include at `{include.target}`",
                span=include.span,
                hint=hint,
            )
        ]
    if target.is_dir():
        return discover(target), []
    if not is_definition_file(target):
        return [], [
            Diagnostic(
                code="include-not-metrics",
                message=f"`{include.target}` is not a .metrics file",
                span=include.target_span,
                hint="include a .metrics file, a folder of them or a library by name; no "
                "other file is read as definitions",
            )
        ]
    return [target], []


def _namespace(include: IncludeDecl, file: Path) -> str:
    """The namespace of what a project file includes: the library's name (a theme of it,
    `customer_success.revenue`, is in the library's), or the name of the included folder (of
    a file's folder). Files they include in turn share it."""
    if include.library:
        return include.target.split(".")[0]
    local = (file.parent / include.target).resolve()
    if local.is_file():
        return local.parent.name
    return local.name if local.exists() else include.target.split(".")[0]


def _include_target(
    include: IncludeDecl, file: Path, libraries: Mapping[str, Path]
) -> tuple[Path | None, Diagnostic | None]:
    """A quoted include: a path relative to the file first, else a library (or theme)."""
    local = file.parent / include.target
    try:
        if local.exists():
            return local, None
    except OSError:  # a name the file system refuses, e.g. too long: nothing is there
        pass
    if not is_library_name(include.target, libraries):
        return None, None
    found = library_target(include.target, include.target_span, libraries)
    return (None, found) if isinstance(found, Diagnostic) else (found, None)


@define
class Verdicts:
    """The contract verdicts on one version of a project's data (`Project._data_version`):
    those on an older version are dropped once the data is seen to have changed."""

    version: tuple[object, ...] | None = None
    results: dict[Contract, ContractResult] = field(factory=dict)

    def on(self, version: tuple[object, ...] | None) -> dict[Contract, ContractResult]:
        """The verdicts on the data as it is now (`version`: None when it has none)."""
        if version is not None and version != self.version:
            self.results.clear()  # files were replaced since: their verdicts are stale
            self.version = version
        return self.results


class Project:
    """A checked project, ready to answer queries."""

    def __init__(
        self,
        path: Path,
        checked: CheckedProject,
        files: Sequence[Path],
        *,
        engines: Mapping[str, Engine],
        paths: PathPolicy = UNCONFINED,
        libraries: Sequence[str] = (),
        verdicts: Verdicts | None = None,
    ):
        self.path = path
        self.checked = checked
        self.files = tuple(files)
        #: The folders of the metric libraries (KPI packs) it could include.
        self.libraries = tuple(libraries)
        #: Where the project may read (confined or not, and to which folders).
        self.paths = paths
        #: The engines its queries may run on, by name (those of the plugins it was loaded with).
        self.engines = dict(engines)
        #: What loading and the queries so far warned about: definitions and contracts
        #: (positioned diagnostics) and the data (`DataWarning`s); each has `render()`.
        self.warnings: tuple[Diagnostic | DataWarning, ...] = ()
        # Verdicts on the data as it is: each contract is checked at most once per version of
        # the data (`_data_version`), so a plan never relies on a verdict on replaced files.
        # Shared with the loads of the same definitions in this process (`_CHECKED`).
        self._verdicts = Verdicts() if verdicts is None else verdicts

    @property
    def metrics(self) -> dict[str, MetricInfo]:
        return self.checked.metrics

    @property
    def metric_origins(self) -> dict[str, str]:
        """Where each metric is defined: `library.theme` (`customer_success.revenue`) for a
        pack's, else the file's path relative to the project."""
        return {name: self._origin(name, info) for name, info in self.metrics.items()}

    def _origin(self, name: str, info: MetricInfo) -> str:
        # An overridden metric comes from where the library defines it (its original keeps
        # the qualified name).
        if info.overrides and info.origin is not None:
            info = self.metrics.get(f"{info.origin}.{name}", info)
        return origin(info.decl.span.path, self.libraries, self.path)

    @property
    def sources(self) -> dict[str, SourceInfo]:
        return self.checked.sources

    @property
    def dimensions(self) -> dict[str, DimensionInfo]:
        return self.checked.dimensions

    @property
    def unavailable(self) -> Mapping[str, Unavailable]:
        """Included library metrics the project lacks the inputs of (check/availability.py)."""
        return self.checked.unavailable

    @property
    def notes(self) -> list[Diagnostic]:
        """Information about the project, not problems: per library theme, what it needs
        for the metrics that are unavailable."""
        return availability_notes(self.checked.unavailable, self.checked.sources)

    @property
    def scorecards(self) -> Mapping[str, ScorecardInfo]:
        return self.checked.scorecards

    def query(
        self,
        metrics: Sequence[str],
        *,
        by: Sequence[str] = (),
        grain: str | None = None,
        start: DateLike = None,
        end: DateLike = None,
        where: Sequence[str] = (),
        engine: str | None = None,
        spark_session: object | None = None,
        max_periods: int | None = DEFAULT_MAX_PERIODS,
        progress: bool | Progress = False,
        params: Mapping[str, object] | None = None,
        status: bool = False,
        as_of: DateLike = None,
        order_by: Sequence[str] | str = (),
        limit: int | None = None,
        per: Sequence[str] | str = (),
    ) -> QueryResult:
        """Compute `metrics` per period of `grain` in [start, end), sliced by `by`, on
        `engine` ("arrow", "duckdb", "spark", one in `self.engines` that a plugin adds, or
        "auto": the one the plan's shape suits, docs/engines.md; default: the project's
        metricsmith.toml, else "arrow"). `spark_session` runs Spark
        queries in the caller's own session. A range of more than `max_periods` periods is
        refused (QueryError) before any is computed; None lifts the limit. `progress` as for
        `load_project`. `params` sets declared parameters by name (`{"window":
        timedelta(days=14), "plan": "pro"}`; text such as `"14d"` is read as on the command
        line); the others keep their defaults. `as_of` is the instant the data is known up to
        (default: now): state sources are read at it when the range has no end, and a
        conversion's periods whose window has not closed by it are null.

        The answer is a `QueryResult`: the Arrow table for code (its methods, `len`, `==`,
        `__arrow_c_stream__`; `to_arrow()` for the `pyarrow.Table` itself), a labelled
        table with targets in a notebook, and `chart()`.

        With `status`, the answer ends with each metric's `<metric>:status` column ("green",
        "amber", "red", null without a target or a value; model/targets.py), after its
        `<metric>:target` when the target is read from the data (computed per period and
        slice like the metric).

        `order_by` ranks the answer by columns of it (`["-mrr", "accounts.name"]`; `-mrr` or
        `mrr:desc` is descending), `limit` keeps its first rows, `per` (columns of `by`) its
        first `limit` rows of each group; with a grain, within each period unless `order_by`
        names the period. Ties fall to the other columns, nulls last (execute/ranking.py)."""
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        ranking = ranking_of(order_by, limit, per, [b for b in by if b not in GRAINS])
        with reporting(progress, "planning") as report:
            query = self.build_query(
                metrics,
                by=by,
                grain=grain,
                start=start,
                end=end,
                where=where,
                max_periods=max_periods,
                params=params,
                targets=status,
            )
            # A misspelt order-by name costs nothing: refused before the query runs.
            check_columns(ranking, _columns(query, by, names, status))
            answer = self._run(query, engine, spark_session, report, self._as_of(as_of))
        if status:
            keys = [self.checked.metric_key(name) for name in names]
            answer = with_statuses(answer, [(k, self.metrics[k].decl.target) for k in keys])
        answer = ranked(answer, ranking, query.grain)
        return QueryResult(
            answer,
            tuple(self._view(self.checked.metric_key(name), query) for name in names),
            {name: info.decl.label for name, info in self.dimensions.items() if info.decl.label},
            self.checked.calendar.rules,
        )

    def scorecard(
        self,
        name: str,
        *,
        end: DateLike = None,
        periods: int | None = None,
        engine: str | None = None,
        spark_session: object | None = None,
        max_periods: int | None = DEFAULT_MAX_PERIODS,
        params: Mapping[str, object] | None = None,
    ) -> ScorecardView:
        """Run the scorecard `name` declared in the definitions: its metrics over its latest
        `periods` periods (default: the declaration's), each with the periods it is compared
        with, and each heat map's cells. The periods shown end before `end` (a period that
        `end` falls inside is not shown); without `end` they end with the latest period of
        the data, which may still be under way. On `engine` as `query` runs, with `params`
        as `query` takes them."""
        info = self.scorecards.get(name)
        if info is None:
            hint = did_you_mean(name, self.scorecards) or (
                "`metricsmith list` shows the scorecards"
            )
            raise QueryError(f"unknown scorecard `{name}`", hint=hint)
        if periods is not None and periods < 1:
            raise QueryError(f"a scorecard shows at least one period, not {periods}")
        window = ScorecardWindow.of(info, self.checked.calendar, periods or info.periods)
        zone = zoneinfo.ZoneInfo(self.checked.calendar.timezone)
        stop = window.boundary(parse_instant(end, zone, "end"))
        query = Query(
            metrics=info.metrics,
            by=info.by,
            grain=info.grain,
            start=window.first_computed(stop),
            end=stop,
            max_periods=max_periods,
            parameters=params or {},
            # Targets read from the data are computed beside their metrics, for the statuses.
            targets=True,
        )
        checked_query = check_query(self.checked, query)
        computed = self._run(checked_query, engine, spark_session)
        shown = window.shown(stop, computed.column(info.grain).to_pylist())
        cells = {}
        for chart in info.charts if shown else ():
            if chart.kind is ChartKind.HEATMAP:
                cohorts = Query(
                    metrics=tuple(m for m, _ in chart.metrics),
                    by=chart.by,
                    grain=info.grain,
                    start=window.start_of(shown[0]),
                    end=window.end_of(shown[-1]),
                    max_periods=max_periods,
                    parameters=params or {},
                )
                checked = check_query(self.checked, cohorts)
                cells[chart.title] = self._run(checked, engine, spark_session)
        names = [*info.metrics, *(m for c in info.charts for m, _ in c.metrics)]
        views = {n: self._view(n, checked_query) for n in names}
        return scorecard_view(info, views, computed, shown, cells, self.checked.calendar.rules)

    def _view(self, name: str, query: CheckedQuery) -> MetricView:
        """How metric `name` is shown in the answer to `query`: a target set by a parameter
        shows the query's value."""
        return MetricView(with_target(self.metrics[name].decl, query.parameters))

    def _run(
        self,
        query: CheckedQuery,
        engine: str | None,
        spark_session: object | None,
        progress: Progress = no_progress,
        as_of: dt.datetime | None = None,
    ) -> pa.Table:
        """A checked query's answer on `engine`, with the data's warnings recorded; the
        phases of the work reported to `progress`; `as_of` as for `query`."""
        from metricsmith.execute.engines import execute
        from metricsmith.plan import plan_query

        call = {"spark": {"session": spark_session}} if spark_session is not None else {}
        settings = self._engine_settings().choose(self.engines, engine, call)
        policy, version = self._contracts_now()
        plan = plan_query(
            self.checked, query, as_of=as_of, facts=self._planning_facts(policy, version)
        )
        self._enforce_contracts((read.source for read in plan.reads), policy, version, progress)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            answer = execute(plan, self.checked, settings, self.engines, progress)
        # Data warnings join the definitions' and contracts' in `warnings`, one place to read
        # them, and are issued again under the caller's filters (`-W error` rejects the data).
        data = [w.message for w in caught if isinstance(w.message, DataWarning)]
        self.warnings = (*self.warnings, *(w for w in data if w not in self.warnings))
        for warning in caught:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        return answer

    def contracts(self, sources: Sequence[str] | None = None) -> list[Contract]:
        """The data contracts of the project (or of `sources`), in declaration order: each
        source's key uniqueness and its `expect` items."""
        names = list(self.sources) if sources is None else list(sources)
        for name in names:
            if name not in self.sources:
                hint = did_you_mean(name, self.sources) or "`metricsmith list` shows the sources"
                raise QueryError(f"unknown source `{name}`", hint=hint)
        return [c for name in names for c in self.sources[name].contracts]

    def test(self, sources: Sequence[str] | None = None) -> list[ContractResult]:
        """Check the data contracts (of every source, or of `sources`) against all the rows
        of the data; one result per contract, with failing-row counts and up to 5 examples."""
        return self._verify(self.contracts(sources), self._data_version())

    def verification(self) -> Verification:
        """What a plan may rely on: asked about a fact (`unique`, `link_complete`, `holds`),
        it verifies the contracts stating it against the data first (once per project)."""
        return Verification(
            tuple(self.contracts()), lambda contracts: self._verify(contracts, self._data_version())
        )

    def _contracts_now(self) -> tuple[str, tuple[object, ...] | None]:
        """The contracts' policy (`[contracts] on_violation`; "warn" for untrusted definitions,
        which do not get to turn their own contracts off) and, unless it is "off", the data's
        version (`_data_version`). Taken once per query, for the planner's facts and the
        contracts' check alike: telling the version reads every data file's size and time
        (and a small file's bytes), and the policy the settings file."""
        policy = contract_policy(self.path) if self.paths.trusted else "warn"
        return policy, None if policy == "off" else self._data_version()

    def _planning_facts(
        self, policy: str, version: tuple[object, ...] | None
    ) -> Verification | None:
        """What a plan may rely on: the contracts verified against the data of `version`,
        when every source's data has a version to tell a change by; data that can change
        unseen (a database's table) gets the plan that relies on nothing, as does a project
        whose contracts are `"off"` (not looked at: no data is read to verify them)."""
        if policy == "off" or version is None:
            return None
        return Verification(
            tuple(self.contracts()), lambda contracts: self._verify(contracts, version)
        )

    def _data_version(self) -> tuple[object, ...] | None:
        """The project's data as it is now (`_data_version`): contract verdicts are kept per
        version."""
        return _data_version(self.checked, one_file_each=False)

    def _verify(
        self, contracts: Sequence[Contract], version: tuple[object, ...] | None
    ) -> list[ContractResult]:
        """The verdicts on `contracts`, verified against the data of `version` (None: it has
        none) unless known already."""
        from metricsmith.execute.arrow.contracts import verify_contracts

        known = self._verdicts.on(version)
        pending = [c for c in dict.fromkeys(contracts) if c not in known]
        # The written contracts of the same sources are verified with them, in the same read
        # of the data: a query checks all of them once it reads the source, and the planner
        # asks about one fact at a time.
        pending += [
            c
            for s in dict.fromkeys(c.source for c in pending)
            for c in self.sources[s].contracts
            if c.declared and c not in known and c not in pending
        ]
        if pending:
            known.update((r.contract, r) for r in verify_contracts(self.checked, pending))
        return [known[c] for c in contracts]

    def _enforce_contracts(
        self,
        sources: Iterable[str],
        policy: str,
        version: tuple[object, ...] | None,
        progress: Progress = no_progress,
    ) -> None:
        """Check the written contracts of the sources a query reads, on the data of `version`,
        as `policy` (`_contracts_now`) asks: warn (the default), fail the query, or not at
        all."""
        if policy == "off":
            return
        contracts = [c for s in dict.fromkeys(sources) for c in self.sources[s].contracts]
        if any(c.declared and c not in self._verdicts.results for c in contracts):
            progress("checking the data contracts")
        declared = [c for c in contracts if c.declared]
        broken = [r for r in self._verify(declared, version) if not r.passed]
        violated = [r for r in broken if r.error is None]
        if violated and policy == "error":
            raise contract_error(violated[0])
        # A contract that could not be checked is not known to be broken: it warns.
        new = [contract_warning(r) for r in broken]
        self.warnings = (*self.warnings, *(w for w in new if w not in self.warnings))

    def explain(
        self,
        metrics: Sequence[str],
        *,
        by: Sequence[str] = (),
        grain: str | None = None,
        start: DateLike = None,
        end: DateLike = None,
        where: Sequence[str] = (),
        engine: str | None = None,
        sql: bool = False,
        dialect: str | None = None,
        max_periods: int | None = DEFAULT_MAX_PERIODS,
        params: Mapping[str, object] | None = None,
        as_of: DateLike = None,
    ) -> str:
        """The plan for a query, as text: scans, fused aggregates, joins, pushdown. With `sql`
        (or a `dialect`), the SQL the plan compiles to instead, formatted: parameters (`params`,
        as `query` takes them) are placeholders there, their values listed above the SQL.
        `as_of` as for `query`. With `engine="auto"` (or a project defaulting to it), a line
        says which engine the query would run on and why."""
        from metricsmith.execute.engines import chosen, explain_sql
        from metricsmith.plan import explain, plan_query

        query = self.build_query(
            metrics,
            by=by,
            grain=grain,
            start=start,
            end=end,
            where=where,
            max_periods=max_periods,
            params=params,
        )
        plan = plan_query(
            self.checked,
            query,
            as_of=self._as_of(as_of),
            facts=self._planning_facts(*self._contracts_now()),
        )
        settings = self._engine_settings().choose(self.engines, engine)
        choice = None
        if settings.engine == AUTO:
            choice = chosen(plan, self.checked, settings, self.engines)
            settings = attrs.evolve(settings, engine=choice.engine)
        if not (sql or dialect):
            return explain(plan, None if choice is None else choice.describe())
        text = explain_sql(plan, self.checked, settings, self.engines, dialect)
        return text if choice is None else f"-- {choice.describe()}\n{text}"

    def _as_of(self, as_of: DateLike) -> dt.datetime | None:
        zone = zoneinfo.ZoneInfo(self.checked.calendar.timezone)
        return parse_instant(as_of, zone, "as_of")

    def _engine_settings(self):
        """The project's metricsmith.toml, unless the definitions are untrusted: their
        authors do not choose where queries run (a Spark Connect `remote` would receive the
        data)."""
        from metricsmith.execute.engines import EngineSettings, load_settings

        if not self.paths.trusted:
            return EngineSettings()
        return load_settings(self.path, self.engines)

    def build_query(
        self,
        metrics: Sequence[str],
        *,
        by: Sequence[str],
        grain: str | None,
        start: DateLike,
        end: DateLike,
        where: Sequence[str],
        max_periods: int | None = DEFAULT_MAX_PERIODS,
        params: Mapping[str, object] | None = None,
        targets: bool = False,
    ) -> CheckedQuery:
        """The query the strings ask for (a grain among `by` is the grain), checked against
        the project (check/query.py)."""
        if isinstance(metrics, str):
            metrics = [metrics]
        dimensions = []
        for item in by:
            if item in GRAINS:
                if grain not in (None, item):
                    raise QueryError(f"two grains requested: `{grain}` and `{item}`")
                grain = item
            else:
                dimensions.append((item, self._dimension_formula(item)))
        tz = zoneinfo.ZoneInfo(self.checked.calendar.timezone)
        query = Query(
            metrics=tuple(self.checked.metric_key(name) for name in metrics),
            by=tuple(dimensions),
            grain=grain,
            start=parse_instant(start, tz, "start"),
            end=parse_instant(end, tz, "end"),
            filters=tuple(parse_expression(text, origin="--where") for text in where),
            max_periods=max_periods,
            parameters=params or {},
            targets=targets,
        )
        return check_query(self.checked, query)

    def _dimension_formula(self, item: str) -> e.Expr:
        if item in self.dimensions:
            return self.dimensions[item].decl.expr
        return parse_expression(item, origin="--by")


def _columns(
    query: CheckedQuery, by: Sequence[str], metrics: Sequence[str], status: bool
) -> list[str]:
    """The columns the answer to `query` can have: its period, its slices, its metrics and,
    with statuses, their targets and statuses."""
    companions = [f"{m}:{kind}" for m in metrics for kind in ("target", "status")]
    period = [query.grain] if query.grain else []
    return [*period, *(b for b in by if b not in GRAINS), *metrics, *(companions if status else ())]


def contract_policy(project_path: Path) -> str:
    """`[contracts] on_violation` from the project's metricsmith.toml ("warn" without one)."""
    from metricsmith.execute.engines import SETTINGS_FILE

    folder = project_path if project_path.is_dir() else project_path.parent
    path = folder / SETTINGS_FILE
    if not path.is_file():
        return "warn"
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("contracts", {})
    except tomllib.TOMLDecodeError as error:
        raise QueryError(f"{path}: {error}", hint="fix the TOML syntax") from None
    if not isinstance(table, dict):
        raise QueryError(f"{path}: `contracts` must be a table ([contracts])")
    policy = table.get("on_violation", "warn")
    if policy not in CONTRACT_POLICIES:
        raise QueryError(
            f"{path}: [contracts] on_violation is {policy!r}",
            hint="use " + ", ".join(f'"{p}"' for p in CONTRACT_POLICIES),
        )
    return str(policy)


def contract_warning(result: ContractResult) -> Diagnostic:
    contract = result.contract
    verdict = "cannot be checked against" if result.error else "breaks"
    return Diagnostic(
        code="contract",
        message=f"the data of `{contract.source}` {verdict} `{contract.text}`: {result.summary()}",
        span=contract.span,
        hint="the numbers are computed as the data is; `metricsmith test` shows the rows",
        severity="warning",
    )


def contract_error(result: ContractResult) -> DataError:
    contract = result.contract
    first = result.examples[0] if result.examples else None
    return DataError(
        f"the data breaks the contract `{contract.text}` ({contract.span}): {result.summary()}",
        source=contract.source,
        row=first.row if first else None,
        hint='fix the data, or set `on_violation = "warn"` under [contracts] in '
        "metricsmith.toml; `metricsmith test` shows the rows",
    )


def parse_instant(value: DateLike, tz: zoneinfo.ZoneInfo, which: str) -> dt.datetime | None:
    """A range bound as an aware datetime in the calendar's zone.

    Accepts `2024`, `2024-03`, `2024-03-15`, ISO timestamps, dates and datetimes; naive
    values are wall-clock time in the calendar's zone."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=tz)
    text = str(value).strip()
    match = _PARTIAL_DATE.match(text)
    try:
        if match:
            year, month, day = (int(g) if g else 1 for g in match.groups())
            return dt.datetime(year, month, day, tzinfo=tz)
        return parse_instant(dt.datetime.fromisoformat(text.replace("Z", "+00:00")), tz, which)
    except ValueError:
        raise QueryError(
            f"cannot read the {which} of the range: `{text}`",
            hint="write 2024, 2024-03, 2024-03-15 or 2024-03-15T08:00",
        ) from None
