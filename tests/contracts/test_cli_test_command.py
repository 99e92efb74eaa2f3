"""`metricsmith test PROJECT [--source NAME]`."""

from __future__ import annotations

from pathlib import Path

from metricsmith.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "metric_defs" / "sample"

TEXT = """\
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source subscriptions from csv("subscriptions.csv") {
  key sub_id
  expect amount >= 0
  expect account_id in accounts
}
"""


def run(capsys, *argv):
    code = main(["test", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_sample_keeps_its_contracts(capsys):
    code, out, _ = run(capsys, SAMPLE)
    assert code == 0
    assert "expect started_at >= accounts.signed_up_at" in out
    assert "✗" not in out
    assert "expect seats >= 0" in out  # the seat snapshots'
    assert out.rstrip().endswith("contracts: 23 hold, 0 broken")


def test_broken_contracts_exit_1_and_show_their_rows(capsys, define, tmp_path):
    define(TEXT)
    code, out, _ = run(capsys, tmp_path)
    assert code == 1
    assert "✗ 1 failing" in out
    assert "row 2: amount = -5" in out
    assert "row 2: account_id = a9" in out
    assert out.rstrip().endswith("4 contracts: 2 hold, 2 broken")


def test_one_source(capsys, define, tmp_path):
    define(TEXT)
    code, out, _ = run(capsys, tmp_path, "--source", "accounts")
    assert code == 0
    assert "key account_id" in out and "subscriptions" not in out
    code, _, err = run(capsys, tmp_path, "--source", "acounts")
    assert code == 1 and "did you mean `accounts`?" in err
