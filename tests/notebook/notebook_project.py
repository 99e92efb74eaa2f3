"""A small project for the notebook tests: tickets of two accounts over three months, a metric
per kind of status (green, amber, red) and labels with characters HTML must escape.

Contacts per ticket (target ≤ 2.5, lower is better): January 1.67 (green), February 3.00
(red: 0.5 over, more than 10% of 2.5), March 2.67 (amber: 0.17 over).
"""

from __future__ import annotations

from pathlib import Path

DEFINITIONS = """\
source accounts from csv("accounts.csv") {
  key account_id
}

source tickets from csv("tickets.csv") {
  key ticket_id
  time opened_at
  entity account_id -> accounts
}

metric tickets_opened "Tickets opened" = count(tickets)
  unit "tickets"

metric contacts_per_ticket "Contacts <per> ticket & co" = avg(tickets.contacts)
  description "How often <i>customers</i> had to ask."
  unit "contacts"
  lower is better
  target <= 2.5

dimension segment "Customer <segment>" = accounts.segment
"""

ACCOUNTS = """\
account_id,segment
a1,SMB
a2,Enterprise
"""

TICKETS = """\
ticket_id,account_id,opened_at,contacts
t1,a1,2024-01-03T09:00:00Z,1
t2,a1,2024-01-10T09:00:00Z,1
t3,a2,2024-01-20T09:00:00Z,3
t4,a2,2024-02-02T09:00:00Z,2
t5,a1,2024-02-14T09:00:00Z,4
t6,a1,2024-03-01T09:00:00Z,3
t7,a2,2024-03-02T09:00:00Z,2
t8,a2,2024-03-03T09:00:00Z,3
"""

METRICS = ["tickets_opened", "contacts_per_ticket"]


def write_project(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "support.metrics").write_text(DEFINITIONS)
    (folder / "accounts.csv").write_text(ACCOUNTS)
    (folder / "tickets.csv").write_text(TICKETS)
    return folder
