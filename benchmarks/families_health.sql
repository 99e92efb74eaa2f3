-- Customer health (customer_success.health) written by hand for DuckDB: the customers at each
-- month end and their average health score, per health band (Poor below 40, Average from 40
-- up to 70, Good from 70).
-- Session and parameters as in families_retention.sql.
--
-- From docs/library/health.md, for an account at a month end e (windows [e - N days, e)):
--   usage      users with an event in the last 30 days / users with an event before e, 0
--              when there are none
--   sentiment  mean NPS score of the last 90 days / 10, 0.5 without answers
--   support    1 - tickets opened in the last 30 days / 5, 0 from five tickets on
--   revenue    0 when MRR (to the cent) fell since the previous month end, else 1
--   score      100 * (0.4 usage + 0.3 sentiment + 0.2 support + 0.1 revenue)
-- A customer has a subscription in force at e (free plans too).
WITH
subscriptions AS (
    SELECT account_id, mrr, started_at, coalesce(ended_at, 'infinity') AS ended_at
    FROM read_parquet('data/families/subscriptions.parquet')
),
-- The month ends of the range, and the one before it for the MRR a month earlier.
all_ends AS (
    SELECT month_end,
        lag(month_end) OVER (ORDER BY month_end) AS previous_end,
        month_end - INTERVAL 30 DAY AS last_30_days,
        month_end - INTERVAL 90 DAY AS last_90_days,
        CAST(month_end - INTERVAL 1 MONTH AS DATE) AS month
    FROM range($range_start, $range_end + INTERVAL 1 DAY, INTERVAL 1 MONTH) AS t (month_end)
),
month_ends AS (
    SELECT * FROM all_ends WHERE previous_end IS NOT NULL
),
mrr_at AS (
    SELECT subscriptions.account_id, all_ends.month_end, sum(subscriptions.mrr) AS mrr
    FROM subscriptions
    JOIN all_ends
        ON subscriptions.started_at < all_ends.month_end
        AND subscriptions.ended_at >= all_ends.month_end
    GROUP BY ALL
),
customers AS (
    SELECT now.account_id, month_ends.month_end, month_ends.month, now.mrr,
        coalesce(previous.mrr, 0) AS previous_mrr
    FROM mrr_at AS now
    JOIN month_ends USING (month_end)
    LEFT JOIN mrr_at AS previous
        ON previous.account_id = now.account_id AND previous.month_end = month_ends.previous_end
),
events AS (
    SELECT account_id, user_id, occurred_at
    FROM read_parquet('data/families/events.parquet')
    WHERE occurred_at < $range_end
),
-- A user was ever active before e when their first event is before e.
first_seen AS (
    SELECT account_id, user_id, min(occurred_at) AS first_at FROM events GROUP BY ALL
),
users_ever AS (
    SELECT first_seen.account_id, month_ends.month_end, count(*) AS users_ever
    FROM first_seen JOIN month_ends ON first_seen.first_at < month_ends.month_end
    GROUP BY ALL
),
users_30d AS (
    SELECT events.account_id, month_ends.month_end, count(DISTINCT events.user_id) AS users_30d
    FROM events
    JOIN month_ends
        ON events.occurred_at >= month_ends.last_30_days
        AND events.occurred_at < month_ends.month_end
    GROUP BY ALL
),
sentiment AS (
    SELECT nps.account_id, month_ends.month_end, avg(nps.score) AS mean_nps
    FROM read_parquet('data/families/nps_survey.parquet') AS nps
    JOIN month_ends
        ON nps.responded_at >= month_ends.last_90_days AND nps.responded_at < month_ends.month_end
    GROUP BY ALL
),
support AS (
    SELECT tickets.account_id, month_ends.month_end, count(*) AS tickets_30d
    FROM read_parquet('data/families/tickets.parquet') AS tickets
    JOIN month_ends
        ON tickets.opened_at >= month_ends.last_30_days AND tickets.opened_at < month_ends.month_end
    GROUP BY ALL
),
scores AS (
    SELECT
        customers.month,
        100 * (
            0.4 * coalesce(users_30d.users_30d / users_ever.users_ever, 0)
            + 0.3 * coalesce(sentiment.mean_nps / 10, 0.5)
            + 0.2 * CASE
                WHEN coalesce(support.tickets_30d, 0) >= 5 THEN 0
                ELSE 1 - coalesce(support.tickets_30d, 0) / 5
            END
            + 0.1 * CASE WHEN round(customers.mrr, 2) < round(customers.previous_mrr, 2) THEN 0 ELSE 1 END
        ) AS health_score
    FROM customers
    LEFT JOIN users_ever USING (account_id, month_end)
    LEFT JOIN users_30d USING (account_id, month_end)
    LEFT JOIN sentiment USING (account_id, month_end)
    LEFT JOIN support USING (account_id, month_end)
),
banded AS (
    SELECT month, health_score,
        CASE WHEN health_score < 40 THEN 'Poor' WHEN health_score < 70 THEN 'Average' ELSE 'Good' END
            AS health_band
    FROM scores
),
cells AS (
    SELECT month, health_band, count(*) AS customer_accounts, avg(health_score) AS avg_health_score
    FROM banded
    GROUP BY ALL
),
spine AS (
    SELECT month, health_band FROM month_ends, (SELECT DISTINCT health_band FROM banded)
)
SELECT
    spine.month,
    spine.health_band,
    coalesce(customer_accounts, 0) AS customer_accounts,
    avg_health_score
FROM spine
LEFT JOIN cells USING (month, health_band)
ORDER BY ALL
