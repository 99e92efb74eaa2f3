"""A source's contracts are verified together, in one read of its data, and once per version
of the data in a process: a project loaded again from unchanged files reuses its checking and
its verdicts, and one whose files changed is checked and verified again (api.py, `_CHECKED`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import metricsmith
import metricsmith.api as api
import metricsmith.execute.arrow.contracts as verifying
import pyarrow as pa
import pytest
from contract_helpers import SOURCES

DEFINITIONS = (
    SOURCES
    + """
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
  column amount: float
  expect account_id is not null
  expect account_id in accounts
  expect amount >= 0
}
metric mrr = sum(subscriptions.amount)
metric accounts_paying = count(per account where mrr > 0)
"""
)
# Every subscription names an existing account; s4's amount is negative.
NEGATIVE = """\
sub_id,account_id,amount,billing,started_at,ended_at
s1,a1,10,month,2024-01-05T00:00:00Z,
s4,a2,-120,year,2024-01-15T00:00:00Z,2024-03-01T00:00:00Z
"""
CLEAN = NEGATIVE.replace("-120", "120")
QUERY = {"by": ["accounts.plan"], "grain": "month", "start": "2024-01", "end": "2024-04"}
RELIED = "subscriptions: expect account_id in accounts (verified"


@pytest.fixture
def reads(monkeypatch) -> Counter[str]:
    """How many times contract verification reads each source."""
    counted: Counter[str] = Counter()
    read = verifying.read_source

    def counting(source_read, *args, **kwargs):
        counted[source_read.source] += 1
        return read(source_read, *args, **kwargs)

    monkeypatch.setattr(verifying, "read_source", counting)
    return counted


def broken(project: metricsmith.Project) -> list[str]:
    return [w.message.split("`")[3] for w in project.warnings if w.code == "contract"]


def test_a_sources_contracts_are_verified_in_one_read_one_failing(define, reads):
    project = define(DEFINITIONS, subscriptions=NEGATIVE)
    # The planner asks about the link's two contracts, one at a time; the query then checks
    # all three: each source is read once, and only the broken contract warns.
    answer = project.query(["mrr", "accounts_paying"], **QUERY).to_pylist()
    assert reads == {"subscriptions": 1, "accounts": 1}
    assert broken(project) == ["expect amount >= 0"]
    # The link's contracts hold, so the plan relies on them; the negative amount counts
    # (a1 pays 10 from January; a2, free plan, -120 from January 15 to March 1).
    assert RELIED in project.explain(["mrr", "accounts_paying"], **QUERY)
    assert [(r["accounts.plan"], r["mrr"]) for r in answer if r["month"].month == 2] == [
        ("free", -120.0),
        ("pro", 10.0),
    ]
    verdicts = {r.contract.text: r.passed for r in project.test(["subscriptions"])}
    assert verdicts == {
        "expect account_id is not null": True,
        "expect account_id in accounts": True,
        "expect amount >= 0": False,
    }
    assert reads == {"subscriptions": 1, "accounts": 1}


def test_a_query_tells_the_datas_version_once(define, tmp_path, monkeypatch):
    # The planner's facts and the contracts' check rely on the same version of the data, taken
    # once per query (each source's files' sizes and times); a replaced file is seen by the
    # next query.
    project = define(DEFINITIONS, subscriptions=NEGATIVE)
    told: Counter[str] = Counter()
    version = api.files_version

    def counting(reader):
        told[reader.location.rsplit("/", 1)[-1]] += 1
        return version(reader)

    monkeypatch.setattr(api, "files_version", counting)
    project.query(["mrr"], **QUERY)
    assert told == {"accounts.csv": 1, "subscriptions.csv": 1}
    assert broken(project) == ["expect amount >= 0"]
    (tmp_path / "subscriptions.csv").write_text(CLEAN, encoding="utf-8")
    project.warnings = ()
    project.query(["mrr"], **QUERY)
    assert told == {"accounts.csv": 2, "subscriptions.csv": 2}
    assert broken(project) == []


def test_a_project_loaded_again_reuses_its_checking_and_verdicts(define, tmp_path, reads):
    first = define(DEFINITIONS, subscriptions=NEGATIVE)
    first.query(["mrr"], **QUERY)
    again = metricsmith.load_project(tmp_path)
    assert again.checked is first.checked
    again.query(["mrr"], **QUERY)
    assert reads == {"subscriptions": 1, "accounts": 1}
    # Each project reports what it was told about the data.
    assert broken(again) == ["expect amount >= 0"]


def test_the_verdicts_follow_the_data_across_loads(define, tmp_path, reads):
    first = define(DEFINITIONS, subscriptions=NEGATIVE)
    first.query(["mrr"], **QUERY)
    # The same size, and possibly the same modification time: told apart by the bytes.
    (tmp_path / "subscriptions.csv").write_text(NEGATIVE.replace("-120", "+12"))
    fixed = metricsmith.load_project(tmp_path)
    assert fixed.checked is not first.checked
    fixed.query(["mrr"], **QUERY)
    assert reads == {"subscriptions": 2, "accounts": 2}
    assert broken(fixed) == []


def test_changed_definitions_are_checked_again(define, tmp_path):
    first = define(DEFINITIONS)
    (tmp_path / "p.metrics").write_text(DEFINITIONS + "metric arr = mrr * 12\n")
    second = metricsmith.load_project(tmp_path)
    assert second.checked is not first.checked
    assert "arr" in second.metrics and "arr" not in first.metrics


def test_tables_in_memory_make_a_project_of_their_own(define, tmp_path):
    first = define(DEFINITIONS)
    signed_up = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    accounts = pa.table({"account_id": ["a1"], "signed_up_at": [signed_up], "plan": ["pro"]})
    given = metricsmith.load_project(tmp_path, tables={"accounts": accounts})
    assert given.checked is not first.checked
    assert metricsmith.load_project(tmp_path).checked is first.checked
