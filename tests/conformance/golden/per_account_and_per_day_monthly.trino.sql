WITH spine AS (
  SELECT
    period,
    label,
    FROM_UNIXTIME_NANOS(period_start * 1000) AS period_start,
    FROM_UNIXTIME_NANOS(period_end * 1000) AS period_end
  FROM (VALUES
    (0, CAST('2023-11-01' AS DATE), 1698793200000000, 1701385200000000),
    (1, CAST('2023-12-01' AS DATE), 1701385200000000, 1704063600000000),
    (2, CAST('2024-01-01' AS DATE), 1704063600000000, 1706742000000000),
    (3, CAST('2024-02-01' AS DATE), 1706742000000000, 1709247600000000),
    (4, CAST('2024-03-01' AS DATE), 1709247600000000, 1711922400000000)) AS spine(period, label, period_start, period_end)
), src_subscriptions AS (
  SELECT
    "started_at",
    "ended_at",
    IF(IS_NAN("mrr"), NULL, "mrr") AS "mrr",
    "account_id"
  FROM subscriptions
), src_accounts AS (
  SELECT
    "account_id",
    "signed_up_at"
  FROM accounts
), src_tickets AS (
  SELECT
    "opened_at"
  FROM tickets
), l1_spine AS (
  SELECT
    period,
    FROM_UNIXTIME_NANOS(period_start * 1000) AS period_start,
    FROM_UNIXTIME_NANOS(period_end * 1000) AS period_end,
    FROM_UNIXTIME_NANOS(window_0_start * 1000) AS window_0_start,
    parent_period
  FROM (VALUES
    (0, 1701385200000000, 1704063600000000, CAST(NULL AS BIGINT), 1),
    (1, 1704063600000000, 1706742000000000, CAST(NULL AS BIGINT), 2),
    (2, 1706742000000000, 1709247600000000, CAST(NULL AS BIGINT), 3),
    (3, 1709247600000000, 1711922400000000, CAST(NULL AS BIGINT), 4)) AS l1_spine(period, period_start, period_end, window_0_start, parent_period)
), l1_scan_0 AS (
  SELECT
    l1_spine.period AS period,
    "subscriptions"."account_id" AS entity,
    CAST(SUM("subscriptions"."mrr") AS DOUBLE) AS a1,
    CAST(SUM(
      CASE
        WHEN l1_spine.period = 0 OR "subscriptions"."started_at" >= l1_spine.period_start
        THEN CASE WHEN (
          "subscriptions"."mrr" > 0
        ) THEN 1 ELSE 0 END
      END
    ) AS BIGINT) AS a2
  FROM src_subscriptions AS "subscriptions"
  JOIN l1_spine
    ON l1_spine.period >= CASE
      WHEN "subscriptions"."started_at" < CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      THEN CASE
        WHEN "subscriptions"."started_at" < CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN 0
          ELSE 1
        END
        ELSE 2
      END
      WHEN "subscriptions"."started_at" >= CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      THEN CASE
        WHEN "subscriptions"."started_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN 3
        ELSE 4
      END
    END
    AND l1_spine.period <= COALESCE(
      CASE
        WHEN "subscriptions"."ended_at" < CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN CASE
          WHEN "subscriptions"."ended_at" < CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN "subscriptions"."ended_at" >= CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN CASE
          WHEN "subscriptions"."ended_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN 3
          ELSE 4
        END
      END - 1,
      3
    )
  WHERE
    "subscriptions"."started_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
    AND NOT "subscriptions"."account_id" IS NULL
  GROUP BY
    1,
    2
), l1_scan_0_openings AS (
  SELECT
    "subscriptions"."account_id" AS entity,
    CAST(SUM(CASE WHEN (
      "subscriptions"."mrr" > 0
    ) THEN 1 ELSE 0 END) AS BIGINT) AS a2
  FROM src_subscriptions AS "subscriptions"
  WHERE
    (
      "subscriptions"."started_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      AND NOT "subscriptions"."account_id" IS NULL
    )
    AND (
      "subscriptions"."started_at" < CAST('2023-11-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      AND "subscriptions"."ended_at" < CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      AND CASE
        WHEN "subscriptions"."ended_at" >= CAST('2023-11-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        AND WITH_TIMEZONE(
          CAST(CAST(DATE_TRUNC(
            'MONTH',
            CAST(CAST(AT_TIMEZONE("subscriptions"."ended_at", 'Europe/Berlin') AS TIMESTAMP(6)) AS DATE)
          ) AS DATE) AS TIMESTAMP(6)),
          'Europe/Berlin'
        ) < CAST('2023-11-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN CAST('2023-11-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        ELSE WITH_TIMEZONE(
          CAST(CAST(DATE_TRUNC(
            'MONTH',
            CAST(CAST(AT_TIMEZONE("subscriptions"."ended_at", 'Europe/Berlin') AS TIMESTAMP(6)) AS DATE)
          ) AS DATE) AS TIMESTAMP(6)),
          'Europe/Berlin'
        )
      END > "subscriptions"."started_at"
    )
  GROUP BY
    1
), l1_scan_0_first_counts AS (
  SELECT
    entity,
    MIN(period) AS first_change,
    MIN(CASE WHEN a2 > 0 THEN period END) AS first_a2
  FROM l1_scan_0
  GROUP BY
    entity
), l1_members AS (
  SELECT
    "accounts"."account_id" AS entity,
    CASE
      WHEN COALESCE(NOT "accounts"."signed_up_at" IS NULL, FALSE)
      THEN CASE
        WHEN "accounts"."signed_up_at" < CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN CASE
          WHEN "accounts"."signed_up_at" < CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN CASE
            WHEN "accounts"."signed_up_at" < CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN "accounts"."signed_up_at" >= CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN CASE
          WHEN "accounts"."signed_up_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN 3
          ELSE 4
        END
      END
      ELSE 4
    END AS exists_from,
    LEAST(
      CASE
        WHEN COALESCE(NOT "accounts"."signed_up_at" IS NULL, FALSE)
        THEN CASE
          WHEN "accounts"."signed_up_at" < CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN CASE
            WHEN "accounts"."signed_up_at" < CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
            THEN CASE
              WHEN "accounts"."signed_up_at" < CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
              THEN 0
              ELSE 1
            END
            ELSE 2
          END
          WHEN "accounts"."signed_up_at" >= CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN CASE
            WHEN "accounts"."signed_up_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
            THEN 3
            ELSE 4
          END
        END
        ELSE 4
      END,
      COALESCE(
        CASE
          WHEN NOT l1_scan_0_openings.entity IS NULL
          THEN 0
          ELSE l1_scan_0_first_counts.first_change
        END,
        4
      )
    ) AS keep_from,
    COALESCE(l1_scan_0_openings.a2, 0) AS opening_a2,
    CASE WHEN l1_scan_0_openings.a2 > 0 THEN 0 ELSE l1_scan_0_first_counts.first_a2 END AS first_a2
  FROM src_accounts AS "accounts"
  LEFT JOIN l1_scan_0_openings
    ON l1_scan_0_openings.entity = "accounts"."account_id"
  LEFT JOIN l1_scan_0_first_counts
    ON l1_scan_0_first_counts.entity = "accounts"."account_id"
), l1_cells AS (
  SELECT
    l1_spine.period,
    l1_spine.parent_period,
    l1_members.entity,
    l1_spine.period >= l1_members.exists_from AS in_set,
    COALESCE(l1_scan_0.a1, 0) AS a1,
    COALESCE(l1_scan_0.a2, 0) + CASE WHEN l1_spine.period = 0 THEN l1_members.opening_a2 ELSE 0 END AS a2,
    CASE WHEN l1_spine.period - 1 >= 0 THEN COALESCE(l1_scan_0.a1_back_1, 0) END AS a1_back_1,
    CASE
      WHEN l1_spine.period - 1 >= 0
      THEN CASE WHEN l1_members.first_a2 <= l1_spine.period - 1 THEN 1 ELSE 0 END
    END AS a2_counted_1_back
  FROM l1_spine
  JOIN l1_members
    ON l1_spine.period >= l1_members.keep_from
  LEFT JOIN (
    SELECT
      COALESCE(now_rows.period, l1_scan_0_back_1.period + 1) AS period,
      COALESCE(now_rows.entity, l1_scan_0_back_1.entity) AS entity,
      now_rows.a1 AS a1,
      now_rows.a2 AS a2,
      l1_scan_0_back_1.a1 AS a1_back_1
    FROM l1_scan_0 AS now_rows
    FULL JOIN l1_scan_0 AS l1_scan_0_back_1
      ON l1_scan_0_back_1.period + 1 = now_rows.period
      AND l1_scan_0_back_1.entity = now_rows.entity
  ) AS l1_scan_0
    ON l1_scan_0.period = l1_spine.period AND l1_scan_0.entity = l1_members.entity
), l1_results AS (
  SELECT
    l1_cells.period,
    l1_cells.parent_period,
    l1_cells.entity,
    l1_cells.in_set,
    CAST(l1_cells.a1 > 0 AS BOOLEAN) AS p0_where,
    CAST(CAST(l1_cells.a1 AS DOUBLE) - CAST(l1_cells.a1_back_1 AS DOUBLE) AS DOUBLE) AS p1_body,
    CAST((
      l1_cells.a1_back_1 > 0
    ) AND (
      l1_cells.a1 > l1_cells.a1_back_1
    ) AS BOOLEAN) AS p1_where,
    CAST((
      (
        l1_cells.a1 > 0
      ) AND (
        l1_cells.a1_back_1 = 0
      )
    )
    AND (
      l1_cells.a2_counted_1_back > 0
    ) AS BOOLEAN) AS p2_where
  FROM l1_cells
), l1_per AS (
  SELECT
    l1_results.parent_period AS period,
    COUNT(*) FILTER(WHERE
      p0_where) AS p0,
    CAST(SUM(p1_body) FILTER(WHERE
      p1_where) AS DOUBLE) AS p1,
    COUNT(*) FILTER(WHERE
      p2_where) AS p2
  FROM l1_results
  WHERE
    NOT l1_results.parent_period IS NULL AND l1_results.in_set
  GROUP BY
    l1_results.parent_period
), l2_spine AS (
  SELECT
    period,
    period_start,
    period_end,
    CASE
      WHEN period_start >= CAST('2023-10-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      AND period_start < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      THEN (
        CAST(EXTRACT(YEAR FROM CAST(CAST(AT_TIMEZONE(period_start, 'Europe/Berlin') AS TIMESTAMP(6)) AS DATE)) AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM CAST(CAST(AT_TIMEZONE(period_start, 'Europe/Berlin') AS TIMESTAMP(6)) AS DATE)) AS BIGINT) - 24287
      )
    END AS parent_period
  FROM (
    SELECT
      period,
      WITH_TIMEZONE(
        CAST(DATE_ADD('day', period, CAST('2024-01-01' AS DATE)) AS TIMESTAMP(6)),
        'Europe/Berlin'
      ) AS period_start,
      WITH_TIMEZONE(
        CAST(DATE_ADD('day', period, CAST('2024-01-02' AS DATE)) AS TIMESTAMP(6)),
        'Europe/Berlin'
      ) AS period_end
    FROM UNNEST(SEQUENCE(0, 90)) AS numbers(period)
  ) AS periods
), l2_scan_0 AS (
  SELECT
    CASE
      WHEN "tickets"."opened_at" < CAST('2024-01-01 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      THEN 0
      WHEN "tickets"."opened_at" >= CAST('2024-03-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      THEN 90
      ELSE CAST(CAST(TRUNCATE(
        CAST((
          CAST(ROUND(TO_UNIXTIME("tickets"."opened_at") * 1000000) AS BIGINT) - 1704063600000000
        ) AS DOUBLE) / 86400000000
      ) AS BIGINT) AS BIGINT)
    END AS period,
    COUNT(*) AS a3
  FROM src_tickets AS "tickets"
  WHERE
    "tickets"."opened_at" >= CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
    AND "tickets"."opened_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
  GROUP BY
    1
), l2_cells AS (
  SELECT
    l2_spine.period,
    l2_spine.parent_period,
    COALESCE(l2_scan_0.a3, 0) AS a3
  FROM l2_spine
  LEFT JOIN l2_scan_0
    ON l2_scan_0.period = l2_spine.period
), l2_results AS (
  SELECT
    l2_cells.period,
    l2_cells.parent_period,
    CAST(l2_cells.a3 AS BIGINT) AS p3_body
  FROM l2_cells
), l2_per AS (
  SELECT
    l2_results.parent_period AS period,
    MAX(p3_body) AS p3
  FROM l2_results
  WHERE
    NOT l2_results.parent_period IS NULL
  GROUP BY
    l2_results.parent_period
), scan_0 AS (
  SELECT
    spine.period AS period,
    CAST(SUM("subscriptions"."mrr") AS DOUBLE) AS a0
  FROM src_subscriptions AS "subscriptions"
  JOIN spine
    ON spine.period >= CASE
      WHEN "subscriptions"."started_at" < CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      THEN CASE
        WHEN "subscriptions"."started_at" < CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2023-11-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN 0
          ELSE 1
        END
        ELSE 2
      END
      WHEN "subscriptions"."started_at" >= CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
      THEN CASE
        WHEN "subscriptions"."started_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN 3
          ELSE 4
        END
        ELSE 5
      END
    END
    AND spine.period <= COALESCE(
      CASE
        WHEN "subscriptions"."ended_at" < CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN CASE
          WHEN "subscriptions"."ended_at" < CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2023-11-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN "subscriptions"."ended_at" >= CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
        THEN CASE
          WHEN "subscriptions"."ended_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
            THEN 3
            ELSE 4
          END
          ELSE 5
        END
      END - 1,
      4
    )
  WHERE
    "subscriptions"."started_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
  GROUP BY
    1
), cells AS (
  SELECT
    spine.period,
    spine.label,
    COALESCE(scan_0.a0, 0) AS a0,
    COALESCE(l1_per.p0, 0) AS p0,
    COALESCE(l1_per.p1, 0) AS p1,
    COALESCE(l1_per.p2, 0) AS p2,
    l2_per.p3 AS p3
  FROM spine
  LEFT JOIN scan_0
    ON scan_0.period = spine.period
  LEFT JOIN l1_per
    ON l1_per.period = spine.period
  LEFT JOIN l2_per
    ON l2_per.period = spine.period
), offsets_1 AS (
  SELECT
    cells.*,
    LAG(cells.a0, 1) OVER (ORDER BY cells.period) AS o0
  FROM cells
), offsets_2 AS (
  SELECT
    offsets_1.*,
    LAG(
      CAST(CAST(offsets_1.a0 AS DOUBLE) / NULLIF(CAST(offsets_1.o0 AS DOUBLE), 0) AS DOUBLE) - CAST(1 AS DOUBLE),
      1
    ) OVER (ORDER BY offsets_1.period) AS o1
  FROM offsets_1
), results AS (
  SELECT
    offsets_2.period,
    offsets_2.label,
    CAST(offsets_2.p0 AS BIGINT) AS m0,
    CAST(offsets_2.p1 AS DOUBLE) AS m1,
    CAST(offsets_2.p2 AS BIGINT) AS m2,
    CAST(offsets_2.p3 AS BIGINT) AS m3,
    CAST(CAST(CAST(CAST(offsets_2.a0 AS DOUBLE) / NULLIF(CAST(offsets_2.o0 AS DOUBLE), 0) AS DOUBLE) - CAST(1 AS DOUBLE) AS DOUBLE) - CAST(offsets_2.o1 AS DOUBLE) AS DOUBLE) AS m4
  FROM offsets_2
)
SELECT
  results.label AS "month",
  results.m0 AS "customers",
  results.m1 AS "expansion_mrr",
  results.m2 AS "returning_customers",
  results.m3 AS "busiest_day_tickets",
  results.m4 AS "growth_change"
FROM results
WHERE
  results.period >= 2
ORDER BY
  results.period
