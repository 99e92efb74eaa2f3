-- Cohort logo retention (customer_success.retention, `cohort_logo_retention`) written by hand
-- for DuckDB, by sign-up month and age in months.
-- Session and parameters as in families_retention.sql.
--
-- Of the accounts that signed up in month c and were customers at the end of c (age 0), the
-- share that are customers at the end of month c + age. A cohort of the range has a row for
-- every age up to the range's length; ages it has not reached within the range are null.
WITH
accounts AS (
    SELECT account_id, CAST(date_trunc('month', signed_up_at) AS DATE) AS cohort
    FROM read_parquet('data/families/accounts.parquet')
    WHERE signed_up_at >= $range_start AND signed_up_at < $range_end
),
subscriptions AS (
    SELECT account_id, started_at, coalesce(ended_at, 'infinity') AS ended_at
    FROM read_parquet('data/families/subscriptions.parquet')
),
month_ends AS (
    SELECT month_end, CAST(month_end - INTERVAL 1 MONTH AS DATE) AS month
    FROM range($range_start + INTERVAL 1 MONTH, $range_end + INTERVAL 1 DAY, INTERVAL 1 MONTH)
        AS t (month_end)
),
customer_at AS (
    SELECT DISTINCT accounts.account_id, accounts.cohort, month_ends.month
    FROM accounts
    JOIN subscriptions USING (account_id)
    JOIN month_ends
        ON subscriptions.started_at < month_ends.month_end
        AND subscriptions.ended_at >= month_ends.month_end
),
ages AS (
    SELECT
        later.cohort,
        datediff('month', later.cohort, later.month) AS age,
        count(*) AS retained
    FROM customer_at AS later
    JOIN customer_at AS at_start
        ON later.account_id = at_start.account_id AND at_start.month = at_start.cohort
    GROUP BY ALL
),
starts AS (
    SELECT cohort, retained AS at_start FROM ages WHERE age = 0
),
spine AS (
    SELECT month AS cohort, age
    FROM month_ends, range(0, (SELECT count(*) FROM month_ends)) AS t (age)
)
SELECT
    spine.cohort AS "cohort(accounts.signed_up_at, month)",
    spine.age,
    CASE
        WHEN spine.cohort + to_months(CAST(spine.age AS INTEGER)) < CAST($range_end AS DATE)
        THEN coalesce(ages.retained, 0) / nullif(starts.at_start, 0)
    END AS cohort_logo_retention
FROM spine
LEFT JOIN ages USING (cohort, age)
LEFT JOIN starts USING (cohort)
ORDER BY ALL
