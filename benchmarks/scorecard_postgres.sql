-- The benchmark scorecard written by hand for PostgreSQL, as a careful analyst would write it
-- (scorecard.sql is the DuckDB original). The tables are in the schema $schema of the server;
-- the session runs in UTC (so months are UTC months). $range_start and $range_end are the
-- half-open query range [start, end), as TIMESTAMPTZ literals.
-- PostgreSQL divides integers as integers: ratios are computed in double precision.
WITH
accounts AS (
    SELECT account_id, segment
    FROM $schema.accounts
),
-- Every month of the range for every segment, so a cell without data still gets a row.
spine AS (
    SELECT CAST(months.month_start AS DATE) AS month, segments.segment
    FROM generate_series(
        $range_start, $range_end - INTERVAL '1 microsecond', INTERVAL '1 month'
    ) AS months (month_start)
    CROSS JOIN (SELECT DISTINCT segment FROM accounts) AS segments
),
ticket_cells AS (
    SELECT
        CAST(date_trunc('month', tickets.opened_at) AS DATE) AS month,
        accounts.segment,
        count(*) AS tickets_opened,
        count(*) FILTER (WHERE tickets.nps_score >= 9) AS promoters,
        count(*) FILTER (WHERE tickets.nps_score <= 6) AS detractors,
        count(tickets.nps_score) AS nps_answers,
        avg(
            CAST(EXTRACT(EPOCH FROM tickets.resolved_at - tickets.opened_at) AS DOUBLE PRECISION)
            / 3600
        ) AS avg_resolution_hours,
        count(*) FILTER (WHERE tickets.contacts = 1 AND tickets.resolved_at IS NOT NULL)
            AS resolved_first_contact,
        count(tickets.resolved_at) AS resolved
    FROM $schema.tickets AS tickets
    JOIN accounts USING (account_id)
    WHERE tickets.opened_at >= $range_start AND tickets.opened_at < $range_end
    GROUP BY 1, 2
),
event_cells AS (
    SELECT
        CAST(date_trunc('month', events.occurred_at) AS DATE) AS month,
        accounts.segment,
        count(*) AS events,
        count(DISTINCT events.user_id) AS active_users
    FROM $schema.events AS events
    JOIN accounts USING (account_id)
    WHERE events.occurred_at >= $range_start AND events.occurred_at < $range_end
    GROUP BY 1, 2
)
SELECT
    spine.month,
    spine.segment AS "accounts.segment",
    CAST(100 * (ticket_cells.promoters - ticket_cells.detractors) AS DOUBLE PRECISION)
        / NULLIF(ticket_cells.nps_answers, 0) AS nps,
    coalesce(event_cells.active_users, 0) AS active_users,
    ticket_cells.avg_resolution_hours,
    CAST(ticket_cells.resolved_first_contact AS DOUBLE PRECISION)
        / NULLIF(ticket_cells.resolved, 0) AS fcr_rate,
    coalesce(ticket_cells.tickets_opened, 0) AS tickets_opened,
    CAST(event_cells.events AS DOUBLE PRECISION)
        / NULLIF(event_cells.active_users, 0) AS events_per_active_user
FROM spine
LEFT JOIN ticket_cells USING (month, segment)
LEFT JOIN event_cells USING (month, segment)
ORDER BY spine.month, spine.segment
