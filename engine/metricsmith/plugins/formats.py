"""What an output format is: how a result table becomes a file or bytes on stdout.

Formats are registered through the `metricsmith_output_formats` hook. `write` must never leave a
half-written file behind, so formats write through `atomic_output`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator

import pyarrow as pa
from attrs import frozen


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


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[str]:
    """Yield a temporary path next to `path`; on success move it over `path`, on failure
    remove it.

    The temporary file lives in the destination folder so the final `os.replace` is a rename
    within one file system, which is atomic."""
    folder, base = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{base}.{secrets.token_hex(6)}.tmp")
    # A plain exclusive open gives the file the mode the user's umask asks for.
    with open(temporary, "xb"):
        pass
    try:
        yield temporary
        with contextlib.suppress(FileNotFoundError):
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
