WITH spine AS (
  SELECT
    period,
    label,
    CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + (
      period_start * INTERVAL '1 MICROSECOND'
    ) AS period_start,
    CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + (
      period_end * INTERVAL '1 MICROSECOND'
    ) AS period_end
  FROM (VALUES
    (0, CAST('2024-01-01' AS DATE), 1704063600000000, 1706742000000000),
    (1, CAST('2024-02-01' AS DATE), 1706742000000000, 1709247600000000),
    (2, CAST('2024-03-01' AS DATE), 1709247600000000, 1711922400000000)) AS spine(period, label, period_start, period_end)
), src_subscriptions AS NOT MATERIALIZED (
  SELECT
    "started_at",
    "ended_at",
    "account_id",
    NULLIF("mrr", CAST('NaN' AS DOUBLE PRECISION)) AS "mrr"
  FROM subscriptions
), src_accounts AS NOT MATERIALIZED (
  SELECT
    "account_id",
    "signed_up_at"
  FROM accounts
), l1_spine AS (
  SELECT
    period,
    CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + (
      period_start * INTERVAL '1 MICROSECOND'
    ) AS period_start,
    CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + (
      period_end * INTERVAL '1 MICROSECOND'
    ) AS period_end,
    parent_period
  FROM (VALUES
    (0, 1704063600000000, 1706742000000000, 0),
    (1, 1706742000000000, 1709247600000000, 1),
    (2, 1709247600000000, 1711922400000000, 2)) AS l1_spine(period, period_start, period_end, parent_period)
), l1_scan_0 AS (
  SELECT
    l1_spine.period AS period,
    "subscriptions"."account_id" AS entity,
    CAST(SUM("subscriptions"."mrr") AS DOUBLE PRECISION) AS a0
  FROM (
    SELECT
      "subscriptions".*,
      CASE
        WHEN "subscriptions"."started_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN 0
          ELSE 1
        END
        WHEN "subscriptions"."started_at" >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
          THEN 2
          ELSE 3
        END
      END AS "metricsmith_row_0",
      COALESCE(
        CASE
          WHEN "subscriptions"."ended_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
            THEN 0
            ELSE 1
          END
          WHEN "subscriptions"."ended_at" >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
            THEN 2
            ELSE 3
          END
        END - 1,
        2
      ) AS "metricsmith_row_1"
    FROM src_subscriptions AS "subscriptions"
    OFFSET 0
  ) AS "subscriptions"
  JOIN l1_spine
    ON l1_spine.period >= "subscriptions"."metricsmith_row_0"
    AND l1_spine.period <= "subscriptions"."metricsmith_row_1"
  WHERE
    "subscriptions"."started_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
    AND NOT "subscriptions"."account_id" IS NULL
  GROUP BY
    1,
    2
), l1_members AS (
  SELECT
    "accounts"."account_id" AS entity,
    CASE
      WHEN COALESCE(NOT "accounts"."signed_up_at" IS NULL, FALSE)
      THEN CASE
        WHEN "accounts"."signed_up_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "accounts"."signed_up_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN 0
          ELSE 1
        END
        WHEN "accounts"."signed_up_at" >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "accounts"."signed_up_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
          THEN 2
          ELSE 3
        END
      END
      ELSE 3
    END AS exists_from,
    CASE
      WHEN COALESCE(NOT "accounts"."signed_up_at" IS NULL, FALSE)
      THEN CASE
        WHEN "accounts"."signed_up_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "accounts"."signed_up_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN 0
          ELSE 1
        END
        WHEN "accounts"."signed_up_at" >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "accounts"."signed_up_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
          THEN 2
          ELSE 3
        END
      END
      ELSE 3
    END AS keep_from
  FROM src_accounts AS "accounts"
), l1_cells AS (
  SELECT
    l1_spine.period,
    l1_spine.parent_period,
    l1_members.entity,
    l1_spine.period >= l1_members.exists_from AS in_set,
    COALESCE(l1_scan_0.a0, 0) AS a0
  FROM l1_spine
  JOIN l1_members
    ON l1_spine.period >= l1_members.keep_from
  LEFT JOIN l1_scan_0
    ON l1_scan_0.period = l1_spine.period AND l1_scan_0.entity = l1_members.entity
), l1_results AS (
  SELECT
    l1_cells.period,
    l1_cells.parent_period,
    l1_cells.entity,
    l1_cells.in_set,
    CAST(l1_cells.a0 > 0 AS BOOLEAN) AS p0_where,
    CAST(CASE
      WHEN CAST(l1_cells.a0 AS DOUBLE PRECISION) IS NULL
      THEN NULL
      WHEN CAST(l1_cells.a0 AS DOUBLE PRECISION) < 100.0
      THEN 'Low'
      WHEN CAST(l1_cells.a0 AS DOUBLE PRECISION) < 1000.0
      THEN 'Mid'
      ELSE 'High'
    END AS VARCHAR) AS entity_d0
  FROM l1_cells
), l1_per AS (
  SELECT
    l1_results.parent_period AS period,
    l1_results.entity_d0 AS d0,
    COUNT(*) FILTER(WHERE
      p0_where) AS p0
  FROM l1_results
  WHERE
    NOT l1_results.parent_period IS NULL AND l1_results.in_set
  GROUP BY
    l1_results.parent_period,
    l1_results.entity_d0
), combos AS (
  SELECT DISTINCT
    d0
  FROM l1_per
), cells AS (
  SELECT
    spine.period,
    spine.label,
    combos.d0,
    COALESCE(l1_per.p0, 0) AS p0
  FROM spine
  CROSS JOIN combos
  LEFT JOIN l1_per
    ON l1_per.period = spine.period AND l1_per.d0 IS NOT DISTINCT FROM combos.d0
), results AS (
  SELECT
    cells.period,
    cells.label,
    cells.d0,
    CAST(cells.p0 AS BIGINT) AS m0
  FROM cells
)
SELECT
  results.label AS "month",
  results.d0 AS "mrr_band",
  results.m0 AS "customers"
FROM results
ORDER BY
  results.period,
  results.d0 COLLATE "C"
