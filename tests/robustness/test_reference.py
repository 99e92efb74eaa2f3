"""The Arrow engine against the reference oracle (reference.py): random projects of the
oracle's subset (reference_cases.py) must give, cell for cell, the answer computed straight
from the docs. The differential tests cannot see a bug of the planner every engine shares;
this test can.
"""

from __future__ import annotations

import os
from typing import Any

import metricsmith
import pytest
from agreement import same_value
from hypothesis import HealthCheck, given, note, settings
from reference_cases import ReferenceCase, cases

SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


def mismatches(case: ReferenceCase, folder, limit: int = 5) -> list[str]:
    """How the Arrow engine's answer differs from the reference's, as readable lines."""
    expected = case.expected()
    project = metricsmith.load_project(case.case.write(folder))
    table = project.query(list(case.nodes), **case.case.query_arguments()).to_arrow()
    got = [tuple(row.values()) for row in table.to_pylist()]
    keys = len(case.case.query.by) + (case.case.query.grain is not None)  # period, `by`
    if [row[:keys] for row in got] != [row[:keys] for row in expected]:
        return [f"cells {[r[:keys] for r in got]} != expected {[r[:keys] for r in expected]}"]
    found = []
    names = table.column_names[keys:]
    for mine, theirs in zip(got, expected, strict=True):
        for name, left, right in zip(names, mine[keys:], theirs[keys:], strict=True):
            if not same_value(left, right):
                found.append(f"{mine[:keys]} {name}: engine {left!r}, expected {right!r}")
    return found[:limit]


def check(case: ReferenceCase, folder) -> None:
    note(case.case.describe())
    found = mismatches(case, folder)
    assert not found, "\n".join(found)


@settings(max_examples=60, **SETTINGS)
@given(case=cases())
def test_arrow_engine_gives_the_documented_answer(case, tmp_path_factory):
    check(case, tmp_path_factory.mktemp("case"))


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("METRICSMITH_SLOW"), reason="set METRICSMITH_SLOW=1")
@settings(max_examples=2000, **SETTINGS)
@given(case=cases())
def test_many_projects_give_the_documented_answer(case, tmp_path_factory):
    check(case, tmp_path_factory.mktemp("case"))
