"""What long work reports its progress to: a callback handed down by the caller, told each
phase as one short line ("opening source tickets", "running on duckdb: reading tickets").

The layers that take one (the checker opening sources, the execute layer running a plan) only
call it; showing it is the caller's business (present/progress.py). Nothing here is global.
"""

from __future__ import annotations

from collections.abc import Callable

#: Receives each phase of the work as one short line.
Progress = Callable[[str], None]


def no_progress(_phase: str) -> None:
    """Reports nowhere: the default of every layer that takes a `Progress`."""
