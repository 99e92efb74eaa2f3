"""A hand-made subscription history, January to March 2024, shared by the revenue and
retention tests. Every account signs up before its first subscription; amounts are monthly,
so each amount is that row's MRR.

    A  100 from Dec 10 2023; upgraded (starter -> growth) to 150 on Feb 15
    B  200 from Dec 5 2023; downgraded to 120 on Jan 20; adds a 30 add-on on Mar 10
    C   50 from Dec 1 2023; cancels on Feb 10
    D   signs up Jan 8; 80 from Jan 8
    E   signs up Nov 1 2023; 60 from Nov 1 to Dec 20 2023; back at 70 on Mar 3
    F   a free plan (0) from Dec 1 2023: a customer who never pays

MRR per account at each month end (the start of a month is the end of the one before):

            Dec 31  Jan 31  Feb 29  Mar 31
    A         100     100     150     150
    B         200     120     120     150
    C          50      50       0       0
    D           0      80      80      80
    E           0       0       0      70     (60 at the end of November)
    F           0       0       0       0
    total     350     350     350     450

Movements: January new 80 (D), contraction 80 (B); February expansion 50 (A), churned 50
(C); March expansion 30 (B's add-on), reactivation 70 (E paid at November's end).
Customers (any subscription in force, F included): 4, 5, 4, 5 at the ends of Dec to Mar.
"""

from __future__ import annotations

import metricsmith
from library_support import account, library_project, subscription, table, utc

JAN_TO_MAR = {"grain": "month", "start": "2024-01", "end": "2024-04"}


def story_project() -> metricsmith.Project:
    accounts = [
        account("A", utc(2023, 12, 1)),
        account("B", utc(2023, 12, 1)),
        account("C", utc(2023, 11, 20)),
        account("D", utc(2024, 1, 8)),
        account("E", utc(2023, 11, 1)),
        account("F", utc(2023, 11, 25)),
    ]
    rows = [
        subscription("A", 100, utc(2023, 12, 10), utc(2024, 2, 15)),
        subscription("A", 150, utc(2024, 2, 15), plan="growth"),
        subscription("B", 200, utc(2023, 12, 5), utc(2024, 1, 20), plan="growth"),
        subscription("B", 120, utc(2024, 1, 20)),
        subscription("B", 30, utc(2024, 3, 10), plan="analytics"),
        subscription("C", 50, utc(2023, 12, 1), utc(2024, 2, 10)),
        subscription("D", 80, utc(2024, 1, 8)),
        subscription("E", 60, utc(2023, 11, 1), utc(2023, 12, 20)),
        subscription("E", 70, utc(2024, 3, 3)),
        subscription("F", 0, utc(2023, 12, 1), plan="free"),
    ]
    return library_project(
        accounts=table("accounts", accounts), subscriptions=table("subscriptions", rows)
    )
