"""Decimals, overflow and sources read for no column: the same answer, or the same error, on
Arrow, DuckDB and Spark. Decimal columns are declared on CSV files, so each engine reads them
itself (the sample project's money is float: decimals were never exercised on Spark)."""

from __future__ import annotations

import decimal
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from agreement import differences
from metricsmith.errors import ArithmeticOverflow

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
D = decimal.Decimal
LANGUAGE_DECIMAL = pa.decimal128(38, 9)

DECIMALS = """
source s from csv("amounts.csv") {
  time day
  column a: decimal
  column b: decimal
  column fine: decimal
}
metric ratio = sum(s.a) / sum(s.b)
metric product = sum(s.fine) * sum(s.fine)
metric total = sum(s.fine) + sum(s.a)
metric shifted = sum(s.a) - 3
metric by_zero = sum(s.a) / (sum(s.b) - sum(s.b))
metric chosen = if(sum(s.a) > 1000, sum(s.a) * 2, sum(s.b))
"""
AMOUNTS = "day,a,b,fine\n2024-01-01,1000.00,2000.00,0.0012\n2024-01-01,600.00,100.00,0.000000001\n"
EXPECTED = {
    "ratio": D("0.761904762"),  # 1600.00 / 2100.00 = 0.76190476190...
    "product": D("0.000001440"),  # 0.001200001 ** 2 = 0.000001440002400001, to 9 places
    "total": D("1600.001200001"),
    "shifted": D("1597.000000000"),
    "by_zero": None,
    "chosen": D("3200.000000000"),
}


def _project(tmp_path: Path, text: str, files: dict[str, str]) -> metricsmith.Project:
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    (tmp_path / "p.metrics").write_text(text)
    return metricsmith.load_project(tmp_path / "p.metrics")


def test_decimal_arithmetic_has_one_result_type_and_value(engine, tmp_path):
    project = _project(tmp_path, DECIMALS, {"amounts.csv": AMOUNTS})
    answer = project.query(list(EXPECTED), engine=engine)
    for name in EXPECTED:
        assert answer.schema.field(name).type == LANGUAGE_DECIMAL, name
    assert answer.to_pylist() == [EXPECTED]
    problems = differences(project.query(list(EXPECTED), engine="arrow"), answer)
    assert not problems, "\n".join(problems)


OVERFLOW = """
source s from csv("counts.csv") { time day }
metric shifted = sum(s.x) + 9223372036854775807
metric total = sum(s.x)
"""


def test_integer_overflow_is_the_same_error_naming_the_metric(engine, tmp_path):
    project = _project(tmp_path, OVERFLOW, {"counts.csv": "day,x\n2024-01-01,5\n"})
    with pytest.raises(ArithmeticOverflow) as caught:
        project.query(["shifted"], engine=engine)
    # Arrow also names the formula: "cannot compute `sum(s.x) + 9223372036854775807` of metric".
    assert str(caught.value).startswith("data error in source `s`: cannot compute ")
    assert "metric `shifted`: arithmetic overflow, a value exceeds the range" in str(caught.value)


def test_an_integer_sum_beyond_64_bits_is_an_error_not_a_wrapped_total(engine, tmp_path):
    rows = "day,x\n2024-01-01,9223372036854775807\n2024-01-02,1\n"
    project = _project(tmp_path, OVERFLOW, {"counts.csv": rows})
    with pytest.raises(ArithmeticOverflow, match="metric `total`: arithmetic overflow"):
        project.query(["total"], engine=engine)


def test_a_decimal_sum_beyond_38_digits_is_an_error_not_a_wrapped_total(engine, tmp_path):
    text = 'source s from csv("big.csv") { time day\n column a: decimal }\nmetric total = sum(s.a)'
    rows = "day,a\n" + "2024-01-01,90000000000000000000000000000.5\n" * 2
    project = _project(tmp_path, text, {"big.csv": rows})
    with pytest.raises(ArithmeticOverflow, match="metric `total`: arithmetic overflow"):
        project.query(["total"], engine=engine)


def test_a_count_reading_no_column_of_a_source_without_time(engine, tmp_path):
    text = 'source u from csv("u.csv") {}\nmetric rows = count(u)\n'
    project = _project(tmp_path, text, {"u.csv": "x\n5\n7\n"})
    assert project.query(["rows"], engine=engine).to_pylist() == [{"rows": 2}]
