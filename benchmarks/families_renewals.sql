-- The renewals family (customer_success.retention, renewals) written by hand for DuckDB, per
-- month of the due date and account segment: renewals due, renewal rate, gross and net
-- renewal rate. An empty renewed_amount is a renewal still undecided: due, but in no rate.
-- Session and parameters as in families_retention.sql.
WITH
accounts AS (
    SELECT account_id, segment FROM read_parquet('data/families/accounts.parquet')
),
cells AS (
    SELECT
        CAST(date_trunc('month', CAST(due_at AS DATE)) AS DATE) AS month,
        segment,
        count(*) AS renewals_due,
        count(*) FILTER (WHERE renewed_amount > 0) AS renewed,
        count(renewed_amount) AS decided,
        sum(renewed_amount) AS renewed_amount,
        sum(up_for_renewal) FILTER (WHERE renewed_amount IS NOT NULL) AS decided_amount,
        sum(expansion_amount) FILTER (WHERE renewed_amount IS NOT NULL) AS expansion_amount
    FROM read_parquet('data/families/renewals.parquet') JOIN accounts USING (account_id)
    WHERE due_at >= $range_start AND due_at < $range_end
    GROUP BY ALL
),
spine AS (
    SELECT CAST(month AS DATE) AS month, segment
    FROM range($range_start, $range_end, INTERVAL 1 MONTH) AS t (month),
        (SELECT DISTINCT segment FROM accounts)
)
SELECT
    spine.month,
    spine.segment AS "accounts.segment",
    coalesce(renewals_due, 0) AS renewals_due,
    renewed / nullif(decided, 0) AS renewal_rate,
    renewed_amount / nullif(decided_amount, 0) AS gross_renewal_rate,
    (renewed_amount + expansion_amount) / nullif(decided_amount, 0) AS net_renewal_rate
FROM spine
LEFT JOIN cells USING (month, segment)
ORDER BY ALL
