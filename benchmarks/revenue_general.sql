-- The revenue scorecard written by hand for DuckDB WITHOUT the assumptions revenue.sql makes
-- about the data: here a subscription may start before its account signed up, and may name
-- an account that does not exist. Same parameters and session as revenue.sql.
--
-- The meaning, from docs/time-intelligence.md, read literally:
-- * MRR (and starting MRR, its value at the previous month end) sums every subscription in
--   force at the month end e (started_at < e and (ended_at is null or ended_at >= e)), whether
--   or not its account exists; by segment, one without an account has no segment (null).
-- * The per-account movements iterate the accounts that exist at e (signed_up_at < e). An
--   account's MRR at e and at the previous month end are its subscriptions' in force there,
--   whenever it signed up: no row before the sign-up stands in for 0.
-- * "Paid before": one of its subscriptions with MRR above 0 was in force at some month end
--   before e (`count(subscriptions where mrr > 0) over all time`, a month earlier).
WITH
accounts AS (
    SELECT
        account_id,
        CASE WHEN $by_segment THEN segment ELSE '(all)' END AS segment,
        signed_up_at
    FROM read_parquet('data/revenue/accounts.parquet')
),
subscriptions AS (
    SELECT account_id, mrr, started_at, coalesce(ended_at, 'infinity') AS ended_at
    FROM read_parquet('data/revenue/subscriptions.parquet')
),
-- Every month end from the first one a subscription can be in force at through the end of
-- the range, each with the month it ends and the month end before it.
month_ends AS (
    SELECT
        month_end,
        CAST(month_end - INTERVAL 1 MONTH AS DATE) AS month,
        month_end - INTERVAL 1 MONTH AS previous_end
    FROM range(
        (SELECT date_trunc('month', min(started_at)) + INTERVAL 1 MONTH FROM subscriptions),
        $range_end + INTERVAL 1 DAY,
        INTERVAL 1 MONTH
    ) AS months (month_end)
),
-- Each subscription at the month ends it is in force at.
in_force AS (
    SELECT subscriptions.account_id, subscriptions.mrr, month_ends.month_end
    FROM subscriptions
    JOIN month_ends
        ON subscriptions.started_at < month_ends.month_end
        AND subscriptions.ended_at >= month_ends.month_end
),
-- MRR in force per account id (existing or not) at each month end.
snapshots AS (
    SELECT account_id, month_end, sum(mrr) AS mrr FROM in_force GROUP BY ALL
),
-- The first month end at which a paying subscription of the account was in force.
first_paid AS (
    SELECT account_id, min(month_end) AS first_paid_end FROM in_force WHERE mrr > 0 GROUP BY ALL
),
-- MRR per cell, every subscription counted; the segment is the account's, null without one.
mrr_cells AS (
    SELECT
        month_ends.month,
        CASE WHEN $by_segment THEN accounts.segment ELSE '(all)' END AS segment,
        sum(snapshots.mrr) AS mrr
    FROM snapshots
    JOIN month_ends USING (month_end)
    LEFT JOIN accounts USING (account_id)
    GROUP BY ALL
),
-- Each account existing at a month end in the range, with its MRR there and a month earlier.
account_months AS (
    SELECT
        accounts.segment,
        month_ends.month,
        coalesce(now.mrr, 0) AS mrr,
        coalesce(before.mrr, 0) AS starting_mrr,
        coalesce(first_paid.first_paid_end <= month_ends.previous_end, false) AS paid_before
    FROM accounts
    JOIN month_ends
        ON accounts.signed_up_at < month_ends.month_end
        AND month_ends.month_end > $range_start
        AND month_ends.month_end <= $range_end
    LEFT JOIN snapshots AS now
        ON now.account_id = accounts.account_id AND now.month_end = month_ends.month_end
    LEFT JOIN snapshots AS before
        ON before.account_id = accounts.account_id
        AND before.month_end = month_ends.previous_end
    LEFT JOIN first_paid ON first_paid.account_id = accounts.account_id
),
movements AS (
    SELECT
        month,
        segment,
        coalesce(sum(mrr) FILTER (WHERE starting_mrr = 0 AND mrr > 0 AND NOT paid_before), 0)
            AS new_mrr,
        coalesce(sum(mrr) FILTER (WHERE starting_mrr = 0 AND mrr > 0 AND paid_before), 0)
            AS reactivation_mrr,
        coalesce(sum(mrr - starting_mrr) FILTER (WHERE starting_mrr > 0 AND mrr > starting_mrr), 0)
            AS expansion_mrr,
        coalesce(sum(starting_mrr - mrr) FILTER (WHERE mrr > 0 AND mrr < starting_mrr), 0)
            AS contraction_mrr,
        coalesce(sum(starting_mrr) FILTER (WHERE starting_mrr > 0 AND mrr = 0), 0)
            AS churned_mrr,
        count(*) FILTER (WHERE starting_mrr > 0) AS customers_at_start,
        count(*) FILTER (WHERE starting_mrr > 0 AND mrr = 0) AS churned_customers
    FROM account_months
    GROUP BY ALL
),
-- Every month of the range for every segment (and null, when subscriptions name no account).
spine AS (
    SELECT CAST(months.month_start AS DATE) AS month, segments.segment
    FROM range($range_start, $range_end, INTERVAL 1 MONTH) AS months (month_start)
    CROSS JOIN (SELECT DISTINCT segment FROM accounts UNION SELECT segment FROM mrr_cells)
        AS segments
),
cells AS (
    SELECT
        spine.month,
        spine.segment,
        coalesce(now.mrr, 0) AS mrr,
        coalesce(before.mrr, 0) AS starting_mrr
    FROM spine
    LEFT JOIN mrr_cells AS now
        ON now.month = spine.month AND now.segment IS NOT DISTINCT FROM spine.segment
    LEFT JOIN mrr_cells AS before
        ON before.month = CAST(spine.month - INTERVAL 1 MONTH AS DATE)
        AND before.segment IS NOT DISTINCT FROM spine.segment
)
SELECT
    cells.month,
    cells.segment AS "accounts.segment",
    cells.mrr,
    cells.starting_mrr,
    coalesce(movements.new_mrr, 0) AS new_mrr,
    coalesce(movements.reactivation_mrr, 0) AS reactivation_mrr,
    coalesce(movements.expansion_mrr, 0) AS expansion_mrr,
    coalesce(movements.contraction_mrr, 0) AS contraction_mrr,
    coalesce(movements.churned_mrr, 0) AS churned_mrr,
    coalesce(movements.customers_at_start, 0) AS customers_at_start,
    coalesce(movements.churned_customers, 0) AS churned_customers,
    movements.churned_customers / NULLIF(movements.customers_at_start, 0) AS churn_rate,
    (cells.starting_mrr + coalesce(movements.expansion_mrr, 0)
        - coalesce(movements.contraction_mrr, 0) - coalesce(movements.churned_mrr, 0))
        / NULLIF(cells.starting_mrr, 0) AS ndr
FROM cells
LEFT JOIN movements
    ON movements.month = cells.month AND movements.segment IS NOT DISTINCT FROM cells.segment
ORDER BY cells.month, cells.segment
