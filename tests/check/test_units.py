"""Small pieces of the checker: link paths, suggestions, operator typing."""

from __future__ import annotations

from metricsmith.check import typing_rules
from metricsmith.check.links import LinkGraph
from metricsmith.check.suggest import did_you_mean
from metricsmith.model.types import Type

GRAPH = LinkGraph(
    {
        "tickets": {"account_id": "accounts", "agent_id": "agents"},
        "accounts": {"region_id": "regions"},
        "events": {"user_id": "users"},
        "users": {"account_id": "accounts"},
    }
)


def test_link_paths_follow_many_to_one_chains():
    assert GRAPH.path("tickets", "tickets") == ()
    assert GRAPH.path("tickets", "accounts") == ("account_id",)
    assert GRAPH.path("tickets", "regions") == ("account_id", "region_id")
    assert GRAPH.path("events", "regions") == ("user_id", "account_id", "region_id")
    assert GRAPH.path("accounts", "tickets") is None


def test_fan_out_names_the_path():
    message = GRAPH.fan_out_message("accounts", "tickets")
    assert message is not None
    assert "tickets.account_id → accounts" in message
    assert GRAPH.fan_out_message("agents", "events") is None  # not connected at all


def test_did_you_mean():
    assert did_you_mean("acounts", ["accounts", "agents"]) == "did you mean `accounts`?"
    assert did_you_mean("Accounts", ["accounts"]) == "did you mean `accounts`?"
    assert did_you_mean("zzz", ["accounts"]) is None


def test_arithmetic_types():
    T = Type
    assert typing_rules.arithmetic("+", T.INTEGER, T.INTEGER) == T.INTEGER
    assert typing_rules.arithmetic("/", T.INTEGER, T.INTEGER) == T.FLOAT
    assert typing_rules.arithmetic("/", T.DECIMAL, T.DECIMAL) == T.DECIMAL
    assert typing_rules.arithmetic("*", T.DECIMAL, T.INTEGER) == T.DECIMAL
    assert typing_rules.arithmetic("-", T.TIMESTAMP, T.TIMESTAMP) == T.DURATION
    assert typing_rules.arithmetic("+", T.TIMESTAMP, T.DURATION) == T.TIMESTAMP
    assert typing_rules.arithmetic("/", T.DURATION, T.DURATION) == T.FLOAT
    assert "string" in typing_rules.arithmetic("+", T.STRING, T.INTEGER)
    assert typing_rules.arithmetic("+", T.UNKNOWN, T.STRING) == T.UNKNOWN


def test_comparisons_and_logic():
    T = Type
    assert typing_rules.comparison("<", T.DATE, T.TIMESTAMP) == T.BOOLEAN
    assert typing_rules.comparison("==", T.INTEGER, T.NULL) == T.BOOLEAN
    assert typing_rules.comparison(">", T.TIMESTAMP, T.INTEGER) == (
        "cannot compare timestamp with integer"
    )
    assert "integer" in typing_rules.logical("and", T.INTEGER, T.BOOLEAN)


def test_unify_branches():
    T = Type
    assert typing_rules.unify([T.INTEGER, T.FLOAT, T.NULL]) == T.FLOAT
    assert typing_rules.unify([T.STRING, T.NULL]) == T.STRING
    assert "different types" in typing_rules.unify([T.STRING, T.INTEGER])
