"""Progress of long work, for a person watching: a spinner on stderr with the current phase
("checking the definitions", "opening source tickets", "running on duckdb: reading tickets").

The work reports its phases to a plain callback (`Progress`, plugins/progress.py) handed down
by the caller, never to anything global: `load_project(progress=...)` and
`Project.query(progress=...)` pass it to the checker and the execute layer, which call it
between steps. Who shows it is the caller's
choice (docs/reports.md, "Progress"):

- the API shows nothing unless asked: `progress=True` shows the spinner, a callable receives
  the phases instead;
- the CLI asks, unless `--quiet`;
- the spinner appears only where it can be redrawn in place: a terminal (rich's rules, so
  `TTY_COMPATIBLE=1` forces it and `TTY_COMPATIBLE=0` turns it off) or a notebook. Piped into a
  file or another program, nothing is written.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from metricsmith.plugins.progress import Progress, no_progress


@contextmanager
def reporting(wanted: bool | Progress | None, first: str) -> Iterator[Progress]:
    """What the work in the block reports its phases to: the caller's callable (told `first`
    at once), a spinner starting at `first` when `wanted` is True, or nothing."""
    if callable(wanted):
        wanted(first)
        yield wanted
    elif wanted:
        with spinner(first) as update:
            yield update
    else:
        yield no_progress


@contextmanager
def spinner(first: str, console: Console | None = None) -> Iterator[Progress]:
    """A spinner with the latest phase on `console` (stderr by default) while the block runs,
    where it can be redrawn in place; elsewhere a reporter that writes nothing. It is gone
    once the block ends."""
    console = console or Console(file=sys.stderr, markup=False, emoji=False, highlight=False)
    if not (console.is_terminal or console.is_jupyter):
        yield no_progress
        return
    with console.status(first) as status:
        yield status.update
