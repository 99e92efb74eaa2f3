"""`bucket` bands numbers into labels; a dimension whose formula uses metrics is evaluated for
each entity of a per-entity aggregate (a health mix)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import ProjectError, QueryError

D = dt.date

DEFINITIONS = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source events from csv("events.csv") {
  time at
  entity account_id -> accounts
  entity account_id as payer
}
dimension size = bucket(accounts.employees, 50, "small", 500, "mid", "large")
metric activity = count(events) over last 1 month
dimension activity_band = bucket(activity, 1, "idle", 3, "some", "busy")
metric accounts_total = count(per account)
metric mean_activity = avg(per account: activity)
metric events_total = count(events)
dimension signup_band = bucket(count(accounts) over all time, 1, "none", "some")
metric payers = count(per payer where count(events) > 0)
"""
ACCOUNTS = pa.table(
    {
        "account_id": [1, 2, 3, 4],
        "employees": [10, 50, 800, None],
        "region": ["EMEA", "NA", "EMEA", "NA"],
        "signed_up_at": stamps(utc(2024, 1, 1), utc(2024, 1, 1), utc(2024, 1, 1), utc(2024, 2, 5)),
    }
)
EVENTS = pa.table(
    {
        "at": stamps(*(utc(2024, 1, day) for day in (3, 4, 5, 6, 7, 8)), utc(2024, 2, 9)),
        "account_id": [1, 1, 1, 2, 2, 3, 4],
    }
)
MONTHS = {"grain": "month", "start": "2024-01", "end": "2024-03"}


@pytest.fixture
def project(define):
    return define(DEFINITIONS, accounts=ACCOUNTS, events=EVENTS)


def test_bands_from_each_threshold_on_and_null_stays_null(project, engine):
    table = project.query(["accounts_total"], by=["size"], start="2024", end="2025", engine=engine)
    assert rows(table) == [("large", 1), ("mid", 1), ("small", 1), (None, 1)]


def test_a_health_mix_counts_entities_by_their_band(project, engine):
    table = project.query(
        ["accounts_total", "mean_activity"], by=["activity_band"], **MONTHS, engine=engine
    )
    # January: account 1 has 3 events (busy), 2 has 2 (some), 3 has 1 (some).
    # February: only account 4's event; accounts 1-3 are idle.
    # Every band seen appears in every period.
    assert rows(table) == [
        (D(2024, 1, 1), "busy", 1, 3.0),
        (D(2024, 1, 1), "idle", 0, None),
        (D(2024, 1, 1), "some", 2, 1.5),
        (D(2024, 2, 1), "busy", 0, None),
        (D(2024, 2, 1), "idle", 3, 0.0),
        (D(2024, 2, 1), "some", 1, 1.0),
    ]


def test_a_band_with_a_row_dimension(project, engine):
    table = project.query(
        ["accounts_total"],
        by=["accounts.region", "activity_band"],
        grain="month",
        start="2024-01",
        end="2024-02",
        engine=engine,
    )
    assert rows(table) == [
        (D(2024, 1, 1), "EMEA", "busy", 1),
        (D(2024, 1, 1), "EMEA", "some", 1),
        (D(2024, 1, 1), "NA", "some", 1),
    ]


def test_a_metric_without_a_per_entity_aggregate_cannot_be_banded(project, engine):
    with pytest.raises(QueryError) as caught:
        project.query(["events_total"], by=["activity_band"], **MONTHS, engine=engine)
    message = str(caught.value)
    assert "metric `events_total` cannot be sliced by `activity_band`" in message
    assert "`count(events)` is not one" in message


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ('500, "a", 50, "b", "c"', "must increase, but they are 500, 50"),
        ('accounts.account_id, "a", "b"', "thresholds of `bucket` must be written as numbers"),
        ('-5, lower(accounts.region), "b"', "labels of `bucket` must be written as strings"),
    ],
)
def test_bands_are_checked_before_any_data_is_read(define, arguments, message):
    text = DEFINITIONS + f"dimension odd = bucket(accounts.employees, {arguments})\n"
    with pytest.raises(ProjectError, match=message):
        define(text, accounts=ACCOUNTS, events=EVENTS)


def test_bands_of_a_query_formula_are_checked_too(project, engine):
    with pytest.raises(QueryError, match="must increase"):
        project.query(
            ["accounts_total"],
            by=['bucket(accounts.employees, 9, "a", -1, "b", "c")'],
            start="2024",
            end="2025",
            engine=engine,
        )


def test_a_band_reads_only_what_names_the_entity(project, engine):
    with pytest.raises(
        QueryError, match="dimension `signup_band` reads `accounts` for each `payer`"
    ):
        project.query(["payers"], by=["signup_band"], **MONTHS, engine=engine)


def test_bands_need_a_label_for_every_threshold(define):
    text = DEFINITIONS + 'dimension odd = bucket(accounts.employees, 50, "a", 500, "b")\n'
    with pytest.raises(ProjectError, match="threshold and label pairs"):
        define(text, accounts=ACCOUNTS, events=EVENTS)
