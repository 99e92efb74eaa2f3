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
), src_subscriptions AS (
  SELECT
    `started_at`,
    `ended_at`,
    `account_id`,
    IF(IS_NAN(`mrr`), NULL, `mrr`) AS `mrr`
  FROM subscriptions
), src_accounts AS (
  SELECT
    `account_id`,
    `signed_up_at`
  FROM accounts
), l1_spine AS (
  SELECT
    period,
    TIMESTAMP_MICROS(period_start) AS period_start,
    TIMESTAMP_MICROS(period_end) AS period_end,
    parent_period
  FROM UNNEST([
    STRUCT(
      0 AS period,
      1704063600000000 AS period_start,
      1706742000000000 AS period_end,
      0 AS parent_period
    ),
    STRUCT(
      1 AS period,
      1706742000000000 AS period_start,
      1709247600000000 AS period_end,
      1 AS parent_period
    ),
    STRUCT(
      2 AS period,
      1709247600000000 AS period_start,
      1711922400000000 AS period_end,
      2 AS parent_period
    )
  ]) AS l1_spine
), l1_shown_members AS (
  SELECT
    `accounts`.`account_id` AS entity
  FROM src_accounts AS `accounts`
  WHERE
    `accounts`.`signed_up_at` >= CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
    AND `accounts`.`signed_up_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
), l1_scan_0 AS (
  SELECT
    l1_spine.period AS period,
    `subscriptions`.`account_id` AS entity,
    CAST(SUM(`subscriptions`.`mrr`) AS FLOAT64) AS a0
  FROM src_subscriptions AS `subscriptions`
  JOIN l1_spine
    ON l1_spine.period >= CASE
      WHEN `subscriptions`.`started_at` < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
        THEN 0
        ELSE 1
      END
      WHEN `subscriptions`.`started_at` >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
        THEN 2
        ELSE 3
      END
    END
    AND l1_spine.period <= COALESCE(
      CASE
        WHEN `subscriptions`.`ended_at` < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`ended_at` < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
          THEN 0
          ELSE 1
        END
        WHEN `subscriptions`.`ended_at` >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`ended_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
          THEN 2
          ELSE 3
        END
      END - 1,
      2
    )
  JOIN l1_shown_members
    ON `subscriptions`.`account_id` = l1_shown_members.entity
  WHERE
    `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
    AND NOT `subscriptions`.`account_id` IS NULL
  GROUP BY
    1,
    2
), l1_members AS (
  SELECT
    members.*,
    CASE
      WHEN members.d0 >= CAST('2024-01-01' AS DATE)
      AND members.d0 < CAST('2024-04-01' AS DATE)
      THEN CASE
        WHEN members.d0 < CAST('2024-02-01' AS DATE)
        THEN 0
        WHEN members.d0 >= CAST('2024-03-01' AS DATE)
        THEN 2
        ELSE (
          CAST(EXTRACT(YEAR FROM members.d0) AS INT64) * 12 + CAST(EXTRACT(MONTH FROM members.d0) AS INT64) - 24289
        )
      END
    END AS cohort_period
  FROM (
    SELECT
      `accounts`.`account_id` AS entity,
      CAST(DATE_TRUNC(CAST(DATETIME(`accounts`.`signed_up_at`, 'Europe/Berlin') AS DATE), MONTH) AS DATE) AS d0,
      CASE
        WHEN COALESCE(NOT `accounts`.`signed_up_at` IS NULL, FALSE)
        THEN CASE
          WHEN `accounts`.`signed_up_at` < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `accounts`.`signed_up_at` < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
            THEN 0
            ELSE 1
          END
          WHEN `accounts`.`signed_up_at` >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `accounts`.`signed_up_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
            THEN 2
            ELSE 3
          END
        END
        ELSE 3
      END AS exists_from
    FROM src_accounts AS `accounts`
    WHERE
      `accounts`.`signed_up_at` >= CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
      AND `accounts`.`signed_up_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
  ) AS members
), l1_cells AS (
  SELECT
    l1_spine.period,
    l1_spine.parent_period,
    l1_members.d0,
    l1_members.entity,
    l1_spine.period >= l1_members.exists_from AS in_set,
    l1_members.cohort_period AS cohort_period,
    COALESCE(l1_scan_0.a0, 0) AS a0
  FROM l1_spine
  CROSS JOIN l1_members
  LEFT JOIN l1_scan_0
    ON l1_scan_0.period = l1_spine.period AND l1_scan_0.entity = l1_members.entity
), l1_starts_1 AS (
  SELECT
    l1_cells.entity,
    l1_cells.cohort_period,
    l1_cells.a0 AS o0
  FROM l1_cells
  WHERE
    l1_cells.period = l1_cells.cohort_period
), l1_offsets_1 AS (
  SELECT
    l1_cells.*,
    CASE WHEN l1_cells.period >= l1_cells.cohort_period THEN l1_starts_1.o0 END AS o0
  FROM l1_cells
  LEFT JOIN l1_starts_1
    ON l1_cells.entity = l1_starts_1.entity
), l1_results AS (
  SELECT
    l1_offsets_1.period,
    l1_offsets_1.parent_period,
    l1_offsets_1.d0,
    l1_offsets_1.entity,
    l1_offsets_1.in_set,
    l1_offsets_1.cohort_period,
    CAST((
      l1_offsets_1.a0 > 0
    ) AND (
      l1_offsets_1.o0 > 0
    ) AS BOOL) AS p0_where,
    CAST(l1_offsets_1.o0 > 0 AS BOOL) AS p1_where
  FROM l1_offsets_1
), l1_per AS (
  SELECT
    l1_results.parent_period AS period,
    l1_results.d0 AS d0,
    COUNT(CASE WHEN p0_where THEN 1 END) AS p0,
    COUNT(CASE WHEN p1_where THEN 1 END) AS p1
  FROM l1_results
  WHERE
    NOT l1_results.parent_period IS NULL AND l1_results.in_set
  GROUP BY
    l1_results.parent_period,
    l1_results.d0
), combos AS (
  SELECT
    d0
  FROM l1_per
  UNION DISTINCT
  SELECT
    range_cohorts.d0
  FROM (
    SELECT
      CAST('2024-01-01' AS DATE) AS d0
    UNION ALL
    SELECT
      CAST('2024-02-01' AS DATE) AS d0
    UNION ALL
    SELECT
      CAST('2024-03-01' AS DATE) AS d0
  ) AS range_cohorts
), cells AS (
  SELECT
    spine.period,
    spine.label,
    combos.d0,
    CASE
      WHEN combos.d0 >= CAST('2024-01-01' AS DATE)
      AND combos.d0 < CAST('2024-04-01' AS DATE)
      THEN CASE
        WHEN combos.d0 < CAST('2024-02-01' AS DATE)
        THEN 0
        WHEN combos.d0 >= CAST('2024-03-01' AS DATE)
        THEN 2
        ELSE (
          CAST(EXTRACT(YEAR FROM combos.d0) AS INT64) * 12 + CAST(EXTRACT(MONTH FROM combos.d0) AS INT64) - 24289
        )
      END
    END AS cohort_period,
    COALESCE(l1_per.p0, 0) AS p0,
    COALESCE(l1_per.p1, 0) AS p1
  FROM spine
  CROSS JOIN combos
  LEFT JOIN l1_per
    ON l1_per.period = spine.period AND l1_per.d0 IS NOT DISTINCT FROM combos.d0
), results AS (
  SELECT
    cells.period,
    cells.label,
    cells.d0,
    cells.cohort_period,
    CAST(CAST(cells.p0 AS FLOAT64) / NULLIF(CAST(cells.p1 AS FLOAT64), 0) AS FLOAT64) AS m0
  FROM cells
), cohorts AS (
  SELECT DISTINCT
    d0,
    cohort_period
  FROM results
  WHERE
    cohort_period >= 0
), ages AS (
  SELECT
    0 AS age
  UNION ALL
  SELECT
    1 AS age
  UNION ALL
  SELECT
    2 AS age
)
SELECT
  cohorts.d0 AS `cohort(accounts.signed_up_at, month)`,
  ages.age AS `age`,
  results.m0 AS `cohort_retention`
FROM cohorts
CROSS JOIN ages
LEFT JOIN results
  ON results.period = cohorts.cohort_period + ages.age
  AND cohorts.cohort_period + ages.age < 3
  AND cohorts.d0 IS NOT DISTINCT FROM results.d0
ORDER BY
  cohorts.d0 NULLS LAST,
  ages.age NULLS LAST
