-- The voice-of-the-customer family (customer_success.voice_of_customer) written by hand for
-- DuckDB: NPS responses, promoters, detractors, NPS, CSAT (mean and top-two-box share) and CES
-- (mean and low-effort share), per month of the answer and account segment.
-- Session and parameters as in families_retention.sql. An empty score is no response.
WITH
accounts AS (
    SELECT account_id, segment FROM read_parquet('data/families/accounts.parquet')
),
nps AS (
    SELECT
        CAST(date_trunc('month', CAST(responded_at AS DATE)) AS DATE) AS month,
        segment,
        count(score) AS nps_responses,
        count(*) FILTER (WHERE score >= 9) AS promoters,
        count(*) FILTER (WHERE score <= 6) AS detractors
    FROM read_parquet('data/families/nps_survey.parquet') JOIN accounts USING (account_id)
    WHERE responded_at >= $range_start AND responded_at < $range_end
    GROUP BY ALL
),
csat AS (
    SELECT
        CAST(date_trunc('month', CAST(responded_at AS DATE)) AS DATE) AS month,
        segment,
        avg(score) AS csat,
        count(score) AS csat_responses,
        count(*) FILTER (WHERE score >= 4) AS satisfied
    FROM read_parquet('data/families/csat_survey.parquet') JOIN accounts USING (account_id)
    WHERE responded_at >= $range_start AND responded_at < $range_end
    GROUP BY ALL
),
ces AS (
    SELECT
        CAST(date_trunc('month', CAST(responded_at AS DATE)) AS DATE) AS month,
        segment,
        avg(score) AS ces,
        count(score) AS ces_responses,
        count(*) FILTER (WHERE score >= 5) AS easy
    FROM read_parquet('data/families/ces_survey.parquet') JOIN accounts USING (account_id)
    WHERE responded_at >= $range_start AND responded_at < $range_end
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
    coalesce(nps_responses, 0) AS nps_responses,
    coalesce(promoters, 0) AS promoters,
    coalesce(detractors, 0) AS detractors,
    100 * (promoters - detractors) / nullif(nps_responses, 0) AS nps,
    csat,
    coalesce(csat_responses, 0) AS csat_responses,
    satisfied / nullif(csat_responses, 0) AS csat_pct,
    ces,
    easy / nullif(ces_responses, 0) AS ces_easy_share
FROM spine
LEFT JOIN nps USING (month, segment)
LEFT JOIN csat USING (month, segment)
LEFT JOIN ces USING (month, segment)
ORDER BY ALL
