"""Pinned values of every sample metric, for three cells of the committed sample data.

Each tuple is (calendar year 2024, March 2024, Enterprise-segment accounts in 2024). Ratios are
written as the fraction of the counts they come from, so each can be checked by hand against the
count rows; times are in hours (days for `avg_days_to_new_user`) to 12 significant digits.
tests/sample/test_sample_data.py checks the plain-Python oracle against these literals (which
pins the data), test_sample_metrics.py checks metricsmith against them. After regenerating the
data, recompute them with `sample_oracle.expected`.
"""

from __future__ import annotations

import datetime as dt

from sample_oracle import Cell, utc

PINNED_CELLS: dict[str, Cell] = {
    "2024": Cell(utc(2024), utc(2025)),
    "2024-03": Cell(utc(2024, 3), utc(2024, 4)),
    "2024 Enterprise": Cell(utc(2024), utc(2025), lambda account: account.segment == "Enterprise"),
}

# Query arguments that select each pinned cell (the `where` list restricts rows, like the
# cell's account filter).
PINNED_QUERIES: dict[str, dict[str, object]] = {
    "2024": {"grain": None, "start": "2024-01-01", "end": "2025-01-01"},
    "2024-03": {"grain": "month", "start": "2024-03-01", "end": "2024-04-01"},
    "2024 Enterprise": {
        "grain": None,
        "start": "2024-01-01",
        "end": "2025-01-01",
        "where": ['accounts.segment == "Enterprise"'],
    },
}
MARCH_2024 = dt.date(2024, 3, 1)

PINNED: dict[str, tuple[float | int, float | int, float | int]] = {
    # voice_of_customer.metrics
    "nps_responses": (513, 35, 44),
    "promoters": (251, 23, 25),
    "passives": (177, 8, 11),
    "detractors": (85, 4, 8),
    "nps": (100 * (251 - 85) / 513, 100 * (23 - 4) / 35, 100 * (25 - 8) / 44),
    "promoter_share": (251 / 513, 23 / 35, 25 / 44),
    "detractor_share": (85 / 513, 4 / 35, 8 / 44),
    "avg_nps_score": (3921 / 513, 288 / 35, 340 / 44),
    "csat": (1498 / 404, 47 / 11, 387 / 100),
    "csat_responses": (404, 11, 100),
    "csat_pct": (257 / 404, 9 / 11, 69 / 100),
    "csat_response_rate": (404 / 815, 11 / 28, 100 / 199),
    # support.metrics
    "tickets_opened": (867, 30, 211),
    "tickets_resolved": (815, 28, 199),
    "unresolved_tickets": (47, 2, 10),
    "urgent_tickets": (91, 6, 19),
    "self_service_share": (376 / 867, 14 / 30, 91 / 211),
    "contacts_per_ticket": (1501 / 867, 51 / 30, 360 / 211),
    "first_contact_resolution": (443 / 815, 16 / 28, 105 / 199),
    "avg_resolution_hours_of_resolved": (20.8811056578, 20.201140873, 19.389374651),
    "median_resolution_hours_of_resolved": (12.0725, 9.16583333333, 11.4675),
    "longest_resolution_hours": (165.423055556, 71.8780555556, 130.851388889),
    "avg_first_response_hours": (2.70959102212, 2.15375, 2.53360976919),
    "p90_first_response_hours": (6.48066666667, 4.849, 5.72805555556),
    "first_response_sla": (663 / 849, 25 / 30, 168 / 207),
    "tickets_per_active_account": (867 / 186, 30 / 45, 211 / 25),
    # engagement.metrics
    "active_users": (614, 100, 133),
    "active_accounts": (186, 45, 25),
    "events_tracked": (6896, 256, 1384),
    "events_per_active_user": (6896 / 614, 256 / 100, 1384 / 133),
    "reports_viewed": (1824, 68, 373),
    "meetings_held": (1105, 33, 217),
    "exports": (362, 12, 66),
    "meeting_users": (398, 30, 84),
    "meeting_adoption": (398 / 614, 30 / 100, 84 / 133),
    # each account's last seat count in the cell, summed, over the accounts with one
    "seats_per_customer": (1048 / 191, 245 / 50, 198 / 25),
    # growth.metrics
    "signups": (184, 19, 25),
    "paid_signups": (133, 10, 25),
    "paid_signup_share": (133 / 184, 10 / 19, 25 / 25),
    "avg_signup_employees": (30557 / 184, 2174 / 19, 14789 / 25),
    "new_users": (668, 51, 149),
    "avg_days_to_new_user": (12.9204259363, 14.7395368101, 13.852883498),
}


def pinned(metric: str, cell_name: str) -> float | int:
    return PINNED[metric][list(PINNED_CELLS).index(cell_name)]
