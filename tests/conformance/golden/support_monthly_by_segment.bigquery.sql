WITH spine AS (
  SELECT
    period,
    label,
    TIMESTAMP_MICROS(period_start) AS period_start,
    TIMESTAMP_MICROS(period_end) AS period_end
  FROM UNNEST([
    STRUCT(
      0 AS period,
      CAST('2024-01-01' AS DATE) AS label,
      1704063600000000 AS period_start,
      1706742000000000 AS period_end
    ),
    STRUCT(
      1 AS period,
      CAST('2024-02-01' AS DATE) AS label,
      1706742000000000 AS period_start,
      1709247600000000 AS period_end
    ),
    STRUCT(
      2 AS period,
      CAST('2024-03-01' AS DATE) AS label,
      1709247600000000 AS period_start,
      1711922400000000 AS period_end
    )
  ]) AS spine
), src_tickets AS (
  SELECT
    `opened_at`,
    `account_id`,
    `nps_score`,
    `contacts`,
    `resolved_at`
  FROM tickets
), src_accounts AS (
  SELECT
    `account_id`,
    `segment`
  FROM accounts
), scan_0 AS (
  SELECT
    CASE
      WHEN `tickets`.`opened_at` < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `tickets`.`opened_at` < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
        THEN 0
        ELSE 1
      END
      WHEN `tickets`.`opened_at` >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
      THEN 2
    END AS period,
    `accounts`.`segment` AS d0,
    COUNT(CASE WHEN `tickets`.`nps_score` >= 9 THEN 1 END) AS a0,
    COUNT(CASE WHEN `tickets`.`nps_score` <= 6 THEN 1 END) AS a1,
    COUNT(CASE WHEN NOT (
      `tickets`.`nps_score` IS NULL
    ) THEN 1 END) AS a2,
    COUNT(
      CASE
        WHEN (
          `tickets`.`contacts` = 1
        )
        AND (
          NOT (
            `tickets`.`resolved_at` IS NULL
          )
        )
        THEN 1
      END
    ) AS a3,
    COUNT(CASE WHEN NOT (
      `tickets`.`resolved_at` IS NULL
    ) THEN 1 END) AS a4,
    CAST(AVG(
      CAST(UNIX_MICROS(`tickets`.`resolved_at`) - UNIX_MICROS(`tickets`.`opened_at`) AS FLOAT64) / 3600000000.0
    ) AS FLOAT64) AS a5,
    COUNT(
      CASE
        WHEN CAST(MOD(EXTRACT(DAYOFWEEK FROM DATETIME(`tickets`.`opened_at`, 'Europe/Berlin')) + 5, 7) + 1 AS INT64) >= 6
        THEN 1
      END
    ) AS a6
  FROM src_tickets AS `tickets`
  LEFT JOIN src_accounts AS `accounts`
    ON `tickets`.`account_id` = `accounts`.`account_id`
  WHERE
    `tickets`.`opened_at` >= CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
    AND `tickets`.`opened_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
  GROUP BY
    1,
    2
), combos AS (
  SELECT DISTINCT
    d0
  FROM scan_0
), cells AS (
  SELECT
    spine.period,
    spine.label,
    combos.d0,
    COALESCE(scan_0.a0, 0) AS a0,
    COALESCE(scan_0.a1, 0) AS a1,
    COALESCE(scan_0.a2, 0) AS a2,
    COALESCE(scan_0.a3, 0) AS a3,
    COALESCE(scan_0.a4, 0) AS a4,
    scan_0.a5 AS a5,
    COALESCE(scan_0.a6, 0) AS a6
  FROM spine
  CROSS JOIN combos
  LEFT JOIN scan_0
    ON scan_0.period = spine.period AND scan_0.d0 IS NOT DISTINCT FROM combos.d0
), results AS (
  SELECT
    cells.period,
    cells.label,
    cells.d0,
    CAST(CAST(100 * (
      cells.a0 - cells.a1
    ) AS FLOAT64) / NULLIF(CAST(cells.a2 AS FLOAT64), 0) AS FLOAT64) AS m0,
    CAST(CAST(cells.a3 AS FLOAT64) / NULLIF(CAST(cells.a4 AS FLOAT64), 0) AS FLOAT64) AS m1,
    CAST(cells.a5 AS FLOAT64) AS m2,
    CAST(cells.a6 AS INT64) AS m3
  FROM cells
)
SELECT
  results.label AS `month`,
  results.d0 AS `accounts.segment`,
  results.m0 AS `nps`,
  results.m1 AS `fcr`,
  results.m2 AS `mean_hours`,
  results.m3 AS `weekend_tickets`
FROM results
ORDER BY
  results.period NULLS LAST,
  results.d0 NULLS LAST
