"""Time the forms an instant's month can take in SQL, on Spark (a local session) and
PostgreSQL, in turns, answers compared: the choice behind `SqlDialect.cheap_utc_local_dates`
(execute/sql/dialects.py), which places rows among up to 64 UTC month ends by their month
numbers where that is cheap and by a balanced CASE tree of comparisons elsewhere.

    python benchmarks/month_numbers.py spark                   # 6M instants
    python benchmarks/month_numbers.py postgres --rows 1500000  # a throwaway server

Forms (each query counts the instants of 2022-2024 per month; 35 month ends):
  tree            the compiler's CASE tree over the month ends (positions.py, `position`)
  local-date      year * 12 + month of the dialect's UTC local date (`local_date`), what the
                  compiler writes where local dates are cheap
  cast-date       Spark: the same from CAST(t AS DATE), through the session's time zone
  date-part       PostgreSQL: date_part (a double) instead of EXTRACT (a numeric)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from harness import EXACT, AnswerShape, add_run_arguments, run_and_report
from rich.console import Console

FIRST, END = dt.datetime(2022, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
_JANUARY_2022 = 2022 * 12 + 1
FORMS = {
    "spark": ["tree", "local-date", "cast-date"],
    "postgres": ["tree", "local-date", "date-part"],
}


def month_forms(engine: str) -> dict[str, str]:
    """Each form's expression for the month of `t`, in the engine's SQL."""
    from metricsmith.execute.sql import DIALECTS
    from metricsmith.execute.sql.positions import position
    from metricsmith.plan.periods import epoch_micros
    from sqlglot import exp

    dialect = DIALECTS[engine]
    t = exp.column("t")
    ends = [
        epoch_micros(dt.datetime(2022 + m // 12, m % 12 + 1, 1, tzinfo=dt.UTC))
        for m in range(1, 36)
    ]

    def number(day: exp.Expression) -> str:
        """Months since January 2022 (the tree's positions), from a date's year and month."""
        year, month = dialect.extract("year", day), dialect.extract("month", day.copy())
        months = exp.Add(
            this=exp.Mul(this=year, expression=exp.Literal.number(12)), expression=month
        )
        return dialect.sql(exp.Sub(this=months, expression=exp.Literal.number(_JANUARY_2022)))

    forms = {
        "tree": dialect.sql(position(t, ends, dialect)),
        "local-date": number(dialect.local_date(t, "UTC")),
    }
    if engine == "spark":
        forms["cast-date"] = number(exp.Cast(this=t, to=exp.DataType.build("DATE")))
    else:
        local = "t AT TIME ZONE 'UTC'"
        forms["date-part"] = (
            f"CAST(date_part('year', {local}) * 12 + date_part('month', {local}) AS BIGINT) "
            f"- {_JANUARY_2022}"
        )
    return forms


def queries(engine: str) -> dict[str, str]:
    """Each form's query: the instants counted per month."""
    return {
        name: f"SELECT p AS month, COUNT(*) AS value FROM (SELECT {form} AS p FROM instants) "
        "AS x GROUP BY p"
        for name, form in month_forms(engine).items()
    }


def _spark(rows: int) -> dict[str, object]:
    from metricsmith.execute.spark_session import spark_session

    session = spark_session()
    low, high = (int(x.timestamp() * 1_000_000) for x in (FIRST, END))
    session.sql(
        f"SELECT timestamp_micros({low} + CAST(rand(7) * {high - low} AS BIGINT)) AS t "
        f"FROM range({rows})"
    ).cache().createOrReplaceTempView("instants")
    session.sql("SELECT COUNT(*) FROM instants").collect()  # cached before the timings
    return {
        name: (lambda sql=sql: session.sql(sql).toArrow()) for name, sql in queries("spark").items()
    }


def _postgres(rows: int) -> dict[str, object]:
    from run_postgres import connect

    conn = connect()
    low, high = (int(x.timestamp() * 1_000_000) for x in (FIRST, END))
    with conn.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS instants")
        cursor.execute(
            "CREATE TABLE instants AS SELECT TIMESTAMPTZ '1970-01-01 00:00:00+00' + "
            f"(({low} + (random() * {high - low})::bigint) * INTERVAL '1 microsecond') AS t "
            f"FROM generate_series(1, {rows})"
        )
        cursor.execute("ANALYZE instants")

    def run(sql: str):
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetch_arrow_table()

    return {name: (lambda sql=sql: run(sql)) for name, sql in queries("postgres").items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("engine", choices=list(FORMS))
    parser.add_argument("--rows", type=int, default=6_000_000, help="instants (default 6M)")
    forms = sorted({form for names in FORMS.values() for form in names})
    add_run_arguments(parser, forms, default=forms)
    args = parser.parse_args()
    if args.engine == "postgres":
        from run_postgres import server

        with server():
            runners = _postgres(args.rows)
            return _report(args, runners)
    return _report(args, _spark(args.rows))


def _report(args: argparse.Namespace, runners: dict[str, object]) -> int:
    chosen = {name: run for name, run in runners.items() if name in args.engines}
    return run_and_report(
        Console(),
        title=f"{args.engine}: {args.rows:,} instants placed in 36 months, best of {args.repeats}",
        shape=AnswerShape(keys=("month",), metrics={"value": EXACT}),
        runners=chosen,
        repeats=args.repeats,
        data={"engine": args.engine, "rows": args.rows},
        json_path=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
