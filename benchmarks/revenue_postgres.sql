-- The revenue scorecard written by hand for PostgreSQL, as a careful analyst would write it:
-- revenue.sql (DuckDB) translated, over the tables the benchmark loads (revenue_accounts,
-- revenue_subscriptions). The session runs in UTC. Parameters: $range_start and $range_end,
-- the half-open range [start, end) of whole months (timestamptz); $by_segment, whether cells
-- are per account segment (otherwise one cell per month, the segment column then holds a
-- placeholder the caller drops). The meaning of each number is that of revenue.sql.
WITH
accounts AS (
    SELECT
        account_id,
        CASE WHEN CAST($by_segment AS boolean) THEN segment ELSE '(all)' END AS segment,
        signed_up_at
    FROM revenue_accounts
),
subscriptions AS (
    SELECT account_id, mrr, started_at, coalesce(ended_at, 'infinity') AS ended_at
    FROM revenue_subscriptions
),
-- Every month end from the first one a subscription can be in force at through the end of
-- the range, each with the month it ends.
month_ends AS (
    SELECT month_end, CAST(month_end - INTERVAL '1 month' AS date) AS month
    FROM generate_series(
        (SELECT date_trunc('month', min(started_at)) + INTERVAL '1 month' FROM subscriptions),
        CAST($range_end AS timestamptz),
        INTERVAL '1 month'
    ) AS months (month_end)
),
-- MRR in force per account at each month end where it has a subscription in force.
snapshots AS (
    SELECT subscriptions.account_id, month_ends.month_end, sum(subscriptions.mrr) AS mrr
    FROM subscriptions
    JOIN month_ends
        ON subscriptions.started_at < month_ends.month_end
        AND subscriptions.ended_at >= month_ends.month_end
    GROUP BY 1, 2
),
-- One row per account and month end from its sign-up on, with 0 where nothing is in force,
-- so that the previous row of an account is always the previous month end.
account_months AS (
    SELECT
        accounts.account_id,
        accounts.segment,
        month_ends.month_end,
        month_ends.month,
        coalesce(snapshots.mrr, 0) AS mrr
    FROM accounts
    JOIN month_ends ON accounts.signed_up_at < month_ends.month_end
    LEFT JOIN snapshots USING (account_id, month_end)
),
movements AS (
    SELECT
        segment,
        month_end,
        month,
        mrr,
        coalesce(lag(mrr) OVER by_account, 0) AS starting_mrr,
        coalesce(
            bool_or(mrr > 0) OVER (
                by_account ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ),
            false
        ) AS paid_before
    FROM account_months
    WINDOW by_account AS (PARTITION BY account_id ORDER BY month_end)
),
cells AS (
    SELECT
        month,
        segment,
        sum(mrr) AS mrr,
        sum(starting_mrr) AS starting_mrr,
        -- A sum over no rows is NULL in SQL; a movement nobody made is 0.
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
    FROM movements
    WHERE month_end > $range_start AND month_end <= $range_end
    GROUP BY 1, 2
),
-- Every month of the range for every segment, so a cell without data still gets a row.
spine AS (
    SELECT CAST(months.month_start AS date) AS month, segments.segment
    FROM generate_series(
        CAST($range_start AS timestamptz),
        CAST($range_end AS timestamptz) - INTERVAL '1 month',
        INTERVAL '1 month'
    ) AS months (month_start)
    CROSS JOIN (SELECT DISTINCT segment FROM accounts) AS segments
)
SELECT
    spine.month,
    spine.segment AS "accounts.segment",
    CAST(coalesce(cells.mrr, 0) AS double precision) AS mrr,
    CAST(coalesce(cells.starting_mrr, 0) AS double precision) AS starting_mrr,
    CAST(coalesce(cells.new_mrr, 0) AS double precision) AS new_mrr,
    CAST(coalesce(cells.reactivation_mrr, 0) AS double precision) AS reactivation_mrr,
    CAST(coalesce(cells.expansion_mrr, 0) AS double precision) AS expansion_mrr,
    CAST(coalesce(cells.contraction_mrr, 0) AS double precision) AS contraction_mrr,
    CAST(coalesce(cells.churned_mrr, 0) AS double precision) AS churned_mrr,
    coalesce(cells.customers_at_start, 0) AS customers_at_start,
    coalesce(cells.churned_customers, 0) AS churned_customers,
    CAST(cells.churned_customers AS double precision)
        / NULLIF(cells.customers_at_start, 0) AS churn_rate,
    CAST(cells.starting_mrr + cells.expansion_mrr - cells.contraction_mrr - cells.churned_mrr
        AS double precision) / NULLIF(cells.starting_mrr, 0) AS ndr
FROM spine
LEFT JOIN cells USING (month, segment)
ORDER BY spine.month, spine.segment
