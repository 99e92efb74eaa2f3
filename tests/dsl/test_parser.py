"""The parser: every construct lowers to the right model node, with positions."""

from __future__ import annotations

import datetime as dt

import pytest
from metricsmith.dsl.parser import parse_expression, parse_source
from metricsmith.errors import QueryError
from metricsmith.model import decl as d
from metricsmith.model import expr as e
from metricsmith.model.span import SourceFile
from metricsmith.model.types import Type


def parse(text: str) -> tuple:
    module, problems = parse_source(SourceFile("t.metrics", text))
    assert problems == []
    assert module is not None
    return module.decls


def formula(text: str) -> e.Expr:
    return parse_expression(text)


def test_calendar():
    (cal,) = parse('calendar { timezone "Europe/Berlin" week_start sunday }')
    assert cal == d.CalendarDecl(timezone="Europe/Berlin", week_start="sunday", span=cal.span)


def test_source_with_every_clause():
    (src,) = parse(
        """
        source tickets from csv("data/tickets.csv", delimiter=";") {
          key ticket_id
          time opened_at
          entity account_id -> accounts
          column contacts: int
          column hours = hours_between(opened_at, resolved_at)
        }
        """
    )
    assert src.name.name == "tickets"
    assert src.connector.name.name == "csv"
    assert [a.value for a in src.connector.args] == ["data/tickets.csv"]
    assert [(k, v.value) for k, v in src.connector.options] == [("delimiter", ";")]
    assert src.key.name == "ticket_id" and src.time.name == "opened_at"
    assert [(link.column.name, link.target.name) for link in src.links] == [
        ("account_id", "accounts")
    ]
    contacts, hours = src.columns
    assert contacts.type == Type.INTEGER and contacts.expr is None
    assert hours.type is None and isinstance(hours.expr, e.Call)
    assert src.key.span.line == 3 and src.key.span.column == 15


def test_state_source_validity():
    (src,) = parse('source subs from parquet("s.parquet") { valid from started_at to ended_at }')
    assert (src.validity.start.name, src.validity.end.name) == ("started_at", "ended_at")


def test_metric_with_clauses():
    (metric,) = parse(
        """
        metric nps "Net Promoter Score" = 100 * count(r where score >= 9) / count(r)
          description "Promoters minus detractors"
          unit "points" format number
          higher is better
          target >= 40
        """
    )
    assert metric.name.name == "nps" and metric.label == "Net Promoter Score"
    assert metric.description == "Promoters minus detractors"
    assert (metric.unit, metric.format, metric.direction) == ("points", "number", "higher")
    assert (metric.target.op, metric.target.value) == (">=", 40.0)


def test_target_without_operator_and_negative():
    (metric,) = parse("metric m = 1 lower is better target -2.5")
    assert (metric.target.op, metric.target.value) == ("<=", -2.5)
    (metric,) = parse("metric m = 1 target 40 higher is better")
    assert (metric.target.op, metric.target.value) == (">=", 40)
    (metric,) = parse("metric m = 1 target 40")
    assert metric.target.op == ""  # no direction: the checker reports it


def test_dimension():
    (dim,) = parse('dimension size "Company size" = if(accounts.employees < 50, "SMB", "ENT")')
    assert dim.name.name == "size" and dim.label == "Company size"


def test_precedence_and_associativity():
    node = formula("a - b - c * d")
    assert isinstance(node, e.Binary) and node.op == "-"
    assert isinstance(node.left, e.Binary) and node.left.op == "-"
    assert isinstance(node.right, e.Binary) and node.right.op == "*"
    logic = formula("not a or b and c")
    assert logic.op == "or" and isinstance(logic.left, e.Unary)
    assert logic.right.op == "and"


def test_comparisons_null_and_in():
    assert formula("x is null") == e.IsNull(
        operand=formula("x"), negated=False, span=formula("x is null").span
    )
    assert formula("x is not null").negated
    node = formula('plan not in ("free", "trial")')
    assert isinstance(node, e.InList) and node.negated and len(node.items) == 2


def test_literals():
    assert formula("42").value == 42 and formula("42").type == Type.INTEGER
    assert formula("0.5").type == Type.FLOAT
    assert formula("-3").value == -3
    assert formula('"a \\"quoted\\" word"').value == 'a "quoted" word'
    assert formula("true").value is True and formula("null").type == Type.NULL
    assert formula("@2024-02-29").value == dt.date(2024, 2, 29)
    stamp = formula("@2024-03-01T10:30:00Z").value
    assert stamp == dt.datetime(2024, 3, 1, 10, 30, tzinfo=dt.UTC)
    assert formula("36 hours").value == dt.timedelta(hours=36)
    assert formula("2 weeks").type == Type.DURATION


def test_aggregate_call_with_where():
    node = formula('count(tickets where status == "open" and contacts > 1)')
    assert isinstance(node, e.Call) and node.name == "count"
    assert node.args == (formula("tickets"),) or node.args[0].parts == ("tickets",)
    assert node.where.op == "and"


def test_percentile_arguments():
    node = formula("percentile(tickets.hours, 0.9 where priority == 1)")
    assert len(node.args) == 2 and node.where is not None


def test_case_expression():
    node = formula('case when score >= 9 then "promoter" when score >= 7 then "passive" end')
    assert isinstance(node, e.Case) and len(node.whens) == 2 and node.default is None


def test_time_intelligence_forms_parse():
    offset = formula("mrr[-1]")
    assert isinstance(offset, e.Offset) and offset.periods == -1
    window = formula("count(events) over last 7 days")
    assert (window.kind, window.count, window.unit) == ("last", 7, "day")
    assert formula("sum(x.y) over quarter to date").kind == "to_date"
    assert formula("sum(x.y) over all time").kind == "all_time"
    per = formula("sum(per account: mrr - mrr[-1] where mrr > 0)")
    assert per.per.target == "account" and per.where is not None


def test_keywords_are_whole_words():
    node = formula("count(t where notes == 1 and time > 3 and key is null)")
    names = [n.dotted for n in e.walk(node) if isinstance(n, e.Name)]
    assert names == ["t", "notes", "time", "key"]


def test_comments_and_free_layout():
    decls = parse("# a comment\nmetric a = 1 # trailing\n\n\nmetric b =\n  a\n  + 1")
    assert [x.name.name for x in decls] == ["a", "b"]


def test_spans_point_at_the_text():
    node = formula("1 + count(tickets)")
    call = node.right
    assert (call.span.column, call.span.end_column) == (5, 19)
    assert (call.name_span.column, call.name_span.end_column) == (5, 10)


def test_bad_where_expression_is_a_query_error():
    with pytest.raises(QueryError, match="--where:1:3"):
        parse_expression("a = 1", origin="--where")
