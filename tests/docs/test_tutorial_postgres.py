"""The tutorial's "Your data in PostgreSQL" runs as written against the test server: its SQL
loads the sample tickets through psql, its settings and definitions are those of the page
(only the server's address differs), and its commands print what the page shows."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from metricsmith.cli import main
from metricsmith.plugins.connections import PROFILES_VARIABLE

pytest.importorskip("metricsmith_postgres")
from postgres_server import server_programs

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
SECTION = PAGE.split("## 12. Your data in PostgreSQL\n")[1].split("\n## 13. ")[0]
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```\n", SECTION, flags=re.M | re.S)


def _block(language: str, starting: str = "") -> str:
    return next(body for lang, body in BLOCKS if lang == language and body.startswith(starting))


def _shown_after(command_block: str) -> list[str]:
    """The lines of the output block following a command block."""
    index = next(i for i, (_, body) in enumerate(BLOCKS) if body == command_block)
    return BLOCKS[index + 1][1].splitlines()


def _run_metricsmith(command: str, capsys) -> list[str]:
    assert main(shlex.split(command)[1:]) == 0
    return [line.rstrip() for line in capsys.readouterr().out.splitlines()]


def test_your_data_in_postgresql(postgres_server, tmp_path, monkeypatch, capsys):
    import adbc_driver_postgresql.dbapi as dbapi

    with dbapi.connect(postgres_server.uri, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS support")
        cursor.execute("DROP ROLE IF EXISTS metrics_ro")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(PROFILES_VARIABLE, str(tmp_path / "no-profiles.toml"))
    monkeypatch.setenv("PATH", f"{server_programs()}{os.pathsep}{os.environ['PATH']}")
    shutil.copytree(ROOT / "metric_defs" / "sample" / "data", tmp_path / "scorecard" / "data")

    (tmp_path / "load.sql").write_text(_block("sql"), encoding="utf-8")
    for command in _block("", "createdb").splitlines():
        ran = subprocess.run(shlex.split(command), check=True, capture_output=True, text=True)
        assert ran.stderr == "", ran.stderr  # psql goes on after a failed statement
    postgres_server.require_password("metrics_ro")

    project = tmp_path / "scorecard-pg"
    project.mkdir()
    address = {
        'host = "localhost"': 'host = "127.0.0.1"',
        "port = 5432": f"port = {postgres_server.port}",
    }
    settings = _block("toml")
    for shown, actual in address.items():
        assert shown in settings
        settings = settings.replace(shown, actual)
    (project / "metricsmith.toml").write_text(settings, encoding="utf-8")
    (project / "support.metrics").write_text(_block("", "source tickets"), encoding="utf-8")

    check = _block("", "export SUPPORT_PASSWORD=")
    export, command = check.splitlines()
    name, _, value = export.removeprefix("export ").partition("=")
    monkeypatch.setenv(name, value)
    expected = _shown_after(check)
    expected = [
        line.replace("host=localhost", "host=127.0.0.1").replace(
            "port=5432", f"port={postgres_server.port}"
        )
        for line in expected
    ]
    printed = _run_metricsmith(command, capsys)
    assert printed[:-1] == [line.rstrip() for line in expected[:-1]]
    assert re.fullmatch(
        r"support: ok, PostgreSQL [\d.]+.*, database support as metrics_ro", printed[-1]
    )

    query = _block("", "metricsmith query scorecard-pg")
    assert _run_metricsmith(query.strip(), capsys) == _shown_after(query)
