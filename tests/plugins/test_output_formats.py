"""The built-in output formats and atomic writing."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from metricsmith.builtin.formats import CSV, JSON, PARQUET, metricsmith_output_formats
from metricsmith.plugins.formats import OutputFormat, atomic_output

RESULT = pa.table(
    {
        "month": pa.array([dt.date(2024, 1, 1), dt.date(2024, 2, 1)], pa.date32()),
        "segment": ["SMB", None],
        "mrr": pa.array([decimal.Decimal("1200.50"), None], pa.decimal128(38, 9)),
        "nps": [41.5, float("nan")],
        "accounts": pa.array([3, 0], pa.int64()),
        "as_of": pa.array(
            [dt.datetime(2024, 2, 1, tzinfo=dt.UTC), None], pa.timestamp("us", tz="UTC")
        ),
    }
)


def test_builtin_formats_are_registered_through_the_hook() -> None:
    formats = metricsmith_output_formats()
    assert [f.name for f in formats] == ["csv", "json", "parquet", "markdown", "xlsx"]
    assert all(isinstance(f, OutputFormat) and f.description for f in formats)
    assert [f.extension for f in formats] == ["csv", "json", "parquet", "md", "xlsx"]


def test_parquet_round_trip_keeps_every_type(tmp_path: Path) -> None:
    PARQUET.write(RESULT, str(tmp_path / "out.parquet"))
    for back in (
        pq.read_table(tmp_path / "out.parquet"),
        pq.read_table(io.BytesIO(PARQUET.render(RESULT))),
    ):
        assert back.schema == RESULT.schema
        assert back.drop_columns(["nps"]).equals(RESULT.drop_columns(["nps"]))  # NaN != NaN
        assert back.column("nps")[0].as_py() == 41.5


def test_csv_round_trip(tmp_path: Path) -> None:
    CSV.write(RESULT, str(tmp_path / "out.csv"))
    back = pa_csv.read_csv(tmp_path / "out.csv")
    assert back.column_names == RESULT.column_names
    assert back.column("month").to_pylist() == RESULT.column("month").to_pylist()
    assert back.column("accounts").to_pylist() == [3, 0]
    assert back.column("as_of")[0].as_py() == dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
    assert (tmp_path / "out.csv").read_bytes() == CSV.render(RESULT)


def test_json_is_an_array_of_records_with_exact_decimals_and_iso_dates(tmp_path: Path) -> None:
    JSON.write(RESULT, str(tmp_path / "out.json"))
    text = (tmp_path / "out.json").read_text()
    records = json.loads(text, parse_float=decimal.Decimal)
    assert records == [
        {
            "month": "2024-01-01",
            "segment": "SMB",
            "mrr": decimal.Decimal("1200.500000000"),
            "nps": decimal.Decimal("41.5"),
            "accounts": 3,
            "as_of": "2024-02-01T00:00:00+00:00",
        },
        {
            "month": "2024-02-01",
            "segment": None,
            "mrr": None,
            "nps": None,  # NaN has no JSON form
            "accounts": 0,
            "as_of": None,
        },
    ]
    assert "1200.500000000" in text  # every digit of the decimal, not a float's rendering
    assert JSON.render(RESULT) == text.encode()


def test_json_of_an_empty_table_is_an_empty_array() -> None:
    assert json.loads(JSON.render(RESULT.slice(0, 0))) == []


def test_json_nested_durations_and_bytes() -> None:
    table = pa.table(
        {
            "tags": pa.array([["a", "b"]]),
            "pair": pa.array([{"k": 1}]),
            "took": pa.array([dt.timedelta(minutes=1, seconds=30)], pa.duration("us")),
            "raw": pa.array([b"\x00\xff"]),
        }
    )
    record = json.loads(JSON.render(table))[0]
    assert record == {"tags": ["a", "b"], "pair": {"k": 1}, "took": 90.0, "raw": "AP8="}


@pytest.mark.parametrize("output_format", [CSV, JSON, PARQUET], ids=lambda f: f.name)
def test_write_replaces_the_file_and_leaves_no_temporary_files(
    tmp_path: Path, output_format: OutputFormat
) -> None:
    target = tmp_path / f"out.{output_format.extension}"
    target.write_text("old contents")
    os.chmod(target, 0o640)
    output_format.write(RESULT, str(target))
    assert os.listdir(tmp_path) == [target.name]
    assert target.read_bytes() == output_format.render(RESULT)
    assert os.stat(target).st_mode & 0o777 == 0o640


def test_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old contents")
    with pytest.raises(RuntimeError), atomic_output(str(target)) as temporary:
        Path(temporary).write_text("half")
        raise RuntimeError("the disk is full")
    assert os.listdir(tmp_path) == ["out.json"]
    assert target.read_text() == "old contents"


def test_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        CSV.write(RESULT, str(tmp_path / "new.csv"))
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "new.csv").st_mode & 0o777 == 0o644
