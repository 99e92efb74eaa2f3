"""explain(): the plan as text names every read, join, dimension, filter and fused aggregate."""

from __future__ import annotations

from metricsmith.plan import explain, plan_query


def explained(project, metrics, **query) -> str:
    options = {"by": (), "grain": None, "start": None, "end": None, "where": ()} | query
    return explain(plan_query(project.checked, project.build_query(metrics, **options)))


def test_explain_shows_reads_scans_and_metrics(project):
    text = explained(
        project,
        ["resolution_share", "slow_share", "csat"],
        by=["tier"],
        grain="week",
        start="2024-01-01",
        end="2024-03-01",
        where=['tickets.channel != "chat"'],
    )
    expected_lines = [
        "query resolution_share, slow_share, csat per week by tier",
        "  range: [2024-01-01 00:00:00+01:00, 2024-03-01 00:00:00+01:00); "
        "calendar Europe/Berlin, weeks start monday",
        "reads (4, each source once):",
        "  accounts: columns account_id, plan_id; all rows (linked to by other sources)",
        "  csat: columns answered_at, ticket_id, score; rows with answered_at in "
        "[2023-12-31 23:00:00+00:00, 2024-02-29 23:00:00+00:00) pushed down",
        "scan tickets (rows placed in periods by opened_at):",
        "  join accounts on tickets.account_id = accounts.account_id (many-to-one)",
        "  join plans on accounts.plan_id = plans.plan_id (many-to-one)",
        "  dimension tier = plans.tier",
        '  filter channel != "chat"',
        "  one grouped pass, 3 fused aggregates:",
        "    a0 = count(tickets where resolved_at is not null)",
        "    a1 = count(tickets)",
        "    a2 = count(tickets where hours_between(opened_at, resolved_at) > 24)",
        "scan csat (rows placed in periods by answered_at):",
        "  join tickets on csat.ticket_id = tickets.ticket_id (many-to-one)",
        '  filter tickets.channel != "chat"',
        "  one grouped pass, 1 fused aggregate:",
        "    a3 = avg(csat.score)",
        "metrics (per cell, from the aggregates above):",
        "  resolution_share = a0 / a1",
        "  slow_share = a2 / a0",
        "  csat = a3",
    ]
    lines = text.splitlines()
    for line in expected_lines:
        assert line in lines, line


def test_explain_without_range(project):
    text = explained(project, ["mean_resolution"])
    assert "range: all the data" in text
    assert "tickets: columns opened_at, resolved_at; all rows" in text


def test_explain_parenthesises_by_precedence(project):
    from metricsmith.model import bound as b
    from metricsmith.model.types import Type
    from metricsmith.plan.formatting import format_expr

    def number(value):
        return b.BLiteral(value=value, type=Type.INTEGER, span=None)

    def op(symbol, left, right):
        return b.BBinary(op=symbol, left=left, right=right, type=Type.INTEGER, span=None)

    one, two, three = number(1), number(2), number(3)
    assert format_expr(op("*", op("+", one, two), three)) == "(1 + 2) * 3"
    assert format_expr(op("-", one, op("-", two, three))) == "1 - (2 - 3)"
    assert format_expr(op("-", op("-", one, two), three)) == "1 - 2 - 3"
    negated = b.BUnary(op="not", operand=op("==", one, two), type=Type.BOOLEAN, span=None)
    assert format_expr(negated) == "not 1 == 2"
