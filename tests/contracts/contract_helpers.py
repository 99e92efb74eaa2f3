"""The data the contract tests read: three accounts and five subscriptions that break
most contracts one row at a time."""

ACCOUNTS = """\
account_id,signed_up_at,plan
a1,2024-01-01T00:00:00Z,pro
a2,2024-02-01T00:00:00Z,free
a3,2024-03-01T00:00:00Z,pro
"""

SUBSCRIPTIONS = """\
sub_id,account_id,amount,billing,started_at,ended_at
s1,a1,10,month,2024-01-05T00:00:00Z,
s2,a9,-5,month,2024-02-05T00:00:00Z,
s3,,20,month,2023-12-01T00:00:00Z,
s4,a2,120,year,2024-01-15T00:00:00Z,2024-03-01T00:00:00Z
s5,a3,30,month,2024-03-01T00:00:00Z,2024-02-01T00:00:00Z
"""

SOURCES = """\
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
"""
