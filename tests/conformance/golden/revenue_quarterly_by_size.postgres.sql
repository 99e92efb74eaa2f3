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
    (0, CAST('2024-01-01' AS DATE), 1704063600000000, 1711922400000000),
    (1, CAST('2024-04-01' AS DATE), 1711922400000000, 1719784800000000),
    (2, CAST('2024-07-01' AS DATE), 1719784800000000, 1727733600000000),
    (3, CAST('2024-10-01' AS DATE), 1727733600000000, 1735686000000000)) AS spine(period, label, period_start, period_end)
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
    "employees"
  FROM accounts
), scan_0 AS (
  SELECT
    spine.period AS period,
    CASE
      WHEN CAST("accounts"."employees" AS DOUBLE PRECISION) IS NULL
      THEN NULL
      WHEN CAST("accounts"."employees" AS DOUBLE PRECISION) < 50.0
      THEN 'SMB'
      WHEN CAST("accounts"."employees" AS DOUBLE PRECISION) < 500.0
      THEN 'Mid-market'
      ELSE 'Enterprise'
    END AS d0,
    CAST(SUM("subscriptions"."mrr") AS DOUBLE PRECISION) AS a0,
    COUNT(
      DISTINCT CASE WHEN "subscriptions"."mrr" > 0 THEN "subscriptions"."account_id" END
    ) AS a1
  FROM (
    SELECT
      "subscriptions".*,
      CASE
        WHEN "subscriptions"."started_at" < CAST('2024-09-30 22:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2024-06-30 22:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."started_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN "subscriptions"."started_at" >= CAST('2024-09-30 22:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2024-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN 3
          ELSE 4
        END
      END AS "metricsmith_row_0",
      COALESCE(
        CASE
          WHEN "subscriptions"."ended_at" < CAST('2024-09-30 22:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2024-06-30 22:00:00+00:00' AS TIMESTAMPTZ)
            THEN CASE
              WHEN "subscriptions"."ended_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
              THEN 0
              ELSE 1
            END
            ELSE 2
          END
          WHEN "subscriptions"."ended_at" >= CAST('2024-09-30 22:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2024-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
            THEN 3
            ELSE 4
          END
        END - 1,
        3
      ) AS "metricsmith_row_1"
    FROM src_subscriptions AS "subscriptions"
    OFFSET 0
  ) AS "subscriptions"
  JOIN spine
    ON spine.period >= "subscriptions"."metricsmith_row_0"
    AND spine.period <= "subscriptions"."metricsmith_row_1"
  LEFT JOIN src_accounts AS "accounts"
    ON "subscriptions"."account_id" = "accounts"."account_id"
  WHERE
    "subscriptions"."started_at" < CAST('2024-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
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
    COALESCE(scan_0.a1, 0) AS a1
  FROM spine
  CROSS JOIN combos
  LEFT JOIN scan_0
    ON scan_0.period = spine.period AND scan_0.d0 IS NOT DISTINCT FROM combos.d0
), results AS (
  SELECT
    cells.period,
    cells.label,
    cells.d0,
    CAST(cells.a0 AS DOUBLE PRECISION) AS m0,
    CAST(CAST(cells.a0 AS DOUBLE PRECISION) / NULLIF(CAST(cells.a1 AS DOUBLE PRECISION), 0) AS DOUBLE PRECISION) AS m1
  FROM cells
)
SELECT
  results.label AS "quarter",
  results.d0 AS "size",
  results.m0 AS "mrr",
  results.m1 AS "arpa"
FROM results
ORDER BY
  results.period,
  results.d0 COLLATE "C"
