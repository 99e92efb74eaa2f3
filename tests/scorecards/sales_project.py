"""A tiny project whose scorecard values are computed by hand in the tests."""

from __future__ import annotations

from pathlib import Path

ACCOUNTS = """account_id,segment,signed_up_at
3,SMB,2023-01-01T00:00:00
1,SMB,2024-01-02T09:00:00
2,Enterprise,2024-02-01T10:00:00
"""
# Revenue by month: 2023-01 100, 2023-02 200, 2023-03 300; 2024-01 110, 2024-02 150 (120 from
# SMB, 30 from Enterprise), 2024-03 400. Nothing in between.
DEALS = """deal_id,account_id,closed_at,amount
1,3,2023-01-15T12:00:00,100
2,3,2023-02-15T12:00:00,200
3,3,2023-03-15T12:00:00,300
4,1,2024-01-10T12:00:00,110
5,1,2024-02-10T12:00:00,120
6,2,2024-02-20T12:00:00,30
7,1,2024-03-05T12:00:00,400
"""
SOURCES = """
source accounts from csv("data/accounts.csv") {
  key account_id
  time signed_up_at
}
source deals from csv("data/deals.csv") {
  key deal_id
  time closed_at
  entity account_id -> accounts
}

metric revenue "Revenue" = sum(deals.amount)
  format currency
  higher is better
  target >= 120
metric deals_won "Deals won" = count(deals)
  higher is better
  target 2
metric lost "Lost" = count(deals where amount < 0)
metric buyers "Buyers" = count_distinct(deals.account_id)
  format integer
"""
SCORECARD = """
scorecard monthly "Monthly sales" {
  description "Revenue and deals."
  grain month
  periods 3
  compare previous, same_period_last_year
  section "Sales" {
    metrics revenue, deals_won
    chart waterfall "Bridge" = revenue - lost -> revenue
  }
  section "Cohorts" {
    chart heatmap "Buyers by cohort" = buyers by cohort(accounts.signed_up_at, month), age
  }
}

scorecard by_segment "Sales by segment" {
  periods 2
  compare previous
  by accounts.segment
  metrics revenue
}
"""


def write_project(folder: Path, definitions: str) -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    (folder / "data" / "deals.csv").write_text(DEALS, encoding="utf-8")
    (folder / "defs.metrics").write_text(SOURCES + definitions, encoding="utf-8")
    return folder
