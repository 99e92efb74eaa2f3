"""Outcomes credited to where they started (issue 13, item 1): rows placed by a linked time
(`time signup_at` with `column signup_at = accounts.signed_up_at`, and `count(x) at ...`),
conversions within a window credited to the base row's period, and immature periods null.

Hand-computed data: accounts signing up near month ends (2024 is a leap year), converting at
day 29, at exactly day 30 (inside: the window is closed at both ends), at day 31 (outside),
twice, never, and before signing up (not a conversion); a March cohort too recent to settle.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

D = dt.date
Q1 = {"grain": "month", "start": "2024-01", "end": "2024-04"}
#: March's window closes 30 days after April 1st, May 1st: after this; February's (March 31st)
#: and January's (March 2nd) before it.
AS_OF = "2024-04-15"

DEFINITIONS = """
calendar { timezone "UTC" week_start monday }
parameter window: duration = 30 days
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  time paid_at
}
source paid_by_signup from csv("subscriptions.csv") {
  entity account_id -> accounts
  column signup_at = accounts.signed_up_at
  time signup_at
}
source contracts from csv("contracts.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
metric signups = count(accounts)
metric contracted = conversions(accounts -> contracts within 2 weeks)
metric paid = count(subscriptions)
metric paid_at_signup = count(subscriptions) at accounts.signed_up_at
metric paid_linked = count(paid_by_signup)
metric converted = conversions(accounts -> subscriptions within 30 days)
metric conversions_all = conversions(accounts -> all subscriptions within 30 days)
metric free_to_paid = conversion_rate(accounts -> subscriptions within 30 days)
metric paid_by_ads = conversions(accounts -> subscriptions where channel == "ads" within 30 days)
metric converted_in_window = conversions(accounts -> subscriptions within $window)
metric converted_smb = conversions(accounts where segment == "smb" -> subscriptions within 30 days)
"""
ACCOUNTS = pa.table(
    {
        "account_id": ["a1", "a2", "a3", "a4", "a5", "a6"],
        "segment": ["smb", "ent", "smb", "smb", "ent", "smb"],
        "signed_up_at": stamps(
            utc(2024, 1, 31, 10),  # a1: pays at day 29 (and once before signing up)
            utc(2024, 1, 2),  # a2: pays at exactly day 30
            utc(2024, 2, 1),  # a3: pays at day 31, too late
            utc(2024, 2, 10),  # a4: pays twice
            utc(2024, 2, 29, 23),  # a5: never pays
            utc(2024, 3, 15),  # a6: the recent cohort
        ),
    }
)
SUBSCRIPTIONS = pa.table(
    {
        "account_id": ["a1", "a1", "a2", "a3", "a4", "a4", "a6"],
        "channel": ["web", "ads", "web", "web", "web", "sales", "ads"],
        "paid_at": stamps(
            utc(2024, 1, 30),  # a1, before its sign-up: not a conversion
            utc(2024, 2, 29, 10),  # a1 + 29 days
            utc(2024, 2, 1),  # a2 + 30 days
            utc(2024, 3, 3),  # a3 + 31 days (February has 29)
            utc(2024, 2, 12),  # a4 + 2 days
            utc(2024, 2, 20),  # a4 + 10 days
            utc(2024, 3, 20),  # a6 + 5 days
        ),
    }
)

#: A state source: a contract converts when it starts.
CONTRACTS = pa.table(
    {
        "account_id": ["a1", "a3", "a4"],
        "started_at": stamps(utc(2024, 2, 14, 10), utc(2024, 2, 16), utc(2024, 2, 11)),
        "ended_at": stamps(utc(2024, 2, 20), None, None),
    }
)


@pytest.fixture
def project(define):
    return define(
        DEFINITIONS,
        accounts=ACCOUNTS,
        subscriptions=SUBSCRIPTIONS,
        paid_by_signup=SUBSCRIPTIONS,
        contracts=CONTRACTS,
    )


def test_conversions_are_credited_to_the_sign_up_month(project, engine):
    metrics = ["signups", "paid", "converted", "conversions_all", "free_to_paid"]
    table = project.query(metrics, **Q1, as_of=AS_OF, engine=engine)
    assert rows(table) == [
        # January: a1 and a2 sign up and both convert (a1's payment before signing up is no
        # conversion): 2 of 2. One payment falls in January (a1's, on the 30th).
        (D(2024, 1, 1), 2, 1, 2, 2, 2 / 2),
        # February: a3 (too late), a4 (twice), a5 (never): 1 of 3 converts, with 2 payments.
        # Four payments fall in February: a1's, a2's and a4's two.
        (D(2024, 2, 1), 3, 4, 1, 2, 1 / 3),
        # March: a6 converts, but March's window closes on May 1st, after the 15th of
        # April: immature, null. Payments in March: a3's and a6's.
        (D(2024, 3, 1), 1, 2, None, None, None),
    ]


def test_rows_placed_by_a_linked_time_fall_in_the_sign_up_month(project, engine):
    table = project.query(["paid_at_signup", "paid_linked"], **Q1, engine=engine)
    # Every payment at its account's sign-up: January a1 (2) + a2 (1), February a3 (1) +
    # a4 (2), March a6 (1). Not a conversion: no window, nothing immature.
    assert rows(table) == [(D(2024, 1, 1), 3, 3), (D(2024, 2, 1), 3, 3), (D(2024, 3, 1), 1, 1)]


def test_a_state_source_converts_when_a_row_starts(project, engine):
    table = project.query(["contracted"], **Q1, as_of=AS_OF, engine=engine)
    # Within 2 weeks: a1 (Jan 31 10:00 to Feb 14 10:00, exactly 14 days, ended since: still
    # a conversion) for January; a4 (1 day) but not a3 (15 days) for February. March's two
    # weeks close on April 15th, as of which it is mature: a6 has no contract, 0.
    assert rows(table) == [(D(2024, 1, 1), 1), (D(2024, 2, 1), 1), (D(2024, 3, 1), 0)]


@pytest.mark.engines("arrow", "duckdb")
def test_a_conversion_is_sliced_by_its_own_attributes(project, engine):
    table = project.query(
        ["converted", "conversions_all"],
        by=["subscriptions.channel"],
        **Q1,
        as_of=AS_OF,
        engine=engine,
    )
    # A converted account counts under the channel of each of its conversions: a4 under
    # web and sales.
    assert rows(table) == [
        (D(2024, 1, 1), "ads", 1, 1),  # a1
        (D(2024, 1, 1), "sales", 0, 0),
        (D(2024, 1, 1), "web", 1, 1),  # a2
        (D(2024, 2, 1), "ads", 0, 0),
        (D(2024, 2, 1), "sales", 1, 1),  # a4
        (D(2024, 2, 1), "web", 1, 1),  # a4
        (D(2024, 3, 1), "ads", None, None),
        (D(2024, 3, 1), "sales", None, None),
        (D(2024, 3, 1), "web", None, None),
    ]


@pytest.mark.engines("arrow", "duckdb")
def test_filters_on_either_side_and_the_base_rows_attributes(project, engine):
    table = project.query(
        ["paid_by_ads", "converted_smb", "free_to_paid"],
        by=["accounts.segment"],
        **Q1,
        as_of=AS_OF,
        engine=engine,
    )
    assert rows(table) == [
        # January: ent a2 (web), smb a1 (ads): each 1 of 1.
        (D(2024, 1, 1), "ent", 0, 0, 1.0),
        (D(2024, 1, 1), "smb", 1, 1, 1.0),
        # February: ent a5 never converts (0 of 1); smb a3, a4: a4 converts (1 of 2).
        (D(2024, 2, 1), "ent", 0, 0, 0.0),
        (D(2024, 2, 1), "smb", 0, 1, 0.5),
        # March: no ent sign-up (0 sign-ups: null either way), smb a6: immature.
        (D(2024, 3, 1), "ent", None, None, None),
        (D(2024, 3, 1), "smb", None, None, None),
    ]


@pytest.mark.engines("arrow", "duckdb")
def test_a_period_is_immature_until_its_window_has_closed(project, engine):
    # As of March 20th: February's window (closing March 31st) is still open; January's
    # (March 2nd) closed.
    table = project.query(["converted"], **Q1, as_of="2024-03-20", engine=engine)
    assert rows(table) == [(D(2024, 1, 1), 2), (D(2024, 2, 1), None), (D(2024, 3, 1), None)]
    # Exactly at the close it is mature.
    table = project.query(["converted"], **Q1, as_of="2024-03-31", engine=engine)
    assert rows(table)[1] == (D(2024, 2, 1), 1)
    # A range ending inside a period ends it there: base rows up to March 10th, whose
    # windows close on April 9th.
    clipped = {"grain": "month", "start": "2024-01", "end": "2024-03-10"}
    table = project.query(["converted"], **clipped, as_of="2024-04-09", engine=engine)
    assert rows(table)[2] == (D(2024, 3, 1), 0)


@pytest.mark.engines("arrow")
def test_explain_says_which_periods_are_immature(project):
    text = project.explain(["free_to_paid"], **Q1, as_of=AS_OF)
    assert "rows placed in periods by accounts.signed_up_at" in text
    assert (
        "free_to_paid is null (immature) in a period ending less than 30 days before "
        "2024-04-15T00:00:00+00:00 (as of): its conversion window has not closed"
    ) in text


@pytest.mark.engines("arrow", "duckdb")
def test_a_window_set_by_a_parameter(project, engine):
    # The default, 30 days: the same as `converted` (2, 1, and March immature).
    table = project.query(["converted_in_window"], **Q1, as_of=AS_OF, engine=engine)
    assert rows(table) == [(D(2024, 1, 1), 2), (D(2024, 2, 1), 1), (D(2024, 3, 1), None)]
    # 29 days: a2 (day 30) no longer converts, a1 (day 29) still does; a4 (day 2) does.
    # March's window closes on April 30th, still after the 15th: immature.
    table = project.query(
        ["converted_in_window"], **Q1, as_of=AS_OF, params={"window": "29d"}, engine=engine
    )
    assert rows(table) == [(D(2024, 1, 1), 1), (D(2024, 2, 1), 1), (D(2024, 3, 1), None)]
    # 31 days takes in a3 (day 31): February 2. And 10 days: only a4 (day 2) and a6 (day 5);
    # March's window closes on April 10th, before the 15th: mature, 1.
    table = project.query(
        ["converted_in_window"],
        **Q1,
        as_of=AS_OF,
        params={"window": dt.timedelta(days=31)},
        engine=engine,
    )
    assert rows(table)[:2] == [(D(2024, 1, 1), 2), (D(2024, 2, 1), 2)]
    table = project.query(
        ["converted_in_window"], **Q1, as_of=AS_OF, params={"window": "10d"}, engine=engine
    )
    assert rows(table) == [(D(2024, 1, 1), 0), (D(2024, 2, 1), 1), (D(2024, 3, 1), 1)]
