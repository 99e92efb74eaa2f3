"""The `postgres` engine: a plan compiled to PostgreSQL's SQL and run inside the server, so
the rows of its tables never leave the database (docs/engines.md, "postgres").

Written from the plan layer alone, as any plugin's engine can be: the SQL compiler and its
runner (`run_plan`) do the work; this module says how the server reaches each source and how
a query runs.

- A source whose reader names a table for this engine's connection (`engine_table(reader,
  "postgres:<connection>")`, the `postgres(...)` connector's tables) is read in place.
- Any other source (files, in-memory tables, another database) is read through its connector,
  with the query's columns and time range, and uploaded into a TEMPORARY table of the
  session, which the server drops when the session ends.
- Then the session turns read-only, and the queries run. Their answers come back as Arrow
  (ADBC), and NUMERIC columns, which the driver returns as text, become decimals.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import pyarrow as pa
from attrs import frozen
from metricsmith.errors import QueryError
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.connector import SourceReader, engine_table

if TYPE_CHECKING:
    from metricsmith.check.checked import CheckedProject
    from metricsmith.plan.nodes import Plan
    from metricsmith.plan.timeline import Timelines

#: The engine's label in `engine_table`: a reader answers it with the table it names on the
#: connection after the colon (empty: the server of libpq's environment).
TABLE_LABEL = "postgres:"


@frozen
class PostgresEngine:
    name: str = "postgres"
    description: str = "PostgreSQL: the plan compiled to one SQL query run inside the database"
    dialect: str | None = "postgres"
    settings: tuple[str, ...] = ("connection",)

    def unavailable(self) -> str | None:
        if importlib.util.find_spec("adbc_driver_postgresql") is None:
            return (
                "the postgres engine needs the `adbc-driver-postgresql` package, which is not "
                "installed"
            )
        return None

    def reads_in_place(self, reader: SourceReader, options: Mapping[str, object]) -> bool:
        """A table of the server the engine's connection (`[postgres] connection`) reaches."""
        connection = options.get("connection")
        label = TABLE_LABEL + ("" if connection is None else str(connection))
        return engine_table(reader, label) is not None

    def execute(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> pa.Table:
        from metricsmith.execute.sql.runner import run_plan

        with _running(plan, project, options) as engine:
            return run_plan(plan, project, engine)

    def periods(
        self, plan: Plan, project: CheckedProject, options: Mapping[str, object]
    ) -> Timelines:
        from metricsmith.execute.sql.runner import plan_timelines

        with _running(plan, project, options) as engine:
            return plan_timelines(plan, project, engine)


def engine_connection(project: CheckedProject, options: Mapping[str, object]) -> Connection | None:
    """The connection `[postgres] connection` names, or None (libpq's environment)."""
    name = options.get("connection")
    if name is None:
        return None
    found = project.connections.get(str(name))
    if found is None:
        known = ", ".join(sorted(project.connections)) or "none"
        raise QueryError(
            f"the postgres engine's connection `{name}` is not declared (known: {known})",
            hint="declare it under [connections."
            f'{name}] in metricsmith.toml or the profiles file, with type = "postgres"',
        )
    if found.type != "postgres":
        raise QueryError(
            f"the postgres engine's connection `{name}` is of type `{found.type}`",
            hint='the engine needs a connection with type = "postgres"',
        )
    return found


@contextlib.contextmanager
def _running(
    plan: Plan, project: CheckedProject, options: Mapping[str, object]
) -> Iterator[object]:
    missing = PostgresEngine().unavailable()
    if missing is not None:
        raise QueryError(missing, hint="pip install 'metricsmith[postgres]'")
    from metricsmith_postgres.connect import session
    from metricsmith_postgres.running import PostgresSqlEngine

    connection = engine_connection(project, options)
    sources = ", ".join(read.source for read in plan.reads) or None
    with session(connection, purpose="running a query", source=sources) as conn:
        yield PostgresSqlEngine(conn, connection, _names)


_names = itertools.count()
