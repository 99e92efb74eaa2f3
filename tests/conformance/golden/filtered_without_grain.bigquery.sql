WITH spine AS (
  SELECT
    period,
    TIMESTAMP_MICROS(period_start) AS period_start,
    TIMESTAMP_MICROS(period_end) AS period_end
  FROM UNNEST([
    STRUCT(0 AS period, 1709247600000000 AS period_start, 1710457200000000 AS period_end)
  ]) AS spine
), src_tickets AS (
  SELECT
    `opened_at`,
    `account_id`,
    `contacts`,
    `resolved_at`
  FROM tickets
), src_accounts AS (
  SELECT
    `account_id`,
    `segment`
  FROM accounts
), src_subscriptions AS (
  SELECT
    `started_at`,
    `ended_at`,
    `account_id`,
    IF(IS_NAN(`mrr`), NULL, `mrr`) AS `mrr`
  FROM subscriptions
), scan_0 AS (
  SELECT
    CASE WHEN NOT `tickets`.`opened_at` IS NULL THEN 0 END AS period,
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
    ) AS a0,
    COUNT(CASE WHEN NOT (
      `tickets`.`resolved_at` IS NULL
    ) THEN 1 END) AS a1
  FROM src_tickets AS `tickets`
  LEFT JOIN src_accounts AS `accounts`
    ON `tickets`.`account_id` = `accounts`.`account_id`
  WHERE
    (
      `tickets`.`opened_at` >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
      AND `tickets`.`opened_at` < CAST('2024-03-14 23:00:00+00:00' AS TIMESTAMP)
      AND `accounts`.`segment` IN ('smb', 'mid')
    )
    AND (
      (
        (
          `tickets`.`contacts` = 1
        )
        AND (
          NOT (
            `tickets`.`resolved_at` IS NULL
          )
        )
      )
      OR (
        NOT (
          `tickets`.`resolved_at` IS NULL
        )
      )
    )
  GROUP BY
    1
), scan_1 AS (
  SELECT
    spine.period AS period,
    CAST(SUM(`subscriptions`.`mrr`) AS FLOAT64) AS a2
  FROM src_subscriptions AS `subscriptions`
  JOIN spine
    ON spine.period >= CASE
      WHEN `subscriptions`.`started_at` < CAST('2024-03-14 23:00:00+00:00' AS TIMESTAMP)
      THEN 0
      WHEN `subscriptions`.`started_at` >= CAST('2024-03-14 23:00:00+00:00' AS TIMESTAMP)
      THEN 1
    END
    AND spine.period <= COALESCE(
      CASE
        WHEN `subscriptions`.`ended_at` < CAST('2024-03-14 23:00:00+00:00' AS TIMESTAMP)
        THEN 0
        WHEN `subscriptions`.`ended_at` >= CAST('2024-03-14 23:00:00+00:00' AS TIMESTAMP)
        THEN 1
      END - 1,
      0
    )
  LEFT JOIN src_accounts AS `accounts`
    ON `subscriptions`.`account_id` = `accounts`.`account_id`
  WHERE
    `subscriptions`.`started_at` < CAST('2024-03-14 23:00:00+00:00' AS TIMESTAMP)
    AND `accounts`.`segment` IN ('smb', 'mid')
  GROUP BY
    1
), cells AS (
  SELECT
    spine.period,
    COALESCE(scan_0.a0, 0) AS a0,
    COALESCE(scan_0.a1, 0) AS a1,
    COALESCE(scan_1.a2, 0) AS a2
  FROM spine
  LEFT JOIN scan_0
    ON scan_0.period = spine.period
  LEFT JOIN scan_1
    ON scan_1.period = spine.period
), results AS (
  SELECT
    cells.period,
    CAST(CAST(cells.a0 AS FLOAT64) / NULLIF(CAST(cells.a1 AS FLOAT64), 0) AS FLOAT64) AS m0,
    CAST(cells.a2 AS FLOAT64) AS m1
  FROM cells
)
SELECT
  results.m0 AS `fcr`,
  results.m1 AS `mrr`
FROM results
ORDER BY
  results.period NULLS LAST
