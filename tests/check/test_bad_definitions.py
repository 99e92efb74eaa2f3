"""Definitions the fuzzer broke (issue 10): every problem is a diagnostic with a position, one
broken file does not hide the others' problems, and the nesting limit holds on every engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from metricsmith import ProjectError, dsl, load_project
from metricsmith.errors import QueryError
from metricsmith.model import expr as e

GOLDEN = Path(__file__).parent / "golden"
SOURCES = (GOLDEN / "sources.metrics").read_text(encoding="utf-8")
LIMIT = e.MAX_NESTING


def project(tmp_path: Path, sources: str = SOURCES, **files: str | bytes) -> Path:
    shutil.copytree(GOLDEN / "data", tmp_path / "data")
    (tmp_path / "sources.metrics").write_text(sources, encoding="utf-8")
    for name, text in files.items():
        path = tmp_path / f"{name}.metrics"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return tmp_path


def problems(folder: Path) -> list[tuple[str, str, int]]:
    with pytest.raises(ProjectError) as caught:
        load_project(folder)
    return [(x.code, Path(x.span.path).name, x.span.line) for x in caught.value.diagnostics]


def test_a_key_naming_no_column_is_reported_once(tmp_path):
    sources = SOURCES.replace("key account_id", "key nope")
    folder = project(tmp_path, sources, m="metric a = sum(per account: count(accounts))\n")
    assert problems(folder) == [("unknown-name", "sources.metrics", 3)]


def test_a_time_zone_too_long_for_the_file_system(tmp_path):
    folder = project(tmp_path, m='calendar { timezone "' + "a" * 300 + '" }\n')
    assert problems(folder) == [("bad-calendar", "m.metrics", 1)]


def test_an_include_path_too_long_for_the_file_system(tmp_path):
    folder = project(tmp_path, m='include "' + "a" * 300 + '"\n')
    assert problems(folder) == [("bad-include", "m.metrics", 1)]


def test_a_file_that_is_not_utf8_does_not_stop_the_others(tmp_path):
    folder = project(
        tmp_path,
        broken=b"metric shared = count(tickets) \xff\n",
        other="metric uses = shared + nothing_here\n",
    )
    assert problems(folder) == [
        ("encoding", "broken.metrics", 1),
        ("unknown-name", "other.metrics", 1),  # `nothing_here`, not `shared`
    ]


def test_syntax_errors_in_one_file_and_problems_in_another_in_one_run(tmp_path):
    folder = project(
        tmp_path,
        a="metric opened = count(tickets where priority = 1)\n"
        "metric fine = count(tickets)\n"
        "metric typo = count(tickts)\n",
        b="metric uses = opened + fine + missing\n",
    )
    assert problems(folder) == [
        ("syntax", "a.metrics", 1),
        ("unknown-name", "a.metrics", 3),
        ("unknown-name", "b.metrics", 1),
    ]


def test_a_broken_source_raises_nothing_where_it_is_used(tmp_path):
    folder = project(
        tmp_path,
        a='source broken from csv("data/none.csv") {\n  key id\n  time t t\n}\n',
        b="metric n = count(broken where broken.x > 1)\n"
        "metric per_broken = sum(per broken: count(broken))\n",
    )
    assert problems(folder) == [("syntax", "a.metrics", 3)]


def test_a_broken_metric_with_the_name_of_a_real_one_does_not_replace_it(tmp_path):
    folder = project(tmp_path, a="metric m = = 1\n", b="metric m = count(tickts)\n")
    assert problems(folder) == [("syntax", "a.metrics", 1), ("unknown-name", "b.metrics", 1)]


# ---- nesting through the formulas a formula names -----------------------------------------


def chain(length: int) -> str:
    """`m1` nests 2 levels (a call and its argument) and each `m<i> = m<i-1> + 1` one more."""
    lines = ["metric m1 = count(tickets)"]
    lines += [f"metric m{i} = m{i - 1} + 1" for i in range(2, length + 1)]
    return "\n".join(lines) + "\n"


def test_a_long_chain_of_metrics_is_one_problem_where_it_crosses_the_limit(tmp_path):
    folder = project(tmp_path, m=chain(1000))
    assert problems(folder) == [("too-deep", "m.metrics", LIMIT)]


def test_a_chain_of_derived_columns_counts(tmp_path):
    columns = "".join(f"  column c{i} = c{i - 1} + 1\n" for i in range(2, LIMIT + 1))
    sources = SOURCES.replace("  key ticket_id\n", "  key ticket_id\n  column c1 = contacts\n")
    sources = sources.replace("  column resolution_hours", columns + "  column resolution_hours")
    folder = project(tmp_path, sources, m=f"metric a = sum(tickets.c{LIMIT})\n")
    assert problems(folder) == [("too-deep", "m.metrics", 1)]


# Formula shapes that recurse in the engines, by how many times the nesting part repeats.
SHAPES = {
    "sums": lambda k: " + ".join(["count(tickets)"] * k),
    "minus": lambda k: "-" * k + "count(tickets)",
    "calls": lambda k: "abs(" * k + "count(tickets)" + ")" * k,
    "case": lambda k: "case when true then " * k + "count(tickets)" + " end" * k,
    "row formula": lambda k: (
        "sum(" + "case when tickets.contacts > 1 then " * k + "tickets.contacts" + " end" * k + ")"
    ),
    "filter": lambda k: "count(tickets where " + " and ".join(["tickets.contacts > 0"] * k) + ")",
    "offsets": lambda k: "count(tickets)" + "[-1]" * k,
}


def at_limit(shape: str) -> str:
    """The shape repeated as often as nesting exactly LIMIT levels allows."""
    for k in range(LIMIT, 0, -1):
        try:
            formula = dsl.parse_expression(SHAPES[shape](k))
        except QueryError:  # deeper than the limit
            continue
        assert e.deeper_than(formula, LIMIT - 1) is not None
        return SHAPES[shape](k)
    raise AssertionError(shape)


@pytest.mark.parametrize("shape", ["chain of metrics", *sorted(SHAPES)])
def test_formulas_at_the_limit_run_on_arrow_and_duckdb(tmp_path, shape):
    if shape == "chain of metrics":
        text, metric = chain(LIMIT - 1), f"m{LIMIT - 1}"
    else:
        text, metric = f"metric a = {at_limit(shape)}\n", "a"
    loaded = load_project(project(tmp_path, m=text))
    answers = [
        loaded.query([metric], grain="month", start="2024-01", end="2024-04", engine=engine)
        for engine in ("arrow", "duckdb")
    ]
    assert answers[0].equals(answers[1])


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_formulas_one_level_deeper_are_refused(tmp_path, shape):
    folder = project(tmp_path, m=f"metric a = abs({at_limit(shape)})\n")
    assert problems(folder) == [("too-deep", "m.metrics", 1)]


def test_an_empty_file_is_one_problem_not_one_per_column_it_names(tmp_path):
    """A zero-byte CSV has no columns to check: its `entity` and link columns were reported
    missing after the problem itself ("columns: " listing none)."""
    (tmp_path / "events.csv").write_bytes(b"")
    (tmp_path / "accounts.csv").write_text("account_id\na1\n")
    (tmp_path / "p.metrics").write_text(
        'source accounts from csv("accounts.csv") { key account_id }\n'
        'source events from csv("events.csv") {\n'
        "  time at\n  entity user as user\n  entity account_id -> accounts\n}\n"
        "metric n = count(events)\n"
    )
    assert problems(tmp_path) == [("source-unreadable", "p.metrics", 2)]
