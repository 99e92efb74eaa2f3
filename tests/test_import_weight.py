"""What a process pays before its first query: the SQL engines' libraries (duckdb, sqlglot,
pyspark) and the optional renderers are imported only by what uses them, so loading a project
and running it on the Arrow engine, from the API or the command line, never imports them.
(Plugins for warehouses and SQL functions import sqlglot themselves: these runs load only the
library of metrics the sample includes.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "metric_defs" / "sample"
# Each is imported by an SQL engine, a connector reading a database, or an optional output
# format, when it is used, never by a project that uses none of them.
ONLY_WHEN_USED = ("duckdb", "sqlglot", "pyspark", "polars", "altair", "jinja2", "openpyxl")


def _imported(code: str) -> set[str]:
    """Which of ONLY_WHEN_USED a fresh interpreter running `code` has imported."""
    script = (
        f"{code}\nimport sys\nprint(' '.join(m for m in {ONLY_WHEN_USED!r} if m in sys.modules))"
    )
    env = {**os.environ, "METRICSMITH_PLUGINS": "metricsmith-customer-success"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return set(out.stdout.split())


def test_the_api_and_the_command_line_import_no_engine_library():
    assert _imported("import metricsmith.api, metricsmith.cli") == set()


def test_an_arrow_query_from_the_command_line_imports_no_sql_library():
    code = (
        "import contextlib, io\n"
        "from metricsmith.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    status = main(['query', {str(SAMPLE)!r}, 'nps', 'csat', 'tickets_opened',"
        " 'first_contact_resolution', 'active_users', '--grain', 'month',"
        " '--from', '2024-01', '--to', '2025-01'])\n"
        "assert status == 0, status"
    )
    assert _imported(code) == set()
