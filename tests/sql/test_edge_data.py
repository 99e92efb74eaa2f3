"""Files whose data differs from the common case read the same on every engine: declared
types drive the readers (a string keeps its leading zeros), an empty file counts nothing, an
unused column of a type SQL lacks is harmless, and bad data is one message naming the same
source, column, row and value whichever engine meets it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import pytest
from metricsmith.errors import DataError, ProjectError
from sql_helpers import on_both, rows

ENGINES = ("arrow", "duckdb")

CUSTOMERS = """
source customers from csv("customers.csv") {
  key id
  column id: string
}
source orders from csv("orders.csv") {
  time at
  column customer: string
  entity customer -> customers
}
metric revenue = sum(orders.amount)
metric buyers = count_distinct(orders.customer)
"""


def _write(folder: Path, files: dict[str, str | bytes], definitions: str) -> metricsmith.Project:
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode()
        (folder / name).write_bytes(data)
    (folder / "p.metrics").write_text(definitions)
    return metricsmith.load_project(folder / "p.metrics")


def _customers(folder: Path) -> metricsmith.Project:
    return _write(
        folder,
        {
            "customers.csv": "id,name\n00001,Ada\n00002,Bo\n",
            "orders.csv": "at,customer,amount\n2024-01-03,00001,5\n"
            "2024-01-09,00002,6\n2024-02-01,00001,7\n",
        },
        CUSTOMERS,
    )


def test_a_declared_string_column_keeps_its_leading_zeros(tmp_path):
    project = _customers(tmp_path)
    assert str(project.sources["customers"].schema.field("id").type) == "string"
    table = on_both(project, ["revenue"], by=["customers.id", "customers.name"], grain=None)
    assert rows(table) == [("00001", "Ada", 12), ("00002", "Bo", 6)]


def test_a_join_and_group_by_a_leading_zero_key(tmp_path):
    project = _customers(tmp_path)
    table = on_both(
        project,
        ["revenue", "buyers"],
        by=["orders.customer"],
        grain="month",
        start="2024-01",
        end="2024-03",
    )
    assert rows(table) == [
        (dt.date(2024, 1, 1), "00001", 5, 1),
        (dt.date(2024, 1, 1), "00002", 6, 1),
        (dt.date(2024, 2, 1), "00001", 7, 1),
        (dt.date(2024, 2, 1), "00002", 0, 0),
    ]


def test_a_declared_partition_column_keeps_its_text(tmp_path):
    for month in ("01", "02"):
        folder = tmp_path / "orders" / f"month={month}"
        folder.mkdir(parents=True)
        (folder / "part.csv").write_text(f"at,amount\n2024-{month}-05,3\n")
    project = _write(
        tmp_path,
        {},
        'source orders from csv("orders") {\n time at\n column month: string\n}\n'
        "metric revenue = sum(orders.amount)\n",
    )
    table = on_both(project, ["revenue"], by=["orders.month"], grain=None)
    assert rows(table) == [("01", 3), ("02", 3)]


def test_declared_decimals_are_parsed_exactly_from_csv_and_jsonl(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"x": 0.1}\n{"x": 0.2}\n')
    project = _write(
        tmp_path,
        {"a.csv": "x\n0.1\n0.2\n"},
        'source c from csv("a.csv") { column x: decimal }\n'
        'source j from jsonl("a.jsonl") { column x: decimal }\n'
        "metric c_total = sum(c.x)\nmetric j_total = sum(j.x)\n",
    )
    assert str(project.sources["j"].schema.field("x").type) == "decimal128(38, 9)"
    table = on_both(project, ["c_total", "j_total"], grain=None)
    assert [str(value) for value in rows(table)[0]] == ["0.300000000", "0.300000000"]


def test_a_header_only_file_counts_nothing_on_every_engine(tmp_path):
    project = _write(
        tmp_path,
        {"t.csv": "at,score,user\n"},
        'source t from csv("t.csv") { time at }\n'
        "metric n = count(t)\nmetric total = sum(t.score)\n"
        "metric ratio = sum(t.score) / count(t)\nmetric users = count_distinct(t.user)\n",
    )
    whole = on_both(project, ["n", "total", "ratio", "users"], grain=None)
    assert rows(whole) == [(0, 0, None, 0)]
    by_month = on_both(project, ["n", "ratio"], grain="month", start="2024-01", end="2024-03")
    assert rows(by_month) == [(dt.date(2024, 1, 1), 0, None), (dt.date(2024, 2, 1), 0, None)]


def test_a_column_without_a_value_is_null_of_the_type_each_use_needs(tmp_path):
    # pyarrow reads a column empty in every row as type null, which no kernel takes; DuckDB
    # has no date_trunc for an untyped NULL. Every function but `if` and `coalesce` gives
    # null for a null argument, so the engines answer that without calling it.
    project = _write(
        tmp_path,
        {"t.csv": "at,user,signed,score\n2024-01-02T00:00:00Z,,,\n2024-02-03T00:00:00Z,,,\n"},
        'source t from csv("t.csv") { time at }\n'
        'metric u = count(t where starts_with(lower(t.user), "u"))\n'
        'metric unknown = count(t where coalesce(upper(t.user), "none") == "none")\n'
        "metric timeless = count(t where month(t.signed) is null and not t.score)\n"
        "metric total = sum(t.score)\n",
    )
    metrics = ["u", "unknown", "timeless", "total"]
    assert rows(on_both(project, metrics, grain=None)) == [(0, 2, 0, 0)]
    cohort = {"by": ["cohort(t.signed, month)"], "start": "2024-01", "end": "2024-03"}
    by_cohort = on_both(project, ["unknown"], grain="month", **cohort)
    # Every cohort of the range has a row in each month, the empty January and February
    # cohorts too (count 0); the rows without a sign-up are the null cohort's.
    jan, feb = dt.date(2024, 1, 1), dt.date(2024, 2, 1)
    assert rows(by_cohort) == [
        (jan, jan, 0),
        (jan, feb, 0),
        (jan, None, 1),
        (feb, jan, 0),
        (feb, feb, 0),
        (feb, None, 1),
    ]


def test_the_literal_null_in_a_function_is_null_on_every_engine(tmp_path):
    project = _write(
        tmp_path,
        {"t.csv": "at,x\n2024-01-02T00:00:00Z,1\n"},
        'source t from csv("t.csv") { time at }\n'
        "metric n = count(t where lower(null) is null and if(null, false, true))\n",
    )
    assert rows(on_both(project, ["n"], grain=None)) == [(1,)]


def test_an_unused_time_of_day_column_does_not_break_a_query(tmp_path):
    project = _write(
        tmp_path,
        {"t.csv": "at,opens,score\n2024-01-01,10:00:00,1\n2024-01-02,11:30:00,2\n"},
        'source t from csv("t.csv") { time at }\nmetric total = sum(t.score)\n',
    )
    assert rows(on_both(project, ["total"], grain=None)) == [(3,)]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_value_that_is_not_utf8_is_one_error_on_every_engine(tmp_path, engine):
    project = _write(
        tmp_path,
        {"t.csv": b"at,name,score\n2024-01-01,Ada,1\n2024-01-02,Bj\xf6rn,2\n"},
        'source t from csv("t.csv") { time at }\nmetric total = sum(t.score)\n',
    )
    # DuckDB and Spark decode whole lines, so the error does not depend on the columns read.
    with pytest.raises(DataError) as caught:
        project.query(["total"], grain=None, engine=engine)
    error = caught.value
    assert (error.source, error.column, error.row) == ("t", "name", 2)
    assert error.location == str(tmp_path / "t.csv")
    assert "b'Bj\\xf6rn' is not UTF-8 text: byte 0xf6 at position 3" in str(error)
    assert "save the file as UTF-8" in error.hint


def test_a_header_that_is_not_utf8_is_a_data_problem_not_a_crash(tmp_path):
    with pytest.raises(ProjectError) as caught:
        _write(
            tmp_path,
            {"t.csv": b"at,na\xefme\n2024-01-01,x\n"},
            'source t from csv("t.csv") { time at }\nmetric n = count(t)\n',
        )
    (problem,) = caught.value.diagnostics
    assert problem.code == "source-unreadable"
    assert (
        "t.csv: the column names are not UTF-8 text: byte 0xef at position 6 of the first line"
        in problem.message
    )


def _bad_late_timestamp(folder: Path) -> metricsmith.Project:
    """A timestamp column whose type was inferred from the first megabyte, then a value that
    is not a time, in a query that joins another source."""
    lines = ["at,user,amount"]
    lines += [f"2024-01-{1 + i % 28:02d}T10:00:00Z,u{i % 50},{i % 7}" for i in range(60_000)]
    lines.insert(50_000, "not a time,u1,3")  # data row 50,000
    return _write(
        folder,
        {"t.csv": "\n".join(lines) + "\n", "u.csv": "user,segment\nu1,a\n"},
        'source t from csv("t.csv") {\n time at\n entity user -> u\n}\n'
        'source u from csv("u.csv") { key user }\n'
        "metric n = count(t)\nmetric total = sum(t.amount)\n",
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_bad_value_after_the_first_megabyte_names_its_column_and_row(tmp_path, engine):
    project = _bad_late_timestamp(tmp_path)
    with pytest.raises(DataError) as caught:
        project.query(["n", "total"], by=["u.segment"], grain="month", engine=engine)
    error = caught.value
    assert (error.source, error.column, error.row) == ("t", "at", 50_000)
    assert "cannot read 'not a time' as timestamp" in str(error)


@pytest.mark.parametrize("engine", ENGINES)
def test_times_with_and_without_zones_in_one_column_say_so_in_plain_words(tmp_path, engine):
    project = _write(
        tmp_path,
        {"t.csv": "at\n2024-01-01T00:00:00Z\n2024-01-02T00:00:00\n"},
        'source t from csv("t.csv") {\n time at\n column at: timestamp\n}\nmetric n = count(t)\n',
    )
    with pytest.raises(DataError) as caught:
        project.query(["n"], grain="month", engine=engine)
    error = caught.value
    assert (error.source, error.column, error.row) == ("t", "at", 2)
    assert "it has no zone offset and the column's first time" in str(error)
    assert "assume_timezone" not in str(error)
    assert "all with a zone offset" in error.hint


@pytest.mark.parametrize("engine", ENGINES)
def test_a_declared_value_that_does_not_parse(tmp_path, engine):
    project = _write(
        tmp_path,
        {"t.csv": "id,score\n00001,1\n00002,x\n"},
        'source t from csv("t.csv") { column score: integer }\nmetric total = sum(t.score)\n',
    )
    with pytest.raises(DataError) as caught:
        project.query(["total"], grain=None, engine=engine)
    error = caught.value
    assert (error.source, error.column, error.row) == ("t", "score", 2)
    assert "cannot read 'x' as integer" in str(error)
    assert error.hint == "fix the value, or change the declared type of `score`"


@pytest.mark.spark
def test_spark_reads_declared_strings_and_edge_files_as_the_other_engines(tmp_path):
    project = _customers(tmp_path)
    query = {"by": ["orders.customer"], "grain": None}
    assert rows(project.query(["revenue"], engine="spark", **query)) == [
        ("00001", 12),
        ("00002", 6),
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    project = _write(
        empty,
        {"t.csv": "at,opens,score\n"},
        'source t from csv("t.csv") { time at }\n'
        "metric n = count(t)\nmetric ratio = sum(t.score) / count(t)\n",
    )
    assert rows(project.query(["n", "ratio"], grain=None, engine="spark")) == [(0, None)]
    bad = tmp_path / "bad"
    bad.mkdir()
    project = _write(
        bad,
        {"t.csv": "id,opens,score\n00001,10:00:00,1\n00002,11:00:00,x\n"},
        'source t from csv("t.csv") { column score: integer }\nmetric total = sum(t.score)\n',
    )
    with pytest.raises(DataError) as caught:
        project.query(["total"], grain=None, engine="spark")
    assert (caught.value.column, caught.value.row) == ("score", 2)


@pytest.mark.parametrize("engine", ENGINES)
def test_json_text_that_is_not_utf8_is_the_same_error(tmp_path, engine):
    # pyarrow's JSON reader does not check the encoding of strings; the connector does.
    project = _write(
        tmp_path,
        {
            "t.jsonl": b'{"at": "2024-01-01", "name": "Ada"}\n'
            b'{"at": "2024-01-02", "name": "Bj\xf6rn"}\n'
        },
        'source t from jsonl("t.jsonl") { time at }\nmetric users = count_distinct(t.name)\n',
    )
    with pytest.raises(DataError) as caught:
        project.query(["users"], by=["t.name"], grain=None, engine=engine)
    error = caught.value
    assert (error.source, error.column, error.row) == ("t", "name", 2)
    assert "byte 0xf6 at position 3" in str(error)


@pytest.mark.parametrize("subscriptions", ["", "1,2024-01-01,,5\n"])
def test_an_empty_linked_source_names_nothing(tmp_path, subscriptions):
    project = _write(
        tmp_path,
        {"a.csv": "id,segment\n", "s.csv": "id,valid_from,valid_to,mrr\n" + subscriptions},
        'source a from csv("a.csv") { key id }\n'
        'source s from csv("s.csv") {\n valid from valid_from to valid_to\n entity id -> a\n}\n'
        "metric subs = count(s)\nmetric average = sum(s.mrr) / count(s)\n",
    )
    table = on_both(
        project,
        ["subs", "average"],
        by=["a.segment"],
        grain="month",
        start="2024-01",
        end="2024-03",
    )
    expected = [(dt.date(2024, month, 1), None, 1, 5.0) for month in (1, 2)]
    assert rows(table) == (expected if subscriptions else [])


STATES = """
source s from csv("s.csv") {
  valid from started_at to ended_at
  column started_at: timestamp
  column ended_at: timestamp
}
metric ever = count(s) over all time
metric week = count(s) over last 7 days
metric to_date = count(s) over month to date
metric ratio = (count(s) over all time) / count(s)
"""
WINDOWED = ["ever", "week", "to_date", "ratio"]


@pytest.mark.parametrize("query", [{"end": "2024-03"}, {"start": "2024-01"}, {}])
def test_windows_over_a_header_only_state_source_with_an_open_range(tmp_path, query):
    # No rows to take the open end from: no periods (the Arrow engine raised IndexError).
    project = _write(tmp_path, {"s.csv": "started_at,ended_at\n"}, STATES)
    assert rows(on_both(project, WINDOWED, grain="month", **query)) == []
    closed = on_both(project, WINDOWED, grain="month", start="2024-01", end="2024-03")
    assert rows(closed) == [(dt.date(2024, m, 1), 0, 0, 0, None) for m in (1, 2)]
    assert rows(on_both(project, WINDOWED, **query)) == [(0, 0, 0, None)]


@pytest.mark.parametrize("query", [{"start": "2025-01"}, {"end": "2023-01"}])
def test_windows_over_state_rows_outside_a_half_open_range_give_no_periods(tmp_path, query):
    data = "started_at,ended_at\n2023-01-05T00:00:00,2023-02-10T00:00:00\n2023-01-07T00:00:00,\n"
    project = _write(tmp_path, {"s.csv": data}, STATES)
    assert rows(on_both(project, WINDOWED, grain="month", **query)) == []


def test_a_local_time_after_the_first_megabyte_of_zoned_times(tmp_path):
    # Undeclared, only the Arrow engine notices: DuckDB and Spark read such a value as UTC
    # (see engines.md, Known gaps).
    lines = ["at"] + [f"2024-01-{1 + i % 28:02d}T10:00:00Z" for i in range(60_000)]
    lines.insert(55_000, "2024-01-05 10:00:00")  # data row 55,000
    project = _write(
        tmp_path,
        {"t.csv": "\n".join(lines) + "\n"},
        'source t from csv("t.csv") { time at }\nmetric n = count(t)\n',
    )
    with pytest.raises(DataError) as caught:
        project.query(["n"], grain="month", engine="arrow")
    error = caught.value
    assert (error.source, error.column, error.row) == ("t", "at", 55_000)
    assert "'2024-01-05 10:00:00' as timestamp: it has no zone offset" in str(error)
    assert "all with a zone offset" in error.hint
    # Declared, the column is read as text and every engine refuses the mix the same way.
    (tmp_path / "p.metrics").write_text(
        'source t from csv("t.csv") {\n time at\n column at: timestamp\n}\nmetric n = count(t)\n'
    )
    declared = metricsmith.load_project(tmp_path / "p.metrics")
    for engine in ENGINES:
        with pytest.raises(DataError) as caught:
            declared.query(["n"], grain="month", engine=engine)
        error = caught.value
        assert (error.source, error.column, error.row) == ("t", "at", 55_000)
        assert "it has no zone offset and the column's first time" in str(error)


def test_a_value_that_is_no_time_at_all_is_not_blamed_on_zone_offsets(tmp_path):
    """A column of times with offsets holding `not-a-date` is a bad value, not a column
    mixing times with and without offsets: the message says so, declared or inferred."""
    lines = ["at"] + [f"2024-01-{1 + i % 28:02d}T10:00:00Z" for i in range(60_000)]
    lines.insert(55_000, "not-a-date")  # data row 55,000
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    inferred = 'source t from csv("t.csv") { time at }\nmetric n = count(t)\n'
    declared = (
        'source t from csv("t.csv") {\n time at\n column at: timestamp\n}\nmetric n = count(t)\n'
    )
    for text, engines in ((inferred, ("arrow",)), (declared, ENGINES)):
        (tmp_path / "p.metrics").write_text(text)
        project = metricsmith.load_project(tmp_path / "p.metrics")
        for engine in engines:
            with pytest.raises(DataError) as caught:
                project.query(["n"], grain="month", engine=engine)
            error = caught.value
            assert (error.source, error.column, error.row) == ("t", "at", 55_000), engine
            assert "cannot read 'not-a-date' as timestamp" in str(error), engine
            assert "zone offset" not in str(error), engine


@pytest.mark.parametrize("declared", ["", "\n  column x: float"])
def test_nan_in_a_float_column_is_a_missing_value_on_every_engine(tmp_path, declared):
    """Engines order NaN differently (DuckDB above every number, IEEE comparisons never
    true), so a NaN read from data is null everywhere, like an empty cell. (Found by the
    mutation campaign: a renewal rate of 1.0 on DuckDB, 0.0 on Arrow.)"""
    project = _write(
        tmp_path,
        {"s.csv": "at,x\n2024-01-01,1.5\n2024-01-02,NaN\n2024-01-03,2.5\n2024-01-04,\n"},
        f'source s from csv("s.csv") {{ time at{declared} }}\n'
        "metric positive = count(s where x > 0)\nmetric total = sum(s.x)\n"
        "metric mean = avg(s.x)\nmetric known = count(s.x)\n"
        "metric missing = count(s where x is null)\n",
    )
    table = on_both(project, ["positive", "total", "mean", "known", "missing"], grain=None)
    assert rows(table) == [(2, 4.0, 2.0, 2, 2)]


def test_a_zero_byte_csv_names_the_missing_header(tmp_path):
    """Tried as a new user would: an empty file saved before any export ran. A positioned
    error that says what is missing, not a parse error about delimiters."""
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "p.metrics").write_text('source s from csv("empty.csv") { }\n')
    with pytest.raises(ProjectError) as caught:
        metricsmith.load_project(tmp_path / "p.metrics")
    (problem,) = caught.value.diagnostics
    assert problem.code == "source-unreadable"
    assert (problem.span.line, problem.span.column) == (1, 15)
    assert "no header line" in problem.message
    assert "delimiter" not in (problem.hint or "")


def test_a_stranger_scorecard_agrees_on_every_engine(tmp_path):
    """A first project as a new user writes it: a string key with leading zeros, a derived
    flag, a ratio of a filtered count; the same numbers on Arrow and DuckDB."""
    project = _write(
        tmp_path,
        {
            "pay.csv": "id,plan,amount,at\n001,pro,10.5,2024-01-03\n002,free,,2024-01-20\n"
            "003,pro,7,2024-02-02\n"
        },
        'source pay from csv("pay.csv") {\n  key id\n  time at\n  column id: string\n'
        "  column paid = amount > 0\n}\n"
        "metric revenue = sum(pay.amount)\nmetric paying = count(pay where paid)\n"
        "metric share = paying / count(pay)\n",
    )
    table = on_both(project, ["revenue", "paying", "share"], grain="month",
                    start="2024-01", end="2024-03")  # fmt: skip
    assert rows(table) == [(dt.date(2024, 1, 1), 10.5, 1, 0.5), (dt.date(2024, 2, 1), 7.0, 1, 1.0)]
