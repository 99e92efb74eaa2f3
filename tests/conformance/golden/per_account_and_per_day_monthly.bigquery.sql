WITH spine AS (
  SELECT
    period,
    label,
    TIMESTAMP_MICROS(period_start) AS period_start,
    TIMESTAMP_MICROS(period_end) AS period_end
  FROM UNNEST([
    STRUCT(
      0 AS period,
      CAST('2023-11-01' AS DATE) AS label,
      1698793200000000 AS period_start,
      1701385200000000 AS period_end
    ),
    STRUCT(
      1 AS period,
      CAST('2023-12-01' AS DATE) AS label,
      1701385200000000 AS period_start,
      1704063600000000 AS period_end
    ),
    STRUCT(
      2 AS period,
      CAST('2024-01-01' AS DATE) AS label,
      1704063600000000 AS period_start,
      1706742000000000 AS period_end
    ),
    STRUCT(
      3 AS period,
      CAST('2024-02-01' AS DATE) AS label,
      1706742000000000 AS period_start,
      1709247600000000 AS period_end
    ),
    STRUCT(
      4 AS period,
      CAST('2024-03-01' AS DATE) AS label,
      1709247600000000 AS period_start,
      1711922400000000 AS period_end
    )
  ]) AS spine
), src_subscriptions AS (
  SELECT
    `started_at`,
    `ended_at`,
    IF(IS_NAN(`mrr`), NULL, `mrr`) AS `mrr`,
    `account_id`
  FROM subscriptions
), src_accounts AS (
  SELECT
    `account_id`,
    `signed_up_at`
  FROM accounts
), src_tickets AS (
  SELECT
    `opened_at`
  FROM tickets
), l1_spine AS (
  SELECT
    period,
    TIMESTAMP_MICROS(period_start) AS period_start,
    TIMESTAMP_MICROS(period_end) AS period_end,
    TIMESTAMP_MICROS(window_0_start) AS window_0_start,
    parent_period
  FROM UNNEST([
    STRUCT(
      0 AS period,
      1701385200000000 AS period_start,
      1704063600000000 AS period_end,
      CAST(NULL AS INT64) AS window_0_start,
      1 AS parent_period
    ),
    STRUCT(
      1 AS period,
      1704063600000000 AS period_start,
      1706742000000000 AS period_end,
      CAST(NULL AS INT64) AS window_0_start,
      2 AS parent_period
    ),
    STRUCT(
      2 AS period,
      1706742000000000 AS period_start,
      1709247600000000 AS period_end,
      CAST(NULL AS INT64) AS window_0_start,
      3 AS parent_period
    ),
    STRUCT(
      3 AS period,
      1709247600000000 AS period_start,
      1711922400000000 AS period_end,
      CAST(NULL AS INT64) AS window_0_start,
      4 AS parent_period
    )
  ]) AS l1_spine
), l1_scan_0 AS (
  SELECT
    l1_spine.period AS period,
    `subscriptions`.`account_id` AS entity,
    CAST(SUM(`subscriptions`.`mrr`) AS FLOAT64) AS a1,
    CAST(SUM(
      CASE
        WHEN l1_spine.period = 0 OR `subscriptions`.`started_at` >= l1_spine.period_start
        THEN CASE WHEN (
          `subscriptions`.`mrr` > 0
        ) THEN 1 ELSE 0 END
      END
    ) AS INT64) AS a2
  FROM src_subscriptions AS `subscriptions`
  JOIN l1_spine
    ON l1_spine.period >= CASE
      WHEN `subscriptions`.`started_at` < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`started_at` < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
          THEN 0
          ELSE 1
        END
        ELSE 2
      END
      WHEN `subscriptions`.`started_at` >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
        THEN 3
        ELSE 4
      END
    END
    AND l1_spine.period <= COALESCE(
      CASE
        WHEN `subscriptions`.`ended_at` < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`ended_at` < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `subscriptions`.`ended_at` < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN `subscriptions`.`ended_at` >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`ended_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
          THEN 3
          ELSE 4
        END
      END - 1,
      3
    )
  WHERE
    `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
    AND NOT `subscriptions`.`account_id` IS NULL
  GROUP BY
    1,
    2
), l1_scan_0_openings AS (
  SELECT
    `subscriptions`.`account_id` AS entity,
    CAST(SUM(CASE WHEN (
      `subscriptions`.`mrr` > 0
    ) THEN 1 ELSE 0 END) AS INT64) AS a2
  FROM src_subscriptions AS `subscriptions`
  WHERE
    (
      `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
      AND NOT `subscriptions`.`account_id` IS NULL
    )
    AND (
      `subscriptions`.`started_at` < CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMP)
      AND `subscriptions`.`ended_at` < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
      AND CASE
        WHEN `subscriptions`.`ended_at` >= CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMP)
        AND TIMESTAMP(
          CAST(CAST(DATE_TRUNC(CAST(DATETIME(`subscriptions`.`ended_at`, 'Europe/Berlin') AS DATE), MONTH) AS DATE) AS DATETIME),
          'Europe/Berlin'
        ) < CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMP)
        THEN CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMP)
        ELSE TIMESTAMP(
          CAST(CAST(DATE_TRUNC(CAST(DATETIME(`subscriptions`.`ended_at`, 'Europe/Berlin') AS DATE), MONTH) AS DATE) AS DATETIME),
          'Europe/Berlin'
        )
      END > `subscriptions`.`started_at`
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
    `accounts`.`account_id` AS entity,
    CASE
      WHEN COALESCE(NOT `accounts`.`signed_up_at` IS NULL, FALSE)
      THEN CASE
        WHEN `accounts`.`signed_up_at` < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `accounts`.`signed_up_at` < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `accounts`.`signed_up_at` < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN `accounts`.`signed_up_at` >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `accounts`.`signed_up_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
          THEN 3
          ELSE 4
        END
      END
      ELSE 4
    END AS exists_from,
    LEAST(
      CASE
        WHEN COALESCE(NOT `accounts`.`signed_up_at` IS NULL, FALSE)
        THEN CASE
          WHEN `accounts`.`signed_up_at` < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `accounts`.`signed_up_at` < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
            THEN CASE
              WHEN `accounts`.`signed_up_at` < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
              THEN 0
              ELSE 1
            END
            ELSE 2
          END
          WHEN `accounts`.`signed_up_at` >= CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `accounts`.`signed_up_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
            THEN 3
            ELSE 4
          END
        END
        ELSE 4
      END - 1,
      COALESCE(l1_first_changes.first_change, 4)
    ) AS keep_from,
    COALESCE(l1_scan_0_openings.a2, 0) AS opening_a2
  FROM src_accounts AS `accounts`
  LEFT JOIN l1_scan_0_openings
    ON l1_scan_0_openings.entity = `accounts`.`account_id`
  LEFT JOIN l1_first_changes
    ON l1_first_changes.entity = `accounts`.`account_id`
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
    LAG(l1_cells.a1, 1) OVER (PARTITION BY l1_cells.entity ORDER BY l1_cells.period NULLS LAST) AS o0,
    CASE
      WHEN l1_cells.period >= 1
      THEN CAST(COALESCE(
        SUM(l1_cells.a2) OVER (
          PARTITION BY l1_cells.entity
          ORDER BY l1_cells.period
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) - COALESCE(l1_cells.a2, 0),
        0
      ) AS INT64)
    END AS o1
  FROM l1_cells
), l1_results AS (
  SELECT
    l1_offsets_1.period,
    l1_offsets_1.parent_period,
    l1_offsets_1.entity,
    l1_offsets_1.in_set,
    CAST(l1_offsets_1.a1 > 0 AS BOOL) AS p0_where,
    CAST(CAST(l1_offsets_1.a1 AS FLOAT64) - CAST(l1_offsets_1.o0 AS FLOAT64) AS FLOAT64) AS p1_body,
    CAST((
      l1_offsets_1.o0 > 0
    ) AND (
      l1_offsets_1.a1 > l1_offsets_1.o0
    ) AS BOOL) AS p1_where,
    CAST((
      (
        l1_offsets_1.a1 > 0
      ) AND (
        l1_offsets_1.o0 = 0
      )
    )
    AND (
      l1_offsets_1.o1 > 0
    ) AS BOOL) AS p2_where
  FROM l1_offsets_1
), l1_per AS (
  SELECT
    l1_results.parent_period AS period,
    COUNT(CASE WHEN p0_where THEN 1 END) AS p0,
    CAST(SUM(CASE WHEN p1_where THEN p1_body END) AS FLOAT64) AS p1,
    COUNT(CASE WHEN p2_where THEN 1 END) AS p2
  FROM l1_results
  WHERE
    NOT l1_results.parent_period IS NULL AND l1_results.in_set
  GROUP BY
    l1_results.parent_period
), l2_spine AS (
  SELECT
    period,
    TIMESTAMP_MICROS(period_start) AS period_start,
    TIMESTAMP_MICROS(period_end) AS period_end,
    parent_period
  FROM UNNEST([
    STRUCT(
      0 AS period,
      1704063600000000 AS period_start,
      1704150000000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      1 AS period,
      1704150000000000 AS period_start,
      1704236400000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      2 AS period,
      1704236400000000 AS period_start,
      1704322800000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      3 AS period,
      1704322800000000 AS period_start,
      1704409200000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      4 AS period,
      1704409200000000 AS period_start,
      1704495600000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      5 AS period,
      1704495600000000 AS period_start,
      1704582000000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      6 AS period,
      1704582000000000 AS period_start,
      1704668400000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      7 AS period,
      1704668400000000 AS period_start,
      1704754800000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      8 AS period,
      1704754800000000 AS period_start,
      1704841200000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      9 AS period,
      1704841200000000 AS period_start,
      1704927600000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      10 AS period,
      1704927600000000 AS period_start,
      1705014000000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      11 AS period,
      1705014000000000 AS period_start,
      1705100400000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      12 AS period,
      1705100400000000 AS period_start,
      1705186800000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      13 AS period,
      1705186800000000 AS period_start,
      1705273200000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      14 AS period,
      1705273200000000 AS period_start,
      1705359600000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      15 AS period,
      1705359600000000 AS period_start,
      1705446000000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      16 AS period,
      1705446000000000 AS period_start,
      1705532400000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      17 AS period,
      1705532400000000 AS period_start,
      1705618800000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      18 AS period,
      1705618800000000 AS period_start,
      1705705200000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      19 AS period,
      1705705200000000 AS period_start,
      1705791600000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      20 AS period,
      1705791600000000 AS period_start,
      1705878000000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      21 AS period,
      1705878000000000 AS period_start,
      1705964400000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      22 AS period,
      1705964400000000 AS period_start,
      1706050800000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      23 AS period,
      1706050800000000 AS period_start,
      1706137200000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      24 AS period,
      1706137200000000 AS period_start,
      1706223600000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      25 AS period,
      1706223600000000 AS period_start,
      1706310000000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      26 AS period,
      1706310000000000 AS period_start,
      1706396400000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      27 AS period,
      1706396400000000 AS period_start,
      1706482800000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      28 AS period,
      1706482800000000 AS period_start,
      1706569200000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      29 AS period,
      1706569200000000 AS period_start,
      1706655600000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      30 AS period,
      1706655600000000 AS period_start,
      1706742000000000 AS period_end,
      2 AS parent_period
    ),
    STRUCT(
      31 AS period,
      1706742000000000 AS period_start,
      1706828400000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      32 AS period,
      1706828400000000 AS period_start,
      1706914800000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      33 AS period,
      1706914800000000 AS period_start,
      1707001200000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      34 AS period,
      1707001200000000 AS period_start,
      1707087600000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      35 AS period,
      1707087600000000 AS period_start,
      1707174000000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      36 AS period,
      1707174000000000 AS period_start,
      1707260400000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      37 AS period,
      1707260400000000 AS period_start,
      1707346800000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      38 AS period,
      1707346800000000 AS period_start,
      1707433200000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      39 AS period,
      1707433200000000 AS period_start,
      1707519600000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      40 AS period,
      1707519600000000 AS period_start,
      1707606000000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      41 AS period,
      1707606000000000 AS period_start,
      1707692400000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      42 AS period,
      1707692400000000 AS period_start,
      1707778800000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      43 AS period,
      1707778800000000 AS period_start,
      1707865200000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      44 AS period,
      1707865200000000 AS period_start,
      1707951600000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      45 AS period,
      1707951600000000 AS period_start,
      1708038000000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      46 AS period,
      1708038000000000 AS period_start,
      1708124400000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      47 AS period,
      1708124400000000 AS period_start,
      1708210800000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      48 AS period,
      1708210800000000 AS period_start,
      1708297200000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      49 AS period,
      1708297200000000 AS period_start,
      1708383600000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      50 AS period,
      1708383600000000 AS period_start,
      1708470000000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      51 AS period,
      1708470000000000 AS period_start,
      1708556400000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      52 AS period,
      1708556400000000 AS period_start,
      1708642800000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      53 AS period,
      1708642800000000 AS period_start,
      1708729200000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      54 AS period,
      1708729200000000 AS period_start,
      1708815600000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      55 AS period,
      1708815600000000 AS period_start,
      1708902000000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      56 AS period,
      1708902000000000 AS period_start,
      1708988400000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      57 AS period,
      1708988400000000 AS period_start,
      1709074800000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      58 AS period,
      1709074800000000 AS period_start,
      1709161200000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      59 AS period,
      1709161200000000 AS period_start,
      1709247600000000 AS period_end,
      3 AS parent_period
    ),
    STRUCT(
      60 AS period,
      1709247600000000 AS period_start,
      1709334000000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      61 AS period,
      1709334000000000 AS period_start,
      1709420400000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      62 AS period,
      1709420400000000 AS period_start,
      1709506800000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      63 AS period,
      1709506800000000 AS period_start,
      1709593200000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      64 AS period,
      1709593200000000 AS period_start,
      1709679600000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      65 AS period,
      1709679600000000 AS period_start,
      1709766000000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      66 AS period,
      1709766000000000 AS period_start,
      1709852400000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      67 AS period,
      1709852400000000 AS period_start,
      1709938800000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      68 AS period,
      1709938800000000 AS period_start,
      1710025200000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      69 AS period,
      1710025200000000 AS period_start,
      1710111600000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      70 AS period,
      1710111600000000 AS period_start,
      1710198000000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      71 AS period,
      1710198000000000 AS period_start,
      1710284400000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      72 AS period,
      1710284400000000 AS period_start,
      1710370800000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      73 AS period,
      1710370800000000 AS period_start,
      1710457200000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      74 AS period,
      1710457200000000 AS period_start,
      1710543600000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      75 AS period,
      1710543600000000 AS period_start,
      1710630000000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      76 AS period,
      1710630000000000 AS period_start,
      1710716400000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      77 AS period,
      1710716400000000 AS period_start,
      1710802800000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      78 AS period,
      1710802800000000 AS period_start,
      1710889200000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      79 AS period,
      1710889200000000 AS period_start,
      1710975600000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      80 AS period,
      1710975600000000 AS period_start,
      1711062000000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      81 AS period,
      1711062000000000 AS period_start,
      1711148400000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      82 AS period,
      1711148400000000 AS period_start,
      1711234800000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      83 AS period,
      1711234800000000 AS period_start,
      1711321200000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      84 AS period,
      1711321200000000 AS period_start,
      1711407600000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      85 AS period,
      1711407600000000 AS period_start,
      1711494000000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      86 AS period,
      1711494000000000 AS period_start,
      1711580400000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      87 AS period,
      1711580400000000 AS period_start,
      1711666800000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      88 AS period,
      1711666800000000 AS period_start,
      1711753200000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      89 AS period,
      1711753200000000 AS period_start,
      1711839600000000 AS period_end,
      4 AS parent_period
    ),
    STRUCT(
      90 AS period,
      1711839600000000 AS period_start,
      1711922400000000 AS period_end,
      4 AS parent_period
    )
  ]) AS l2_spine
), l2_scan_0 AS (
  SELECT
    CASE
      WHEN `tickets`.`opened_at` < CAST('2024-01-01 23:00:00+00:00' AS TIMESTAMP)
      THEN 0
      WHEN `tickets`.`opened_at` >= CAST('2024-03-30 23:00:00+00:00' AS TIMESTAMP)
      THEN 90
      ELSE CAST(DIV((
        UNIX_MICROS(`tickets`.`opened_at`) - 1704150000000000
      ), 86400000000) AS INT64) + 1
    END AS period,
    COUNT(*) AS a3
  FROM src_tickets AS `tickets`
  WHERE
    `tickets`.`opened_at` >= CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
    AND `tickets`.`opened_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
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
    CAST(l2_cells.a3 AS INT64) AS p3_body
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
    CAST(SUM(`subscriptions`.`mrr`) AS FLOAT64) AS a0
  FROM src_subscriptions AS `subscriptions`
  JOIN spine
    ON spine.period >= CASE
      WHEN `subscriptions`.`started_at` < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `subscriptions`.`started_at` < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`started_at` < CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMP)
          THEN 0
          ELSE 1
        END
        ELSE 2
      END
      WHEN `subscriptions`.`started_at` >= CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
      THEN CASE
        WHEN `subscriptions`.`started_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`started_at` < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
          THEN 3
          ELSE 4
        END
        ELSE 5
      END
    END
    AND spine.period <= COALESCE(
      CASE
        WHEN `subscriptions`.`ended_at` < CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`ended_at` < CAST('2023-12-31 23:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `subscriptions`.`ended_at` < CAST('2023-11-30 23:00:00+00:00' AS TIMESTAMP)
            THEN 0
            ELSE 1
          END
          ELSE 2
        END
        WHEN `subscriptions`.`ended_at` >= CAST('2024-01-31 23:00:00+00:00' AS TIMESTAMP)
        THEN CASE
          WHEN `subscriptions`.`ended_at` < CAST('2024-03-31 22:00:00+00:00' AS TIMESTAMP)
          THEN CASE
            WHEN `subscriptions`.`ended_at` < CAST('2024-02-29 23:00:00+00:00' AS TIMESTAMP)
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
    LAG(cells.a0, 1) OVER (ORDER BY cells.period NULLS LAST) AS o0
  FROM cells
), offsets_2 AS (
  SELECT
    offsets_1.*,
    LAG(
      CAST(CAST(offsets_1.a0 AS FLOAT64) / NULLIF(CAST(offsets_1.o0 AS FLOAT64), 0) AS FLOAT64) - CAST(1 AS FLOAT64),
      1
    ) OVER (ORDER BY offsets_1.period NULLS LAST) AS o1
  FROM offsets_1
), results AS (
  SELECT
    offsets_2.period,
    offsets_2.label,
    CAST(offsets_2.p0 AS INT64) AS m0,
    CAST(offsets_2.p1 AS FLOAT64) AS m1,
    CAST(offsets_2.p2 AS INT64) AS m2,
    CAST(offsets_2.p3 AS INT64) AS m3,
    CAST(CAST(CAST(CAST(offsets_2.a0 AS FLOAT64) / NULLIF(CAST(offsets_2.o0 AS FLOAT64), 0) AS FLOAT64) - CAST(1 AS FLOAT64) AS FLOAT64) - CAST(offsets_2.o1 AS FLOAT64) AS FLOAT64) AS m4
  FROM offsets_2
)
SELECT
  results.label AS `month`,
  results.m0 AS `customers`,
  results.m1 AS `expansion_mrr`,
  results.m2 AS `returning_customers`,
  results.m3 AS `busiest_day_tickets`,
  results.m4 AS `growth_change`
FROM results
WHERE
  results.period >= 2
ORDER BY
  results.period NULLS LAST
