"""`expect` items: how they parse, and what `check` refuses (with positions, all in one run)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from contract_helpers import SOURCES
from metricsmith.dsl.parser import parse_source
from metricsmith.errors import ProjectError
from metricsmith.model import decl as d
from metricsmith.model import expr as e
from metricsmith.model.contracts import ContractKind
from metricsmith.model.span import SourceFile


def source_decl(items: str) -> d.SourceDecl:
    text = f'source s from csv("s.csv") {{\n{items}\n}}'
    module, problems = parse_source(SourceFile("p.metrics", text))
    assert module is not None and not problems
    (source,) = module.decls
    return source


def test_the_three_forms_lower_to_their_nodes():
    source = source_decl(
        "expect unique a, b\nexpect a in accounts\nexpect a in (1, 2)\nexpect x >= 0 key a"
    )
    unique, member, listed, condition = source.expectations
    assert [c.name for c in unique.columns] == ["a", "b"]
    assert isinstance(member, d.ExpectIn) and member.target.name == "accounts"
    # `in (…)` is still the membership test of a list, written as a condition.
    assert isinstance(listed, d.ExpectCondition) and isinstance(listed.condition, e.InList)
    assert isinstance(condition.condition, e.Binary) and source.key.name == "a"
    assert (member.span.line, member.span.column) == (3, 1)


def test_contracts_resolve_in_declaration_order_after_the_key(define):
    project = define(
        SOURCES
        + """
source subscriptions from csv("subscriptions.csv") {
  key sub_id
  entity account_id -> accounts
  expect account_id in accounts
  expect unique account_id, started_at
  expect started_at >= accounts.signed_up_at
}
"""
    )
    contracts = project.contracts(["subscriptions"])
    assert [(c.kind, c.text) for c in contracts] == [
        (ContractKind.KEY, "key sub_id"),
        (ContractKind.IN, "expect account_id in accounts"),
        (ContractKind.UNIQUE, "expect unique account_id, started_at"),
        (ContractKind.CONDITION, "expect started_at >= accounts.signed_up_at"),
    ]
    shown = [label for label, _ in contracts[-1].values]
    assert shown == ["started_at", "accounts.signed_up_at"]


BROKEN = (
    SOURCES
    + """
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  expect unique sub_idd
  expect account_id in acounts
  expect account_id in subscriptions
  expect amount in accounts
  expect amount + 1
  expect amount >= "x"
  expect count(subscriptions) > 0
  expect started_at >= accounts.signed_upat
}
"""
)


def test_every_broken_contract_is_reported_with_its_position(define):
    with pytest.raises(ProjectError) as caught:
        define(BROKEN)
    found = [(x.code, x.span.line, x.span.column) for x in caught.value.diagnostics]
    assert found == [
        ("unknown-name", 8, 17),  # sub_idd
        ("unknown-name", 9, 24),  # acounts
        ("no-key", 10, 24),  # subscriptions has no key
        ("type", 11, 10),  # integer amounts are never string keys
        ("type", 12, 10),  # not a condition
        ("type", 13, 10),  # integer >= string
        ("aggregate-in-contract", 14, 10),
        ("unknown-name", 15, 24),  # signed_upat
    ]
    text = str(caught.value)
    assert "did you mean `sub_id`?" in text
    assert "did you mean `accounts`?" in text
    assert "did you mean `signed_up_at`?" in text
    assert "`expect` needs a condition that is true or false, not integer" in text
    assert "`count` is an aggregate, but a contract holds for each row" in text


def test_a_derived_column_can_be_expected_unique_and_tested(define):
    project = define(
        SOURCES
        + """
source subscriptions from csv("subscriptions.csv") {
  column monthly = if(billing == "year", amount / 12, amount)
  expect unique sub_id
  expect monthly >= 0
}
"""
    )
    kinds = [c.kind for c in project.contracts(["subscriptions"])]
    assert kinds == [ContractKind.UNIQUE, ContractKind.CONDITION]


@pytest.mark.parametrize("page", ["language.md", "contracts.md"])
def test_the_documented_source_block_parses(page):
    docs = Path(__file__).resolve().parents[2] / "docs"
    found = re.findall(r"```\n(source subscriptions .*?)```", (docs / page).read_text(), re.S)
    blocks = [block for block in found if "expect" in block]
    assert blocks, f"docs/{page} shows a source with contracts"
    for block in blocks:
        module, problems = parse_source(SourceFile(page, block))
        assert not problems and module is not None
        (source,) = module.decls
        assert source.expectations
