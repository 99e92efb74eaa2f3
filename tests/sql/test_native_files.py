"""DuckDB reads the files of the built-in csv and parquet connectors itself, with the
connector's column types; other sources reach it as Arrow tables read by their connector."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from metricsmith.errors import DataError
from metricsmith.plugins.connector import native_files
from sql_helpers import on_both, rows, stamps, utc

EVENTS = pa.table(
    {
        "at": stamps(utc(2024, 1, 3, 9), utc(2024, 1, 9), utc(2024, 2, 1, 12), utc(2024, 2, 2)),
        "user": pa.array(["a", "b", "a", None]),
        "score": pa.array([3, None, 5, 1]),
    }
)
METRICS = """
metric n = count(events)
metric users = count_distinct(events.user)
metric total = sum(events.score)
"""


def _project(folder: Path, connector: str) -> metricsmith.Project:
    (folder / "p.metrics").write_text(f"source events from {connector} {{ time at }}\n" + METRICS)
    return metricsmith.load_project(folder / "p.metrics")


def _check(project: metricsmith.Project, native: bool) -> None:
    info = project.sources["events"]
    assert (native_files(info.reader, None) is not None) is native
    table = on_both(project, ["n", "users", "total"], grain="month", start="2024-01", end="2024-03")
    assert rows(table) == [(dt.date(2024, 1, 1), 2, 2, 3), (dt.date(2024, 2, 1), 2, 1, 6)]
    if native:
        sql = project.explain(["n"], grain="month", start="2024-01", end="2024-03", sql=True)
        assert "READ_" in sql


def test_parquet_files_are_read_by_duckdb(tmp_path):
    pq.write_table(EVENTS, tmp_path / "events.parquet")
    _check(_project(tmp_path, 'parquet("events.parquet")'), native=True)


def test_hive_partitioned_parquet_folders(tmp_path):
    for month in (1, 2):
        folder = tmp_path / "events" / f"month={month}"
        folder.mkdir(parents=True)
        part = EVENTS.filter(pa.compute.equal(pa.compute.month(EVENTS["at"]), month))
        pq.write_table(part, folder / "part.parquet")
    project = _project(tmp_path, 'parquet("events")')
    assert native_files(project.sources["events"].reader, None).partitions.names == ["month"]
    _check(project, native=True)
    by_partition = on_both(project, ["n"], by=["events.month"])
    assert rows(by_partition) == [(1, 2), (2, 2)]


@pytest.mark.parametrize("connector", ['parquet("events")', 'parquet("events/*.parquet")'])
def test_a_plain_folder_of_parquet_files(tmp_path, connector):
    """Folders that name no partition: pyarrow reports a hive partitioning over every column
    there, and DuckDB refused each as "not a partition" until only the columns some folder is
    named after counted (found while testing the kept SQL text)."""
    (tmp_path / "events").mkdir()
    for month in (1, 2):
        part = EVENTS.filter(pa.compute.equal(pa.compute.month(EVENTS["at"]), month))
        pq.write_table(part, tmp_path / "events" / f"part-{month}.parquet")
    project = _project(tmp_path, connector)
    assert native_files(project.sources["events"].reader, None).partitions.names == []
    _check(project, native=True)


def test_csv_with_a_delimiter_and_no_header(tmp_path):
    text = "2024-01-03T09:00:00Z;a;3\n2024-01-09T00:00:00Z;b;\n"
    text += "2024-02-01T12:00:00Z;a;5\n2024-02-02T00:00:00Z;;1\n"
    (tmp_path / "events.csv").write_text(text)
    (tmp_path / "p.metrics").write_text(
        'source events from csv("events.csv", delimiter=";", header=false) { time f0 }\n'
        "metric n = count(events)\nmetric users = count_distinct(events.f1)\n"
        "metric total = sum(events.f2)\n"
    )
    project = metricsmith.load_project(tmp_path / "p.metrics")
    assert native_files(project.sources["events"].reader, None).header is False
    table = on_both(project, ["n", "users", "total"], grain="month", start="2024-01", end="2024-03")
    assert rows(table) == [(dt.date(2024, 1, 1), 2, 2, 3), (dt.date(2024, 2, 1), 2, 1, 6)]


def test_csv_columns_keep_the_connectors_types(tmp_path):
    pa_csv.write_csv(EVENTS, tmp_path / "events.csv")
    _check(_project(tmp_path, 'csv("events.csv")'), native=True)


@pytest.mark.parametrize("connector", ["arrow", "jsonl"])
def test_other_formats_are_read_by_their_connector(tmp_path, connector):
    if connector == "arrow":
        feather.write_feather(EVENTS, tmp_path / "events.arrow")
    else:
        lines = [
            '{"at": "2024-01-03T09:00:00Z", "user": "a", "score": 3}',
            '{"at": "2024-01-09T00:00:00Z", "user": "b", "score": null}',
            '{"at": "2024-02-01T12:00:00Z", "user": "a", "score": 5}',
            '{"at": "2024-02-02T00:00:00Z", "user": null, "score": 1}',
        ]
        (tmp_path / "events.arrow").write_text("\n".join(lines) + "\n")
    _check(_project(tmp_path, f'{connector}("events.arrow")'), native=False)


@pytest.mark.parametrize(
    ("score", "flag", "column", "value"),
    [
        ("1.5", "true", "score", "'1.5' as integer"),  # DuckDB's own reading gave 2
        ("1.0", "true", "score", "'1.0' as integer"),
        ("2", "yes", "flag", "'yes' as boolean"),  # DuckDB's own reading gave true
    ],
)
@pytest.mark.parametrize(
    "engine", ["arrow", "duckdb", pytest.param("spark", marks=pytest.mark.spark)]
)
def test_a_csv_value_the_declared_type_does_not_spell_is_refused(
    request, tmp_path, engine, score, flag, column, value
):
    """DuckDB's CSV reading accepts more than the Arrow reader: integers and booleans of a
    native read are converted as Arrow converts them, so every engine refuses the same row.
    (Spark's native read fails in the JVM, which was a raw Py4JJavaError.)"""
    if engine == "spark":
        request.getfixturevalue("spark_session")
    (tmp_path / "t.csv").write_text(
        f"at,score,flag\n2024-01-01,1,false\n2024-01-02,{score},{flag}\n"
    )
    (tmp_path / "p.metrics").write_text(
        'source t from csv("t.csv") {\n  time at\n  column score: integer\n'
        "  column flag: boolean\n}\nmetric total = sum(t.score)\n"
        "metric flagged = count(t where flag)\n"
    )
    project = metricsmith.load_project(tmp_path)
    with pytest.raises(DataError) as caught:
        project.query(["total", "flagged"], engine=engine)
    assert (caught.value.column, caught.value.row) == (column, 2)
    assert value in str(caught.value)


def test_integers_and_booleans_of_a_native_csv_read_convert_as_on_arrow(tmp_path):
    (tmp_path / "t.csv").write_text(
        "at,score,flag\n2024-01-01,-3,TRUE\n2024-01-02,,0\n2024-01-03,7,\n"
    )
    (tmp_path / "p.metrics").write_text(
        'source t from csv("t.csv") {\n  time at\n  column score: integer\n'
        "  column flag: boolean\n}\nmetric total = sum(t.score)\n"
        "metric flagged = count(t where flag)\nmetric scored = count(t.score)\n"
    )
    table = on_both(metricsmith.load_project(tmp_path), ["total", "flagged", "scored"])
    assert rows(table) == [(4, 1, 2)]
