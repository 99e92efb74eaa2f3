WITH spine AS (
  SELECT
    period,
    label,
    period_start,
    period_end
  FROM (VALUES
    (
      0,
      CAST('2023-11-01' AS DATE),
      CAST('2023-10-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2023-11-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
    ),
    (
      1,
      CAST('2023-12-01' AS DATE),
      CAST('2023-11-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
    ),
    (
      2,
      CAST('2024-01-01' AS DATE),
      CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
    ),
    (
      3,
      CAST('2024-02-01' AS DATE),
      CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
    ),
    (
      4,
      CAST('2024-03-01' AS DATE),
      CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
    )) AS spine(period, label, period_start, period_end)
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
    period_start,
    period_end,
    window_0_start,
    parent_period
  FROM (VALUES
    (
      0,
      CAST('2023-11-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST(NULL AS TIMESTAMP(6) WITH TIME ZONE),
      1
    ),
    (
      1,
      CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST(NULL AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      2,
      CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST(NULL AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      3,
      CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST(NULL AS TIMESTAMP(6) WITH TIME ZONE),
      4
    )) AS l1_spine(period, period_start, period_end, window_0_start, parent_period)
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
    l1_spine.period,
    "subscriptions"."account_id"
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
    "subscriptions"."account_id"
), l1_first_changes AS (
  SELECT
    entity,
    MIN(period) AS first_change
  FROM (
    SELECT
      entity,
      period
    FROM l1_scan_0
    UNION ALL
    SELECT
      entity,
      0 AS period
    FROM l1_scan_0_openings
  ) AS changes
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
      END - 1,
      COALESCE(l1_first_changes.first_change, 4)
    ) AS keep_from,
    COALESCE(l1_scan_0_openings.a2, 0) AS opening_a2
  FROM src_accounts AS "accounts"
  LEFT JOIN l1_scan_0_openings
    ON l1_scan_0_openings.entity = "accounts"."account_id"
  LEFT JOIN l1_first_changes
    ON l1_first_changes.entity = "accounts"."account_id"
), l1_cells AS (
  SELECT
    l1_spine.period,
    l1_spine.parent_period,
    l1_members.entity,
    l1_spine.period >= l1_members.exists_from AS in_set,
    COALESCE(l1_scan_0.a1, 0) AS a1,
    COALESCE(l1_scan_0.a2, 0) + CASE WHEN l1_spine.period = 0 THEN l1_members.opening_a2 ELSE 0 END AS a2
  FROM l1_spine
  JOIN l1_members
    ON l1_spine.period >= l1_members.keep_from
  LEFT JOIN l1_scan_0
    ON l1_scan_0.period = l1_spine.period AND l1_scan_0.entity = l1_members.entity
), l1_offsets_1 AS (
  SELECT
    l1_cells.*,
    LAG(l1_cells.a1, 1) OVER (PARTITION BY l1_cells.entity ORDER BY l1_cells.period) AS o0,
    CASE
      WHEN l1_cells.period >= 1
      THEN CAST(COALESCE(
        SUM(l1_cells.a2) OVER (
          PARTITION BY l1_cells.entity
          ORDER BY l1_cells.period
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) - COALESCE(l1_cells.a2, 0),
        0
      ) AS BIGINT)
    END AS o1
  FROM l1_cells
), l1_results AS (
  SELECT
    l1_offsets_1.period,
    l1_offsets_1.parent_period,
    l1_offsets_1.entity,
    l1_offsets_1.in_set,
    CAST(l1_offsets_1.a1 > 0 AS BOOLEAN) AS p0_where,
    CAST(CAST(l1_offsets_1.a1 AS DOUBLE) - CAST(l1_offsets_1.o0 AS DOUBLE) AS DOUBLE) AS p1_body,
    CAST((
      l1_offsets_1.o0 > 0
    ) AND (
      l1_offsets_1.a1 > l1_offsets_1.o0
    ) AS BOOLEAN) AS p1_where,
    CAST((
      (
        l1_offsets_1.a1 > 0
      ) AND (
        l1_offsets_1.o0 = 0
      )
    )
    AND (
      l1_offsets_1.o1 > 0
    ) AS BOOLEAN) AS p2_where
  FROM l1_offsets_1
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
    parent_period
  FROM (VALUES
    (
      0,
      CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-01 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      1,
      CAST('2024-01-01 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-02 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      2,
      CAST('2024-01-02 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-03 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      3,
      CAST('2024-01-03 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-04 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      4,
      CAST('2024-01-04 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-05 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      5,
      CAST('2024-01-05 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-06 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      6,
      CAST('2024-01-06 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-07 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      7,
      CAST('2024-01-07 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-08 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      8,
      CAST('2024-01-08 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-09 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      9,
      CAST('2024-01-09 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-10 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      10,
      CAST('2024-01-10 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-11 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      11,
      CAST('2024-01-11 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-12 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      12,
      CAST('2024-01-12 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-13 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      13,
      CAST('2024-01-13 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-14 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      14,
      CAST('2024-01-14 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-15 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      15,
      CAST('2024-01-15 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-16 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      16,
      CAST('2024-01-16 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-17 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      17,
      CAST('2024-01-17 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-18 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      18,
      CAST('2024-01-18 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-19 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      19,
      CAST('2024-01-19 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-20 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      20,
      CAST('2024-01-20 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-21 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      21,
      CAST('2024-01-21 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-22 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      22,
      CAST('2024-01-22 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-23 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      23,
      CAST('2024-01-23 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-24 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      24,
      CAST('2024-01-24 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-25 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      25,
      CAST('2024-01-25 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-26 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      26,
      CAST('2024-01-26 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-27 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      27,
      CAST('2024-01-27 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-28 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      28,
      CAST('2024-01-28 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      29,
      CAST('2024-01-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      30,
      CAST('2024-01-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      2
    ),
    (
      31,
      CAST('2024-01-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-01 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      32,
      CAST('2024-02-01 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-02 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      33,
      CAST('2024-02-02 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-03 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      34,
      CAST('2024-02-03 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-04 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      35,
      CAST('2024-02-04 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-05 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      36,
      CAST('2024-02-05 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-06 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      37,
      CAST('2024-02-06 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-07 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      38,
      CAST('2024-02-07 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-08 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      39,
      CAST('2024-02-08 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-09 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      40,
      CAST('2024-02-09 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-10 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      41,
      CAST('2024-02-10 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-11 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      42,
      CAST('2024-02-11 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-12 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      43,
      CAST('2024-02-12 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-13 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      44,
      CAST('2024-02-13 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-14 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      45,
      CAST('2024-02-14 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-15 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      46,
      CAST('2024-02-15 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-16 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      47,
      CAST('2024-02-16 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-17 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      48,
      CAST('2024-02-17 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-18 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      49,
      CAST('2024-02-18 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-19 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      50,
      CAST('2024-02-19 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-20 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      51,
      CAST('2024-02-20 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-21 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      52,
      CAST('2024-02-21 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-22 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      53,
      CAST('2024-02-22 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-23 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      54,
      CAST('2024-02-23 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-24 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      55,
      CAST('2024-02-24 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-25 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      56,
      CAST('2024-02-25 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-26 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      57,
      CAST('2024-02-26 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-27 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      58,
      CAST('2024-02-27 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-28 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      59,
      CAST('2024-02-28 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      3
    ),
    (
      60,
      CAST('2024-02-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-01 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      61,
      CAST('2024-03-01 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-02 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      62,
      CAST('2024-03-02 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-03 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      63,
      CAST('2024-03-03 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-04 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      64,
      CAST('2024-03-04 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-05 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      65,
      CAST('2024-03-05 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-06 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      66,
      CAST('2024-03-06 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-07 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      67,
      CAST('2024-03-07 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-08 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      68,
      CAST('2024-03-08 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-09 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      69,
      CAST('2024-03-09 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-10 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      70,
      CAST('2024-03-10 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-11 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      71,
      CAST('2024-03-11 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-12 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      72,
      CAST('2024-03-12 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-13 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      73,
      CAST('2024-03-13 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-14 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      74,
      CAST('2024-03-14 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-15 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      75,
      CAST('2024-03-15 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-16 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      76,
      CAST('2024-03-16 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-17 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      77,
      CAST('2024-03-17 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-18 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      78,
      CAST('2024-03-18 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-19 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      79,
      CAST('2024-03-19 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-20 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      80,
      CAST('2024-03-20 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-21 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      81,
      CAST('2024-03-21 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-22 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      82,
      CAST('2024-03-22 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-23 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      83,
      CAST('2024-03-23 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-24 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      84,
      CAST('2024-03-24 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-25 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      85,
      CAST('2024-03-25 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-26 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      86,
      CAST('2024-03-26 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-27 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      87,
      CAST('2024-03-27 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-28 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      88,
      CAST('2024-03-28 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      89,
      CAST('2024-03-29 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    ),
    (
      90,
      CAST('2024-03-30 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE),
      4
    )) AS l2_spine(period, period_start, period_end, parent_period)
), l2_scan_0 AS (
  SELECT
    CASE
      WHEN CAST(DATE_DIFF(
        'DAY',
        CAST('2024-01-02' AS DATE),
        CAST(CAST(AT_TIMEZONE("tickets"."opened_at", 'Europe/Berlin') AS TIMESTAMP(6)) AS DATE)
      ) AS BIGINT) >= 0
      THEN LEAST(
        CAST(DATE_DIFF(
          'DAY',
          CAST('2024-01-02' AS DATE),
          CAST(CAST(AT_TIMEZONE("tickets"."opened_at", 'Europe/Berlin') AS TIMESTAMP(6)) AS DATE)
        ) AS BIGINT) + 1,
        90
      )
      WHEN CAST(DATE_DIFF(
        'DAY',
        CAST('2024-01-02' AS DATE),
        CAST(CAST(AT_TIMEZONE("tickets"."opened_at", 'Europe/Berlin') AS TIMESTAMP(6)) AS DATE)
      ) AS BIGINT) < 0
      THEN 0
    END AS period,
    COUNT(*) AS a3
  FROM src_tickets AS "tickets"
  WHERE
    "tickets"."opened_at" >= CAST('2023-12-31 23:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
    AND "tickets"."opened_at" < CAST('2024-03-31 22:00:00.000000 UTC' AS TIMESTAMP(6) WITH TIME ZONE)
  GROUP BY
    CASE
      WHEN CAST(DATE_DIFF(
        'DAY',
        CAST('2024-01-02' AS DATE),
        CAST(CAST(AT_TIMEZONE("tickets"."opened_at", 'Europe/Berlin') AS TIMESTAMP(6)) AS DATE)
      ) AS BIGINT) >= 0
      THEN LEAST(
        CAST(DATE_DIFF(
          'DAY',
          CAST('2024-01-02' AS DATE),
          CAST(CAST(AT_TIMEZONE("tickets"."opened_at", 'Europe/Berlin') AS TIMESTAMP(6)) AS DATE)
        ) AS BIGINT) + 1,
        90
      )
      WHEN CAST(DATE_DIFF(
        'DAY',
        CAST('2024-01-02' AS DATE),
        CAST(CAST(AT_TIMEZONE("tickets"."opened_at", 'Europe/Berlin') AS TIMESTAMP(6)) AS DATE)
      ) AS BIGINT) < 0
      THEN 0
    END
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
    spine.period
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
