"""support.metrics on five hand-made tickets.

    ticket  opened         first response   resolved        contacts
    t1      Jan 2 08:00    +1 h             Jan 2 12:00     1   (4 h to resolve)
    t2      Jan 3 10:00    +3 h             Jan 4 10:00     3   (24 h)
    t3      Jan 10 00:00   +2 h             open            1
    t4      Jan 30 20:00   not answered     open            1
    t5      Jan 31 22:00   +1 h             Feb 1 06:00     1   (8 h, resolved in February)

Two accounts have a subscription in force throughout: two customers.
"""

from __future__ import annotations

import pytest
from library_support import by_period, library_project, subscription, table, utc

TICKETS = [
    (utc(2024, 1, 2, 8), utc(2024, 1, 2, 9), utc(2024, 1, 2, 12), 1),
    (utc(2024, 1, 3, 10), utc(2024, 1, 3, 13), utc(2024, 1, 4, 10), 3),
    (utc(2024, 1, 10), utc(2024, 1, 10, 2), None, 1),
    (utc(2024, 1, 30, 20), None, None, 1),
    (utc(2024, 1, 31, 22), utc(2024, 1, 31, 23), utc(2024, 2, 1, 6), 1),
]
METRICS = [
    "tickets_opened",
    "tickets_resolved",
    "tickets_per_account",
    "avg_first_response_hours",
    "median_first_response_hours",
    "avg_resolution_hours_of_resolved",
    "median_resolution_hours_of_resolved",
    "first_contact_resolution",
    "first_contact_resolution_all_cases",
]


@pytest.fixture(scope="module")
def months(engine):
    tickets = table(
        "tickets",
        [
            {
                "account_id": "A",
                "opened_at": opened,
                "first_response_at": answered,
                "resolved_at": resolved,
                "contacts": contacts,
            }
            for opened, answered, resolved, contacts in TICKETS
        ],
    )
    subscriptions = table(
        "subscriptions", [subscription(name, 100, utc(2023, 12, 1)) for name in "AB"]
    )
    project = library_project(tickets=tickets, subscriptions=subscriptions)
    return by_period(project, METRICS, grain="month", start="2024-01", end="2024-03", engine=engine)


def test_volumes(months) -> None:
    jan, feb = months
    assert (jan["tickets_opened"], jan["tickets_resolved"]) == (5, 2)
    assert (feb["tickets_opened"], feb["tickets_resolved"]) == (0, 1)
    assert (jan["tickets_per_account"], feb["tickets_per_account"]) == (2.5, 0)


def test_response_and_resolution_times(months) -> None:
    jan, feb = months
    # First responses of the tickets opened in January: 1, 3, 2, 1 hours (t4 unanswered).
    assert jan["avg_first_response_hours"] == pytest.approx(7 / 4)
    assert jan["median_first_response_hours"] == pytest.approx(1.5)
    assert feb["avg_first_response_hours"] is None
    # Resolved in January: t1 (4 h) and t2 (24 h); in February: t5 (8 h).
    assert jan["avg_resolution_hours_of_resolved"] == pytest.approx(14)
    assert jan["median_resolution_hours_of_resolved"] == pytest.approx(14)
    assert feb["avg_resolution_hours_of_resolved"] == pytest.approx(8)


def test_first_contact_resolution_in_both_forms(months) -> None:
    jan, feb = months
    # Of the tickets resolved in the month: t1 of {t1, t2}; t5 of {t5}.
    assert jan["first_contact_resolution"] == pytest.approx(1 / 2)
    assert feb["first_contact_resolution"] == pytest.approx(1)
    # Of all cases opened in the month: t1 and t5 were closed in one contact, of five.
    assert jan["first_contact_resolution_all_cases"] == pytest.approx(2 / 5)
    assert feb["first_contact_resolution_all_cases"] is None
