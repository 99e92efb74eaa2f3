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
    (0, CAST('2023-11-01' AS DATE), 1698793200000000, 1701385200000000),
    (1, CAST('2023-12-01' AS DATE), 1701385200000000, 1704063600000000),
    (2, CAST('2024-01-01' AS DATE), 1704063600000000, 1706742000000000),
    (3, CAST('2024-02-01' AS DATE), 1706742000000000, 1709247600000000),
    (4, CAST('2024-03-01' AS DATE), 1709247600000000, 1711922400000000)) AS spine(period, label, period_start, period_end)
), src_subscriptions AS NOT MATERIALIZED (
  SELECT
    "started_at",
    "ended_at",
    NULLIF("mrr", CAST('NaN' AS DOUBLE PRECISION)) AS "mrr",
    "account_id"
  FROM subscriptions
), src_accounts AS NOT MATERIALIZED (
  SELECT
    "account_id",
    "signed_up_at"
  FROM accounts
), src_tickets AS NOT MATERIALIZED (
  SELECT
    "opened_at"
  FROM tickets
), l1_spine AS (
  SELECT
    period,
    CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + (
      period_start * INTERVAL '1 MICROSECOND'
    ) AS period_start,
    CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + (
      period_end * INTERVAL '1 MICROSECOND'
    ) AS period_end,
    CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + (
      window_0_start * INTERVAL '1 MICROSECOND'
    ) AS window_0_start,
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
    CAST(SUM("subscriptions"."mrr") AS DOUBLE PRECISION) AS a1,
    CAST(SUM(
      CASE
        WHEN l1_spine.period = 0 OR "subscriptions"."started_at" >= l1_spine.period_start
        THEN CASE WHEN (
          "subscriptions"."mrr" > 0
        ) THEN 1 ELSE 0 END
      END
    ) AS BIGINT) AS a2
  FROM (
    SELECT
      "subscriptions".*,
      CASE
        WHEN "subscriptions"."started_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."started_at" < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN "subscriptions"."started_at" >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
          THEN 3
          ELSE 4
        END
      END AS "metricsmith_row_0",
      COALESCE(
        CASE
          WHEN "subscriptions"."ended_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
            THEN CASE
              WHEN "subscriptions"."ended_at" < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
              THEN 0
              ELSE 1
            END
            ELSE 2
          END
          WHEN "subscriptions"."ended_at" >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
            THEN 3
            ELSE 4
          END
        END - 1,
        3
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
), l1_scan_0_openings AS (
  SELECT
    "subscriptions"."account_id" AS entity,
    CAST(SUM(CASE WHEN (
      "subscriptions"."mrr" > 0
    ) THEN 1 ELSE 0 END) AS BIGINT) AS a2
  FROM src_subscriptions AS "subscriptions"
  WHERE
    (
      "subscriptions"."started_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
      AND NOT "subscriptions"."account_id" IS NULL
    )
    AND (
      "subscriptions"."started_at" < CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMPTZ)
      AND "subscriptions"."ended_at" < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
      AND CASE
        WHEN "subscriptions"."ended_at" >= CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMPTZ)
        AND CAST(CAST(DATE_TRUNC(
          'MONTH',
          CAST(CAST("subscriptions"."ended_at" AT TIME ZONE 'Europe/Berlin' AS TIMESTAMP) AS DATE)
        ) AS DATE) AS TIMESTAMP) AT TIME ZONE 'Europe/Berlin' < CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMPTZ)
        ELSE CAST(CAST(DATE_TRUNC(
          'MONTH',
          CAST(CAST("subscriptions"."ended_at" AT TIME ZONE 'Europe/Berlin' AS TIMESTAMP) AS DATE)
        ) AS DATE) AS TIMESTAMP) AT TIME ZONE 'Europe/Berlin'
      END > "subscriptions"."started_at"
    )
  GROUP BY
    1
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
        WHEN "accounts"."signed_up_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "accounts"."signed_up_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "accounts"."signed_up_at" < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN "accounts"."signed_up_at" >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "accounts"."signed_up_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
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
          WHEN "accounts"."signed_up_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "accounts"."signed_up_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
            THEN CASE
              WHEN "accounts"."signed_up_at" < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
              THEN 0
              ELSE 1
            END
            ELSE 2
          END
          WHEN "accounts"."signed_up_at" >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "accounts"."signed_up_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
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
    CAST(CAST(l1_offsets_1.a1 AS DOUBLE PRECISION) - CAST(l1_offsets_1.o0 AS DOUBLE PRECISION) AS DOUBLE PRECISION) AS p1_body,
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
      p1_where) AS DOUBLE PRECISION) AS p1,
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
    CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + (
      period_start * INTERVAL '1 MICROSECOND'
    ) AS period_start,
    CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + (
      period_end * INTERVAL '1 MICROSECOND'
    ) AS period_end,
    parent_period
  FROM (VALUES
    (0, 1704063600000000, 1704150000000000, 2),
    (1, 1704150000000000, 1704236400000000, 2),
    (2, 1704236400000000, 1704322800000000, 2),
    (3, 1704322800000000, 1704409200000000, 2),
    (4, 1704409200000000, 1704495600000000, 2),
    (5, 1704495600000000, 1704582000000000, 2),
    (6, 1704582000000000, 1704668400000000, 2),
    (7, 1704668400000000, 1704754800000000, 2),
    (8, 1704754800000000, 1704841200000000, 2),
    (9, 1704841200000000, 1704927600000000, 2),
    (10, 1704927600000000, 1705014000000000, 2),
    (11, 1705014000000000, 1705100400000000, 2),
    (12, 1705100400000000, 1705186800000000, 2),
    (13, 1705186800000000, 1705273200000000, 2),
    (14, 1705273200000000, 1705359600000000, 2),
    (15, 1705359600000000, 1705446000000000, 2),
    (16, 1705446000000000, 1705532400000000, 2),
    (17, 1705532400000000, 1705618800000000, 2),
    (18, 1705618800000000, 1705705200000000, 2),
    (19, 1705705200000000, 1705791600000000, 2),
    (20, 1705791600000000, 1705878000000000, 2),
    (21, 1705878000000000, 1705964400000000, 2),
    (22, 1705964400000000, 1706050800000000, 2),
    (23, 1706050800000000, 1706137200000000, 2),
    (24, 1706137200000000, 1706223600000000, 2),
    (25, 1706223600000000, 1706310000000000, 2),
    (26, 1706310000000000, 1706396400000000, 2),
    (27, 1706396400000000, 1706482800000000, 2),
    (28, 1706482800000000, 1706569200000000, 2),
    (29, 1706569200000000, 1706655600000000, 2),
    (30, 1706655600000000, 1706742000000000, 2),
    (31, 1706742000000000, 1706828400000000, 3),
    (32, 1706828400000000, 1706914800000000, 3),
    (33, 1706914800000000, 1707001200000000, 3),
    (34, 1707001200000000, 1707087600000000, 3),
    (35, 1707087600000000, 1707174000000000, 3),
    (36, 1707174000000000, 1707260400000000, 3),
    (37, 1707260400000000, 1707346800000000, 3),
    (38, 1707346800000000, 1707433200000000, 3),
    (39, 1707433200000000, 1707519600000000, 3),
    (40, 1707519600000000, 1707606000000000, 3),
    (41, 1707606000000000, 1707692400000000, 3),
    (42, 1707692400000000, 1707778800000000, 3),
    (43, 1707778800000000, 1707865200000000, 3),
    (44, 1707865200000000, 1707951600000000, 3),
    (45, 1707951600000000, 1708038000000000, 3),
    (46, 1708038000000000, 1708124400000000, 3),
    (47, 1708124400000000, 1708210800000000, 3),
    (48, 1708210800000000, 1708297200000000, 3),
    (49, 1708297200000000, 1708383600000000, 3),
    (50, 1708383600000000, 1708470000000000, 3),
    (51, 1708470000000000, 1708556400000000, 3),
    (52, 1708556400000000, 1708642800000000, 3),
    (53, 1708642800000000, 1708729200000000, 3),
    (54, 1708729200000000, 1708815600000000, 3),
    (55, 1708815600000000, 1708902000000000, 3),
    (56, 1708902000000000, 1708988400000000, 3),
    (57, 1708988400000000, 1709074800000000, 3),
    (58, 1709074800000000, 1709161200000000, 3),
    (59, 1709161200000000, 1709247600000000, 3),
    (60, 1709247600000000, 1709334000000000, 4),
    (61, 1709334000000000, 1709420400000000, 4),
    (62, 1709420400000000, 1709506800000000, 4),
    (63, 1709506800000000, 1709593200000000, 4),
    (64, 1709593200000000, 1709679600000000, 4),
    (65, 1709679600000000, 1709766000000000, 4),
    (66, 1709766000000000, 1709852400000000, 4),
    (67, 1709852400000000, 1709938800000000, 4),
    (68, 1709938800000000, 1710025200000000, 4),
    (69, 1710025200000000, 1710111600000000, 4),
    (70, 1710111600000000, 1710198000000000, 4),
    (71, 1710198000000000, 1710284400000000, 4),
    (72, 1710284400000000, 1710370800000000, 4),
    (73, 1710370800000000, 1710457200000000, 4),
    (74, 1710457200000000, 1710543600000000, 4),
    (75, 1710543600000000, 1710630000000000, 4),
    (76, 1710630000000000, 1710716400000000, 4),
    (77, 1710716400000000, 1710802800000000, 4),
    (78, 1710802800000000, 1710889200000000, 4),
    (79, 1710889200000000, 1710975600000000, 4),
    (80, 1710975600000000, 1711062000000000, 4),
    (81, 1711062000000000, 1711148400000000, 4),
    (82, 1711148400000000, 1711234800000000, 4),
    (83, 1711234800000000, 1711321200000000, 4),
    (84, 1711321200000000, 1711407600000000, 4),
    (85, 1711407600000000, 1711494000000000, 4),
    (86, 1711494000000000, 1711580400000000, 4),
    (87, 1711580400000000, 1711666800000000, 4),
    (88, 1711666800000000, 1711753200000000, 4),
    (89, 1711753200000000, 1711839600000000, 4),
    (90, 1711839600000000, 1711922400000000, 4)) AS l2_spine(period, period_start, period_end, parent_period)
), l2_scan_0 AS (
  SELECT
    CASE
      WHEN "tickets"."opened_at" < CAST('2024-01-01 23:00:00+00:00' AS TIMESTAMPTZ)
      THEN 0
      WHEN "tickets"."opened_at" >= CAST('2024-03-30 23:00:00+00:00' AS TIMESTAMPTZ)
      THEN 90
      ELSE CAST(DIV(
        (
          CAST(EXTRACT(EPOCH FROM "tickets"."opened_at") * 1000000 AS BIGINT) - 1704150000000000
        ),
        86400000000
      ) AS BIGINT) + 1
    END AS period,
    COUNT(*) AS a3
  FROM src_tickets AS "tickets"
  WHERE
    "tickets"."opened_at" >= CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
    AND "tickets"."opened_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
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
    CAST(SUM("subscriptions"."mrr") AS DOUBLE PRECISION) AS a0
  FROM (
    SELECT
      "subscriptions".*,
      CASE
        WHEN "subscriptions"."started_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."started_at" < CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMPTZ)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN "subscriptions"."started_at" >= CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
        THEN CASE
          WHEN "subscriptions"."started_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."started_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
            THEN 3
            ELSE 4
          END
          ELSE 5
        END
      END AS "metricsmith_row_0",
      COALESCE(
        CASE
          WHEN "subscriptions"."ended_at" < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMPTZ)
            THEN CASE
              WHEN "subscriptions"."ended_at" < CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMPTZ)
              THEN 0
              ELSE 1
            END
            ELSE 2
          END
          WHEN "subscriptions"."ended_at" >= CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMPTZ)
          THEN CASE
            WHEN "subscriptions"."ended_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
            THEN CASE
              WHEN "subscriptions"."ended_at" < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMPTZ)
              THEN 3
              ELSE 4
            END
            ELSE 5
          END
        END - 1,
        4
      ) AS "metricsmith_row_1"
    FROM src_subscriptions AS "subscriptions"
    OFFSET 0
  ) AS "subscriptions"
  JOIN spine
    ON spine.period >= "subscriptions"."metricsmith_row_0"
    AND spine.period <= "subscriptions"."metricsmith_row_1"
  WHERE
    "subscriptions"."started_at" < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMPTZ)
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
      CAST(CAST(offsets_1.a0 AS DOUBLE PRECISION) / NULLIF(CAST(offsets_1.o0 AS DOUBLE PRECISION), 0) AS DOUBLE PRECISION) - CAST(1 AS DOUBLE PRECISION),
      1
    ) OVER (ORDER BY offsets_1.period) AS o1
  FROM offsets_1
), results AS (
  SELECT
    offsets_2.period,
    offsets_2.label,
    CAST(offsets_2.p0 AS BIGINT) AS m0,
    CAST(offsets_2.p1 AS DOUBLE PRECISION) AS m1,
    CAST(offsets_2.p2 AS BIGINT) AS m2,
    CAST(offsets_2.p3 AS BIGINT) AS m3,
    CAST(CAST(CAST(CAST(offsets_2.a0 AS DOUBLE PRECISION) / NULLIF(CAST(offsets_2.o0 AS DOUBLE PRECISION), 0) AS DOUBLE PRECISION) - CAST(1 AS DOUBLE PRECISION) AS DOUBLE PRECISION) - CAST(offsets_2.o1 AS DOUBLE PRECISION) AS DOUBLE PRECISION) AS m4
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
