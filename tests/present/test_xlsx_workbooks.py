"""The scorecard's workbook and the `xlsx` format, read back with openpyxl: each cell's value,
number format and fill pinned in `golden/<view>.xlsx.txt` (METRICSMITH_UPDATE_GOLDEN=1
rewrites them), and the properties a reader relies on checked one by one."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from metricsmith.builtin.formats import metricsmith_output_formats
from metricsmith.builtin.xlsx import XLSX, metric_value, number_format
from metricsmith.errors import QueryError
from metricsmith.plugins.formats import ResultColumn, ResultView
from metricsmith.present.scorecard import ScorecardView
from metricsmith.present.xlsx import write_xlsx
from scorecard_views import segment_view, weekly_view

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("METRICSMITH_UPDATE_GOLDEN") == "1"
VIEWS: dict[str, Callable[[], ScorecardView]] = {
    "weekly_cs": weekly_view,
    "monthly_segments": segment_view,
}
GREEN, AMBER, RED = "FFC6EFCE", "FFFFEB9C", "FFFFC7CE"


def dump(path: Path) -> str:
    """Every non-empty cell as `Sheet!A1 = value | number format | fill`, and each sheet's
    frozen corner."""
    workbook = openpyxl.load_workbook(path)
    lines = []
    for sheet in workbook:
        lines.append(f"{sheet.title}: frozen at {sheet.freeze_panes}")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None and not cell.fill.fill_type:
                    continue
                lines.append(
                    f"{sheet.title}!{cell.coordinate} = {cell.value!r} | "
                    f"{cell.number_format} | {fill(cell) or '-'}"
                )
    return "\n".join(lines) + "\n"


def fill(cell) -> str | None:
    return f"FF{cell.fill.start_color.rgb[2:]}" if cell.fill.fill_type == "solid" else None


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_scorecard_workbook_matches_its_golden_cells(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.xlsx"
    write_xlsx(VIEWS[name](), str(path))
    expected = GOLDEN / f"{name}.xlsx.txt"
    if UPDATE:
        expected.write_text(dump(path), encoding="utf-8")
    assert dump(path) == expected.read_text(encoding="utf-8")


def test_the_scorecard_sheet_has_one_row_per_metric_with_status_colours(tmp_path: Path) -> None:
    path = tmp_path / "weekly.xlsx"
    write_xlsx(weekly_view(), str(path))
    sheet = openpyxl.load_workbook(path)["Scorecard"]
    assert [c.value for c in sheet[1]] == [
        "Metric", "Current (week of 2024-03-04)", "Target", "Status",
        "Last week", "Change vs last week", "A year ago", "Change vs a year ago",
    ]  # fmt: skip
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert len(rows) == 6
    nps = rows["Net Promoter Score (points)"]
    assert (nps[1].value, nps[2].value, nps[3].value) == (42, "≥ 30", "on target")
    assert fill(nps[1]) == fill(nps[3]) == GREEN
    fcr = rows["First contact resolution"]
    assert fcr[1].value == pytest.approx(0.612) and fcr[1].number_format == "0.0%"
    assert fill(fcr[1]) == RED and fcr[3].value == "off target"
    assert fcr[5].number_format == "+0.0%;-0.0%;0.0%"
    assert fill(rows["CSAT (points (1-5))"][1]) == AMBER
    response = rows["Median first response (hours)"][1]
    assert response.value == dt.timedelta(hours=3, minutes=15)
    assert response.number_format == "[h]:mm:ss"
    tickets = rows["Tickets"]
    assert tickets[1].number_format == "#,##0" and fill(tickets[1]) is None
    assert tickets[3].value is None  # no target, no status
    assert sheet.freeze_panes == "B2"


def test_the_values_sheet_has_every_period_as_a_date(tmp_path: Path) -> None:
    path = tmp_path / "weekly.xlsx"
    write_xlsx(weekly_view(), str(path))
    sheet = openpyxl.load_workbook(path)["Values"]
    periods = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value.date() for c in periods] == list(weekly_view().periods)
    assert {c.number_format for c in periods} == {"yyyy-mm-dd"}
    assert sheet["B1"].value == "Net Promoter Score (points, target ≥ 30)"
    assert sheet["C1"].value == "Net Promoter Score, last week (points)"
    assert sheet.freeze_panes == "B2"


def test_the_xlsx_format_writes_a_query_results_view(tmp_path: Path) -> None:
    view = ResultView(
        pa.table(
            {
                "month": [dt.datetime(2024, m, 1, tzinfo=dt.UTC) for m in (1, 2)],
                "share": [0.667, None],
                "mrr": [1200.5, 980.0],
            }
        ),
        (
            ResultColumn("month", "month", ("2024-01", "2024-02"), grain="month"),
            ResultColumn("share", "Share", ("66.7%", "–"), metric=True, format="percent",
                         target="≥ 50.0%", statuses=("green", None)),
            ResultColumn("mrr", "MRR", ("1,200.50", "980.00"), metric=True, unit="USD",
                         format="currency"),
        ),
    )  # fmt: skip
    path = tmp_path / "result.xlsx"
    XLSX.write_view(view, str(path))
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[1]] == ["month", "Share (target ≥ 50.0%)", "MRR (USD)"]
    assert sheet["A2"].value == dt.datetime(2024, 1, 1) and sheet["A2"].number_format == "yyyy-mm"
    assert sheet["B2"].number_format == "0.0%" and fill(sheet["B2"]) == GREEN
    assert sheet["B3"].value is None and fill(sheet["B3"]) is None
    assert sheet["C2"].number_format == "#,##0.00"
    assert sheet.freeze_panes == "B2"
    assert XLSX.render_view(view)[:2] == b"PK"  # a zip, as every xlsx file


def test_a_bare_table_is_written_with_its_column_names(tmp_path: Path) -> None:
    path = tmp_path / "bare.xlsx"
    XLSX.write(pa.table({"month": [dt.date(2024, 1, 1)], "n": [3]}), str(path))
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[1]] == ["month", "n"]
    assert sheet["A2"].number_format == "yyyy-mm" and sheet["A2"].value == dt.datetime(2024, 1, 1)
    assert sheet.freeze_panes == "A2"


def test_number_formats_follow_the_metric_format() -> None:
    assert number_format("percent", 0.5) == "0.0%"
    assert number_format("currency", 10) == "#,##0.00"
    assert number_format("integer", 10.4) == "#,##0"
    assert number_format(None, 10) == "#,##0"
    assert number_format(None, 10.5) == "#,##0.00"
    assert metric_value(90, "duration", "minutes") == dt.timedelta(hours=1, minutes=30)
    assert number_format("duration", dt.timedelta(hours=1)) == "[h]:mm:ss"
    assert metric_value(90, "duration", "widgets") == 90  # not a time unit: a number
    assert metric_value(float("nan"), None, None) is None


def test_xlsx_and_markdown_are_registered_formats() -> None:
    names = {f.name: f for f in metricsmith_output_formats()}
    assert names["xlsx"].binary and names["xlsx"].extension == "xlsx"
    assert names["markdown"].extension == "md" and not names["markdown"].binary


def test_without_openpyxl_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "openpyxl", None)  # import fails
    with pytest.raises(QueryError, match=r"needs the `openpyxl` package") as caught:
        write_xlsx(weekly_view(), str(tmp_path / "x.xlsx"))
    assert "pip install 'metricsmith[xlsx]'" in str(caught.value)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_the_workbook_is_written_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "weekly.xlsx"
    path.write_bytes(b"the old file")

    def broken_save(self, filename):  # a failure midway
        Path(filename).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(OSError, match="No space left"):
        write_xlsx(weekly_view(), str(path))
    assert path.read_bytes() == b"the old file"
    assert [p.name for p in tmp_path.iterdir()] == ["weekly.xlsx"]


def test_values_a_cell_cannot_hold_are_written_as_text(tmp_path: Path) -> None:
    table = pa.table({"segment": ["bad\x01byte", None], "tags": [["a", "b"], []], "n": [1, 2]})
    path = tmp_path / "odd.xlsx"
    XLSX.write(table, str(path))
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet["A"][1:]] == ["badbyte", None]
    assert [c.value for c in sheet["B"][1:]] == ["['a', 'b']", "[]"]
