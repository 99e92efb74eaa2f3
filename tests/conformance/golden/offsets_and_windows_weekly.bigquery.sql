WITH spine AS (
  SELECT
    period,
    label,
    TIMESTAMP_MICROS(period_start) AS period_start,
    TIMESTAMP_MICROS(period_end) AS period_end,
    TIMESTAMP_MICROS(window_0_start) AS window_0_start,
    TIMESTAMP_MICROS(window_1_start) AS window_1_start
  FROM UNNEST([
    STRUCT(
      0 AS period,
      CAST('2024-02-26' AS DATE) AS label,
      1708902000000000 AS period_start,
      1709506800000000 AS period_end,
      1708902000000000 AS window_0_start,
      CAST(NULL AS INT64) AS window_1_start
    ),
    STRUCT(
      1 AS period,
      CAST('2024-03-04' AS DATE) AS label,
      1709506800000000 AS period_start,
      1710111600000000 AS period_end,
      1709506800000000 AS window_0_start,
      CAST(NULL AS INT64) AS window_1_start
    ),
    STRUCT(
      2 AS period,
      CAST('2024-03-11' AS DATE) AS label,
      1710111600000000 AS period_start,
      1710716400000000 AS period_end,
      1710111600000000 AS window_0_start,
      CAST(NULL AS INT64) AS window_1_start
    ),
    STRUCT(
      3 AS period,
      CAST('2024-03-18' AS DATE) AS label,
      1710716400000000 AS period_start,
      1711321200000000 AS period_end,
      1710716400000000 AS window_0_start,
      CAST(NULL AS INT64) AS window_1_start
    ),
    STRUCT(
      4 AS period,
      CAST('2024-03-25' AS DATE) AS label,
      1711321200000000 AS period_start,
      1711922400000000 AS period_end,
      1711321200000000 AS window_0_start,
      CAST(NULL AS INT64) AS window_1_start
    )
  ]) AS spine
), src_subscriptions AS (
  SELECT
    `started_at`,
    `ended_at`,
    IF(IS_NAN(`mrr`), NULL, `mrr`) AS `mrr`
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
    ON spine.period >= CASE
      WHEN `subscriptions`.`started_at` < CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-03-10 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`started_at` < CAST('2024-03-03 23:00:00+00:00' AS TIMESTAMP)
          THEN 0
          ELSE 1
        END
        ELSE 2
      END
      WHEN `subscriptions`.`started_at` >= CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`started_at` < CAST('2024-03-24 23:00:00+00:00' AS TIMESTAMP)
          THEN 3
          ELSE 4
        END
        ELSE 5
      END
    END
    AND spine.period <= COALESCE(
      CASE
        WHEN `subscriptions`.`ended_at` < CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`ended_at` < CAST('2024-03-10 23:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `subscriptions`.`ended_at` < CAST('2024-03-03 23:00:00+00:00' AS TIMESTAMP)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN `subscriptions`.`ended_at` >= CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`ended_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `subscriptions`.`ended_at` < CAST('2024-03-24 23:00:00+00:00' AS TIMESTAMP)
            THEN 3
            ELSE 4
          END
          ELSE 5
        END
      END - 1,
      4
    )
  WHERE
    `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
  GROUP BY
    1
), scan_1 AS (
  SELECT
    spine.period AS period,
    COUNT(*) AS a1
  FROM src_tickets AS `tickets`
  JOIN spine
    ON `tickets`.`opened_at` < spine.period_end
    AND `tickets`.`opened_at` >= spine.window_0_start
  WHERE
    `tickets`.`opened_at` >= CAST('2024-03-03 23:00:00+00:00' AS TIMESTAMP)
    AND `tickets`.`opened_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
  GROUP BY
    1
), scan_2_rows AS (
  SELECT
    CASE
      WHEN `subscriptions`.`started_at` < CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-03-10 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`started_at` < CAST('2024-03-03 23:00:00+00:00' AS TIMESTAMP)
          THEN 0
          ELSE 1
        END
        ELSE 2
      END
      WHEN `subscriptions`.`started_at` >= CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`started_at` < CAST('2024-03-24 23:00:00+00:00' AS TIMESTAMP)
          THEN 3
          ELSE 4
        END
        ELSE 5
      END
    END AS first_period,
    CASE
      WHEN `subscriptions`.`ended_at` IS NULL
      OR `subscriptions`.`metricsmith_last_end` > `subscriptions`.`started_at`
      OR CASE
        WHEN `subscriptions`.`ended_at` < CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`ended_at` < CAST('2024-03-10 23:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `subscriptions`.`ended_at` < CAST('2024-03-03 23:00:00+00:00' AS TIMESTAMP)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN `subscriptions`.`ended_at` >= CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`ended_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `subscriptions`.`ended_at` < CAST('2024-03-24 23:00:00+00:00' AS TIMESTAMP)
            THEN 3
            ELSE 4
          END
          ELSE 5
        END
      END > CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`started_at` < CAST('2024-03-10 23:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `subscriptions`.`started_at` < CAST('2024-03-03 23:00:00+00:00' AS TIMESTAMP)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN `subscriptions`.`started_at` >= CAST('2024-03-17 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `subscriptions`.`started_at` < CAST('2024-03-24 23:00:00+00:00' AS TIMESTAMP)
            THEN 3
            ELSE 4
          END
          ELSE 5
        END
      END
      THEN 4
      ELSE -1
    END AS last_period,
    CASE WHEN (
      `subscriptions`.`mrr` > 0
    ) THEN 1 ELSE 0 END AS a2
  FROM (
    SELECT
      `subscriptions`.*,
      CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-02-25 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
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
        END
      END AS `metricsmith_last_end`
    FROM src_subscriptions AS `subscriptions`
  ) AS `subscriptions`
  WHERE
    `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
    AND (
      `subscriptions`.`mrr` > 0
    )
), scan_2 AS (
  SELECT
    period,
    CAST(SUM(a2) AS INT64) AS a2
  FROM (
    SELECT
      first_period AS period,
      a2
    FROM scan_2_rows
    WHERE
      first_period <= last_period
  ) AS changes
  GROUP BY
    period
), cells AS (
  SELECT
    spine.period,
    spine.label,
    COALESCE(scan_0.a0, 0) AS a0,
    COALESCE(scan_1.a1, 0) AS a1,
    scan_2.a2 AS a2
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
    LAG(cells.a0, 1) OVER (ORDER BY cells.period NULLS LAST) AS o0,
    CAST(COALESCE(
      SUM(cells.a2) OVER (ORDER BY cells.period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
      0
    ) AS INT64) AS o1
  FROM cells
), results AS (
  SELECT
    offsets_1.period,
    offsets_1.label,
    CAST(CAST(offsets_1.a0 AS FLOAT64) - CAST(offsets_1.o0 AS FLOAT64) AS FLOAT64) AS m0,
    CAST(offsets_1.a1 AS INT64) AS m1,
    CAST(offsets_1.o1 AS INT64) AS m2
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
