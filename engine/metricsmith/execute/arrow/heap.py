"""The C library's heap settings the Arrow engine's temporaries are served with (Linux, glibc).

The engine's NumPy temporaries are as large as a source or a level's cells (the cohorts
family: 1.5M subscriptions, 2.6M cells; 12-21 MB each). glibc serves a block at or above its
mmap threshold with new pages from the system, given back when the block is freed; it raises
that threshold to the size of such a block once one is freed, but gives back the free top of
its heap beyond twice the threshold, and a query frees more than that at once: each query
takes its arrays' pages anew, a page fault per page, each page zeroed by the system. With
blocks up to 32 MB (glibc's largest mmap threshold on 64 bits) served from the heap, and at
most 64 MB left free at its top (as much as the DuckDB engine keeps for its next query), a
query reuses what the previous one freed: half the page faults of the cohorts family's query
on the Arrow engine, up to a fifth of its main-thread CPU time (benchmarks/README.md).
Larger blocks are mapped as before.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import sys

# mallopt's parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks up to this size come from the heap: glibc's largest mmap threshold on 64 bits.
FROM_HEAP = 32 * 2**20
#: The free memory at the heap's top kept for the next query.
KEPT_FREE = 64 * 2**20


@functools.cache
def keep_freed_memory() -> bool:
    """Set the heap's thresholds once per process; whether they were set (False where the C
    library is not glibc, whose `mallopt` this is, and where the process chose glibc's
    thresholds itself, in glibc's own environment variables: they are left as chosen)."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    if _chosen_by_the_process():
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # mallopt answers 1 when it took the value.
    return bool(mallopt(_M_MMAP_THRESHOLD, FROM_HEAP) and mallopt(_M_TRIM_THRESHOLD, KEPT_FREE))


def _chosen_by_the_process() -> bool:
    """Whether the environment sets either threshold (`MALLOC_MMAP_THRESHOLD_`,
    `MALLOC_TRIM_THRESHOLD_`, or their `GLIBC_TUNABLES`)."""
    named = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    return any(name in os.environ for name in named) or any(
        tunable in tunables for tunable in ("malloc.mmap_threshold", "malloc.trim_threshold")
    )
