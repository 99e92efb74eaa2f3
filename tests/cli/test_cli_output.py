"""`metricsmith query --output`: regular files are replaced atomically, everything else is
written as a stream, and nothing is ever left behind or destroyed.

Device nodes are never put at risk: as root (who could replace /dev/null) the tests write to
copies of the devices made with mknod in tmp_path; otherwise to the real ones, which an
ordinary user cannot replace.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from metricsmith.builtin.formats import CSV
from metricsmith.cli import EXIT_TERMINATED, main
from metricsmith.plugins import formats
from metricsmith.present.output import own_descriptor

METRICS = ["tickets_opened", "first_contact_resolution"]
RANGE = ["--grain", "month", "--from", "2024-01", "--to", "2024-04"]
CSV_HEAD = '"month","tickets_opened","first_contact_resolution"'


def query(project: Path, *output: str) -> list[str]:
    return ["query", str(project), *METRICS, *RANGE, *output]


def temporaries(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.glob(".*.tmp")]


def device(tmp_path: Path, name: str, major: int, minor: int) -> Path:
    """A character device usable in a test without any risk to the real one."""
    if os.geteuid() != 0:
        return Path("/dev") / name  # an ordinary user cannot replace it
    copy = tmp_path / name
    try:
        os.mknod(copy, stat.S_IFCHR | 0o666, os.makedev(major, minor))
        os.close(os.open(copy, os.O_WRONLY))
    except OSError as refused:  # a file system mounted nodev, a container without mknod
        pytest.skip(f"cannot make a copy of /dev/{name} to write to: {refused}")
    return copy


def is_character_device(path: Path) -> bool:
    return stat.S_ISCHR(os.lstat(path).st_mode)


# ---- the format and the file's suffix ----------------------------------------------------


def test_a_suffix_naming_another_format_is_a_usage_error(project, tmp_path, capsys):
    target = tmp_path / "x.csv"
    assert main(query(project, "--format", "parquet", "-o", str(target))) == 2
    err = capsys.readouterr().err
    assert f"{target} ends in .csv but --format parquet writes .parquet files" in err
    assert "use --format csv" in err
    assert not target.exists()


def test_an_unknown_suffix_is_fine_with_an_explicit_format(project, tmp_path):
    target = tmp_path / "result.txt"
    assert main(query(project, "--format", "csv", "-o", str(target))) == 0
    assert target.read_text().splitlines()[0] == CSV_HEAD


def test_the_suffix_picks_the_format_whatever_its_case(project, tmp_path):
    target = tmp_path / "result.PARQUET"
    assert main(query(project, "-o", str(target))) == 0
    assert pq.read_table(target).num_rows == 3


# ---- regular files and symlinks ----------------------------------------------------------


def test_a_symlink_is_kept_and_its_target_replaced(project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    real = elsewhere / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert main(query(project, "-o", str(link))) == 0
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text().splitlines()[0] == CSV_HEAD
    assert temporaries(tmp_path, elsewhere) == []


def test_a_dangling_symlink_gets_its_target_created(project, tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "new.csv")
    assert main(query(project, "-o", str(link))) == 0
    assert link.is_symlink()
    assert (tmp_path / "new.csv").read_text().splitlines()[0] == CSV_HEAD


def test_a_folder_is_refused_naming_it(project, tmp_path, capsys):
    folder = tmp_path / "out.csv"
    folder.mkdir()
    assert main(query(project, "-o", str(folder))) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and str(folder) in err
    assert folder.is_dir() and temporaries(tmp_path) == []


def test_errors_name_the_users_path_not_the_temporary_file(project, tmp_path, capsys):
    target = tmp_path / "missing" / "result.csv"
    assert main(query(project, "-o", str(target))) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"error: No such file or directory: {target}"


def test_a_write_failing_midway_names_the_users_path(tmp_path):
    target = tmp_path / "result.csv"
    disk_full = OSError(28, "Error writing bytes to file. Detail: [errno 28] No space left")
    with pytest.raises(OSError) as raised, formats.atomic_output(str(target)):
        raise disk_full
    assert raised.value.filename == str(target)
    assert raised.value.strerror == os.strerror(28)
    assert temporaries(tmp_path) == [] and not target.exists()


def test_atomic_output_refuses_to_replace_what_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="is a FIFO, not a regular file"):
        CSV.write(pa.table({"a": [1]}), str(fifo))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# ---- streams: devices, FIFOs, descriptors and - ------------------------------------------


def test_a_device_is_written_in_place(project, tmp_path, capsys):
    null = device(tmp_path, "null", 1, 3)
    assert main(query(project, "--format", "csv", "-o", str(null))) == 0
    assert capsys.readouterr().err.strip() == f"wrote 3 rows to {null}"
    assert is_character_device(null)
    assert temporaries(tmp_path, null.parent) == []


def test_a_full_device_fails_clearly_and_stays_a_device(project, tmp_path, capsys):
    full = device(tmp_path, "full", 1, 7)
    link = tmp_path / "to-full"
    link.symlink_to(full)
    for target in (full, link):
        assert main(query(project, "--format", "csv", "-o", str(target))) == 1
        err = capsys.readouterr().err
        assert err.strip() == f"error: No space left on device: {target}"
        assert is_character_device(full) and link.is_symlink()
    assert temporaries(tmp_path, full.parent) == []


def test_a_fifo_is_streamed_to_and_stays_a_fifo(project, tmp_path):
    fifo = tmp_path / "results"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert main(query(project, "--format", "csv", "-o", str(fifo))) == 0
    reader.join(timeout=10)
    assert received[0].decode().splitlines()[0] == CSV_HEAD
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_dash_is_standard_output(project, capsys):
    assert main(query(project, "--format", "csv", "-o", "-")) == 0
    assert capsys.readouterr().out.splitlines()[0] == CSV_HEAD


def test_standard_streams_are_known_by_name_and_through_links(tmp_path):
    """Nothing is written to /dev/stdout itself: as root a mistake would replace it."""
    assert own_descriptor("/dev/stdout") == 1
    assert own_descriptor("/dev/stderr") == 2
    link = tmp_path / "out"
    link.symlink_to("/dev/fd/1")
    assert own_descriptor(str(link)) == 1
    assert own_descriptor(str(tmp_path / "result.csv")) is None


def test_a_link_to_standard_output_writes_to_it(project, tmp_path, capsys):
    link = tmp_path / "stdout"
    link.symlink_to(f"/proc/{os.getpid()}/fd/1")
    assert main(query(project, "--format", "csv", "-o", str(link))) == 0
    assert capsys.readouterr().out.splitlines()[0] == CSV_HEAD
    assert link.is_symlink()


def test_an_open_descriptor_is_written_through(project):
    read_end, write_end = os.pipe()
    try:
        assert main(query(project, "--format", "json", "-o", f"/dev/fd/{write_end}")) == 0
    finally:
        os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        assert pipe.read().startswith(b'[\n{"month": "2024-01-01"')


# ---- temporary files ---------------------------------------------------------------------


def temporary_of(folder: Path, base: str, pid: int) -> Path:
    path = folder / f".{base}.{formats._host_tag()}.{pid}.{'0' * 12}.metricsmith.tmp"
    path.write_text("half a file")
    return path


def finished_process() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_temporaries_are_removed_by_the_next_write(project, tmp_path):
    killed = temporary_of(tmp_path, "result.csv", finished_process())
    running = temporary_of(tmp_path, "result.csv", os.getppid())
    old = temporary_of(tmp_path, "other.csv", os.getppid())
    day_ago = time.time() - formats.STALE_AFTER_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    someone_elses = tmp_path / ".notes.tmp"
    someone_elses.write_text("not ours")
    assert main(query(project, "-o", str(tmp_path / "result.csv"))) == 0
    assert not killed.exists() and not old.exists()
    assert running.exists() and someone_elses.exists()


SLOW_WRITE = """
import sys, time
from metricsmith import cli
from metricsmith.plugins.formats import atomic_output
from metricsmith.registry import get_registry

def write(table, path):
    with atomic_output(path) as temporary:
        open(temporary, "w").write("half")
        print("writing", flush=True)
        time.sleep(60)

registry = get_registry()
registry.formats["csv"] = registry.formats["csv"].__class__(
    "csv", "slow", "csv", write, registry.formats["csv"].render
)
sys.exit(cli.main(sys.argv[1:]))
"""


def test_sigterm_removes_the_temporary_file(project, tmp_path):
    target = tmp_path / "result.csv"
    script = tmp_path / "slow_write.py"
    script.write_text(textwrap.dedent(SLOW_WRITE))
    process = subprocess.Popen(
        [sys.executable, str(script), *query(project, "-o", str(target))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "writing"
        assert len(temporaries(tmp_path)) == 1
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == EXIT_TERMINATED
    assert err.strip() == "terminated"
    assert temporaries(tmp_path) == [] and not target.exists()
