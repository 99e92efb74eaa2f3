"""The built-in file connectors and the in-memory reader."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from metricsmith.builtin import connectors
from metricsmith.errors import DataError
from metricsmith.plugins.connector import (
    SourceReader,
    TimeRange,
    TypedSourceReader,
    time_filter,
)

UTC = dt.UTC


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def open_source(
    connector: connectors.FileConnector, path: str, base: Path, **options: object
) -> SourceReader:
    return connector.open([path], options, base_dir=str(base), source_name="events")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def hourly_events(start: dt.datetime, hours: int) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(range(hours), pa.int64()),
            "ts": pa.array(
                [start + dt.timedelta(hours=h) for h in range(hours)], pa.timestamp("us", tz="UTC")
            ),
        }
    )


# ---- csv -------------------------------------------------------------------------------------


def test_csv_infers_timestamps_dates_and_empty_cells(tmp_path: Path) -> None:
    write(
        tmp_path / "events.csv",
        "id,name,at_utc,at_local,day\n"
        "1,signup,2024-03-01T10:00:00Z,2024-03-01 10:00:00,2024-03-01\n"
        "2,,2024-03-02T11:30:00Z,2024-03-02 11:30:00,2024-03-02\n",
    )
    reader = open_source(connectors.CSV, "events.csv", tmp_path)
    schema = reader.schema()
    assert schema.field("at_utc").type == pa.timestamp("s", tz="UTC")
    assert schema.field("at_local").type == pa.timestamp("s")
    assert schema.field("day").type == pa.date32()
    table = reader.read()
    assert table.column("name").to_pylist() == ["signup", None]
    assert table.column("at_utc")[0].as_py() == utc(2024, 3, 1, 10)
    assert isinstance(reader, SourceReader)
    assert reader.location == str(tmp_path / "events.csv")


def test_csv_projection_returns_only_the_requested_columns(tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "id,name,score\n1,a,9\n2,b,3\n")
    table = open_source(connectors.CSV, "e.csv", tmp_path).read(["score", "id"])
    assert table.column_names == ["score", "id"]
    assert table.column("score").to_pylist() == [9, 3]


def test_csv_delimiter_and_headerless_files(tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "1;a\n2;b\n")
    reader = open_source(connectors.CSV, "e.csv", tmp_path, delimiter=";", header=False)
    assert reader.read().to_pydict() == {"f0": [1, 2], "f1": ["a", "b"]}


def test_csv_time_range_filters_zoned_timestamps(tmp_path: Path) -> None:
    write(
        tmp_path / "e.csv",
        "id,ts\n1,2024-01-31T23:59:59Z\n2,2024-02-01T00:00:00Z\n3,2024-02-29T23:59:59Z\n"
        "4,2024-03-01T00:00:00Z\n5,\n",
    )
    reader = open_source(connectors.CSV, "e.csv", tmp_path)
    table = reader.read(["id"], TimeRange("ts", utc(2024, 2, 1), utc(2024, 3, 1)))
    # The bounds are widened by a second for whole-second columns; nulls are kept.
    assert set(table.column("id").to_pylist()) >= {2, 3, 5}
    assert table.column_names == ["id"]


def test_csv_missing_file_names_source_path_and_base_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        open_source(connectors.CSV, "data/nope.csv", tmp_path)
    error = caught.value
    assert error.source == "events"
    assert error.location == str(tmp_path / "data" / "nope.csv")
    assert "file not found" in str(error)
    assert str(tmp_path) in error.hint


def test_csv_glob_reads_every_matching_file(tmp_path: Path) -> None:
    write(tmp_path / "data" / "a.csv", "id\n1\n2\n")
    write(tmp_path / "data" / "b.csv", "id\n3\n")
    write(tmp_path / "data" / "notes.txt", "not data\n")
    table = open_source(connectors.CSV, "data/*.csv", tmp_path).read()
    assert sorted(table.column("id").to_pylist()) == [1, 2, 3]


def test_glob_matching_nothing_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no files match `data/\*\.csv`"):
        open_source(connectors.CSV, "data/*.csv", tmp_path)


def test_csv_unparsable_value_names_file_column_and_row(tmp_path: Path) -> None:
    # The type comes from the first file; the second one breaks it in its second data row
    # (rows are data rows, the header not counted, as on every engine).
    write(tmp_path / "data" / "a.csv", "id,amount\n1,10\n2,20\n")
    bad = write(tmp_path / "data" / "b.csv", "id,amount\n3,30\n4,lots\n")
    reader = open_source(connectors.CSV, "data/*.csv", tmp_path)
    with pytest.raises(DataError) as caught:
        reader.read()
    error = caught.value
    assert (error.source, error.column, error.row) == ("events", "amount", 2)
    assert error.location == str(bad)
    assert "cannot read 'lots' as integer" in str(error)
    assert "Traceback" not in str(error)


def test_csv_row_with_wrong_number_of_fields_names_the_row(tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "a,b\n1,2\n3\n")
    with pytest.raises(DataError) as caught:
        open_source(connectors.CSV, "e.csv", tmp_path).read()
    assert caught.value.row == 2
    assert "Expected 2 columns, got 1" in str(caught.value)


def test_unknown_column_lists_the_available_ones(tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "account_id,score\n1,9\n")
    reader = open_source(connectors.CSV, "e.csv", tmp_path)
    with pytest.raises(DataError) as caught:
        reader.read(["acount_id"])
    error = caught.value
    assert error.column == "acount_id"
    assert "did you mean `account_id`" in error.hint
    assert "account_id, score" in error.hint


def test_time_column_must_exist(tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "id\n1\n")
    with pytest.raises(DataError, match="no column `ts`"):
        open_source(connectors.CSV, "e.csv", tmp_path).read(None, TimeRange("ts", None, None))


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        ([], {}, "takes one path argument, got 0"),
        (["a.csv", "b.csv"], {}, "takes one path argument, got 2"),
        (["e.csv"], {"sep": ";"}, "has no option `sep`"),
        (["e.csv"], {"header": "yes"}, "`header` must be true or false"),
        (["e.csv"], {"delimiter": ";;"}, "must be one character"),
        (["e.csv"], {"partitioning": "spark"}, "must be one of hive, none"),
    ],
)
def test_bad_connector_arguments(
    tmp_path: Path, args: list[object], options: dict[str, object], message: str
) -> None:
    write(tmp_path / "e.csv", "id\n1\n")
    with pytest.raises(DataError, match=message) as caught:
        connectors.CSV.open(args, options, base_dir=str(tmp_path), source_name="events")
    assert caught.value.hint.startswith('write it as csv("path/to/data"')


def test_reading_never_modifies_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", "id,ts\n1,2024-01-01T00:00:00Z\n")
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    reader = open_source(connectors.CSV, "e.csv", tmp_path)
    reader.read(["id"], TimeRange("ts", utc(2024, 1, 1), utc(2024, 2, 1)))
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before
    assert sorted(os.listdir(tmp_path)) == ["e.csv"]


# ---- parquet ---------------------------------------------------------------------------------


def test_parquet_time_range_skips_row_groups(tmp_path: Path) -> None:
    events = hourly_events(utc(2024, 1, 1), 24 * 60)  # 60 days, one row per hour
    pq.write_table(events, tmp_path / "events.parquet", row_group_size=24)  # a day per group
    reader = open_source(connectors.PARQUET, "events.parquet", tmp_path)
    window = TimeRange("ts", utc(2024, 1, 10), utc(2024, 1, 13))

    table = reader.read(["id"], window)

    assert table.column_names == ["id"]
    assert table.num_rows == 3 * 24 + 1  # the three days, and one more second's worth of margin
    # The pushed-down filter lets Parquet rule out most row groups from their statistics.
    fragment = next(iter(ds.dataset(tmp_path / "events.parquet").get_fragments()))
    kept = fragment.split_by_row_group(time_filter(events.schema.field("ts"), window))
    assert len(kept) < 5 < fragment.num_row_groups


def test_parquet_time_range_keeps_every_row_in_range(tmp_path: Path) -> None:
    events = hourly_events(utc(2024, 1, 1), 24 * 10)
    pq.write_table(events, tmp_path / "e.parquet", row_group_size=7)
    start, end = utc(2024, 1, 3, 5), utc(2024, 1, 6, 17)
    table = open_source(connectors.PARQUET, "e.parquet", tmp_path).read(
        None, TimeRange("ts", start, end)
    )
    wanted = {row["id"] for row in events.to_pylist() if start <= row["ts"] < end}
    assert wanted <= set(table.column("id").to_pylist())
    assert table.num_rows < events.num_rows


def test_zoned_whole_second_column_keeps_the_last_second(tmp_path: Path) -> None:
    times = [utc(2024, 1, 31, 23, 59, 59), utc(2024, 2, 1, 0, 0, 0), utc(2024, 2, 5)]
    table = pa.table({"ts": pa.array(times, pa.timestamp("s", tz="Europe/Paris"))})
    pq.write_table(table, tmp_path / "e.parquet")
    reader = open_source(connectors.PARQUET, "e.parquet", tmp_path)
    read = reader.read(None, TimeRange("ts", utc(2024, 1, 20), utc(2024, 1, 31, 23, 59, 59, 500)))
    assert read.column("ts")[0].as_py() == times[0]
    assert utc(2024, 2, 5) not in [v.as_py() for v in read.column("ts")]


def test_naive_timestamps_and_dates_are_widened_by_a_day(tmp_path: Path) -> None:
    days = [dt.date(2024, 1, d) for d in range(1, 31)]
    table = pa.table(
        {
            "day": pa.array(days, pa.date32()),
            "local": pa.array(
                [dt.datetime.combine(d, dt.time(12)) for d in days], pa.timestamp("ms")
            ),
        }
    )
    pq.write_table(table, tmp_path / "e.parquet")
    reader = open_source(connectors.PARQUET, "e.parquet", tmp_path)
    window = TimeRange("day", utc(2024, 1, 10), utc(2024, 1, 12))
    assert reader.read(["day"], window).column("day").to_pylist() == days[8:12]
    window = TimeRange("local", utc(2024, 1, 10), utc(2024, 1, 12))
    # Noon on the 9th to noon on the 12th: wall-clock times a day either side of the bounds.
    assert len(reader.read(["local"], window)) == 4


def test_time_range_keeps_rows_without_a_time(tmp_path: Path) -> None:
    table = pa.table({"ts": pa.array([utc(2020, 1, 1), None], pa.timestamp("us", tz="UTC"))})
    pq.write_table(table, tmp_path / "e.parquet")
    reader = open_source(connectors.PARQUET, "e.parquet", tmp_path)
    read = reader.read(None, TimeRange("ts", utc(2024, 1, 1), None))
    assert read.column("ts").to_pylist() == [None]


def test_text_time_column_is_read_without_pushdown(tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "ts\n2024-13-45\nyesterday\n")
    reader = open_source(connectors.CSV, "e.csv", tmp_path)
    assert time_filter(reader.schema().field("ts"), TimeRange("ts", utc(2024, 1, 1), None)) is None
    assert reader.read(None, TimeRange("ts", utc(2024, 1, 1), None)).num_rows == 2


def test_hive_folder_adds_partition_columns_and_prunes_by_time(tmp_path: Path) -> None:
    for year in (2023, 2024):
        folder = tmp_path / "events" / f"year={year}"
        folder.mkdir(parents=True)
        pq.write_table(hourly_events(utc(year, 6, 1), 48), folder / "part-0.parquet")
    reader = open_source(connectors.PARQUET, "events", tmp_path)
    assert reader.schema().names == ["id", "ts", "year"]
    table = reader.read(["year"], TimeRange("ts", utc(2024, 1, 1), utc(2025, 1, 1)))
    assert set(table.column("year").to_pylist()) == {2024}
    assert table.num_rows == 48


def test_glob_over_hive_folders_and_partitioning_none(tmp_path: Path) -> None:
    for year in (2023, 2024):
        folder = tmp_path / "events" / f"year={year}"
        folder.mkdir(parents=True)
        pq.write_table(hourly_events(utc(year, 1, 1), 3), folder / "part.parquet")
    globbed = open_source(connectors.PARQUET, "events/year=*/*.parquet", tmp_path)
    assert sorted(set(globbed.read(["year"]).column("year").to_pylist())) == [2023, 2024]
    plain = open_source(connectors.PARQUET, "events", tmp_path, partitioning="none")
    assert plain.schema().names == ["id", "ts"]
    assert plain.read().num_rows == 6


def test_empty_folder_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "events").mkdir()
    with pytest.raises(DataError, match="holds no data files"):
        open_source(connectors.PARQUET, "events", tmp_path)


def test_file_in_another_format_is_a_data_error(tmp_path: Path) -> None:
    write(tmp_path / "e.parquet", "id,name\n1,alice\n2,bob\n")
    with pytest.raises(DataError) as caught:
        open_source(connectors.PARQUET, "e.parquet", tmp_path)
    assert caught.value.location == str(tmp_path / "e.parquet")
    assert "not a whole Parquet file (Parquet magic bytes not found" in str(caught.value)
    assert "Error creating dataset" not in str(caught.value)
    assert "`csv(...)`" in caught.value.hint


@pytest.mark.parametrize(
    ("connector", "name"), [(connectors.PARQUET, "Parquet"), (connectors.ARROW, "Arrow")]
)
def test_an_empty_file_in_a_folder_is_named_and_the_hint_says_to_write_it_again(
    tmp_path: Path, connector, name: str
) -> None:
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "part-0").write_bytes(b"")
    with pytest.raises(DataError) as caught:
        open_source(connector, "events", tmp_path)
    assert caught.value.location == str(tmp_path / "events" / "part-0")
    assert f"not a whole {name} file" in str(caught.value)
    assert "write it again" in caught.value.hint


# ---- jsonl -----------------------------------------------------------------------------------


def test_jsonl_keeps_zones_and_dates(tmp_path: Path) -> None:
    rows = [
        {
            "id": 1,
            "at": "2024-03-01T10:00:00+02:00",
            "local": "2024-03-01 10:00:00",
            "day": "2024-03-01",
        },
        {
            "id": 2,
            "at": "2024-03-05T10:00:00Z",
            "local": "2024-03-05 10:00:00",
            "day": "2024-03-05",
        },
    ]
    write(tmp_path / "e.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
    reader = open_source(connectors.JSONL, "e.jsonl", tmp_path)
    schema = reader.schema()
    assert schema.field("at").type == pa.timestamp("s", tz="UTC")
    assert schema.field("local").type == pa.timestamp("s")
    assert schema.field("day").type == pa.date32()
    table = reader.read(["at", "day"], TimeRange("at", utc(2024, 3, 3), None))
    assert table.schema == pa.schema([schema.field("at"), schema.field("day")])
    assert table.column("at").to_pylist() == [utc(2024, 3, 5, 10)]


def test_jsonl_bad_value_names_the_line_even_past_the_first_block(tmp_path: Path) -> None:
    # pyarrow reads 1 MB blocks and counts rows within a block; this file has three of them.
    lines = [json.dumps({"id": i, "name": "x" * 1000}) for i in range(3000)]
    lines[2499] = json.dumps({"id": "three", "name": "x"})
    write(tmp_path / "e.jsonl", "\n".join(lines) + "\n")
    reader = open_source(connectors.JSONL, "e.jsonl", tmp_path)
    with pytest.raises(DataError) as caught:
        reader.read()
    assert (caught.value.column, caught.value.row) == ("id", 2500)


def test_jsonl_broken_line_at_open(tmp_path: Path) -> None:
    write(tmp_path / "e.jsonl", '{"id": 1}\n{"id": 2}\n{"id":\n')
    with pytest.raises(DataError) as caught:
        open_source(connectors.JSONL, "e.jsonl", tmp_path)
    assert caught.value.row == 3
    assert caught.value.location == str(tmp_path / "e.jsonl")


# ---- arrow -----------------------------------------------------------------------------------


def test_arrow_ipc_file(tmp_path: Path) -> None:
    events = hourly_events(utc(2024, 1, 1), 10)
    feather.write_feather(events, tmp_path / "e.arrow")
    reader = open_source(connectors.ARROW, "e.arrow", tmp_path)
    assert reader.schema() == events.schema
    table = reader.read(["id"], TimeRange("ts", utc(2024, 1, 1, 5), None))
    assert table.column("id").to_pylist() == [5, 6, 7, 8, 9]


# ---- in memory -------------------------------------------------------------------------------


def test_in_memory_reader_projects_filters_and_reports_missing_columns() -> None:
    events = hourly_events(utc(2024, 1, 1), 48)
    reader = connectors.InMemoryReader(events, "in-memory table for `events`", source_name="events")
    assert isinstance(reader, SourceReader)
    assert reader.schema() == events.schema
    table = reader.read(["id"], TimeRange("ts", utc(2024, 1, 2), utc(2024, 1, 2, 2)))
    # 02:00 itself is inside the one-second margin the reader adds to the end.
    assert table.column("id").to_pylist() == [24, 25, 26]
    assert events.num_rows == 48  # the caller's table is untouched
    with pytest.raises(DataError) as caught:
        reader.read(["plan"])
    assert (caught.value.source, caught.value.column) == ("events", "plan")


def test_in_memory_reader_source_defaults_to_its_location() -> None:
    reader = connectors.InMemoryReader(pa.table({"a": [1]}), "tickets table")
    with pytest.raises(DataError, match="source `tickets table`"):
        reader.read(["b"])


def test_bounds_beyond_a_nanosecond_column_drop_nothing() -> None:
    events = pa.table({"ts": pa.array([utc(2024, 1, 1), utc(2024, 6, 1)], pa.timestamp("ns"))})
    reader = connectors.InMemoryReader(events, "events")
    far = TimeRange("ts", dt.datetime(1, 1, 1, tzinfo=UTC), dt.datetime(2500, 1, 1, tzinfo=UTC))
    assert reader.read(None, far).num_rows == 2
    assert time_filter(events.schema.field("ts"), far) is None
    half = TimeRange("ts", utc(2024, 3, 1), dt.datetime(9999, 12, 31, 12, tzinfo=UTC))
    assert reader.read(None, half).num_rows == 1


def test_date64_columns_are_filtered_too() -> None:
    days = pa.array([dt.date(2024, 1, d) for d in (1, 15, 31)], pa.date64())
    reader = connectors.InMemoryReader(pa.table({"day": days}), "days")
    window = TimeRange("day", utc(2024, 1, 10), utc(2024, 1, 20))
    assert reader.read(None, window).column("day").to_pylist() == [dt.date(2024, 1, 15)]


def test_jsonl_column_mixing_dates_and_timestamps_is_a_data_error(tmp_path: Path) -> None:
    write(tmp_path / "e.jsonl", '{"day": "2024-03-01"}\n{"day": "2024-03-02 10:00:00"}\n')
    reader = open_source(connectors.JSONL, "e.jsonl", tmp_path)
    with pytest.raises(DataError, match="dates in some rows and timestamps in others"):
        reader.read()


def test_declared_types_are_parsed_by_the_csv_reader(tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "00001,1.10,2024-03-01\n00002,2.25,2024-03-02\n")
    reader = connectors.CSV.open(
        ["e.csv"], {"header": False}, base_dir=str(tmp_path), source_name="e"
    )
    assert isinstance(reader, TypedSourceReader)
    typed = reader.with_column_types(
        {"f0": pa.string(), "f1": pa.decimal128(38, 9), "nope": pa.string()}
    )
    assert typed.schema().field("f0").type == pa.string()
    table = typed.read(["f0", "f1"])
    assert table["f0"].to_pylist() == ["00001", "00002"]
    assert [str(value) for value in table["f1"].to_pylist()] == ["1.100000000", "2.250000000"]


def test_a_declared_value_that_does_not_parse_names_the_declaration(tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "x\n1.5\n2.1234567891\n")
    reader = open_source(connectors.CSV, "e.csv", tmp_path)
    with pytest.raises(DataError) as caught:
        reader.with_column_types({"x": pa.decimal128(38, 9)}).read()
    error = caught.value
    assert (error.column, error.row) == ("x", 2)
    assert "more decimal places than a decimal keeps (9)" in str(error)
    assert error.hint == "fix the value, or change the declared type of `x`"


def test_a_bad_value_of_a_headerless_csv_file_is_on_the_line_it_is_on(tmp_path: Path) -> None:
    # With a header the second data row is on line 3; without one, line 2 is the second row.
    write(tmp_path / "e.csv", "1\nabc\n")
    reader = connectors.CSV.open(
        ["e.csv"], {"header": False}, base_dir=str(tmp_path), source_name="e"
    )
    assert isinstance(reader, TypedSourceReader)
    with pytest.raises(DataError) as caught:
        reader.with_column_types({"f0": pa.int64()}).read()
    assert (caught.value.column, caught.value.row) == ("f0", 2)


def test_readers_of_stored_types_keep_them(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": [1, 2]}), tmp_path / "e.parquet")
    reader = open_source(connectors.PARQUET, "e.parquet", tmp_path)
    # A Parquet column is cast after reading, by the engine: the reader keeps its type.
    assert reader.with_column_types({"id": pa.string()}).schema().field("id").type == pa.int64()
