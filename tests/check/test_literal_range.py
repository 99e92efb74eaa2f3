"""Number literals beyond what every engine computes with are refused where they are written."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from metricsmith import ProjectError, load_project


def test_an_integer_of_5000_digits_is_a_positioned_error(tmp_path: Path):
    path = tmp_path / "long.metrics"
    path.write_text('source s from csv("s.csv") {}\nmetric m = count(s) + ' + "9" * 5000 + "\n")
    with pytest.raises(ProjectError) as caught:
        load_project(path, tables={"s": pa.table({"x": [1]})})
    (problem,) = caught.value.diagnostics
    assert problem.code == "number-range"
    assert (problem.span.line, problem.span.column) == (2, 23)
    assert "(5000 digits) does not fit in 64 bits" in problem.message
