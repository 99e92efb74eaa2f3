"""Choosing the engine a query runs on, by name, among those the registry provides: `arrow`
(embedded, the default), `duckdb`, `spark`, or one a plugin registers (plugins/engine.py).

The choice comes, first to last, from the call (`--engine`, `engine=`), the project's
`metricsmith.toml`, and the default; an engine's own table in that file holds its settings:

    # metricsmith.toml, next to the .metrics files
    [engine]
    default = "duckdb"            # arrow | duckdb | spark | auto | an engine a plugin adds

    [spark]
    remote = "sc://spark.internal:15002"    # Spark Connect; omit for a local session
    master = "local[4]"                     # a local session's master (default local[*])
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
from attrs import evolve, field, frozen

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import QueryError
from metricsmith.execute.choosing import FALLBACK, Choice, choose, fallback
from metricsmith.execute.data_warnings import warn_about_data
from metricsmith.execute.sql.errors import UnsupportedConstruct
from metricsmith.plan.nodes import Plan
from metricsmith.plan.timeline import Timelines, needs_extents, resolve_timelines
from metricsmith.plugins.engine import AUTO, Engine, PeriodFinder
from metricsmith.plugins.progress import Progress, no_progress

SETTINGS_FILE = "metricsmith.toml"
DEFAULT_ENGINE = "arrow"
#: The dialect `explain --sql` shows for an engine that runs no SQL.
DEFAULT_DIALECT = "duckdb"


@frozen(kw_only=True)
class EngineSettings:
    """The engine chosen, and the options of every engine (its metricsmith.toml table, with
    the call's own applied)."""

    engine: str = DEFAULT_ENGINE
    options: Mapping[str, Mapping[str, object]] = field(factory=dict)

    def choose(
        self,
        engines: Mapping[str, Engine],
        engine: str | None = None,
        options: Mapping[str, Mapping[str, object]] | None = None,
    ) -> EngineSettings:
        """These settings with a call's own choices applied: an engine name, and options by
        engine (`{"spark": {"session": ...}}`)."""
        merged = dict(self.options)
        for name, given in (options or {}).items():
            merged[name] = {**merged.get(name, {}), **given}
        return evolve(self, engine=require_engine(engine or self.engine, engines), options=merged)

    def options_of(self, engine: str) -> Mapping[str, object]:
        return self.options.get(engine, {})


def require_engine(name: str, engines: Mapping[str, Engine]) -> str:
    if name not in engines and name != AUTO:
        raise QueryError(
            f"unknown engine `{name}`", hint=f"use one of {', '.join([*engines, AUTO])}"
        )
    return name


def load_settings(project_path: str | Path, engines: Mapping[str, Engine]) -> EngineSettings:
    """The settings in the project's metricsmith.toml (defaults when there is none)."""
    root = Path(project_path)
    folder = root if root.is_dir() else root.parent
    path = folder / SETTINGS_FILE
    if not path.is_file():
        return EngineSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise QueryError(f"{path}: {error}", hint="fix the TOML syntax") from None
    engine = _table(data, "engine", path).get("default", DEFAULT_ENGINE)
    options = {}
    for name, known in engines.items():
        table = _table(data, name, path) if known.settings else {}
        unknown = sorted(set(table) - set(known.settings))
        if unknown:
            raise QueryError(
                f"{path}: [{name}] has no setting `{unknown[0]}`",
                hint=f"it accepts {' and '.join(known.settings)}",
            )
        options[name] = table
    return EngineSettings(engine=require_engine(str(engine), engines), options=options)


def _table(data: Mapping[str, object], name: str, path: Path) -> Mapping[str, object]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise QueryError(f"{path}: `{name}` must be a table ([{name}])")
    return table


def execute(
    plan: Plan,
    project: CheckedProject,
    settings: EngineSettings,
    engines: Mapping[str, Engine],
    progress: Progress = no_progress,
) -> pa.Table:
    """The plan's answer on the chosen engine, after warning about suspect data it reads.
    The engine's run is one phase for `progress`: an engine is a plugin's code, and its
    contract stays as it is (plugins/engine.py)."""
    reads = ", ".join(dict.fromkeys(read.source for read in plan.reads))
    reading = f": reading {reads}" if reads else ""
    if settings.engine != AUTO:
        progress(f"running on {settings.engine}{reading}")
        answer = engines[settings.engine].execute(
            plan, project, settings.options_of(settings.engine)
        )
    else:
        choice = choose(plan, project, engines, settings.options)
        progress(f"running on {choice.engine}, chosen by auto: {choice.reason}{reading}")
        try:
            answer = engines[choice.engine].execute(
                plan, project, settings.options_of(choice.engine)
            )
        except UnsupportedConstruct as refusal:
            # Refused while compiling, before any SQL ran: the engine that computes every
            # construct answers instead.
            if choice.engine == FALLBACK:
                raise
            progress(f"running on {FALLBACK}: {fallback(choice, refused(refusal)).reason}")
            answer = engines[FALLBACK].execute(plan, project, settings.options_of(FALLBACK))
    progress("checking the data read")
    warn_about_data(plan, project)
    return answer


def chosen(
    plan: Plan, project: CheckedProject, settings: EngineSettings, engines: Mapping[str, Engine]
) -> Choice:
    """The engine `auto` runs the plan on, as `execute` would, without running it: the rule's
    choice, or `arrow` when the chosen engine's dialect refuses a construct of the plan
    (which its compiler says without reading any data)."""
    from metricsmith.execute.sql.render import compile_sql  # sqlglot: only for SQL engines

    choice = choose(plan, project, engines, settings.options)
    dialect = engines[choice.engine].dialect
    if choice.engine == FALLBACK or dialect is None:
        return choice
    # An open range takes its periods from the data; any one period compiles every construct.
    now = int(plan.as_of.timestamp() * 1_000_000)
    timelines = resolve_timelines(plan, [(now, now)]) if needs_extents(plan) else None
    try:  # compiled, not formatted: explain --sql formats the query it shows (explain_sql)
        compile_sql(plan, project, dialect, timelines)
    except UnsupportedConstruct as refusal:
        return fallback(choice, refused(refusal))
    return choice


def refused(refusal: UnsupportedConstruct) -> str:
    """Why `auto` did not use the engine whose compiler raised `refusal`."""
    return f"{refusal.dialect} SQL cannot express {refusal.construct} ({refusal.reason})"


def explain_sql(
    plan: Plan,
    project: CheckedProject,
    settings: EngineSettings,
    engines: Mapping[str, Engine],
    dialect: str | None,
) -> str:
    """The plan's SQL, formatted, in `dialect` (default: the chosen engine's, or DuckDB's for
    an engine that runs no SQL). An open range is resolved on the chosen engine first, when it
    can find periods (`PeriodFinder`)."""
    from metricsmith.execute.sql.render import render_sql  # sqlglot: only for SQL engines

    engine = engines[settings.engine]
    target = dialect or engine.dialect or DEFAULT_DIALECT
    timelines: Timelines | None = None
    if needs_extents(plan) and isinstance(engine, PeriodFinder):
        timelines = engine.periods(plan, project, settings.options_of(settings.engine))
    return render_sql(plan, project, target, timelines)
