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
), src_tickets AS NOT MATERIALIZED (
  SELECT
    "opened_at",
    "account_id",
    "nps_score",
    "contacts",
    "resolved_at"
  FROM tickets
), src_accounts AS NOT MATERIALIZED (
  SELECT
    "account_id",
    "segment"
  FROM accounts
), scan_0 AS (
  SELECT
    CASE
      WHEN "tickets"."opened_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
      THEN CASE
        WHEN "tickets"."opened_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN 0
        ELSE 1
      END
      WHEN "tickets"."opened_at" >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
      THEN 2
    END AS period,
    "accounts"."segment" AS d0,
    COUNT(*) FILTER(WHERE
      "tickets"."nps_score" >= 9) AS a0,
    COUNT(*) FILTER(WHERE
      "tickets"."nps_score" <= 6) AS a1,
    COUNT(*) FILTER(WHERE
      NOT (
        "tickets"."nps_score" IS NULL
      )) AS a2,
    COUNT(*) FILTER(WHERE
      (
        "tickets"."contacts" = 1
      )
      AND (
        NOT (
          "tickets"."resolved_at" IS NULL
        )
      )) AS a3,
    COUNT(*) FILTER(WHERE
      NOT (
        "tickets"."resolved_at" IS NULL
      )) AS a4,
    CAST(AVG(
      CAST(CAST(EXTRACT(EPOCH FROM "tickets"."resolved_at") * 1000000 AS BIGINT) - CAST(EXTRACT(EPOCH FROM "tickets"."opened_at") * 1000000 AS BIGINT) AS DOUBLE PRECISION) / 3600000000.0
    ) AS DOUBLE PRECISION) AS a5,
    COUNT(*) FILTER(WHERE
      CAST(CAST(EXTRACT(ISODOW FROM CAST("tickets"."opened_at" AT TIME ZONE 'Europe/Berlin' AS TIMESTAMP)) AS BIGINT) AS BIGINT) >= 6) AS a6
  FROM src_tickets AS "tickets"
  LEFT JOIN src_accounts AS "accounts"
    ON "tickets"."account_id" = "accounts"."account_id"
  WHERE
    "tickets"."opened_at" >= CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
    AND "tickets"."opened_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
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
    ) AS DOUBLE PRECISION) / NULLIF(CAST(cells.a2 AS DOUBLE PRECISION), 0) AS DOUBLE PRECISION) AS m0,
    CAST(CAST(cells.a3 AS DOUBLE PRECISION) / NULLIF(CAST(cells.a4 AS DOUBLE PRECISION), 0) AS DOUBLE PRECISION) AS m1,
    CAST(cells.a5 AS DOUBLE PRECISION) AS m2,
    CAST(cells.a6 AS BIGINT) AS m3
  FROM cells
)
SELECT
  results.label AS "month",
  results.d0 AS "accounts.segment",
  results.m0 AS "nps",
  results.m1 AS "fcr",
  results.m2 AS "mean_hours",
  results.m3 AS "weekend_tickets"
FROM results
ORDER BY
  results.period,
  results.d0 COLLATE "C"
