"""When a query reads a source, its written contracts are checked: a broken one warns (the
default), fails the query (`on_violation = "error"`) or is not looked at (`"off"`). The numbers
never change: they are computed from the data as it is, on every engine."""

from __future__ import annotations

import pytest
from contract_helpers import ACCOUNTS, SOURCES
from metricsmith.errors import DataError, QueryError

TEXT = (
    SOURCES
    + """
source subscriptions from csv("subscriptions.csv") {
  key sub_id
  entity account_id -> accounts
  expect amount >= 0
  expect account_id in accounts
}
metric total = sum(subscriptions.amount)
metric signups = count(accounts)
"""
)


def settings(tmp_path, text):
    (tmp_path / "metricsmith.toml").write_text(text, encoding="utf-8")


def test_a_broken_contract_warns_once_and_the_answer_is_unchanged(define):
    project = define(TEXT)
    assert project.query(["total"]).to_pylist() == [{"total": 175}]
    project.query(["total"])
    warnings = [(w.code, w.severity, w.span.line) for w in project.warnings]
    assert warnings == [("contract", "warning", 9), ("contract", "warning", 10)]
    message = project.warnings[0].message
    assert "breaks `expect amount >= 0`: 1 of 5 rows break it (row 2)" in message


def test_only_the_sources_a_query_reads_are_checked(define):
    project = define(TEXT)
    project.query(["signups"])
    assert project.warnings == ()


def test_the_answer_is_the_same_on_duckdb(define):
    pytest.importorskip("duckdb")
    project = define(TEXT)
    assert project.query(["total"], engine="duckdb").to_pylist() == [{"total": 175}]
    assert len(project.warnings) == 2


def test_a_project_can_make_a_broken_contract_fail_the_query(define, tmp_path):
    settings(tmp_path, '[contracts]\non_violation = "error"\n')
    project = define(TEXT)
    with pytest.raises(DataError) as caught:
        project.query(["total"])
    error = caught.value
    assert (error.source, error.row) == ("subscriptions", 2)
    assert "the data breaks the contract `expect amount >= 0`" in str(error)
    assert "p.metrics:9:3" in str(error)
    # The key was not written as an `expect`, and holds anyway: signups still answer.
    assert project.query(["signups"]).num_rows == 1


def test_checking_at_query_time_can_be_turned_off(define, tmp_path):
    settings(tmp_path, '[contracts]\non_violation = "off"\n')
    project = define(TEXT)
    project.query(["total"])
    assert project.warnings == ()


def test_an_unknown_policy_is_refused(define, tmp_path):
    settings(tmp_path, '[contracts]\non_violation = "fail"\n')
    with pytest.raises(QueryError, match='use "warn", "error", "off"'):
        define(TEXT).query(["total"])


def test_an_unknown_source_to_test(define):
    with pytest.raises(QueryError, match="did you mean `subscriptions`"):
        define(TEXT).test(["subscription"])


def test_a_contract_that_cannot_be_checked_only_warns(define, tmp_path):
    settings(tmp_path, '[contracts]\non_violation = "error"\n')
    text = TEXT.replace("  expect amount >= 0\n", '  expect accounts.plan != "gold"\n')
    repeated = ACCOUNTS + "a1,2024-01-02T00:00:00Z,pro\n"
    project = define(text, accounts=repeated)
    with pytest.raises(DataError, match="expect account_id in accounts"):
        project.query(["total"])
    text = text.replace("  expect account_id in accounts\n", "")
    project = define(text, accounts=repeated)
    assert project.query(["total"]).to_pylist() == [{"total": 175}]
    (warning,) = project.warnings
    assert 'cannot be checked against `expect accounts.plan != "gold"`' in warning.message


def test_contracts_must_be_a_table(define, tmp_path):
    settings(tmp_path, 'contracts = "warn"\n')
    with pytest.raises(QueryError, match=r"`contracts` must be a table \(\[contracts\]\)"):
        define(TEXT).query(["total"])
