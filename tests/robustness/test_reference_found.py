"""Silent wrong answers the reference oracle (reference.py) found, each as the smallest
project that shows it, with its answer computed by hand from the docs. Every engine shares the
planner, so each case runs on Arrow and DuckDB; while the bug is open it is a strict expected
failure, and reference_cases.py leaves its shape out (a comment there names the test) so that
the oracle keeps checking everything else. The fix removes both: every case here is fixed
(plan/levels.py; the first: a sub-period level's passes kept to their own rows, `_read_later`).
"""

from __future__ import annotations

from pathlib import Path

import metricsmith

SOURCES = """\
calendar { timezone "UTC" week_start monday }
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
  column signed_up_at: timestamp
  column segment: string
}
source events from csv("events.csv") {
  time at
  entity account_id -> accounts
  column at: timestamp
}
"""


def project(folder: Path, metrics: str, accounts: str, events: str) -> metricsmith.Project:
    (folder / "accounts.csv").write_text(accounts)
    (folder / "events.csv").write_text(events)
    (folder / "project.metrics").write_text(SOURCES + metrics)
    return metricsmith.load_project(folder / "project.metrics")


def test_offset_of_a_sub_period_metric_gives_no_rows_from_earlier_rows(tmp_path, engine):
    # The only account signed up on 1 March, in the week before the range; there are no
    # events. `by_day_signups` reads the sign-ups of the range's days (none); `last_week`
    # reads the events of the week before each week (none). docs/language.md, Periods, ranges
    # and the time spine: sliced, "every period appears with every value the dimension takes
    # in the rows the query's metrics read: a plain aggregate's rows in the range, … and for a
    # metric an offset reads (m[-1]) the same in the earlier periods it reaches. A row no
    # metric reads gives the answer no row, even when … an offset of one metric makes the
    # query compute earlier periods that another metric's rows there do not count in." No
    # metric reads the sign-up, so the answer has no row. The engines gave every week a row
    # for "smb" (last_week 0, by_day_signups 0). With `daily = count(events)` (no `per day`)
    # or `by_day_signups = count(accounts)`, they gave none, as documented.
    metrics = (
        "metric daily = sum(per day: count(events))\n"
        "metric last_week = daily[-1]\n"
        "metric by_day_signups = sum(per day: count(accounts))\n"
    )
    found = project(
        tmp_path,
        metrics,
        accounts="account_id,segment,signed_up_at\na0,smb,2024-03-01\n",
        events="at,account_id\n",
    )
    answer = found.query(
        ["last_week", "by_day_signups"],
        grain="week",
        start="2024-03-04",
        end="2024-03-18",
        by=("accounts.segment",),
        engine=engine,
    ).to_arrow()
    assert answer.column_names == ["week", "accounts.segment", "last_week", "by_day_signups"]
    assert answer.to_pylist() == []
