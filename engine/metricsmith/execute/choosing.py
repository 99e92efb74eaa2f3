"""`auto`: the engine a query runs on, chosen per query from its plan's shape.

`preferred_engine` is the rule, a pure function of the plan and of two facts about its
sources (where they live, how many bytes their files hold); every branch comes from an
interleaved measurement of the same query on `arrow` and `duckdb` (benchmarks/run_auto.py,
docs/engines.md "Choosing automatically"), and each says why in one line, which `explain`
shows. `choose` applies it to a project: it gathers the facts, and passes over an engine
that is not installed, falling back to `arrow` with the reason. An engine whose dialect
refuses a construct of the plan is passed over too (execute/engines.py asks the compiler).
Whichever engine is chosen, the answer is the one that engine gives when asked by name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from attrs import frozen

from metricsmith.check.checked import CheckedProject
from metricsmith.plan.nodes import EventTime, Level, Plan, StateTime
from metricsmith.plugins.connector import native_files, read_by_engines_only
from metricsmith.plugins.engine import AUTO, Engine, InPlaceReader, Installable
from metricsmith.plugins.functions import AggregateFunction

#: The engine of every plan no measured rule sends elsewhere, and of every fallback: it is
#: always installed and computes every construct.
FALLBACK = "arrow"
#: Sources whose files hold at most this many bytes in all are small: DuckDB's fixed costs
#: (compiling the SQL, starting a connection) outweigh what it gains. The scorecard ran
#: 0.7x as long on arrow at 10k and 50k events (files of 2.5 and 3.3 MB) and took the same
#: time at 200k (8.6 MB).
SMALL_BYTES = 5_000_000


@frozen
class SourceFacts:
    """What the rule knows of a plan's sources beyond the plan: the engine reading each in
    place (a table of its database or catalog; absent: none does), the bytes of their files
    in all (None when some source is not a file: a table in memory, a database), and which
    sources no other engine can read (a `spark_table`)."""

    homes: Mapping[str, str]
    file_bytes: int | None
    exclusive: frozenset[str] = frozenset()


@frozen
class Choice:
    """The engine `auto` runs a query on, and why, in a line citing the plan's shape."""

    engine: str
    reason: str

    def describe(self) -> str:
        return f"engine: {AUTO} → {self.engine} ({self.reason})"


def preferred_engine(
    plan: Plan, facts: SourceFacts, functions: Mapping[str, AggregateFunction]
) -> Choice:
    """The engine the plan's shape runs fastest on, by the measured rules, first match wins.
    `functions` are the aggregates the plan's were typed with (what says a distinct count)."""
    for read in plan.reads:
        if read.source in facts.exclusive and read.source in facts.homes:
            only = facts.homes[read.source]
            return Choice(only, f"`{read.source}` is a table only {only} reads")
    homes = {facts.homes.get(read.source) for read in plan.reads}
    home = homes.pop() if len(homes) == 1 else None
    if home is not None:
        return Choice(home, f"every source it reads is a table {home} reads in place")
    if facts.file_bytes is not None and facts.file_bytes <= SMALL_BYTES:
        size = _size(facts.file_bytes)
        return Choice("arrow", f"small data: its files hold {size}, no SQL worth compiling")
    levels = list(_levels_over_entities(plan.top))
    if any(isinstance(s.time, StateTime) for level in levels for s in level.scans):
        return Choice("arrow", "a level over entities reads a state source (MRR movements)")
    if any(isinstance(s.time, EventTime) for level in levels for s in level.scans):
        return Choice("duckdb", "a level over entities reads event rows")
    # Distinct counts alone: beside other aggregates (the scorecard's counts, shares and
    # median), the Arrow engine's threaded scans win the whole query (0.63-0.75x).
    aggregates = [a.aggregate.function for scan in plan.top.scans for a in scan.aggregates]
    if aggregates and all(_ignores_repeats(name, functions) for name in aggregates):
        for scan in plan.top.scans:
            if isinstance(scan.time, EventTime):
                source = scan.source
                return Choice("duckdb", f"only distinct counts, over the event rows of `{source}`")
    return Choice(
        "arrow",
        "no shape that runs faster on duckdb: counts, sums, per-day levels, distinct counts "
        "beside other aggregates",
    )


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.0f} kB"


def _levels_over_entities(level: Level) -> Iterator[Level]:
    """The levels below `level` that iterate over entities (not over sub-periods)."""
    for child in level.children:
        if not child.over_periods:
            yield child.level
        yield from _levels_over_entities(child.level)


def _ignores_repeats(name: str, functions: Mapping[str, AggregateFunction]) -> bool:
    function = functions.get(name)
    return function is not None and function.ignores_repeats


def choose(
    plan: Plan,
    project: CheckedProject,
    engines: Mapping[str, Engine],
    options: Mapping[str, Mapping[str, object]],
) -> Choice:
    """The rule's engine for the plan, or `arrow` with the reason when it is not registered
    or cannot run here."""
    facts = source_facts(plan, project, engines, options)
    preferred = preferred_engine(plan, facts, project.functions.aggregates)
    engine = engines.get(preferred.engine)
    if engine is None:
        return fallback(preferred, f"{preferred.engine} is not registered")
    missing = engine.unavailable() if isinstance(engine, Installable) else None
    if missing is not None:
        return fallback(preferred, missing)
    return preferred


def fallback(preferred: Choice, why: str) -> Choice:
    """`arrow` in place of the preferred engine, saying why."""
    return Choice(FALLBACK, f"{preferred.reason}, which suits {preferred.engine}, but {why}")


def source_facts(
    plan: Plan,
    project: CheckedProject,
    engines: Mapping[str, Engine],
    options: Mapping[str, Mapping[str, object]],
) -> SourceFacts:
    """Where the plan's sources live and how big their files are, asked of their readers
    (nothing is read: a file's size is the file system's)."""
    homes, exclusive = {}, set()
    sizes: list[int] | None = []
    for read in plan.reads:
        reader = project.sources[read.source].reader
        if read_by_engines_only(reader):
            exclusive.add(read.source)
        for name, engine in engines.items():
            if isinstance(engine, InPlaceReader) and engine.reads_in_place(
                reader, options.get(name, {})
            ):
                homes[read.source] = name
                break
        files = native_files(reader, None)
        local = files is not None and all(os.path.isfile(path) for path in files.files)
        if sizes is not None and files is not None and local:
            sizes += [os.path.getsize(path) for path in files.files]
        else:
            sizes = None  # in memory, in a database, or not on this machine: size unknown
    total = None if sizes is None else sum(sizes)
    return SourceFacts(homes=homes, file_bytes=total, exclusive=frozenset(exclusive))
