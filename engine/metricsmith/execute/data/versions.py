"""What tells versions of a source's data files apart, so that a verdict on the data (a
contract, a key's uniqueness, a warning's count) is kept only while the data stays the same."""

from __future__ import annotations

import hashlib
import os
from typing import TypeVar

from metricsmith.plugins.connector import SourceReader, native_files

#: Files up to this size are told apart by their bytes as well: a small file rewritten within
#: the file system's clock tick (a test, a script) can keep its size and modification time.
_HASHED_FILE_BYTES = 1 << 20

K = TypeVar("K")
V = TypeVar("V")


def file_version(path: str) -> tuple[object, ...]:
    """A data file's size and modification time, and for a small file a digest of its bytes.
    Raises OSError when it cannot be read."""
    stat = os.stat(path)
    if stat.st_size > _HASHED_FILE_BYTES:
        return (stat.st_size, stat.st_mtime_ns)
    with open(path, "rb") as file:
        digest = hashlib.blake2b(file.read(), digest_size=16).digest()
    return (stat.st_size, stat.st_mtime_ns, digest)


def files_version(reader: SourceReader) -> tuple[tuple[object, ...], ...] | None:
    """Each file a reader reads with its version (`file_version`), or None when its data is not
    files an engine reads itself (a database's table can change unseen) or a file is gone."""
    files = native_files(reader, None)
    if files is None:
        return None
    try:
        return tuple((path, *file_version(path)) for path in files.files)
    except OSError:  # gone: the read itself says so
        return None


def remember(cache: dict[K, V], key: K, value: V, most: int) -> None:
    """Keep `value` in a process's cache of verdicts on versions of the data, the most recent
    last, dropping the oldest beyond `most` (a long-lived process keeps a few)."""
    cache.pop(key, None)
    cache[key] = value
    while len(cache) > most:
        cache.pop(next(iter(cache)), None)  # (another thread may have dropped it already)
