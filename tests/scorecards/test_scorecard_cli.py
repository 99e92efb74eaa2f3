"""`metricsmith scorecard` and the scorecards of `metricsmith list`."""

from __future__ import annotations

import pytest
from metricsmith import cli
from metricsmith.cli import main


def test_list_shows_the_scorecards(sales, capsys):
    assert main(["list", str(sales)]) == 0
    out = capsys.readouterr().out
    assert "Scorecards (2)" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    # name, title, grain, metric count (charts' metrics included), description
    assert lines["monthly"][:5] == ["monthly", "Monthly", "sales", "month", "3"]
    assert lines["by_segment"][-2:] == ["1", "–"]


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
def test_the_table_shows_the_current_period(sales, capsys, engine):
    argv = ["scorecard", str(sales), "monthly", "--end", "2024-04", "--engine", engine]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Monthly sales · 2024-03" in out
    assert "vs previous" in out and "vs last year" in out
    revenue = next(line for line in out.splitlines() if "Revenue" in line)
    cells = [cell.strip() for cell in revenue.split("│")]
    # value, target, status, change against February (150), against March 2023 (300), trend
    assert cells[1:6] == ["400.00", "≥ 120.00", "🟢", "▲ +250.00 (+166.7%)", "▲ +100.00 (+33.3%)"]
    deals = next(line for line in out.splitlines() if "Deals won" in line)
    assert [cell.strip() for cell in deals.split("│")][1:6] == [
        "1",
        "≥ 2",
        "🔴",
        "▼ -1 (-50.0%)",
        "=",
    ]


def test_periods_and_slices(sales, capsys):
    assert main(["scorecard", str(sales), "by_segment", "--end", "2024-04", "--periods", "1"]) == 0
    out = capsys.readouterr().out
    assert "Sales by segment · 2024-03" in out
    assert "Enterprise" in out and "SMB" in out


def test_an_unknown_scorecard_is_an_error(sales, capsys):
    assert main(["scorecard", str(sales), "montly"]) == 1
    err = capsys.readouterr().err
    assert "unknown scorecard `montly`" in err and "did you mean `monthly`?" in err


def test_the_table_is_not_written_to_a_file(sales, capsys, tmp_path):
    assert main(["scorecard", str(sales), "monthly", "-o", str(tmp_path / "x.txt")]) == 2
    assert "the table is for the terminal" in capsys.readouterr().err


def test_another_view_is_one_entry_in_the_formats(sales, capsys, tmp_path, monkeypatch):
    def names(view) -> str:
        return " ".join(m.name for m in view.metrics) + "\n"

    monkeypatch.setitem(cli.SCORECARD_FORMATS, "names", names)
    assert main(["scorecard", str(sales), "monthly", "--format", "names"]) == 0
    assert capsys.readouterr().out == "revenue deals_won lost\n"
    target = tmp_path / "names.txt"
    assert main(["scorecard", str(sales), "monthly", "--format", "names", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == "revenue deals_won lost\n"


def test_check_counts_the_scorecards(sales, capsys):
    assert main(["check", str(sales)]) == 0
    assert capsys.readouterr().out.startswith(
        f"{sales}: 1 file, 2 sources, 4 metrics, 0 dimensions, 2 scorecards; no problems found"
    )
