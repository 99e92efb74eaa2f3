"""The verdicts agree with an independent oracle: the same contracts written as SQL by hand and
run by DuckDB over the same CSV files, on random data with nulls, dangling links, negative
amounts and repeated values."""

from __future__ import annotations

import random
from pathlib import Path

import metricsmith
import pytest

duckdb = pytest.importorskip("duckdb")

DEFINITIONS = """\
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source subs from csv("subs.csv") {
  key row
  entity account_id -> accounts
  expect amount >= 0
  expect account_id in accounts
  expect started_at >= accounts.signed_up_at
  expect unique account_id, plan
}
"""

ORACLE = {
    "expect amount >= 0": "select row from s where amount < 0",
    "expect account_id in accounts": "select row from s where account_id is not null "
    "and account_id not in (select account_id from a)",
    "expect started_at >= accounts.signed_up_at": "select s.row from s join a "
    "using (account_id) where s.started_at < a.signed_up_at",
    "expect unique account_id, plan": "select row from s where (account_id, plan) in "
    "(select (account_id, plan) from s where account_id is not null and plan is not null "
    "group by all having count(*) > 1)",
}


def write(folder: Path, seed: int) -> None:
    rng = random.Random(seed)
    accounts = ["account_id,signed_up_at"] + [
        f"a{i},2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z" for i in range(30)
    ]
    subs = ["row,account_id,plan,amount,started_at"]
    for row in range(1, 301):
        account = rng.choice([f"a{rng.randint(0, 40)}", ""])  # a30..a40 do not exist
        plan = rng.choice(["free", "pro", "team", ""])
        amount = rng.choice([str(rng.randint(-3, 100)), ""])
        start = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z"
        subs.append(f"{row},{account},{plan},{amount},{start}")
    (folder / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    (folder / "subs.csv").write_text("\n".join(subs) + "\n", encoding="utf-8")
    (folder / "p.metrics").write_text(DEFINITIONS, encoding="utf-8")


def oracle(folder: Path, sql: str) -> set[int]:
    con = duckdb.connect()
    con.execute(f"create view a as select * from read_csv('{folder / 'accounts.csv'}')")
    con.execute(f"create view s as select * from read_csv('{folder / 'subs.csv'}')")
    return {row for (row,) in con.execute(sql).fetchall()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_failing_rows_agree_with_hand_written_sql(tmp_path, seed):
    write(tmp_path, seed)
    results = metricsmith.load_project(tmp_path).test(["subs"])
    checked = 0
    for result in results:
        if result.contract.text not in ORACLE:
            continue
        expected = oracle(tmp_path, ORACLE[result.contract.text])
        assert result.failing_rows == len(expected), result.contract.text
        # The `row` column numbers the data rows from 1, as the examples do.
        assert [x.row for x in result.examples] == sorted(expected)[:5]
        checked += 1
    assert checked == len(ORACLE)
