"""Checking derived columns given a role in their source (issue 10, item 3): the ones every
engine computes pass, the ones none could are refused with a position."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from metricsmith import load_project
from metricsmith.errors import ProjectError

T0 = dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
TABLES = {
    "accounts": pa.table({"account_id": [1], "code": ["A1"], "signed_up_at": [T0]}),
    "events": pa.table({"account_id": [1], "t": [T0], "user": ["u1"]}),
}
ACCOUNTS = 'source accounts from csv("a.csv") { key account_id  time signed_up_at }\n'


def load(tmp_path: Path, text: str):
    path = tmp_path / "p.metrics"
    path.write_text(ACCOUNTS + text)
    return load_project(path, tables=TABLES)


def test_a_derived_entity_identifier_passes_check(tmp_path):
    # Crashed the checker with `KeyError: 'hod'`.
    text = """source events from csv("e.csv") {
  time t
  column hod = hour(t)
  entity hod as hour_of_day
}
metric hours = count(per hour_of_day where count(events) > 0)
"""
    project = load(tmp_path, text)
    assert project.checked.sources["events"].value_of("hod").type.name == "INTEGER"


@pytest.mark.parametrize(
    ("items", "code", "where", "message"),
    [
        (
            "entity account_id -> accounts\n  column k = accounts.code\n  key k",
            "derived-role",
            (5, 7),
            "key column `events.k` is derived from `accounts.code`",
        ),
        (
            "entity account_id -> accounts\n  column a = accounts.account_id\n"
            "  entity a -> accounts",
            "derived-role",
            (5, 10),
            "link column `events.a` is derived from `accounts.account_id`",
        ),
        (
            "column when = user\n  time when",
            "type",
            (4, 8),
            "time column `events.when` is string, not a date or timestamp",
        ),
        (
            "column s = t\n  column e = user\n  valid from s to e",
            "type",
            (5, 19),
            "time column `events.e` is string",
        ),
    ],
)
def test_roles_no_engine_could_compute_are_refused_with_a_position(
    tmp_path, items, code, where, message
):
    text = f'source events from csv("e.csv") {{\n  {items}\n}}\nmetric n = count(events)\n'
    with pytest.raises(ProjectError) as caught:
        load(tmp_path, text)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == code
    assert (diagnostic.span.line, diagnostic.span.column) == where
    assert message in diagnostic.message


@pytest.mark.parametrize(
    ("name", "meaning"),
    [("account", "the rows of source `accounts`"), ("week", "the weeks of each period")],
)
def test_an_identifier_that_per_could_never_reach_is_refused(tmp_path, name, meaning):
    # `per account` means the keyed source: the identifier was silently never used.
    text = f'source events from csv("e.csv") {{\n  entity user as {name}\n}}\n'
    with pytest.raises(ProjectError) as caught:
        load(tmp_path, text)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "shadowed-entity"
    assert (diagnostic.span.line, diagnostic.span.column) == (3, 18)
    assert meaning in diagnostic.message
