"""A throwaway PostgreSQL server for the tests: a cluster made by initdb in a temporary folder,
listening on a free loopback port, stopped and deleted when the run ends. Its databases order
text by ICU's English collation, as a database made in a locale does.

The server's programs come from the system's PostgreSQL packages (`.ci/run` installs them on
Debian: `apt-get install postgresql`). Without them the tests that need a server skip locally,
saying how to get one, and fail in CI (CI set in the environment), where every test must run.
initdb refuses to run as root, so as root the cluster belongs to the `postgres` user the
packages create.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from attrs import frozen

USER = "metricsmith"
DATABASE = "postgres"
INSTALL_HINT = (
    "the PostgreSQL tests need the server's programs (initdb, pg_ctl): on Debian or Ubuntu "
    "`apt-get install postgresql`, on macOS `brew install postgresql`"
)


@frozen
class PostgresServer:
    folder: Path
    port: int

    @property
    def environment(self) -> dict[str, str]:
        """libpq's variables reaching the server (the postgres engine's default connection)."""
        return {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": USER,
            "PGDATABASE": DATABASE,
        }

    @property
    def uri(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def require_password(self, role: str) -> None:
        """Make `role` (which exists) log in with its password (SCRAM); every other login
        stays trusted. The rule goes first in pg_hba.conf, where the first matching line
        decides."""
        import adbc_driver_postgresql.dbapi as dbapi

        hba = self.folder / "data" / "pg_hba.conf"
        rule = f"host all {role} 127.0.0.1/32 scram-sha-256\n"
        text = hba.read_text(encoding="utf-8")
        if rule not in text:
            hba.write_text(rule + text, encoding="utf-8")
        with dbapi.connect(self.uri, autocommit=True) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT pg_reload_conf()")
        # The server rereads the file after the call returns: wait until the role is refused
        # without its password.
        for _ in range(100):
            try:
                dbapi.connect(f"postgresql://{role}@127.0.0.1:{self.port}/{DATABASE}").close()
            except dbapi.Error:
                return
            time.sleep(0.02)
        raise RuntimeError(f"the server still lets {role} in without a password")


def server_programs() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, or in Debian's versioned folder."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version)
    return Path(folders[-1]) if folders else None


def _version(folder: str) -> int:
    name = Path(folder).parent.name
    return int(name) if name.isdigit() else 0


def start_server(programs: Path) -> PostgresServer:
    folder = Path(tempfile.mkdtemp(prefix="metricsmith-pg-"))
    as_owner = _as_owner(folder)
    data = folder / "data"
    subprocess.run(
        [
            *as_owner,
            str(programs / "initdb"),
            "-D",
            str(data),
            "-U",
            USER,
            "--auth=trust",
            "-E",
            "UTF8",
            # Text ordered as a company's database orders it, by a language's rules (ICU's
            # English: "apple" < "Banana"), not by bytes: the SQL must order text itself
            # (dialects.py, `Postgres.binary_text`), and every PostgreSQL test checks it.
            # The other categories stay C.
            "--locale=C",
            "--locale-provider=icu",
            "--icu-locale=en",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=40"
    )
    subprocess.run(
        [
            *as_owner,
            str(programs / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "server.log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return PostgresServer(folder=folder, port=port)


def stop_server(programs: Path, server: PostgresServer) -> None:
    subprocess.run(
        [
            *_as_owner(server.folder),
            str(programs / "pg_ctl"),
            "-D",
            str(server.folder / "data"),
            "-m",
            "immediate",
            "stop",
        ],
        check=False,
        capture_output=True,
    )
    shutil.rmtree(server.folder, ignore_errors=True)


def _as_owner(folder: Path) -> list[str]:
    """The command prefix running the server's programs as a user initdb accepts."""
    if os.geteuid() != 0:
        return []
    shutil.chown(folder, user="postgres")
    return ["runuser", "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
