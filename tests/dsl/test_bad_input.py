"""Bad definition text is a positioned diagnostic, never an internal error (issue 10's fuzzing
found UnicodeDecodeError, RecursionError, OverflowError and lark's VisitError here)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from metricsmith.dsl.lower import MAX_OFFSET, MAX_WINDOW
from metricsmith.dsl.parser import MAX_SYNTAX_ERRORS, parse_expression, parse_file, parse_source
from metricsmith.errors import Diagnostic, QueryError
from metricsmith.model import decl as d
from metricsmith.model import expr as e
from metricsmith.model.span import SourceFile

METRIC = b"metric a = count(tickets)\n"


def problems(text: str) -> list[Diagnostic]:
    return parse_source(SourceFile("t.metrics", text))[1]


def only(text: str) -> Diagnostic:
    (problem,) = problems(text)
    return problem


def read(tmp_path: Path, data: bytes) -> tuple[d.Module, list[Diagnostic]]:
    path = tmp_path / "t.metrics"
    path.write_bytes(data)
    return parse_file(path)


# ---- encodings ----------------------------------------------------------------------------


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    module, found = read(tmp_path, b"\xef\xbb\xbf" + METRIC)
    assert found == []
    (metric,) = module.decls
    assert (metric.name.span.line, metric.name.span.column) == (1, 8)


def test_a_byte_that_is_not_utf8_is_named_with_its_offset_and_position(tmp_path):
    _, (problem,) = read(tmp_path, b"metric a = 1\nmetric b = \xff\n")
    assert problem.code == "encoding"
    assert "byte 0xff at byte offset 24 is not UTF-8" in problem.message
    assert (problem.span.line, problem.span.column) == (2, 12)
    assert "t.metrics:2:12" in problem.render()


def test_the_offset_counts_the_byte_order_mark_and_columns_count_characters(tmp_path):
    _, (problem,) = read(tmp_path, b'\xef\xbb\xbfmetric \xc3\xa9 = "\xe9"\n')
    assert "byte offset 16" in problem.message  # 3 (mark) + 7 + 2 (é) + 4
    assert (problem.span.line, problem.span.column) == (1, 13)


def test_utf16_is_named(tmp_path):
    _, (problem,) = read(tmp_path, METRIC.decode().encode("utf-16"))
    assert problem.code == "encoding" and "UTF-16" in problem.message
    assert "UTF-8" in problem.hint


def test_a_binary_file_is_an_encoding_problem(tmp_path):
    _, (problem,) = read(tmp_path, bytes(range(256)))
    assert problem.code == "encoding"
    assert "NUL byte at byte offset 0" in problem.message


def test_the_names_of_a_file_that_is_not_utf8_are_still_known(tmp_path):
    module, _ = read(tmp_path, b"metric a = 1\nmetric b = \xff\n")
    assert [(x.kind, x.name.name) for x in module.decls] == [("metric", "a"), ("metric", "b")]


def test_a_nul_byte_inside_a_string_is_positioned(tmp_path):
    _, (problem,) = read(tmp_path, b'metric a = count(t where x == "a\x00b")\n')
    assert problem.code == "encoding"
    assert (problem.span.line, problem.span.column) == (1, 33)


def test_control_characters_are_named_and_not_echoed():
    problem = only("metric a = 1 \x1b[31m")
    assert "U+001B" in problem.message
    assert "\x1b" not in problem.render()


# ---- literals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        (r'"a\0b"', "U+0000"),
        (r'"\ud800"', "U+D800"),
        (r'"\x"', "incomplete or unknown escape"),
        (r'"\N{no such name}"', "incomplete or unknown escape"),
    ],
)
def test_strings_no_engine_can_hold(literal, message):
    problem = only(f"metric a = count(t where x == {literal})")
    assert problem.code == "bad-literal" and message in problem.message
    assert problem.span.column == 31


def test_a_string_in_a_label_is_checked_too():
    assert only(r'metric a "x\0" = 1').code == "bad-literal"


def test_an_unreadable_include_includes_nothing():
    module, (problem,) = parse_source(SourceFile("t.metrics", 'include "\\x"\nmetric a = 1'))
    assert problem.code == "bad-literal"
    assert [type(x).__name__ for x in module.decls] == ["MetricDecl"]


@pytest.mark.parametrize("duration", ["99999999999 weeks", "1e400 seconds", "366001 days"])
def test_durations_longer_than_the_limit(duration):
    problem = only(f"metric a = count(t where x > {duration})")
    assert problem.code == "out-of-range" and "1,000 years" in problem.message
    assert problem.span.column == 30


def test_a_duration_at_the_limit_is_accepted():
    assert problems("metric a = count(t where x > 366000 days)") == []


@pytest.mark.parametrize(("unit", "longest"), sorted(MAX_WINDOW.items()))
def test_windows_up_to_the_limit(unit, longest):
    assert problems(f"metric a = count(t) over last {longest} {unit}s") == []
    problem = only(f"metric a = count(t) over last {longest + 1} {unit}s")
    assert problem.code == "out-of-range"
    assert problem.span.column == 31


def test_the_issues_window():
    assert only("metric a = count(t) over last 99999999 days").code == "out-of-range"


def test_offsets_up_to_the_limit():
    assert problems(f"metric a = count(t)[-{MAX_OFFSET}]") == []
    assert problems(f"metric a = count(t)[-000{MAX_OFFSET}]") == []
    assert only(f"metric a = count(t)[-{MAX_OFFSET + 1}]").code == "out-of-range"
    assert only("metric a = count(t)[-999999999999999999999999]").code == "out-of-range"


def test_counts_of_thousands_of_digits():
    """Python refuses to convert more than 4,300 digits to an int; the limit comes first."""
    many = "9" * 5000
    assert only(f"metric a = count(t)[-{many}]").code == "out-of-range"
    assert only(f"metric a = count(t) over last {many} days").code == "out-of-range"
    assert only(f"metric a = count(t where x > {many} days)").code == "out-of-range"


# ---- nesting ------------------------------------------------------------------------------

DEEP = {
    "sum": lambda n: " + ".join(["1"] * n),
    "minus": lambda n: "-" * n + "x",
    "not": lambda n: "not " * n + "x",
    "calls": lambda n: "abs(" * n + "x" + ")" * n,
    "case": lambda n: "case when x then " * n + "1" + " end" * n,
    "offsets": lambda n: "x" + "[-1]" * n,
}


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deep_formulas_are_refused_with_a_position(shape):
    problem = only(f"metric a = {DEEP[shape](500)}")
    assert problem.code == "too-deep"
    assert f"more than {e.MAX_NESTING} levels" in problem.message
    assert problem.span.line == 1 and problem.span.column > 1


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deep_formulas_in_a_query_are_query_errors(shape):
    with pytest.raises(QueryError, match="levels deep"):
        parse_expression(DEEP[shape](500))


def test_the_deepest_formula_allowed():
    formula = parse_expression(" + ".join(["1"] * e.MAX_NESTING))
    assert e.deeper_than(formula, e.MAX_NESTING) is None
    assert e.deeper_than(formula, e.MAX_NESTING - 1) is not None
    with pytest.raises(QueryError):
        parse_expression(" + ".join(["1"] * (e.MAX_NESTING + 1)))


def test_parentheses_do_not_nest_formulas():
    formula = parse_expression("(" * 20_000 + "x" + ")" * 20_000)
    assert formula == e.Name(parts=("x",), span=formula.span)


# ---- going on after a syntax error --------------------------------------------------------


def test_every_broken_declaration_is_reported_and_the_others_kept():
    module, found = parse_source(
        SourceFile(
            "t.metrics",
            "metric a = count(t where x = 1)\n"
            "metric b = 1\n"
            "metric c = sum(t.x\n"
            "dimension d = t.y\n"
            'source s from csv("s.csv") { key }\n'
            "metric e = 2\n",
        )
    )
    assert [(p.code, p.span.line) for p in found] == [("syntax", 1), ("syntax", 4), ("syntax", 5)]
    assert "unfinished" in found[1].hint
    kinds = [(type(x).__name__, x.name.name) for x in module.decls]
    assert kinds == [
        ("UnparsedDecl", "a"),
        ("MetricDecl", "b"),
        ("UnparsedDecl", "c"),
        ("DimensionDecl", "d"),
        ("UnparsedDecl", "s"),
        ("MetricDecl", "e"),
    ]
    assert [x.kind for x in module.decls if isinstance(x, d.UnparsedDecl)] == [
        "metric",
        "metric",
        "source",
    ]
    assert module.decls[3].expr.span.line == 4  # positions as in the whole file


def test_a_file_of_errors_reports_a_bounded_number():
    module, found = parse_source(SourceFile("t.metrics", "metric a = = 1\n" * 1000))
    assert len(found) == MAX_SYNTAX_ERRORS
    assert len(module.decls) == 1000


# ---- any text at all ----------------------------------------------------------------------

SAMPLE = Path(__file__).parents[2] / "metric_defs" / "sample"
PIECES = ["(", ")", "{", "}", "=", "==", "metric ", "source ", "\n", '"', "@2024-13-40", "per ",
          "over last 3 days", "[-1]", "case when ", " end", "key ", "9" * 40, "\x00", "\ufeff",
          "include ", "dimension ", "#"]  # fmt: skip


def mutations(seed: int) -> str:
    rng = random.Random(seed)
    text = rng.choice(sorted(SAMPLE.glob("*.metrics"))).read_text(encoding="utf-8")
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(text) + 1)
        if rng.random() < 0.6:
            text = text[:at] + rng.choice(PIECES) + text[at:]
        else:
            text = text[:at] + text[at + rng.randint(1, 30) :]
    return text


@pytest.mark.parametrize("seed", range(150))
def test_mutated_files_give_diagnostics_not_exceptions(seed):
    """Whatever the text, parsing ends with declarations and positioned problems: the
    recovery after a syntax error always moves forward and never raises."""
    text = mutations(seed)
    module, found = parse_source(SourceFile("t.metrics", text))
    lines = text.count("\n") + 1
    assert all(1 <= p.span.line <= lines and p.span.column >= 1 for p in found)
    assert sum(p.code == "syntax" for p in found) <= MAX_SYNTAX_ERRORS
    for problem in found:
        problem.render()
    assert all(x.span.path == "t.metrics" for x in module.decls)
