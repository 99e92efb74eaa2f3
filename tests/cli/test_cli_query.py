"""`metricsmith query`: the terminal table, the output formats and the usage errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import metricsmith
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from metricsmith.cli import main

METRICS = ["tickets_opened", "first_contact_resolution"]
RANGE = ["--grain", "month", "--from", "2024-01", "--to", "2024-04"]


def table_row(output: str, first_cell: str) -> list[str]:
    """The cells of the rendered table row whose first cell is `first_cell`."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row starting with {first_cell!r} in:\n{output}")


def expected_table(project: Path):
    # Compared with tables read back: `table.equals(other)` takes a pyarrow.Table only.
    result = metricsmith.load_project(project).query(
        METRICS, grain="month", start="2024-01", end="2024-04"
    )
    return result.to_arrow()


# ---- the terminal table ------------------------------------------------------------------


def test_table_shows_labels_targets_and_formatted_values(project, capsys):
    assert main(["query", str(project), *METRICS, *RANGE]) == 0
    out, err = capsys.readouterr()
    assert "Tickets opened" in out
    assert "First-contact resolution" in out
    assert "target ≥ 50.0%" in out
    assert table_row(out, "2024-01")[1:] == ["3", "66.7% 🟢"]
    assert table_row(out, "2024-02")[1:] == ["2", "0.0% 🔴"]
    assert table_row(out, "2024-03")[1:] == ["0", "–"]  # no tickets: a null share, not 0%
    assert err == ""  # no spinner and no escape codes when nobody watches a terminal
    assert "\x1b[" not in out


def test_table_by_a_column_of_a_linked_source(project, capsys):
    assert main(["query", str(project), *METRICS, *RANGE, "--by", "accounts.segment"]) == 0
    out = capsys.readouterr().out
    assert "accounts.segment" in out
    rows = [line for line in out.splitlines() if line.strip().startswith("2024-01")]
    assert sorted(" ".join(line.split()) for line in rows) == [
        "2024-01 │ Enterprise │ 1 │ 0.0% 🔴",
        "2024-01 │ SMB │ 2 │ 100.0% 🟢",
    ]


def test_named_dimension_is_headed_by_its_label(project, capsys):
    assert main(["query", str(project), "tickets_opened", *RANGE, "--by", "company_size"]) == 0
    out = capsys.readouterr().out
    assert "Company size" in out
    rows = [" ".join(line.split()) for line in out.splitlines() if "2024-01" in line]
    assert sorted(rows) == ["2024-01 │ large │ 1", "2024-01 │ small │ 2"]


def test_by_a_grain_name_is_the_grain(project, capsys):
    main(["query", str(project), *METRICS, "--grain", "month", "--from", "2024-01"])
    with_grain = capsys.readouterr().out
    main(["query", str(project), *METRICS, "--by", "month", "--from", "2024-01"])
    assert capsys.readouterr().out == with_grain


def test_quarter_periods_are_named_by_quarter(project, capsys):
    assert (
        main(
            [
                "query",
                str(project),
                "tickets_opened",
                "--grain",
                "quarter",
                "--from",
                "2024",
                "--to",
                "2024-07",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert table_row(out, "2024 Q1")[1:] == ["5"]
    assert table_row(out, "2024 Q2")[1:] == ["0"]


def test_without_a_grain_one_row_covers_the_range(project, capsys):
    assert (
        main(["query", str(project), "tickets_opened", "--from", "2024-01", "--to", "2024-02"]) == 0
    )
    out = capsys.readouterr().out
    assert [line.strip() for line in out.splitlines()][-1] == "3"


def test_where_filters_rows(project, capsys):
    args = ["query", str(project), "tickets_opened", *RANGE, "--where", 'accounts.segment == "SMB"']
    assert main(args) == 0
    assert table_row(capsys.readouterr().out, "2024-01")[1:] == ["2"]


# ---- output formats ----------------------------------------------------------------------


def test_csv_to_stdout(project, capsys):
    assert main(["query", str(project), *METRICS, *RANGE, "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["month"] for row in rows] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert [row["tickets_opened"] for row in rows] == ["3", "2", "0"]
    assert float(rows[0]["first_contact_resolution"]) == pytest.approx(2 / 3)
    assert rows[2]["first_contact_resolution"] == ""
    assert err == ""


def test_json_to_stdout(project, capsys):
    assert main(["query", str(project), *METRICS, *RANGE, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["month"] == "2024-01-01"
    assert records[0]["tickets_opened"] == 3
    assert records[2]["first_contact_resolution"] is None


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_output_file_holds_the_query_result(project, tmp_path, capsys, fmt):
    target = tmp_path / f"result.{fmt}"
    assert main(["query", str(project), *METRICS, *RANGE, "--format", fmt, "-o", str(target)]) == 0
    assert capsys.readouterr().err.strip() == f"wrote 3 rows to {target}"
    expected = expected_table(project)
    if fmt == "parquet":
        assert pq.read_table(target).equals(expected)
    elif fmt == "csv":
        written = pa_csv.read_csv(target)
        assert written.column("tickets_opened").to_pylist() == [3, 2, 0]
    else:
        records = json.loads(target.read_text())
        assert [r["tickets_opened"] for r in records] == [3, 2, 0]
    assert list(tmp_path.glob(".*.tmp")) == []  # the atomic write left nothing behind


def test_output_format_follows_the_file_suffix(project, tmp_path):
    target = tmp_path / "result.parquet"
    assert main(["query", str(project), *METRICS, *RANGE, "--output", str(target)]) == 0
    assert pq.read_table(target).equals(expected_table(project))


def test_output_to_a_missing_folder_is_a_user_error(project, tmp_path, capsys):
    target = tmp_path / "no" / "such" / "result.csv"
    assert main(["query", str(project), *METRICS, *RANGE, "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


# ---- usage errors (exit 2) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--format", "parquet"], "--output"),
        (
            ["--format", "xml"],
            "unknown format 'xml'; choose table, csv, json, markdown, parquet, xlsx",
        ),
        (["--output", "result.txt"], "cannot tell the format"),
        (["--format", "table", "--output", "result.csv"], "the table is for the terminal"),
    ],
)
def test_contradictory_options_are_usage_errors(project, capsys, extra, message):
    assert main(["query", str(project), *METRICS, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("metricsmith query: error:")
    assert message in err


@pytest.mark.parametrize(
    "args",
    [
        ["query"],  # no project
        ["query", "PROJECT"],  # no metric
        ["query", "PROJECT", "tickets_opened", "--grain", "fortnight"],
        ["query", "PROJECT", "tickets_opened", "--colour"],
    ],
)
def test_malformed_command_lines_exit_2(project, capsys, args):
    assert main([str(project) if a == "PROJECT" else a for a in args]) == 2
    assert "usage:" in capsys.readouterr().err


# ---- problems in the query or the project (exit 1) ---------------------------------------


def test_unknown_metric(project, capsys):
    assert main(["query", str(project), "tickets_openned"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error:")
    assert "tickets_openned" in err
    assert "Traceback" not in err


def test_two_grains(project, capsys):
    assert main(["query", str(project), "tickets_opened", "--grain", "week", "--by", "month"]) == 1
    assert "two grains" in capsys.readouterr().err


def test_bad_date(project, capsys):
    assert main(["query", str(project), "tickets_opened", "--from", "2024-13"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "2024-13" in err


def test_unknown_dimension(project, capsys):
    assert main(["query", str(project), "tickets_opened", "--by", "accounts.segmnt"]) == 1
    assert "segmnt" in capsys.readouterr().err


def test_a_range_of_too_many_periods_is_refused_unless_asked(project, capsys):
    args = ["query", str(project), "tickets_opened", "--grain", "day"]
    assert main([*args, "--from", "0001-01", "--to", "9999-12"]) == 1
    err = capsys.readouterr().err
    assert "3,652,028 days" in err and "at most 10,000 periods" in err
    assert "--max-periods 3652028" in err
    assert main([*args, "--from", "2024-01", "--to", "2024-03", "--max-periods", "59"]) == 1
    assert "60 days" in capsys.readouterr().err
    assert main([*args, "--from", "2024-01", "--to", "2024-03", "--max-periods", "60"]) == 0


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
def test_a_range_from_the_data_counts_too(project, capsys, engine):
    args = ["--grain", "week", "--max-periods", "3", "--engine", engine]
    assert main(["query", str(project), "tickets_opened", *args]) == 1
    assert "7 weeks; a query computes at most 3 periods" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_max_periods_is_a_positive_whole_number(project, capsys, value):
    assert main(["query", str(project), "tickets_opened", "--max-periods", value]) == 2
    assert "--max-periods" in capsys.readouterr().err


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
def test_the_days_a_per_day_iterates_count_too(project, capsys, engine):
    (project / "daily.metrics").write_text("metric daily = sum(per day: count(tickets))\n")
    args = ["query", str(project), "daily", "--grain", "year", "--engine", engine]
    assert main([*args, "--from", "2000", "--to", "2025", "--max-periods", "9000"]) == 1
    assert "9,132 days; a query computes at most 9,000 periods" in capsys.readouterr().err
    assert main([*args, "--from", "2000", "--to", "2025", "--max-periods", "9132"]) == 0


def test_as_of_decides_which_conversion_periods_are_immature(project, capsys):
    (project / "conversions.metrics").write_text(
        "metric ticketed = conversions(accounts -> tickets within 60 days)\n"
    )
    december = ["ticketed", "--grain", "month", "--from", "2023-12", "--to", "2024-01"]
    # a1 (signed up Dec 1) opens t1 after 33 days, a2 (Dec 15) t3 after 36: both within 60
    # days. December's window closes 60 days after its end (Jan 1): on March 1st, 2024.
    assert main(["query", str(project), *december, "--as-of", "2024-03-01"]) == 0
    assert table_row(capsys.readouterr().out, "2023-12")[1:] == ["2"]
    assert main(["query", str(project), *december, "--as-of", "2024-02-15"]) == 0
    assert table_row(capsys.readouterr().out, "2023-12")[1:] == ["–"]  # immature: no value
    assert main(["explain", str(project), *december, "--as-of", "2024-02-15"]) == 0
    assert "before 2024-02-15T00:00:00+00:00 (as of)" in capsys.readouterr().out
