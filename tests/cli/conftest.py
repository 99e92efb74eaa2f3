"""A small project for the CLI tests: accounts and their tickets, two metrics, a dimension.

Tickets per month: January 3 (2 resolved at first contact: 66.7%, on target), February 2
(none at first contact: 0.0%, off target), March none (0 tickets; the share is null).
"""

from __future__ import annotations

from pathlib import Path

import pytest

DEFINITIONS = """\
# Support metrics for the CLI tests.
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}

source tickets from csv("tickets.csv") {
  key ticket_id
  time opened_at
  entity account_id -> accounts
}

metric tickets_opened "Tickets opened" = count(tickets)
  description "Tickets opened in the period."

metric first_contact_resolution "First-contact resolution" =
    count(tickets where contacts == 1) / tickets_opened
  format percent
  higher is better
  target >= 0.5

dimension company_size "Company size" = if(accounts.employees < 50, "small", "large")
"""

ACCOUNTS = """\
account_id,segment,employees,signed_up_at
a1,SMB,10,2023-12-01T00:00:00Z
a2,Enterprise,900,2023-12-15T00:00:00Z
"""

TICKETS = """\
ticket_id,account_id,opened_at,contacts
t1,a1,2024-01-03T09:00:00Z,1
t2,a1,2024-01-10T09:00:00Z,1
t3,a2,2024-01-20T09:00:00Z,3
t4,a2,2024-02-02T09:00:00Z,2
t5,a1,2024-02-14T09:00:00Z,4
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "support.metrics").write_text(DEFINITIONS)
    (folder / "accounts.csv").write_text(ACCOUNTS)
    (folder / "tickets.csv").write_text(TICKETS)
    return folder
