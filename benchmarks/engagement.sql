-- The engagement + activation scorecard (engagement.metrics) written by hand for DuckDB: one
-- row per month in [$range_start, $range_end), UTC. run_engagement.py runs it in a fresh
-- in-memory database with the session time zone set to UTC.
WITH months AS (
  SELECT CAST(m AS DATE) AS month, m AS month_start, m + INTERVAL 1 MONTH AS month_end,
         CAST(date_diff('day', m, m + INTERVAL 1 MONTH) AS BIGINT) AS days
  FROM range(CAST($range_start AS TIMESTAMPTZ), CAST($range_end AS TIMESTAMPTZ), INTERVAL 1 MONTH) AS t(m)
),
events AS (
  SELECT user_id, account_id, name, occurred_at
  FROM read_parquet('data/engagement/events.parquet')
),
in_range AS (
  SELECT user_id, occurred_at
  FROM events
  WHERE occurred_at >= $range_start AND occurred_at < $range_end
),
monthly AS (
  SELECT date_trunc('month', occurred_at) AS month_start, count(DISTINCT user_id) AS mau
  FROM in_range GROUP BY 1
),
daily AS (
  SELECT date_trunc('day', occurred_at) AS day, count(DISTINCT user_id) AS dau
  FROM in_range GROUP BY 1
),
daily_by_month AS (
  SELECT date_trunc('month', day) AS month_start, sum(dau) AS dau_total FROM daily GROUP BY 1
),
-- A user is engaged at a month end with two key actions in the 7 days before it.
engaged AS (
  SELECT month_end, count(*) AS engaged_users_7d
  FROM (
    SELECT months.month_end, events.user_id
    FROM events
    JOIN months
      ON events.occurred_at >= months.month_end - INTERVAL 7 DAY
      AND events.occurred_at < months.month_end
    WHERE events.name = 'key_action'
      AND events.occurred_at >= CAST($range_start AS TIMESTAMPTZ) + INTERVAL 1 MONTH - INTERVAL 7 DAY
      AND events.occurred_at < $range_end
    GROUP BY 1, 2
    HAVING count(*) >= 2
  )
  GROUP BY 1
),
accounts AS (
  SELECT account_id, signed_up_at
  FROM read_parquet('data/engagement/accounts.parquet')
  WHERE signed_up_at >= $range_start AND signed_up_at < $range_end
),
signups AS (
  SELECT date_trunc('month', signed_up_at) AS month_start, count(*) AS signups
  FROM accounts GROUP BY 1
),
-- Each account's report events, in hours after its sign-up.
reports AS (
  SELECT accounts.account_id, date_trunc('month', accounts.signed_up_at) AS month_start,
         (epoch_us(events.occurred_at) - epoch_us(accounts.signed_up_at)) / 3600e6 AS hours
  FROM events JOIN accounts ON events.account_id = accounts.account_id
  WHERE events.name = 'report_created'
),
activation AS (
  SELECT month_start, count(*) FILTER (WHERE converted) AS converted,
         median(first_hours) AS hours_to_first_report
  FROM (
    SELECT month_start, account_id, min(hours) AS first_hours,
           bool_or(hours >= 0 AND hours < 720) AS converted
    FROM reports
    GROUP BY 1, 2
  )
  GROUP BY 1
)
SELECT
  months.month,
  coalesce(monthly.mau, 0) AS mau,
  coalesce(daily_by_month.dau_total, 0) / months.days AS dau,
  (coalesce(daily_by_month.dau_total, 0) / months.days) / nullif(monthly.mau, 0) AS stickiness,
  coalesce(engaged.engaged_users_7d, 0) AS engaged_users_7d,
  coalesce(signups.signups, 0) AS signups,
  coalesce(activation.converted, 0) / nullif(signups.signups, 0) AS conversion_30d,
  activation.hours_to_first_report
FROM months
LEFT JOIN monthly USING (month_start)
LEFT JOIN daily_by_month USING (month_start)
LEFT JOIN engaged USING (month_end)
LEFT JOIN signups USING (month_start)
LEFT JOIN activation USING (month_start)
ORDER BY months.month
