"""The Arrow engine serves its temporaries from a heap that keeps what a query freed for the
next one (execute/arrow/heap.py): arrays up to 32 MB, freed together up to 64 MB, are taken
again without a page fault per page."""

# Arrow only: the C library's heap settings of the process running the Arrow engine.

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import metricsmith.execute.arrow.executor as executor
import metricsmith.execute.arrow.heap as heap
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from execute_helpers import TIMESTAMP, project_from_text, utc

DEFINITIONS = """
calendar { timezone "UTC" }
source events from parquet("events.parquet") { time at }
metric n = count(events)
"""
ON_GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# Three 16 MB arrays, freed together and taken again, three times (glibc by itself maps the
# first ones and raises its threshold when they are freed): the page faults of the last time
# (RUSAGE_THREAD: this thread's alone) are printed.
_TAKEN_AGAIN = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    from metricsmith.execute.arrow.heap import keep_freed_memory

    if sys.argv[1] == "set":
        assert keep_freed_memory()

    def faults():
        return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt

    def arrays():
        return [np.ones(2 * 2**20, dtype=np.int64) for _ in range(3)]

    arrays()
    arrays()
    before = faults()
    arrays()
    print(faults() - before)
    """
)


def _faults_taking_again(setting: str) -> int:
    # Pages of 4 KB (NumPy asks for huge pages, where the system has them, for large arrays).
    environment = {**os.environ, "NUMPY_MADVISE_HUGEPAGE": "0"}
    command = [sys.executable, "-c", _TAKEN_AGAIN, setting]
    ran = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
    return int(ran.stdout.split()[-1])


@pytest.mark.skipif(not ON_GLIBC, reason="glibc's heap settings")
def test_freed_arrays_are_taken_again_without_new_pages():
    pages = 3 * 16 * 2**20 // 4096
    assert _faults_taking_again("set") < pages // 10
    # Without them glibc gives the 48 MB back each time (so the check above means something).
    assert _faults_taking_again("unset") > pages // 4


def test_the_settings_are_left_alone_off_glibc(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    heap.keep_freed_memory.cache_clear()
    try:
        assert heap.keep_freed_memory() is False
    finally:
        heap.keep_freed_memory.cache_clear()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MALLOC_TRIM_THRESHOLD_", "131072"),
        ("MALLOC_MMAP_THRESHOLD_", "131072"),
        ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=131072"),
    ],
)
def test_a_process_choosing_the_thresholds_keeps_them(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    heap.keep_freed_memory.cache_clear()
    try:
        assert heap.keep_freed_memory() is False
    finally:
        heap.keep_freed_memory.cache_clear()


def test_an_arrow_query_sets_them(tmp_path, monkeypatch):
    calls: list[bool] = []
    monkeypatch.setattr(executor, "keep_freed_memory", lambda: calls.append(True))
    events = pa.table({"at": pa.array([utc(2024, 1, 5), utc(2024, 2, 5)], TIMESTAMP)})
    pq.write_table(events, tmp_path / "events.parquet")
    project = project_from_text(tmp_path, DEFINITIONS, {})
    answer = project.query(["n"], grain="month", start="2024-01-01", end="2024-03-01")
    assert answer.to_arrow().column("n").to_pylist() == [1, 1]
    assert calls == [True]
