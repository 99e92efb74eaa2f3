"""Writing a result where `--output` points: a file atomically, anything else as a stream.

- A regular file, or a path where nothing exists yet, is written by the format's `write`,
  atomically (see `atomic_output`); a symlink is followed and the file it points at replaced.
- A character device (`/dev/null`, `/dev/full`), a FIFO or a socket is written in place with
  the bytes the format prints to stdout: these are streams, and replacing one with a regular
  file would destroy it.
- `-`, and a path naming one of this process's open descriptors (`/dev/stdout`, `/dev/fd/3`),
  is written through that descriptor.

Given the result's `ResultView`, a format that shows results to people (`write_view`,
`render_view`) is handed the view instead of the bare table.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable

import pyarrow as pa

from metricsmith.plugins.formats import OutputFormat, ResultView
from metricsmith.plugins.provenance import calling_plugin, from_a_plugin

#: `--output -` writes to standard output.
STDOUT = "-"
_STDOUT_DESCRIPTOR = 1
_STANDARD = {STDOUT: _STDOUT_DESCRIPTOR, "/dev/stdout": _STDOUT_DESCRIPTOR, "/dev/stderr": 2}
#: Symlinks followed at most, as the kernel does (ELOOP beyond).
_MAX_LINKS = 40


def write_output(
    output_format: OutputFormat, table: pa.Table, path: str, view: ResultView | None = None
) -> None:
    """Write `table` (whose view is `view`, when known) in `output_format` to `path` (see the
    module's docstring)."""
    write, render = _writers(output_format, table, view)
    descriptor = own_descriptor(path)
    if descriptor == _STDOUT_DESCRIPTOR:
        write_stdout(_rendered(output_format, render))
    elif descriptor is not None:
        _write_all(descriptor, _rendered(output_format, render), path)
    elif _is_special(path):
        _write_stream(path, _rendered(output_format, render))
    else:
        with calling_plugin(output_format.provenance, f"while writing {path}"):
            write(path)


def _writers(
    output_format: OutputFormat, table: pa.Table, view: ResultView | None
) -> tuple[Callable[[str], None], Callable[[], bytes]]:
    """How to write the result to a path, and render its bytes: from the view when the format
    takes one and there is one, else from the table."""
    write_view, render_view = output_format.write_view, output_format.render_view
    if view is not None and write_view is not None and render_view is not None:
        return (lambda path: write_view(view, path)), (lambda: render_view(view))
    return (lambda path: output_format.write(table, path)), (lambda: output_format.render(table))


def own_descriptor(path: str) -> int | None:
    """The descriptor of this process that `path` names, directly or through symlinks
    (`/dev/stdout` → `/proc/self/fd/1` is 1; `/dev/fd/3` is 3), or None. Such a file is
    written through the descriptor already open, never reopened or replaced."""
    if path in _STANDARD:  # by name: right even where /dev/stdout is missing or broken
        return _STANDARD[path]
    # Linux lists a process's descriptors in /proc/<pid>/fd (/dev/fd links there); the BSDs
    # and macOS have a real /dev/fd.
    own = {os.path.realpath(f"/proc/{os.getpid()}/fd"), "/dev/fd"}
    for hop in _link_chain(path):
        folder, name = os.path.split(os.path.abspath(hop))
        if name.isdigit() and os.path.realpath(folder) in own:
            return int(name)
    return None


def _is_special(path: str) -> bool:
    """Whether `path` is a file other than a regular file or a folder (a device, a FIFO, a
    socket, another process's descriptor), following symlinks."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # nothing there yet (or unreachable: the write will say why)
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def suffix_of(path: str) -> str:
    """The file extension `path` ends with, lower-cased, without the dot ("" for none)."""
    return os.path.splitext(path)[1].lstrip(".").lower()


def write_stdout(data: bytes) -> None:
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:  # a text-only stream stands in for stdout (an embedding host)
        sys.stdout.write(data.decode("utf-8"))
    else:
        binary.write(data)
        binary.flush()


def _rendered(output_format: OutputFormat, render: Callable[[], bytes]) -> bytes:
    with calling_plugin(output_format.provenance, "while rendering the result"):
        data = render()
    if not isinstance(data, bytes | bytearray) and from_a_plugin(output_format.provenance):
        raise output_format.provenance.failure(
            f"returned {type(data).__name__} from `render`, not bytes"
        )
    return bytes(data)


def _write_stream(path: str, data: bytes) -> None:
    """Write to a device or a FIFO in place: opened without creating or truncating anything
    (O_APPEND changes nothing on a device or a FIFO)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
    except OSError as error:
        raise OSError(error.errno, error.strerror, path) from error
    try:
        _write_all(descriptor, data, path)
    finally:
        os.close(descriptor)


def _write_all(descriptor: int, data: bytes, path: str) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(descriptor, view) :]
    except OSError as error:
        raise OSError(error.errno, error.strerror, path) from error


def _link_chain(path: str) -> Iterable[str]:
    """`path` and every path its symlinks lead to, in order."""
    for _ in range(_MAX_LINKS):
        yield path
        try:
            link = os.readlink(path)
        except OSError:  # not a symlink, or nothing there
            return
        path = os.path.join(os.path.dirname(path), link)
