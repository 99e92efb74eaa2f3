"""A file whose bytes were parsed before in this process is not parsed again, and a file whose
bytes changed always is: the reuse is keyed by the bytes, never by a modification time."""

from __future__ import annotations

import os

from metricsmith.api import load_project
from metricsmith.dsl import parser
from metricsmith.dsl.parser import parse_file
from metricsmith.model.decl import MetricDecl

SOURCE = 'source accounts from csv("accounts.csv") {\n  key account_id\n}\n'


def test_the_same_bytes_are_parsed_once(tmp_path, monkeypatch):
    path = tmp_path / "p.metrics"
    path.write_text(SOURCE + "metric n = count(accounts)\n", encoding="utf-8")
    first, _ = parse_file(path)
    calls = []
    monkeypatch.setattr(parser, "parse_source", lambda s: calls.append(s) or (None, []))
    again, problems = parse_file(path)
    assert calls == []
    assert again is first and problems == []


def test_an_edited_file_is_parsed_again_even_with_the_same_modification_time(tmp_path):
    path = tmp_path / "p.metrics"
    path.write_text(SOURCE + "metric n = count(accounts)\n", encoding="utf-8")
    stamp = path.stat().st_mtime_ns
    (before,) = [m.name.name for m in parse_file(path)[0].decls if isinstance(m, MetricDecl)]
    path.write_text(SOURCE + "metric m = count(accounts)\n", encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))
    (after,) = [m.name.name for m in parse_file(path)[0].decls if isinstance(m, MetricDecl)]
    assert (before, after) == ("n", "m")


def test_problems_are_reported_on_every_load(tmp_path):
    path = tmp_path / "p.metrics"
    path.write_text(SOURCE + "metric n = count(accounts\n", encoding="utf-8")
    first, second = parse_file(path)[1], parse_file(path)[1]
    assert [p.code for p in first] == [p.code for p in second] == ["syntax"]
    first.clear()  # a caller's list is its own
    assert [p.code for p in parse_file(path)[1]] == ["syntax"]


def test_a_project_loaded_twice_answers_the_same(tmp_path):
    (tmp_path / "accounts.csv").write_text("account_id\n1\n2\n", encoding="utf-8")
    path = tmp_path / "p.metrics"
    path.write_text(SOURCE + "metric n = count(accounts)\n", encoding="utf-8")
    answers = [load_project(path).query(["n"]).to_pylist() for _ in range(2)]
    assert answers[0] == answers[1] == [{"n": 2}]


def test_a_query_formula_is_parsed_once_and_a_bad_one_fails_every_time():
    from metricsmith.dsl.parser import parse_expression
    from metricsmith.errors import QueryError

    formula = "lower(accounts.segment)"
    assert parse_expression(formula, origin="--by") is parse_expression(formula, origin="--by")
    for _ in range(2):
        try:
            parse_expression("lower(accounts.segment", origin="--by")
        except QueryError as error:
            assert "--by" in str(error)
        else:
            raise AssertionError("a formula missing its parenthesis parsed")
