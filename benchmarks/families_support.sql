-- The support family (customer_success.support) written by hand for DuckDB, per month and
-- account segment: tickets opened and resolved, mean and median hours to the first response
-- (tickets opened in the month), mean and median hours to resolution and first-contact
-- resolution (tickets resolved in the month), and first-contact resolution of all cases.
-- Session and parameters as in families_retention.sql. hours_between(a, b) is the exact
-- difference in hours, null when either end is.
WITH
accounts AS (
    SELECT account_id, segment FROM read_parquet('data/families/accounts.parquet')
),
tickets AS (
    SELECT
        segment,
        opened_at,
        resolved_at,
        contacts,
        (epoch_us(first_response_at) - epoch_us(opened_at)) / 3600e6 AS response_hours,
        (epoch_us(resolved_at) - epoch_us(opened_at)) / 3600e6 AS resolution_hours
    FROM read_parquet('data/families/tickets.parquet') JOIN accounts USING (account_id)
),
opened AS (
    SELECT
        CAST(date_trunc('month', CAST(opened_at AS DATE)) AS DATE) AS month,
        segment,
        count(*) AS tickets_opened,
        avg(response_hours) AS avg_first_response_hours,
        quantile_cont(response_hours, 0.5) AS median_first_response_hours,
        count(*) FILTER (WHERE contacts = 1 AND resolved_at IS NOT NULL) AS solved_first_all
    FROM tickets
    WHERE opened_at >= $range_start AND opened_at < $range_end
    GROUP BY ALL
),
resolved AS (
    SELECT
        CAST(date_trunc('month', CAST(resolved_at AS DATE)) AS DATE) AS month,
        segment,
        count(*) AS tickets_resolved,
        avg(resolution_hours) AS avg_resolution_hours_of_resolved,
        quantile_cont(resolution_hours, 0.5) AS median_resolution_hours_of_resolved,
        count(*) FILTER (WHERE contacts = 1) AS solved_first
    FROM tickets
    WHERE resolved_at >= $range_start AND resolved_at < $range_end
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
    coalesce(tickets_opened, 0) AS tickets_opened,
    coalesce(tickets_resolved, 0) AS tickets_resolved,
    avg_first_response_hours,
    median_first_response_hours,
    avg_resolution_hours_of_resolved,
    median_resolution_hours_of_resolved,
    solved_first / nullif(tickets_resolved, 0) AS first_contact_resolution,
    solved_first_all / nullif(tickets_opened, 0) AS first_contact_resolution_all_cases
FROM spine
LEFT JOIN opened USING (month, segment)
LEFT JOIN resolved USING (month, segment)
ORDER BY ALL
