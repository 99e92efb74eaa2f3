"""The SQL compiler on DuckDB gives the Arrow executor's answers: the time spine, zeros and
nulls, dimensions, joins, state sources, time zones, decimals, every built-in function."""

from __future__ import annotations

import datetime as dt
import decimal

import pyarrow as pa
import pytest
from builtin_calls import FUNCTIONS, ROWS
from metricsmith.errors import DataError
from sql_helpers import on_both, rows, stamps, utc

D = dt.date

TICKETS = pa.table(
    {
        "opened_at": stamps(
            utc(2024, 1, 5, 10),
            utc(2024, 1, 20, 23),
            utc(2024, 3, 2, 1),
            utc(2024, 3, 31, 22),
            None,
        ),
        "account_id": pa.array([1, 2, 1, 9, 2]),
        "contacts": pa.array([1, 3, None, 1, 2]),
        "hours": pa.array([1.5, None, 4.0, 10.0, 2.0]),
        "channel": pa.array(["email", "chat", None, "phone", "chat"]),
    }
)
ACCOUNTS = pa.table(
    {
        "account_id": pa.array([1, 2, 3]),
        "segment": pa.array(["smb", None, "enterprise"]),
        "region_id": pa.array([10, 20, 10]),
    }
)
REGIONS = pa.table({"region_id": pa.array([10, 20]), "name": pa.array(["EMEA", "NA"])})
SOURCES = """
calendar { timezone "UTC" week_start monday }
source accounts from csv("a.csv") { key account_id  entity region_id -> regions }
source regions from csv("r.csv") { key region_id }
source tickets from csv("t.csv") { entity account_id -> accounts  time opened_at }
"""
METRICS = """
metric opened = count(tickets)
metric contacts = sum(tickets.contacts)
metric mean_hours = avg(tickets.hours)
metric one_contact = count(tickets where contacts == 1)
metric share = one_contact / opened
metric per_contact = sum(tickets.hours) / contacts
"""


@pytest.fixture
def tickets(define):
    return define(SOURCES + METRICS, tickets=TICKETS, accounts=ACCOUNTS, regions=REGIONS)


def test_every_period_of_the_range_with_zero_counts_and_null_ratios(tickets):
    table = on_both(
        tickets,
        ["opened", "contacts", "mean_hours", "share"],
        grain="month",
        start="2024-01",
        end="2024-05",
    )
    assert rows(table) == [
        (D(2024, 1, 1), 2, 4, 1.5, 0.5),
        (D(2024, 2, 1), 0, 0, None, None),
        (D(2024, 3, 1), 2, 1, 7.0, 0.5),
        (D(2024, 4, 1), 0, 0, None, None),
    ]


def test_dividing_by_zero_is_null(tickets):
    table = on_both(tickets, ["per_contact"], grain="month", start="2024-03", end="2024-04")
    assert rows(table) == [(D(2024, 3, 1), 14.0)]
    empty = on_both(tickets, ["per_contact"], grain="month", start="2024-02", end="2024-03")
    assert rows(empty) == [(D(2024, 2, 1), None)]


def test_dimension_combinations_seen_anywhere_in_every_period_nulls_last(tickets):
    table = on_both(
        tickets,
        ["opened"],
        by=["accounts.segment"],
        grain="month",
        start="2024-01",
        end="2024-04",
    )
    assert rows(table) == [
        (D(2024, 1, 1), "smb", 1),
        (D(2024, 1, 1), None, 1),  # account 2 has no segment; account 9 does not exist
        (D(2024, 2, 1), "smb", 0),
        (D(2024, 2, 1), None, 0),
        (D(2024, 3, 1), "smb", 1),
        (D(2024, 3, 1), None, 1),
    ]


def test_chains_of_links_and_a_coalesced_missing_row(tickets):
    table = on_both(
        tickets,
        ["opened"],
        by=["regions.name", 'coalesce(accounts.segment, "none")'],
    )
    assert rows(table) == [("EMEA", "smb", 2), ("NA", "none", 2), (None, "none", 1)]


def test_query_filters_and_no_grain(tickets):
    table = on_both(tickets, ["opened", "contacts"], where=['tickets.channel != "chat"'])
    assert rows(table) == [(2, 2)]


def test_an_open_range_takes_its_end_from_the_data(tickets):
    table = on_both(tickets, ["opened"], grain="month", start="2024-02")
    assert rows(table) == [(D(2024, 2, 1), 0), (D(2024, 3, 1), 2)]
    until = on_both(tickets, ["opened"], grain="month", end="2024-02")
    assert rows(until) == [(D(2024, 1, 1), 2)]


def test_a_range_without_data_has_no_periods_when_open(tickets):
    assert rows(on_both(tickets, ["opened"], grain="month", start="2025-01")) == []


def test_a_repeated_key_is_a_data_error_on_duckdb(define):
    accounts = pa.table({"account_id": [1, 1], "segment": ["a", "b"], "region_id": [10, 10]})
    project = define(SOURCES + METRICS, tickets=TICKETS, accounts=accounts, regions=REGIONS)
    with pytest.raises(DataError, match="key value 1 appears more than once") as raised:
        project.query(["opened"], by=["accounts.segment"], engine="duckdb")
    assert raised.value.source == "accounts"
    # Worded as the Arrow engine words it, with the column and the row of the repeat.
    assert (raised.value.column, raised.value.row) == ("account_id", 2)
    assert "(first at row 1)" in str(raised.value)


# ---- time zones ---------------------------------------------------------------------------
BERLIN = """
calendar { timezone "Europe/Berlin" week_start sunday }
source events from csv("e.csv") { time at }
source visits from csv("v.csv") { time day }
metric n = count(events)
metric visits = count(visits)
metric late = count(events where hour(at) >= 22)
"""


@pytest.fixture
def berlin(define):
    # Around the switch to summer time (31 March 2024, 02:00 -> 03:00 local).
    instants = [utc(2024, 3, 30, 22, 30), utc(2024, 3, 30, 23, 30), utc(2024, 3, 31, 21, 59)]
    instants += [utc(2024, 3, 31, 22, 0), utc(2024, 4, 6, 22, 0), utc(2024, 4, 7, 21, 0)]
    events = pa.table({"at": stamps(*instants)})
    visits = pa.table({"day": pa.array([D(2024, 3, 30), D(2024, 3, 31), D(2024, 4, 7)])})
    return define(BERLIN, events=events, visits=visits)


def test_days_follow_the_calendar_zone_across_daylight_saving(berlin):
    table = on_both(
        berlin, ["n", "visits", "late"], grain="day", start="2024-03-30", end="2024-04-02"
    )
    assert rows(table) == [
        (D(2024, 3, 30), 1, 1, 1),  # 22:30 UTC is 23:30 in Berlin (winter time)
        (D(2024, 3, 31), 2, 1, 1),  # 23:30 UTC on the 30th is 00:30 on the 31st
        (D(2024, 4, 1), 1, 0, 0),  # 22:00 UTC on the 31st is midnight (summer time)
    ]


def test_weeks_start_on_the_calendars_week_start(berlin):
    table = on_both(berlin, ["n", "visits"], grain="week", start="2024-03-24", end="2024-04-14")
    assert rows(table) == [
        (D(2024, 3, 24), 1, 1),
        (D(2024, 3, 31), 3, 1),
        (D(2024, 4, 7), 2, 1),
    ]


def test_naive_timestamps_are_wall_clock_time_in_the_calendar_zone(define):
    events = pa.table({"at": pa.array([dt.datetime(2024, 3, 31, 0, 30)], pa.timestamp("us"))})
    project = define(BERLIN, events=events, visits=pa.table({"day": pa.array([D(2024, 1, 1)])}))
    table = on_both(project, ["n"], grain="day", start="2024-03-30", end="2024-04-01")
    assert rows(table) == [(D(2024, 3, 30), 0), (D(2024, 3, 31), 1)]


# ---- state sources --------------------------------------------------------------------------
STATES = """
source subscriptions from csv("s.csv") { valid from started_at to ended_at }
metric mrr = sum(subscriptions.mrr)
metric paying = count_distinct(subscriptions.account_id where mrr > 0)
"""
SUBSCRIPTIONS = pa.table(
    {
        "account_id": [1, 2, 3, 1],
        "mrr": [100, 50, 30, 20],
        "started_at": stamps(utc(2024, 1, 15), utc(2024, 1, 1), utc(2024, 2, 10), utc(2024, 3, 1)),
        "ended_at": stamps(None, utc(2024, 3, 1), utc(2024, 2, 20), utc(2024, 4, 1)),
    }
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {"grain": "month", "start": "2024-01", "end": "2024-05"},
            [
                (D(2024, 1, 1), 150, 2),
                (D(2024, 2, 1), 150, 2),
                (D(2024, 3, 1), 120, 1),
                (D(2024, 4, 1), 100, 1),
            ],
        ),
        ({"start": "2024-01-01", "end": "2024-03-15"}, [(120, 1)]),
        ({}, [(100, 1)]),
        # The last change in the data (an end on 1 April) decides where the range ends.
        (
            {"grain": "month", "start": "2024-03"},
            [(D(2024, 3, 1), 120, 1), (D(2024, 4, 1), 100, 1)],
        ),
    ],
)
def test_state_sources_are_read_as_of_each_period_end(define, query, expected):
    project = define(STATES, subscriptions=SUBSCRIPTIONS)
    assert rows(on_both(project, ["mrr", "paying"], **query)) == expected


# ---- types --------------------------------------------------------------------------------
def test_decimal_sums_stay_exact(define):
    amounts = pa.array(
        [decimal.Decimal("0.10"), decimal.Decimal("0.20"), None], pa.decimal128(12, 2)
    )
    payments = pa.table(
        {
            "paid_at": stamps(utc(2024, 1, 1), utc(2024, 1, 2), utc(2024, 1, 3)),
            "amount": amounts,
            "count": [1, 2, 3],
        }
    )
    project = define(
        """
        source payments from csv("p.csv") { time paid_at }
        metric total = sum(payments.amount)
        metric per_payment = total / count(payments where amount is not null)
        metric ratio = total / sum(payments.amount where count > 1)
        """,
        payments=payments,
    )
    table = on_both(project, ["total", "per_payment", "ratio"])
    total, per_payment, ratio = rows(table)[0]
    assert total == decimal.Decimal("0.30")
    assert per_payment == pytest.approx(0.15)
    # DuckDB divides decimals in double precision: the same to the cent, not to 18 digits.
    assert ratio == pytest.approx(decimal.Decimal("1.5"), rel=decimal.Decimal("1e-15"))


def test_min_and_max_of_timestamps_keep_the_calendar_zone(define):
    project = define(
        BERLIN + "metric first = min(events.at)\n",
        events=pa.table({"at": stamps(utc(2024, 1, 1, 12))}),
        visits=pa.table({"day": pa.array([D(2024, 1, 1)])}),
    )
    table = on_both(project, ["first"])
    assert table.schema.field("first").type == pa.timestamp("us", tz="Europe/Berlin")


# ---- every built-in ---------------------------------------------------------------------
@pytest.mark.parametrize("timezone", ["UTC", "America/New_York"])
def test_every_builtin_function_agrees(define, timezone):
    metrics = "\n".join(f"metric {name} = {formula}" for name, formula in FUNCTIONS.items())
    project = define(
        f'calendar {{ timezone "{timezone}" week_start sunday }}\n'
        'source rows from csv("rows.csv") {}\n' + metrics,
        rows=ROWS,
    )
    table = on_both(project, list(FUNCTIONS))
    assert table.num_rows == 1


# ---- offsets and windows ------------------------------------------------------------------
WINDOWS = """
calendar { timezone "Europe/Berlin" week_start monday }
source events from csv("e.csv") { time at }
source subscriptions from csv("s.csv") { valid from started_at to ended_at }
metric n = count(events)
metric growth = n / n[-1] - 1
metric last_year = n[-12]
metric weekly = count(events) over last 7 days
metric to_date = sum(events.x) over quarter to date
metric ever = count_distinct(events.x) over all time
metric paid_ever = count(subscriptions where mrr > 0) over all time
metric mrr_change = sum(subscriptions.mrr) - sum(subscriptions.mrr)[-1]
"""


@pytest.fixture
def windows(define):
    days = [utc(2023, 3, 5), utc(2024, 1, 30), utc(2024, 2, 27), utc(2024, 2, 29, 23, 30)]
    days += [utc(2024, 3, 30), utc(2024, 4, 2)]
    events = pa.table({"at": stamps(*days), "x": pa.array([1, 2, 2, 3, None, 4])})
    subscriptions = pa.table(
        {
            "mrr": [10, 0, 5],
            "started_at": stamps(utc(2024, 1, 10), utc(2024, 2, 3), utc(2024, 2, 10)),
            "ended_at": stamps(utc(2024, 2, 1), None, utc(2024, 2, 20)),
        }
    )
    return define(WINDOWS, events=events, subscriptions=subscriptions)


def test_offsets_read_periods_before_the_range(windows):
    table = on_both(
        windows,
        ["n", "growth", "last_year", "mrr_change"],
        grain="month",
        start="2024-02",
        end="2024-05",
    )
    assert rows(table) == [
        (D(2024, 2, 1), 1, 0.0, 0, -10),  # Feb 29 23:30 UTC is 1 March in Berlin
        (D(2024, 3, 1), 2, 1.0, 1, 0),
        (D(2024, 4, 1), 1, -0.5, 0, 0),
    ]


def test_windows_look_back_from_each_period_end(windows):
    table = on_both(
        windows,
        ["weekly", "to_date", "ever", "paid_ever"],
        grain="month",
        start="2024-01",
        end="2024-05",
    )
    assert [row[1:] for row in rows(table)] == [
        (1, 2, 2, 1),
        (1, 4, 2, 1),
        (1, 7, 3, 1),  # the subscription of 10-20 February is in force at no month end
        (0, 4, 4, 1),
    ]


def test_a_callers_connection_keeps_its_settings(tickets):
    import duckdb
    from metricsmith.execute.sql.duckdb_engine import execute_plan_duckdb
    from metricsmith.plan.planner import plan_query

    options = {"by": (), "where": (), "grain": "month", "start": "2024-01", "end": "2024-04"}
    query = tickets.build_query(["opened"], **options)
    plan = plan_query(tickets.checked, query)
    with duckdb.connect() as connection:
        connection.execute("SET nested_loop_join_threshold = 7")
        answer = execute_plan_duckdb(plan, tickets.checked, connection=connection)
        setting = "SELECT current_setting('nested_loop_join_threshold')"
        assert connection.execute(setting).fetchone()[0] == 7
    assert answer.column("opened").to_pylist() == [2, 0, 2]


def test_a_callers_connection_compares_text_by_its_bytes(define):
    # A connection set to compare text without case found "Chat" = "chat" (one row of the
    # answer for both) and sorted "chat" before "EMAIL"; the query compares and sorts by
    # bytes, capitals first, and the connection's setting is restored.
    import duckdb
    from metricsmith.execute.sql.duckdb_engine import execute_plan_duckdb
    from metricsmith.plan.planner import plan_query

    channels = pa.array(["chat", "Chat", "EMAIL", "chat", None])
    project = define(SOURCES + METRICS, tickets=TICKETS.set_column(4, "channel", channels),
                     accounts=ACCOUNTS, regions=REGIONS)  # fmt: skip
    options = {"by": ("tickets.channel",), "where": (), "grain": None, "start": None, "end": None}
    plan = plan_query(project.checked, project.build_query(["opened"], **options))
    with duckdb.connect() as connection:
        connection.execute("SET default_collation = 'nocase'")
        answer = execute_plan_duckdb(plan, project.checked, connection=connection)
        setting = "SELECT current_setting('default_collation')"
        assert connection.execute(setting).fetchone()[0] == "nocase"
    assert rows(answer) == [("Chat", 1), ("EMAIL", 1), ("chat", 2), (None, 1)]
