"""What an output format is: how a result table becomes a file or bytes on stdout.

Formats are registered through the `metricsmith_output_formats` hook. `write` must never leave a
half-written file behind, so formats write through `atomic_output`.

A format that shows a result to people (a spreadsheet with number formats and status colours, a
Markdown table) needs more than the bare table: what each column means and how each value
reads. It may take a `ResultView` too (`write_view`, `render_view`), which the command line
builds from the project's definitions; the bare `write` and `render` remain for callers that
only have a table.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import socket
import stat
import time
from collections.abc import Callable, Iterator

import pyarrow as pa
from attrs import field, frozen

from metricsmith.model.time import GRAINS
from metricsmith.plugins.provenance import Provenance

#: A temporary file is named `.<target>.<host>.<pid>.<random>.metricsmith.tmp` in the target's
#: folder, so that a later write can recognise one a killed process left behind.
_TEMPORARY = re.compile(
    r"^\.(?P<base>.*)\.(?P<host>[0-9a-f]{6})\.(?P<pid>\d+)\.[0-9a-f]{12}\.metricsmith\.tmp$"
)
#: A temporary file unchanged for this long is stale even when its process cannot be checked
#: (it was written from another machine sharing the folder).
STALE_AFTER_SECONDS = 24 * 3600
#: The units whose numbers a metric of `format duration` counts, in seconds each.
SECONDS_PER_UNIT = {
    "second": 1,
    "seconds": 1,
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
}
#: How much of the target's name a temporary name repeats (names are limited to 255 bytes).
_BASE_CHARACTERS = 100


@frozen
class ResultColumn:
    """A column of a result as people read it."""

    #: The column's name in the table.
    name: str
    #: Its heading: a metric's or dimension's label, else its name.
    label: str
    #: Each value as the terminal shows it (`72.4%`, `2024-03`, `–` for none).
    texts: tuple[str, ...]
    #: The period column's grain (`"month"`); None for any other column.
    grain: str | None = None
    #: Whether the column holds a metric; its unit, `format` (number, integer, percent,
    #: currency, duration) and target as text (`≥ 40`) follow.
    metric: bool = False
    unit: str | None = None
    format: str | None = None
    target: str | None = None
    #: A metric with a target: each value's status, "green", "amber", "red", or None for a
    #: missing value. Empty without a target.
    statuses: tuple[str | None, ...] = ()

    @property
    def heading(self) -> str:
        """The label with the unit and the target: `CSAT (points, target ≥ 4)` (a percent's
        unit goes without saying)."""
        return heading(self.label, self.unit if self.format != "percent" else None, self.target)


def heading(label: str, unit: str | None = None, target: str | None = None) -> str:
    """A column's heading: the label, then the unit and the target in brackets when known."""
    details = ", ".join(part for part in (unit, target and f"target {target}") if part)
    return f"{label} ({details})" if details else label


@frozen
class ResultView:
    """A result table with what its columns mean, one `ResultColumn` per table column."""

    table: pa.Table = field(eq=False)
    columns: tuple[ResultColumn, ...]

    @classmethod
    def bare(cls, table: pa.Table) -> ResultView:
        """What can be said of a table alone: its column names, its values as text, and a
        first column named after a grain (`month`) taken for the periods, as a result has it."""
        return cls(
            table,
            tuple(
                ResultColumn(
                    name,
                    name,
                    tuple("–" if v is None else str(v) for v in table.column(name).to_pylist()),
                    grain=name if index == 0 and name in GRAINS else None,
                )
                for index, name in enumerate(table.column_names)
            ),
        )


@frozen
class OutputFormat:
    """A named way of writing a result table."""

    #: The name users pick, e.g. `--format csv`.
    name: str
    #: One line for `metricsmith plugins`.
    description: str
    #: The usual file extension, without the dot ("csv").
    extension: str
    #: Write the table to `path`, atomically: readers of `path` see the old file or the new one.
    write: Callable[[pa.Table, str], None]
    #: The table as the bytes of a file in this format, for printing to stdout.
    render: Callable[[pa.Table], bytes]
    #: A binary format is only written to files, never printed to a terminal.
    binary: bool = False
    #: Optional, for a format that shows a result to people: `write` and `render` given the
    #: `ResultView` of the table, used instead of them when both are set and the caller has one.
    write_view: Callable[[ResultView, str], None] | None = field(default=None, kw_only=True)
    render_view: Callable[[ResultView], bytes] | None = field(default=None, kw_only=True)
    #: Set by the registry: the plugin that registered the format, named when it fails.
    provenance: Provenance | None = field(default=None, eq=False, kw_only=True)


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[str]:
    """Yield a temporary path next to the file `path` names; on success move it over that
    file, on failure remove it.

    A symlink is followed: the file it points at is replaced and the link kept. The temporary
    file lives in the destination folder so the final `os.replace` is a rename within one file
    system, which is atomic. Only a regular file (or a missing one) is replaced: a device, a
    FIFO or a folder is refused, since replacing it would destroy it. Errors name `path`, not
    the temporary file; temporary files that killed writers left in the folder are removed."""
    target = os.path.realpath(path)
    _require_replaceable(target, path)
    folder, base = os.path.split(target)
    remove_stale_temporaries(folder)
    temporary = os.path.join(folder, _temporary_name(base))
    try:
        # A plain exclusive open gives the file the mode the user's umask asks for.
        with open(temporary, "xb"):
            pass
    except OSError as error:
        raise _naming(error, path, temporary) from error
    try:
        yield temporary
        with contextlib.suppress(FileNotFoundError):
            shutil.copymode(target, temporary)
        os.replace(temporary, target)
    except BaseException as failure:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        if isinstance(failure, OSError):
            raise _naming(failure, path, temporary) from failure
        raise


def remove_stale_temporaries(folder: str) -> None:
    """Remove the temporary files of writes that never finished (a process killed with
    SIGKILL): those whose process no longer runs on this machine, and any unchanged for
    `STALE_AFTER_SECONDS`."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            found = _TEMPORARY.match(entry.name)
            if found is not None and _is_stale(entry, found):
                with contextlib.suppress(OSError):
                    os.remove(entry.path)


def _temporary_name(base: str) -> str:
    return (
        f".{base[:_BASE_CHARACTERS]}.{_host_tag()}.{os.getpid()}.{secrets.token_hex(6)}"
        ".metricsmith.tmp"
    )


def _host_tag() -> str:
    """Six hex digits standing for this machine, so process ids are only checked here."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def _is_stale(entry: os.DirEntry, found: re.Match) -> bool:
    try:
        changed = entry.stat(follow_symlinks=False).st_mtime
    except OSError:
        return False
    if time.time() - changed > STALE_AFTER_SECONDS:
        return True
    pid = int(found["pid"])
    return found["host"] == _host_tag() and pid != os.getpid() and not _process_runs(pid)


def _process_runs(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate the process; the age rule alone applies
        return True
    try:
        os.kill(pid, 0)  # signal 0 checks that the process exists without disturbing it
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else, or we cannot tell
        return True
    return True


def _require_replaceable(target: str, path: str) -> None:
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", path)
    if not stat.S_ISREG(mode):
        raise OSError(
            errno.EINVAL,
            f"is {file_kind(mode)}, not a regular file, so it cannot be replaced",
            path,
        )


def file_kind(mode: int) -> str:
    """What a file is, from its `st_mode`, for messages."""
    kinds = (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _naming(error: OSError, path: str, temporary: str) -> OSError:
    """The same error, naming the user's `path` instead of the hidden temporary file (Arrow's
    errors carry no file name and spell the temporary path in their message)."""
    reason = error.strerror or str(error)
    if error.errno is not None and (not error.strerror or "Detail:" in reason):
        reason = os.strerror(error.errno)
    return OSError(error.errno, reason.replace(temporary, path), path)
