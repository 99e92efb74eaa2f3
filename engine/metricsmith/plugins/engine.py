"""What an engine is: the contract between metricsmith and whatever computes a plan's answer.

An engine is registered through the `metricsmith_engines` hook, as the built-in `arrow`,
`duckdb` and `spark` are (builtin/engines.py), and chosen by name (`--engine`,
`engine=`, `[engine] default` in metricsmith.toml; execute/engines.py). It is given the plan,
the checked project (its sources' readers, declared types and the functions the project was
checked with) and its options, and returns the answer as an Arrow table with exactly the
columns and types the Arrow engine gives (docs/architecture.md, "How to add an engine").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pyarrow as pa
from attrs import frozen

from metricsmith.plugins.provenance import Provenance, calling_plugin

if TYPE_CHECKING:
    from metricsmith.check.checked import CheckedProject
    from metricsmith.plan.nodes import Plan
    from metricsmith.plan.timeline import Timelines
    from metricsmith.plugins.connector import SourceReader

#: Not an engine: `--engine auto` and `engine="auto"` choose one per query from its plan
#: (execute/choosing.py); no engine may take the name.
AUTO = "auto"


@runtime_checkable
class Engine(Protocol):
    """A named way of computing a plan's answer. The four descriptive members may be plain
    attributes."""

    @property
    def name(self) -> str:
        """The name for `--engine` and `engine=`."""
        ...

    @property
    def description(self) -> str:
        """One line for `metricsmith plugins`."""
        ...

    @property
    def dialect(self) -> str | None:
        """The SQL dialect it runs (`explain --sql` shows the SQL in it), None if it runs no
        SQL."""
        ...

    @property
    def settings(self) -> tuple[str, ...]:
        """The settings its table in metricsmith.toml may hold (`[spark] remote`, `master`)."""
        ...

    def execute(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> pa.Table:
        """The plan's answer. `options` are the engine's settings from metricsmith.toml and
        the call's own (`session` for Spark). A package the engine needs and cannot import
        is a QueryError saying what to install."""
        ...


@runtime_checkable
class PeriodFinder(Protocol):
    """An engine that can find a query's periods in the data without running the query
    (optional): `explain --sql` of a query without a range asks the chosen engine, so that
    the SQL shown spells out the periods that engine would compute."""

    def periods(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> Timelines: ...


@runtime_checkable
class Installable(Protocol):
    """An engine that may be registered without the packages it needs (optional): `auto`
    (execute/choosing.py) asks it before choosing it, and passes it over when it says why
    it cannot run here."""

    def unavailable(self) -> str | None:
        """Why the engine cannot run in this process (a package not installed), or None."""
        ...


@runtime_checkable
class InPlaceReader(Protocol):
    """An engine that reads some sources where their rows are (optional): a table of its
    database or catalog. `auto` runs a query whose every source is such a table on it, so the
    rows do not leave the database."""

    def reads_in_place(self, reader: SourceReader, options: Mapping[str, object]) -> bool:
        """Whether this engine, with `options`, reads `reader`'s rows in place."""
        ...


@frozen
class PluginEngine:
    """A plugin's engine as the registry hands it out: its code runs through `calling_plugin`,
    so a failure names the plugin (as `PluginConnector` does for connectors), and what it
    returns is checked to be an Arrow table."""

    engine: Engine
    provenance: Provenance

    @property
    def name(self) -> str:
        return self.engine.name

    @property
    def description(self) -> str:
        return self.engine.description

    @property
    def dialect(self) -> str | None:
        return self.engine.dialect

    @property
    def settings(self) -> tuple[str, ...]:
        return self.engine.settings

    def execute(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> pa.Table:
        with calling_plugin(self.provenance, "while running a query"):
            answer = self.engine.execute(plan, project, options)
        if not isinstance(answer, pa.Table):
            raise self.provenance.failure(
                f"returned {type(answer).__name__} from `execute`, not a pyarrow.Table"
            )
        return answer

    def unavailable(self) -> str | None:
        if not isinstance(self.engine, Installable):
            return None
        with calling_plugin(self.provenance, "while saying whether it can run"):
            return self.engine.unavailable()

    def reads_in_place(self, reader: SourceReader, options: Mapping[str, object]) -> bool:
        if not isinstance(self.engine, InPlaceReader):
            return False
        with calling_plugin(self.provenance, "while saying where it reads a source"):
            return bool(self.engine.reads_in_place(reader, options))

    def periods(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> Timelines | None:
        """The plugin engine's periods, or None when it cannot find them."""
        if not isinstance(self.engine, PeriodFinder):
            return None
        with calling_plugin(self.provenance, "while finding a query's periods"):
            return self.engine.periods(plan, project, options)
