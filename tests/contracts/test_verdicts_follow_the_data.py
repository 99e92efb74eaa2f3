"""A plan relies on a contract only as verified on the data as it is now: verdicts are kept
per version of the files (their sizes and modification times), so a file replaced after a
query is verified again before a plan relies on it (api.py, `_data_version`)."""

from __future__ import annotations

import os

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
}
metric mrr = sum(subscriptions.amount)
metric accounts_paying = count(per account where mrr > 0)
"""
)
CLEAN = """\
sub_id,account_id,amount,billing,started_at,ended_at
s1,a1,10,month,2024-01-05T00:00:00Z,
s4,a2,120,year,2024-01-15T00:00:00Z,2024-03-01T00:00:00Z
"""
QUERY = {"by": ["accounts.plan"], "grain": "month", "start": "2024-01", "end": "2024-04"}


def test_a_replaced_file_is_verified_again_before_a_plan_relies_on_it(define, tmp_path):
    project = define(DEFINITIONS, subscriptions=CLEAN)
    relied = "subscriptions: expect account_id in accounts (verified"
    assert relied in project.explain(["mrr", "accounts_paying"], **QUERY)
    # The same project, its file now naming an account that does not exist.
    broken = tmp_path / "subscriptions.csv"
    broken.write_text(CLEAN + "s9,a9,5,month,2024-01-20T00:00:00Z,\n", encoding="utf-8")
    stat = broken.stat()
    os.utime(broken, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert relied not in project.explain(["mrr", "accounts_paying"], **QUERY)
    answer = project.query(["mrr"], **QUERY).to_pylist()
    # a9's 5 is under no plan from January's end on: a null plan, as without the contract.
    assert [r["mrr"] for r in answer if r["accounts.plan"] is None] == [5.0, 5.0, 5.0]


def test_contracts_turned_off_are_not_relied_on(define, tmp_path):
    (tmp_path / "metricsmith.toml").write_text('[contracts]\non_violation = "off"\n')
    project = define(DEFINITIONS, subscriptions=CLEAN)
    assert "relies on" not in project.explain(["mrr", "accounts_paying"], **QUERY)
