-- The retention family (customer_success.retention) written by hand for DuckDB: customers,
-- customers acquired, lost and retained, customer churn rate (two bases), logo retention and
-- the customer retention rate, per month and account segment.
-- Session: TimeZone = 'UTC', file_search_path = the benchmarks folder (duckdb_runner.py).
-- Parameters: $range_start, $range_end, the half-open range [start, end) of whole months.
--
-- From docs/library/retention.md and docs/time-intelligence.md: an account is a customer at a
-- month end e when a subscription is in force there (started_at < e and ended_at is null or
-- >= e), free plans included; the start of a month is the end of the previous one.
WITH
accounts AS (
    SELECT account_id, segment FROM read_parquet('data/families/accounts.parquet')
),
subscriptions AS (
    SELECT account_id, started_at, coalesce(ended_at, 'infinity') AS ended_at
    FROM read_parquet('data/families/subscriptions.parquet')
),
-- The month ends of the range and the one before it (the start of the range's first month),
-- each with the next one: taken from here rather than computed per row, since interval
-- arithmetic on TIMESTAMPTZ goes through the time-zone library (twice as slow overall).
month_ends AS (
    SELECT month_end, CAST(month_end - INTERVAL 1 MONTH AS DATE) AS month,
        month_end = $range_start AS before_range,
        lead(month_end) OVER (ORDER BY month_end) AS next_end
    FROM range($range_start, $range_end + INTERVAL 1 DAY, INTERVAL 1 MONTH) AS t (month_end)
),
customer_at AS (
    SELECT DISTINCT subscriptions.account_id, month_ends.month_end, month_ends.next_end
    FROM subscriptions
    JOIN month_ends
        ON subscriptions.started_at < month_ends.month_end
        AND subscriptions.ended_at >= month_ends.month_end
),
-- Each account's state at the end of each month of the range and at its start.
states AS (
    SELECT account_id, month_end AS at_end, NULL AS at_start FROM customer_at
    UNION ALL
    SELECT account_id, NULL, next_end FROM customer_at WHERE next_end IS NOT NULL
),
transitions AS (
    SELECT
        account_id,
        coalesce(at_end, at_start) AS month_end,
        bool_or(at_end IS NOT NULL) AS is_customer,
        bool_or(at_start IS NOT NULL) AS was_customer
    FROM states
    GROUP BY ALL
),
cells AS (
    SELECT
        month_ends.month,
        accounts.segment,
        count(*) FILTER (WHERE is_customer) AS customers,
        count(*) FILTER (WHERE was_customer) AS customers_at_start,
        count(*) FILTER (WHERE is_customer AND NOT was_customer) AS acquired_customers,
        count(*) FILTER (WHERE was_customer AND NOT is_customer) AS churned_customers,
        count(*) FILTER (WHERE was_customer AND is_customer) AS retained_customers
    FROM transitions
    JOIN month_ends ON transitions.month_end = month_ends.month_end AND NOT before_range
    JOIN accounts USING (account_id)
    GROUP BY ALL
),
spine AS (
    SELECT month, segment
    FROM month_ends, (SELECT DISTINCT segment FROM accounts)
    WHERE NOT before_range
)
SELECT
    spine.month,
    spine.segment AS "accounts.segment",
    coalesce(customers, 0) AS customers,
    coalesce(acquired_customers, 0) AS acquired_customers,
    coalesce(churned_customers, 0) AS churned_customers,
    coalesce(retained_customers, 0) AS retained_customers,
    churned_customers / nullif(customers_at_start, 0) AS customer_churn_rate_incl_free,
    churned_customers / nullif(customers_at_start + acquired_customers, 0)
        AS customer_churn_rate_incl_free_with_new,
    retained_customers / nullif(customers_at_start, 0) AS logo_retention,
    (customers - acquired_customers) / nullif(customers_at_start, 0) AS retention_rate
FROM spine
LEFT JOIN cells USING (month, segment)
ORDER BY ALL
