"""`metricsmith query --grain fiscal_quarter`: fiscal periods named in the terminal and in
people's formats, kept as their first days in files for code, and explained."""

from __future__ import annotations

import csv
import io

from metricsmith.cli import main

FEBRUARY = "calendar { fiscal_year_start february }\n"
# Quarters Feb-Apr, May-Jul, Aug-Oct, Nov-Jan; FY2025 runs from February 2024 to January 2025.
RANGE = ["--grain", "fiscal_quarter", "--from", "2023-11", "--to", "2024-05"]


def test_the_table_names_fiscal_quarters(project, capsys):
    (project / "calendar.metrics").write_text(FEBRUARY)
    assert main(["query", str(project), "tickets_opened", *RANGE]) == 0
    out = capsys.readouterr().out
    # The 3 January tickets are in FY2024 Q4 (November to January), the 2 February ones in
    # FY2025 Q1.
    lines = [" ".join(line.replace("│", " ").split()) for line in out.splitlines()]
    assert "FY2024 Q4 3" in lines
    assert "FY2025 Q1 2" in lines


def test_markdown_names_them_and_csv_keeps_first_days(project, capsys):
    (project / "calendar.metrics").write_text(FEBRUARY)
    assert main(["query", str(project), "tickets_opened", *RANGE, "--format", "markdown"]) == 0
    assert "| FY2025 Q1 | 2 |" in capsys.readouterr().out
    assert main(["query", str(project), "tickets_opened", *RANGE, "--format", "csv"]) == 0
    read = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert read == [["fiscal_quarter", "tickets_opened"], ["2023-11-01", "3"], ["2024-02-01", "2"]]


def test_explain_names_the_fiscal_year_start(project, capsys):
    (project / "calendar.metrics").write_text(FEBRUARY)
    assert main(["explain", str(project), "tickets_opened", *RANGE]) == 0
    assert "fiscal years start february" in capsys.readouterr().out
