"""Sub-periods inside an identifier entity (issue 10, item 4): `per user` iterates the users
whose rows the cell reads — here or in the days below it — and `per day` the days of the
cell, quiet ones included; hand-computed, on the Arrow executor and on DuckDB."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from sql_helpers import on_both, rows, stamps, utc

D = dt.date

DEFINITIONS = """
source accounts from csv("accounts.csv") { key account_id }
source buys from csv("buys.csv") {
  time at
  entity account_id -> accounts
  entity user_id as user
}
metric user_days = sum(per user: sum(per day: count(buys)))
metric day_users = sum(per day: sum(per user: count(buys)))
metric busiest_day = avg(per user: max(per day: count(buys)))
metric buying_days = avg(per user: count(per day where count(buys) > 0))
metric repeat_buyers = count(per user where max(per day: count(buys)) > 1)
metric account_peaks = sum(per account: max(per day: count(buys)))
"""
ACCOUNTS = pa.table({"account_id": [1, 2]})
BUYS = pa.table(
    {
        "at": stamps(
            utc(2024, 3, 1, 10),
            utc(2024, 3, 2, 11),
            utc(2024, 3, 3, 10),
            utc(2024, 3, 3, 12),
            utc(2024, 4, 9, 8),
        ),
        "account_id": [1, 1, 2, 2, 2],
        "user_id": ["u1", "u2", "u1", "u1", None],
    }
)
MONTHS = {"grain": "month", "start": "2024-02", "end": "2024-05"}


def test_days_inside_each_user(define):
    project = define(DEFINITIONS, accounts=ACCOUNTS, buys=BUYS)
    names = ["user_days", "day_users", "busiest_day", "buying_days", "repeat_buyers"]
    table = on_both(project, names, **MONTHS)
    # March: u1 buys on the 1st and twice on the 3rd, u2 once on the 2nd. Users of no
    # buy in a month are not iterated there: February and April have none (April's buy
    # names no user), so averages over them are null and counts 0.
    assert rows(table) == [
        (D(2024, 2, 1), 0, 0, None, None, 0),
        (D(2024, 3, 1), 4, 4, (2 + 1) / 2, (2 + 1) / 2, 1),
        (D(2024, 4, 1), 0, 0, None, None, 0),
    ]


def test_the_users_of_a_week_are_those_of_its_days(define):
    project = define(DEFINITIONS, accounts=ACCOUNTS, buys=BUYS)
    table = on_both(project, ["busiest_day", "repeat_buyers"], grain="week", start="2024-02-26")
    # The week of February 26 holds every March buy; the next ones hold none with a user.
    assert rows(table)[:2] == [(D(2024, 2, 26), 1.5, 1), (D(2024, 3, 4), None, 0)]


def test_days_inside_each_account_agree(define):
    project = define(DEFINITIONS, accounts=ACCOUNTS, buys=BUYS)
    table = on_both(project, ["account_peaks"], **MONTHS)
    # March: account 1 buys once a day, account 2 twice on the 3rd; April: account 2 once.
    assert [value for _, value in rows(table)] == [0, 1 + 2, 1]


def test_the_days_of_an_account_include_those_before_it_signed_up(define):
    text = DEFINITIONS.replace(
        'source accounts from csv("accounts.csv") { key account_id }',
        'source accounts from csv("accounts.csv") { key account_id  time signed_up_at }',
    )
    accounts = ACCOUNTS.append_column("signed_up_at", stamps(utc(2024, 3, 2, 12), utc(2024, 3, 20)))
    project = define(text, accounts=accounts, buys=BUYS)
    # Both accounts exist at the end of March; the days iterated are all of March's, the
    # 1st (account 1's buy, before it signed up) and the 3rd (account 2's two) included.
    table = on_both(project, ["account_peaks"], **MONTHS)
    assert [value for _, value in rows(table)] == [0, 1 + 2, 1]
