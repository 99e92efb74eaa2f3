-- The revenue scorecard written by hand for PostgreSQL, as a careful analyst would write it
-- (revenue.sql is the DuckDB original). The tables are in the schema $schema of the server;
-- the session runs in UTC. Parameters: $range_start and $range_end, the half-open range
-- [start, end) of whole months, as TIMESTAMPTZ literals; $by_segment, whether cells are per
-- account segment (otherwise one cell per month, the segment column then holds a placeholder
-- the caller drops). PostgreSQL divides integers as integers: ratios are computed in double
-- precision.
--
-- The meaning, from docs/time-intelligence.md:
-- * MRR is read at each month end e: a subscription is in force iff
--   started_at < e and (ended_at is null or ended_at >= e). The start of a month is the end of
--   the previous one.
-- * An account exists from its sign-up (signed_up_at < e). Every subscription starts at or
--   after its account's sign-up, so an account's MRR is 0 at every month end before it exists
--   and its first month compares with 0.
-- * An account "paid before" a month when its MRR was positive at some earlier month end.
WITH
accounts AS (
    SELECT
        account_id,
        CASE WHEN $by_segment THEN segment ELSE '(all)' END AS segment,
        signed_up_at
    FROM $schema.accounts
),
subscriptions AS (
    SELECT account_id, mrr, started_at, coalesce(ended_at, 'infinity') AS ended_at
    FROM $schema.subscriptions
),
-- Every month end from the first one a subscription can be in force at through the end of
-- the range: "paid before" looks back over all of them, and the range's first month needs
-- the month end before it. Each month end comes with the month it ends, computed here once
-- rather than per account.
month_ends AS (
    SELECT month_end, CAST(month_end - INTERVAL '1 month' AS DATE) AS month
    FROM generate_series(
        (SELECT date_trunc('month', min(started_at)) + INTERVAL '1 month' FROM subscriptions),
        $range_end,
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
    SELECT CAST(months.month_start AS DATE) AS month, segments.segment
    FROM generate_series(
        $range_start, $range_end - INTERVAL '1 microsecond', INTERVAL '1 month'
    ) AS months (month_start)
    CROSS JOIN (SELECT DISTINCT segment FROM accounts) AS segments
)
SELECT
    spine.month,
    spine.segment AS "accounts.segment",
    coalesce(cells.mrr, 0) AS mrr,
    coalesce(cells.starting_mrr, 0) AS starting_mrr,
    coalesce(cells.new_mrr, 0) AS new_mrr,
    coalesce(cells.reactivation_mrr, 0) AS reactivation_mrr,
    coalesce(cells.expansion_mrr, 0) AS expansion_mrr,
    coalesce(cells.contraction_mrr, 0) AS contraction_mrr,
    coalesce(cells.churned_mrr, 0) AS churned_mrr,
    coalesce(cells.customers_at_start, 0) AS customers_at_start,
    coalesce(cells.churned_customers, 0) AS churned_customers,
    CAST(cells.churned_customers AS DOUBLE PRECISION)
        / NULLIF(cells.customers_at_start, 0) AS churn_rate,
    (cells.starting_mrr + cells.expansion_mrr - cells.contraction_mrr - cells.churned_mrr)
        / NULLIF(cells.starting_mrr, 0) AS ndr
FROM spine
LEFT JOIN cells USING (month, segment)
ORDER BY spine.month, spine.segment
