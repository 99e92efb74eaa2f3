"""Contracts checked against the data: counts, 1-based rows and example values; null passes a
condition and a membership test (as SQL's CHECK and foreign keys); a contract that cannot be
checked is never reported as holding."""

from __future__ import annotations

import datetime as dt

from contract_helpers import ACCOUNTS, SOURCES
from metricsmith.model.contracts import ContractKind

SUBSCRIPTIONS = (
    SOURCES
    + """
source subscriptions from csv("subscriptions.csv") {
  key sub_id
  entity account_id -> accounts
  column monthly = if(billing == "year", amount / 12, amount)
  expect account_id in accounts
  expect account_id is not null
  expect monthly >= 0
  expect started_at >= accounts.signed_up_at
  expect ended_at is null or ended_at > started_at
  expect unique account_id, billing
  expect unique billing
}
metric total = sum(subscriptions.amount)
"""
)


def verdicts(results):
    return {
        r.contract.text: (r.failing_rows, [x.row for x in r.examples], r.error) for r in results
    }


def test_each_kind_of_contract_with_its_failing_rows(define):
    results = define(SUBSCRIPTIONS).test(["subscriptions"])
    assert all(r.rows_checked == 5 for r in results)
    assert verdicts(results) == {
        "key sub_id": (0, [], None),
        # Row 2 names an account that does not exist; row 3 names none (null passes).
        "expect account_id in accounts": (1, [2], None),
        "expect account_id is not null": (1, [3], None),
        "expect monthly >= 0": (1, [2], None),
        # Row 4 starts before its account signed up; row 2's account is missing (null).
        "expect started_at >= accounts.signed_up_at": (1, [4], None),
        "expect ended_at is null or ended_at > started_at": (1, [5], None),
        # (null, month) is not compared with the other months, as SQL's UNIQUE.
        "expect unique account_id, billing": (0, [], None),
        "expect unique billing": (4, [1, 2, 3, 5], None),
    }


def test_examples_show_the_values_the_contract_read(define):
    results = {r.contract.text: r for r in define(SUBSCRIPTIONS).test()}
    (negative,) = results["expect monthly >= 0"].examples
    assert negative.values == (("monthly", -5),)
    (early,) = results["expect started_at >= accounts.signed_up_at"].examples
    utc = dt.UTC
    assert [(label, value.astimezone(utc)) for label, value in early.values] == [
        ("started_at", dt.datetime(2024, 1, 15, tzinfo=utc)),
        ("accounts.signed_up_at", dt.datetime(2024, 2, 1, tzinfo=utc)),
    ]
    member = results["expect account_id in accounts"]
    assert member.examples[0].values == (("account_id", "a9"),)
    assert member.summary() == "1 of 5 rows break it (row 2)"


def test_at_most_five_examples_and_the_count_of_all(define):
    many = "sub_id,account_id,amount,billing,started_at,ended_at\n" + "".join(
        f"s{i},a1,-{i},month,2024-01-05T00:00:00Z,\n" for i in range(1, 9)
    )
    (result,) = [
        r
        for r in define(SUBSCRIPTIONS, subscriptions=many).test()
        if r.contract.text == "expect monthly >= 0"
    ]
    assert result.failing_rows == 8
    assert [x.row for x in result.examples] == [1, 2, 3, 4, 5]
    assert result.summary() == "8 of 8 rows break it (rows 1, 2, 3, 4, 5, …)"


def test_a_repeated_key_makes_contracts_through_it_uncheckable_never_held(define):
    repeated = ACCOUNTS + "a1,2024-01-02T00:00:00Z,free\n"
    project = define(SUBSCRIPTIONS, accounts=repeated)
    results = {r.contract.text: r for r in project.test()}
    key = results["key account_id"]
    assert (key.failing_rows, [x.row for x in key.examples]) == (2, [1, 4])
    through = results["expect started_at >= accounts.signed_up_at"]
    assert not through.passed and "appears more than once" in through.error
    assert not project.verification().holds(through.contract)
    # Membership does not need a unique key: it still gets a verdict.
    assert results["expect account_id in accounts"].error is None


def test_the_verification_says_what_a_plan_may_rely_on(define):
    broken = define(SUBSCRIPTIONS).verification()
    assert broken.unique("subscriptions", ["sub_id"])
    assert not broken.unique("subscriptions", ["billing"])
    assert not broken.link_complete("subscriptions", "account_id", "accounts")

    clean = (
        "sub_id,account_id,amount,billing,started_at,ended_at\n"
        "s1,a1,10,month,2024-01-05T00:00:00Z,\n"
        "s2,a2,120,year,2024-02-05T00:00:00Z,2024-03-01T00:00:00Z\n"
    )
    held = define(SUBSCRIPTIONS, subscriptions=clean).verification()
    assert held.link_complete("subscriptions", "account_id", "accounts")
    # Without `expect account_id is not null`, a null could still hide among the values.
    without = SUBSCRIPTIONS.replace("  expect account_id is not null\n", "")
    held = define(without, subscriptions=clean).verification()
    assert not held.link_complete("subscriptions", "account_id", "accounts")


def test_not_null_is_recognised_inside_a_conjunction(define):
    text = SUBSCRIPTIONS.replace(
        "expect account_id is not null", "expect amount is not null and account_id is not null"
    )
    clean = "sub_id,account_id,amount,billing,started_at,ended_at\ns1,a1,10,month,2024-01-05,\n"
    held = define(text, subscriptions=clean).verification()
    assert held.link_complete("subscriptions", "account_id", "accounts")


def test_contracts_of_one_source_only(define):
    project = define(SUBSCRIPTIONS)
    assert {r.contract.source for r in project.test(["accounts"])} == {"accounts"}
    assert [c.kind for c in project.contracts(["accounts"])] == [ContractKind.KEY]


def test_conditions_that_are_null_pass_and_an_empty_source_holds(define):
    text = (
        SOURCES
        + """
source subscriptions from csv("subscriptions.csv") {
  expect null
  expect amount > null
  expect if(amount > 100, true, null)
  expect case when amount == 10 then false end
  expect unique sub_id
}
"""
    )
    found = verdicts(define(text).test(["subscriptions"]))
    assert found == {
        "expect null": (0, [], None),
        "expect amount > null": (0, [], None),
        "expect if(amount > 100, true, null)": (0, [], None),
        "expect case when amount == 10 then false end": (1, [1], None),
        "expect unique sub_id": (0, [], None),
    }
    header_only = "sub_id,account_id,amount,billing,started_at,ended_at\n"
    results = define(text, subscriptions=header_only).test(["subscriptions"])
    assert all(r.passed and r.rows_checked == 0 for r in results)


def test_a_fact_is_verified_when_asked_and_only_its_contracts_are_read(define, tmp_path):
    project = define(SUBSCRIPTIONS)
    verification = project.verification()
    (tmp_path / "accounts.csv").unlink()  # a fact about subscriptions alone never reads it
    assert verification.unique("subscriptions", ["sub_id"])
    assert not verification.unique("subscriptions", ["amount"])  # no contract states it
    # A fact whose contract cannot be checked does not hold.
    assert not verification.link_complete("subscriptions", "account_id", "accounts")
