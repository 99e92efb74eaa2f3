WITH spine AS (
  SELECT
    period,
    label,
    period_start,
    period_end,
    window_0_start,
    window_1_start
  FROM UNNEST([
    STRUCT(
      0 AS period,
      CAST('2024-02-26' AS DATE) AS label,
      CAST('2024-02-25 23:00:00+00:00' AS TIMESTAMP) AS period_start,
      CAST('2024-03-03 23:00:00+00:00' AS TIMESTAMP) AS period_end,
      CAST('2024-02-25 23:00:00+00:00' AS TIMESTAMP) AS window_0_start,
      CAST(NULL AS TIMESTAMP) AS window_1_start
    ),
    STRUCT(
      1 AS period,
      CAST('2024-03-04' AS DATE) AS label,
      CAST('2024-03-03 23:00:00+00:00' AS TIMESTAMP) AS period_start,
      CAST('2024-03-10 23:00:00+00:00' AS TIMESTAMP) AS period_end,
      CAST('2024-03-03 23:00:00+00:00' AS TIMESTAMP) AS window_0_start,
      CAST(NULL AS TIMESTAMP) AS window_1_start
    ),
    STRUCT(
      2 AS period,
      CAST('2024-03-11' AS DATE) AS label,
      CAST('2024-03-10 23:00:00+00:00' AS TIMESTAMP) AS period_start,
      CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP) AS period_end,
      CAST('2024-03-10 23:00:00+00:00' AS TIMESTAMP) AS window_0_start,
      CAST(NULL AS TIMESTAMP) AS window_1_start
    ),
    STRUCT(
      3 AS period,
      CAST('2024-03-18' AS DATE) AS label,
      CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP) AS period_start,
      CAST('2024-03-24 23:00:00+00:00' AS TIMESTAMP) AS period_end,
      CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP) AS window_0_start,
      CAST(NULL AS TIMESTAMP) AS window_1_start
    ),
    STRUCT(
      4 AS period,
      CAST('2024-03-25' AS DATE) AS label,
      CAST('2024-03-24 23:00:00+00:00' AS TIMESTAMP) AS period_start,
      CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP) AS period_end,
      CAST('2024-03-24 23:00:00+00:00' AS TIMESTAMP) AS window_0_start,
      CAST(NULL AS TIMESTAMP) AS window_1_start
    )
  ]) AS spine
), src_subscriptions AS (
  SELECT
    `started_at`,
    `ended_at`,
    `mrr`
  FROM subscriptions
), src_tickets AS (
  SELECT
    `opened_at`
  FROM tickets
), scan_0 AS (
  SELECT
    spine.period AS period,
    CAST(SUM(`subscriptions`.`mrr`) AS FLOAT64) AS a0
  FROM src_subscriptions AS `subscriptions`
  JOIN spine
    ON `subscriptions`.`started_at` < spine.period_end
    AND (
      `subscriptions`.`ended_at` IS NULL
      OR `subscriptions`.`ended_at` >= spine.period_end
    )
  WHERE
    `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
  GROUP BY
    spine.period
), scan_1 AS (
  SELECT
    spine.period AS period,
    COUNT(*) AS a1
  FROM src_tickets AS `tickets`
  JOIN spine
    ON `tickets`.`opened_at` < spine.period_end
    AND (
      spine.window_0_start IS NULL OR `tickets`.`opened_at` >= spine.window_0_start
    )
  WHERE
    `tickets`.`opened_at` >= CAST('2024-02-25 23:00:00+00:00' AS TIMESTAMP)
    AND `tickets`.`opened_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
  GROUP BY
    spine.period
), scan_2 AS (
  SELECT
    spine.period AS period,
    COUNT(CASE WHEN `subscriptions`.`mrr` > 0 THEN 1 END) AS a2
  FROM (
    SELECT
      `subscriptions`.*,
      CASE
        WHEN `subscriptions`.`ended_at` >= CAST('2024-02-25 23:00:00+00:00' AS TIMESTAMP)
        AND TIMESTAMP(
          CAST(DATE_ADD(CAST(DATETIME(`subscriptions`.`ended_at`, 'Europe/Berlin') AS DATE), INTERVAL -(
            MOD(
              MOD(
                EXTRACT(DAYOFWEEK FROM CAST(DATETIME(`subscriptions`.`ended_at`, 'Europe/Berlin') AS DATE)) + 5,
                7
              ) + 1 - 1 + 7,
              7
            )
          ) DAY) AS DATETIME),
          'Europe/Berlin'
        ) < CAST('2024-02-25 23:00:00+00:00' AS TIMESTAMP)
        THEN CAST('2024-02-25 23:00:00+00:00' AS TIMESTAMP)
        ELSE TIMESTAMP(
          CAST(DATE_ADD(CAST(DATETIME(`subscriptions`.`ended_at`, 'Europe/Berlin') AS DATE), INTERVAL -(
            MOD(
              MOD(
                EXTRACT(DAYOFWEEK FROM CAST(DATETIME(`subscriptions`.`ended_at`, 'Europe/Berlin') AS DATE)) + 5,
                7
              ) + 1 - 1 + 7,
              7
            )
          ) DAY) AS DATETIME),
          'Europe/Berlin'
        )
      END AS `metricsmith_last_end`
    FROM src_subscriptions AS `subscriptions`
  ) AS `subscriptions`
  JOIN spine
    ON `subscriptions`.`started_at` < spine.period_end
    AND (
      (
        `subscriptions`.`ended_at` IS NULL
        OR `subscriptions`.`ended_at` >= spine.period_end
      )
      OR (
        `subscriptions`.`metricsmith_last_end` > `subscriptions`.`started_at`
        AND (
          spine.window_1_start IS NULL
          OR `subscriptions`.`metricsmith_last_end` > spine.window_1_start
        )
      )
    )
  WHERE
    `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
  GROUP BY
    spine.period
), cells AS (
  SELECT
    spine.period,
    spine.label,
    COALESCE(scan_0.a0, 0) AS a0,
    COALESCE(scan_1.a1, 0) AS a1,
    COALESCE(scan_2.a2, 0) AS a2
  FROM spine
  LEFT JOIN scan_0
    ON scan_0.period = spine.period
  LEFT JOIN scan_1
    ON scan_1.period = spine.period
  LEFT JOIN scan_2
    ON scan_2.period = spine.period
), offsets_1 AS (
  SELECT
    cells.*,
    LAG(cells.a0, 1) OVER (ORDER BY cells.period NULLS LAST) AS o0
  FROM cells
), results AS (
  SELECT
    offsets_1.period,
    offsets_1.label,
    CAST(CAST(offsets_1.a0 AS FLOAT64) - CAST(offsets_1.o0 AS FLOAT64) AS FLOAT64) AS m0,
    CAST(offsets_1.a1 AS INT64) AS m1,
    CAST(offsets_1.a2 AS INT64) AS m2
  FROM offsets_1
)
SELECT
  results.label AS `week`,
  results.m0 AS `mrr_change`,
  results.m1 AS `recent_tickets`,
  results.m2 AS `paid_ever`
FROM results
WHERE
  results.period >= 1
ORDER BY
  results.period NULLS LAST
