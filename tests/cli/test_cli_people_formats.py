"""`metricsmith query --format markdown|xlsx`: the formats that show a result to people get
its labels, units, targets and statuses from the project's definitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from metricsmith.cli import main

QUERY = [
    "tickets_opened",
    "first_contact_resolution",
    "--grain",
    "month",
    "--from",
    "2024-01",
    "--to",
    "2024-04",
]
MARKDOWN = """\
| month | Tickets opened | First-contact resolution (target ≥ 50.0%) |
| --- | ---: | ---: |
| 2024-01 | 3 | 66.7% 🟢 |
| 2024-02 | 2 | 0.0% 🔴 |
| 2024-03 | 0 | – |
"""


def test_markdown_to_stdout_is_a_table_with_labels_and_statuses(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", str(project), *QUERY, "--format", "markdown"]) == 0
    assert capsys.readouterr().out == MARKDOWN


def test_a_md_suffix_writes_markdown(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.md"
    assert main(["query", str(project), *QUERY, "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == MARKDOWN


def test_an_xlsx_suffix_writes_a_workbook_with_formats_and_fills(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "result.xlsx"
    assert main(["query", str(project), *QUERY, "-o", str(out)]) == 0
    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in sheet[1]] == [
        "month",
        "Tickets opened",
        "First-contact resolution (target ≥ 50.0%)",
    ]
    assert [c.value for c in sheet["A"][1:]] == [dt.datetime(2024, m, 1) for m in (1, 2, 3)]
    assert [c.value for c in sheet["B"][1:]] == [3, 2, 0]
    assert {c.number_format for c in sheet["B"][1:]} == {"#,##0"}
    shares = sheet["C"][1:]
    assert [c.number_format for c in shares] == ["0.0%"] * 3
    fills = [c.fill.start_color.rgb[2:] if c.fill.fill_type else None for c in shares]
    assert fills == ["C6EFCE", "FFC7CE", None]
    assert sheet.freeze_panes == "B2"


def test_xlsx_is_binary_and_never_printed_to_a_terminal(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", str(project), *QUERY, "--format", "xlsx"]) == 2
    assert "xlsx is a binary format" in capsys.readouterr().err
