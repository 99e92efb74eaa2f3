"""Ranked lists on the command line: `--order-by`, `--limit`, `--per`, against the CLI tests'
project (conftest.py).

Tickets: a1 (SMB) t1 Jan 3, t2 Jan 10, t5 Feb 14: 3, January 2, February 1; a2 (Enterprise)
t3 Jan 20, t4 Feb 2: 2, January 1, February 1."""

from __future__ import annotations

from pathlib import Path

from metricsmith.cli import main

RANGE = ["--from", "2024-01", "--to", "2024-03"]
HEADER = '"accounts.account_id","tickets_opened"\n'


def _csv(project: Path, capsys, *args: str) -> str:
    assert main(["query", str(project), "tickets_opened", *args, *RANGE, "--format", "csv"]) == 0
    return capsys.readouterr().out


def test_the_top_account(project, capsys):
    out = _csv(project, capsys, "--by", "accounts.account_id", "--order-by=-tickets_opened")
    assert out == HEADER + '"a1",3\n"a2",2\n'
    out = _csv(project, capsys, "--by", "accounts.account_id", "--order-by", "tickets_opened")
    assert out == HEADER + '"a2",2\n"a1",3\n'


def test_the_top_one_per_month_a_tie_broken_by_the_account(project, capsys):
    args = ["--by", "accounts.account_id", "--grain", "month"]
    out = _csv(project, capsys, *args, "--order-by", "tickets_opened:desc", "--limit", "1")
    # January: a1 2 over a2 1. February: a1 and a2 tie at 1: the account decides, a1.
    assert out == '"month",' + HEADER + '2024-01-01,"a1",2\n2024-02-01,"a1",1\n'


def test_the_top_one_per_segment_in_the_terminal(project, capsys):
    by = ["--by", "accounts.segment", "--by", "accounts.account_id"]
    assert main(["query", str(project), "tickets_opened", *by, *RANGE, "--limit", "1",
                 "--per", "accounts.segment", "--order-by=-tickets_opened", "-q"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    # One account per segment: the segments in order, Enterprise (a2, 2) then SMB (a1, 3).
    lines = [line for line in out.splitlines() if "│" in line]
    assert [[c.strip() for c in line.split("│")] for line in lines] == [
        ["Enterprise", "a2", "2"],
        ["SMB", "a1", "3"],
    ]


def test_an_order_by_name_not_in_the_answer_is_refused_with_a_suggestion(project, capsys):
    code = main(["query", str(project), "tickets_opened", "--by", "accounts.segment",
                 "--order-by", "ticket_opened", *RANGE])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "`--order-by` names `ticket_opened`, which is not a column of the result" in err
    assert "did you mean `tickets_opened`?" in err
    assert "Traceback" not in err


def test_a_limit_that_is_not_a_positive_number_is_a_usage_error(project, capsys):
    for text in ("0", "-2", "ten"):
        code = _exit_code(["query", str(project), "tickets_opened", "--limit", text])
        assert code == 2
        assert "--limit" in capsys.readouterr().err


def test_per_outside_by_is_refused(project, capsys):
    code = main(["query", str(project), "tickets_opened", "--by", "accounts.account_id",
                 "--limit", "1", "--per", "accounts.segment", *RANGE])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "`--per` names `accounts.segment`, which is not a `--by` column" in err
    assert "add `--by accounts.segment`" in err


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:  # argparse refuses a malformed option by exiting
        return int(exit_.code or 0)


def test_a_misspelt_grain_lists_the_grains_by_name(project, capsys):
    argv = ["query", str(project), "tickets_opened", "--grain", "fiscal_quartr", *RANGE]
    assert _exit_code(argv) == 2
    err = capsys.readouterr().err
    assert "choose from 'day', 'week', 'month', 'quarter', 'year', 'fiscal_quarter'" in err
    assert "Grain." not in err
