"""docs/errors.md documents every diagnostic code the engine can report, and its examples
report what the page says they do."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import metricsmith
import pytest
from metricsmith.errors import ProjectError

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
FILES = {
    "data/accounts.csv": "account_id,segment,signed_up_at\n"
    "1,SMB,2024-01-03T10:00:00\n2,Enterprise,2024-02-11T09:30:00\n",
    "data/tickets.csv": "ticket_id,account_id,opened_at,resolved_at,contacts,channel\n"
    "10,1,2024-01-05T08:00:00,2024-01-05T12:00:00,1,email\n"
    "11,2,2024-02-12T14:00:00,,2,chat\n",
}
# Codes whose situation a definition file alone cannot create (a plugin, file permissions, a
# second file, a path that never comes from the language): the page describes them in words.
DESCRIBED_ONLY = {
    "unreadable-file",
    "no-project",
    "included-project",
    "unconfinable-connector",
    "bad-path",
    "plugin-failure",
    "library-needs",
    "unavailable-metric",
    # An override needs a metric from an included file: tests/dsl/test_overrides.py.
    "overridden",
    "override-type",
    # A query's error, asking for statuses: tests/targets/test_target_status.py.
    "target-not-sliceable",
}
#: Calls whose first argument is a diagnostic code, besides `Diagnostic(code=...)`.
EMITTERS = {"error", "problem", "_problem"}


def _sections() -> dict[str, str]:
    parts = re.split(r"^### `([a-z-]+)`\n", PAGE, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _blocks(text: str, kind: str) -> list[str]:
    return re.findall(rf"^```{kind}\n(.*?)^```\n", text, flags=re.M | re.S)


def _emitted_codes() -> set[str]:
    """Every code the engine's source passes to a diagnostic."""
    found = set()
    for path in (ROOT / "engine" / "metricsmith").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    found.add(keyword.value.value)
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args else None
            if name in EMITTERS and isinstance(first, ast.Constant):
                found.add(first.value)
    return found


def test_every_code_the_engine_reports_is_documented_and_no_other():
    assert _emitted_codes() == set(_sections())


PRELUDE = _blocks(PAGE.split("### ")[0], "metrics")[0]
EXAMPLES = [code for code in _sections() if code not in DESCRIBED_ONLY]


@pytest.mark.parametrize("code", EXAMPLES)
def test_the_example_reports_what_the_page_shows(code, tmp_path, monkeypatch):
    section = _sections()[code]
    (example,) = _blocks(section, "metrics")
    shown = _blocks(section, "text")[0].splitlines()[0]
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    # The encoding example is a Latin-1 file: the page shows its text.
    encoding = "latin-1" if code == "encoding" else "utf-8"
    (tmp_path / "defs.metrics").write_bytes((PRELUDE + example).encode(encoding))
    monkeypatch.chdir(tmp_path)  # positions read `defs.metrics:line:col`, as on the page
    try:
        project = metricsmith.load_project("defs.metrics")
        project.query(list(project.metrics)[-1:])  # contracts are checked as a query reads
        reported = project.warnings
    except ProjectError as problem:
        reported = problem.diagnostics
    firsts = [
        d.render().splitlines()[0].replace(str(tmp_path), "/path/to/project") for d in reported
    ]
    assert shown in firsts


@pytest.mark.parametrize("code", sorted(DESCRIBED_ONLY))
def test_a_code_described_in_words_shows_its_message(code):
    assert f"[{code}]" in _blocks(_sections()[code], "text")[0]
