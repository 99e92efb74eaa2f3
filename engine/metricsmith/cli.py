"""The `metricsmith` command: argument parsing and presentation only.

Exit codes: 0 success, 1 a problem in the user's definitions, query or data (the message says
what and where), 2 a malformed command line, 3 a bug in metricsmith.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TextIO

import attrs
from rich.console import Console
from rich.table import Table

from metricsmith import __version__
from metricsmith.api import Project, load_project, project_connections
from metricsmith.check.query import DEFAULT_MAX_PERIODS
from metricsmith.errors import (
    DataError,
    DataWarning,
    Diagnostic,
    MetricsmithError,
    PluginFailure,
    ProjectError,
    QueryError,
    UnavailableMetric,
)
from metricsmith.execute.sql.names import DIALECT_NAMES
from metricsmith.model.time import GRAINS
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.engine import AUTO
from metricsmith.plugins.formats import OutputFormat, atomic_output
from metricsmith.plugins.progress import Progress, no_progress
from metricsmith.plugins.provenance import Provenance
from metricsmith.present.contracts import contracts_table
from metricsmith.present.contracts import summary as contracts_summary
from metricsmith.present.digest import render_digest
from metricsmith.present.output import STDOUT, suffix_of, write_output
from metricsmith.present.progress import reporting
from metricsmith.present.report import render_report
from metricsmith.present.result import QueryResult
from metricsmith.present.result_view import result_view
from metricsmith.present.scorecard import ScorecardView
from metricsmith.present.scorecard_table import scorecard_table
from metricsmith.present.tables import (
    dimensions_table,
    listing,
    metrics_table,
    parameters_table,
    result_table,
    scorecards_table,
    sources_table,
    unavailable_table,
)
from metricsmith.present.xlsx import render_xlsx
from metricsmith.registry import get_registry

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_TERMINATED = 128 + signal.SIGTERM
TABLE = "table"  # the terminal rendering; every other format comes from the plugin registry
TRACEBACK_VARIABLE = "METRICSMITH_TRACEBACK"
ENGINE_HELP = (
    "where to compute: arrow (embedded), duckdb, spark, an engine a plugin adds, or auto "
    "(chosen per query from its plan; explain says which and why) "
    "(default: the project's metricsmith.toml, else arrow)"
)
#: The views `metricsmith scorecard --format NAME` writes besides the terminal table: each
#: turns a scorecard's view into text (to stdout or --output) or bytes (to --output only).
#: A new view of a scorecard is one entry here.
SCORECARD_FORMATS: dict[str, Callable[[ScorecardView], str | bytes]] = {
    "markdown": render_digest,
    "xlsx": render_xlsx,
    "html": render_report,
}


class UsageError(Exception):
    """Options that parse but contradict each other (exit code 2, like argparse's errors)."""


class Terminated(BaseException):
    """SIGTERM arrived while an output file was being written. Raised in the main thread so
    that the write unwinds as for Ctrl-C and leaves no temporary file behind."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse exits for --help, --version and malformed usage
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        return args.run(args)
    except UsageError as problem:
        _say(sys.stderr, f"metricsmith {args.command}: error: {problem}")
        return EXIT_USAGE
    except (ProjectError, UnavailableMetric) as problem:  # positioned: they say `error[...]`
        _say(sys.stderr, str(problem))
        return EXIT_ERROR
    except MetricsmithError as problem:
        if isinstance(problem, PluginFailure) and os.environ.get(TRACEBACK_VARIABLE):
            traceback.print_exception(problem.__cause__ or problem, file=sys.stderr)
        _say(sys.stderr, f"error: {problem}")
        return EXIT_ERROR
    except BrokenPipeError:  # the reader of our output went away (`| head`): not a failure
        _discard_stdout()
        return EXIT_OK
    except OSError as problem:  # an unreadable path or an unwritable --output
        where = f": {problem.filename}" if problem.filename else ""
        _say(sys.stderr, f"error: {problem.strerror or problem}{where}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _say(sys.stderr, "interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        _say(sys.stderr, "terminated")
        return EXIT_TERMINATED
    except Exception as bug:
        _report_bug(bug)
        return EXIT_INTERNAL


# ---- the command line --------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="metricsmith",
        description="Define customer-success metrics as formulas and compute them on your data.",
        epilog="Run `metricsmith COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"metricsmith {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check",
        help="check a project's definitions and report every problem",
        description="Load a project, check every definition and report all problems at once.",
    )
    _add_project_argument(check)
    check.set_defaults(run=_check)

    query = commands.add_parser(
        "query",
        help="compute metrics",
        description="Compute metrics by period and dimension.",
        epilog="example: metricsmith query metric_defs/sample nps csat --grain month "
        "--from 2024-01 --to 2025-01 --by accounts.segment",
    )
    _add_query_arguments(query)
    query.add_argument(
        "--format",
        metavar="NAME",
        help="table (the default), or an output format: csv, json, parquet, markdown, xlsx, "
        "or one a plugin adds (see `metricsmith plugins`); with --output the file's suffix "
        "picks it",
    )
    query.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write to FILE: a file atomically, a device or FIFO as a stream, - to stdout",
    )
    query.add_argument(
        "--status",
        action="store_true",
        help="add each metric's status against its target: a METRIC:status column (green, "
        "amber, red or empty), after METRIC:target when the target is read from the data",
    )
    # Ranked lists (execute/ranking.py): the order of the answer and its first rows.
    query.add_argument(
        "--order-by",
        action="append",
        metavar="COLUMN",
        help="rank by a column of the answer (a metric, a --by column, the period); "
        "COLUMN:desc (or --order-by=-COLUMN) for descending; repeat for more keys; ties by "
        "the other columns, nulls last",
    )
    query.add_argument(
        "--limit",
        type=_row_count,
        metavar="N",
        help="keep the first N rows (of each --per group; with a grain, of each period)",
    )
    query.add_argument(
        "--per",
        action="append",
        metavar="COLUMN",
        help="with --limit, keep the first N rows of each group of this --by column; repeat "
        "for more",
    )
    _add_quiet_argument(query)
    query.set_defaults(run=_query)

    explain = commands.add_parser(
        "explain",
        help="show how a query would be computed",
        description="Show the plan for a query: which sources are scanned, which aggregates "
        "are fused into each scan, which links are joined.",
    )
    _add_query_arguments(explain)
    explain.add_argument(
        "--sql", action="store_true", help="print the SQL the query compiles to, formatted"
    )
    explain.add_argument(
        "--dialect",
        choices=DIALECT_NAMES,
        help="the SQL dialect to print (implies --sql; default: the engine's, else duckdb)",
    )
    explain.set_defaults(run=_explain)

    list_ = commands.add_parser(
        "list",
        help="list a project's metrics, sources, dimensions and scorecards",
        description="List a project's metrics (with labels, units, directions and targets), "
        "its sources, its dimensions and its scorecards.",
    )
    _add_project_argument(list_)
    list_.set_defaults(run=_list)

    scorecard = commands.add_parser(
        "scorecard",
        help="show a saved scorecard",
        description="Run a scorecard the definitions declare and show its latest period: "
        "each metric's value, target and status, its change against each comparison, and "
        "its trend over the periods shown.",
        epilog="example: metricsmith scorecard metric_defs/sample monthly_cs --end 2025-01",
    )
    _add_project_argument(scorecard)
    scorecard.add_argument("name", metavar="NAME", help="the scorecard (`list` shows them)")
    scorecard.add_argument(
        "--end",
        metavar="DATE",
        help="show the periods before DATE (2024, 2024-03 or 2024-03-15; a period DATE falls "
        "inside is not shown); default: up to the latest period of the data",
    )
    scorecard.add_argument(
        "--periods",
        type=_positive_int,
        metavar="N",
        help="how many periods to show (default: the scorecard's `periods`)",
    )
    scorecard.add_argument(
        "--engine",
        help=ENGINE_HELP,
    )
    scorecard.add_argument(
        "--format",
        default=TABLE,
        choices=[TABLE, *SCORECARD_FORMATS],
        help="table (the default, for the terminal) or another view of the scorecard",
    )
    scorecard.add_argument(
        "--output", "-o", metavar="FILE", help="write a --format other than table to FILE"
    )
    _add_param_argument(scorecard)
    _add_quiet_argument(scorecard)
    scorecard.set_defaults(run=_scorecard)

    test = commands.add_parser(
        "test",
        help="check the data against the sources' contracts",
        description="Check every data contract (each `expect` of a source, and the "
        "uniqueness of each key) against all the rows of the data. Shows each contract's "
        "verdict with up to 5 failing rows; exits 1 when a contract is broken or could not be "
        "checked.",
        epilog="example: metricsmith test metric_defs/sample --source subscriptions",
    )
    _add_project_argument(test)
    test.add_argument(
        "--source",
        action="append",
        metavar="NAME",
        help="only the contracts of this source (repeatable)",
    )
    _add_quiet_argument(test)
    test.set_defaults(run=_test)

    connections = commands.add_parser(
        "connections",
        help="list the connections a project's sources may name, and test them",
        description="List the named connections a project's sources may use (from its "
        "metricsmith.toml and the profiles file; docs/connectors.md): each one's type, where "
        "it is declared and its settings, secrets shown only by where they are read from. "
        "With --test, connect to each and print one line per connection; exits 1 when one "
        "fails.",
        epilog="example: metricsmith connections metric_defs/sample --test",
    )
    connections.add_argument(
        "path", metavar="PATH", help="a folder of .metrics files, or a single .metrics file"
    )
    connections.add_argument(
        "--test", action="store_true", help="connect to each connection and say what it reached"
    )
    connections.set_defaults(run=_connections)

    report = commands.add_parser(
        "report",
        help="write a scorecard as one self-contained HTML page",
        description="Compute a scorecard the definitions declare and write it as one HTML "
        "file that needs nothing else to open (no network, fonts or scripts): per metric its "
        "value, target and status, changes and trend, with the scorecard's sections and "
        "charts (docs/reports.md). Needs the report extra: pip install 'metricsmith[report]'.",
        epilog="example: metricsmith report metric_defs/sample monthly -o report.html",
    )
    _add_project_argument(report)
    report.add_argument("scorecard", metavar="SCORECARD", help="the scorecard's name")
    report.add_argument(
        "--output", "-o", metavar="FILE", required=True, help="the HTML file to write (atomically)"
    )
    report.add_argument(
        "--end",
        metavar="DATE",
        help="show the periods before this date: 2024, 2024-03 or 2024-03-15 (default: the "
        "latest in the data)",
    )
    report.add_argument(
        "--periods", type=_positive_int, metavar="N", help="how many periods to show"
    )
    report.add_argument(
        "--engine",
        help=ENGINE_HELP,
    )
    _add_param_argument(report)
    _add_quiet_argument(report)
    report.set_defaults(run=_report)

    plugins = commands.add_parser(
        "plugins",
        help="show loaded plugins and what they provide",
        description="Show the loaded plugins, where they come from and which hooks they "
        "implement, then the connectors, functions and output formats they provide. Exits 1 "
        "when a plugin failed to load.",
    )
    plugins.set_defaults(run=_plugins)
    return parser


def _add_project_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", metavar="PATH", help="a folder of .metrics files, or a single .metrics file"
    )
    parser.add_argument(
        "--confine",
        action="store_true",
        help="let the definitions name only files inside the project's folder and its data "
        "roots (on whenever METRICSMITH_CONFINE is set; see docs/security.md)",
    )
    parser.add_argument(
        "--data-root",
        action="append",
        dest="data_roots",
        metavar="FOLDER",
        help="a folder a confined project may read besides its own (repeatable)",
    )


def _add_quiet_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="show no progress on the terminal (none is shown when stderr is not a terminal)",
    )


def _load(args: argparse.Namespace, progress: Progress = no_progress) -> Project:
    """The project named on the command line, with its path options."""
    return load_project(
        args.path, confine=args.confine, data_roots=args.data_roots or (), progress=progress
    )


def _add_query_arguments(parser: argparse.ArgumentParser) -> None:
    _add_project_argument(parser)
    parser.add_argument("metrics", metavar="METRIC", nargs="+", help="metric names")
    parser.add_argument(
        "--by",
        action="append",
        metavar="DIMENSION",
        help="slice by a named dimension or a source.column (repeatable); a grain name "
        "(--by month) is the same as --grain",
    )
    parser.add_argument(
        "--grain", choices=[str(g) for g in GRAINS], help="split the range into periods"
    )
    parser.add_argument(
        "--from",
        dest="start",
        metavar="DATE",
        help="first day of the range, inclusive: 2024, 2024-03 or 2024-03-15",
    )
    parser.add_argument(
        "--to", dest="end", metavar="DATE", help="end of the range, exclusive (same forms)"
    )
    parser.add_argument(
        "--as-of",
        dest="as_of",
        metavar="DATE",
        help="the instant the data is known up to (same forms; default: now): conversion "
        "periods whose window has not closed by then are empty",
    )
    parser.add_argument(
        "--where",
        action="append",
        metavar="EXPR",
        help="a row filter such as 'accounts.region == \"EMEA\"' (repeatable; all must hold)",
    )
    parser.add_argument(
        "--engine",
        help=ENGINE_HELP,
    )
    parser.add_argument(
        "--max-periods",
        type=_positive_int,
        default=DEFAULT_MAX_PERIODS,
        metavar="N",
        help=f"refuse a range of more than N periods (default: {DEFAULT_MAX_PERIODS:,})",
    )
    _add_param_argument(parser)


def _add_param_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--param",
        action="append",
        type=_parameter_setting,
        dest="params",
        metavar="NAME=VALUE",
        help="set a parameter the definitions declare, e.g. --param window=14d or "
        "--param plan=pro (repeatable; the others keep their defaults)",
    )


def _parameter_setting(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, such as window=14d, not {text!r}")
    return name.strip(), value


def _params(args: argparse.Namespace) -> dict[str, str]:
    """The --param settings by name; each parameter set once."""
    settings: dict[str, str] = {}
    for name, value in args.params or ():
        if name in settings:
            raise UsageError(f"--param {name} is given twice; give each parameter once")
        settings[name] = value
    return settings


# ---- commands ----------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    project = _load(args)
    problems = get_registry().problems
    _print_warnings(project.warnings)
    for problem in problems:
        _say(sys.stderr, f"warning[plugin]: {problem}")
    counts = ", ".join(
        [
            _count(len(project.files), "file"),
            _count(len(project.sources), "source"),
            _count(len(project.metrics), "metric"),
            _count(len(project.dimensions), "dimension"),
            *([_count(len(project.scorecards), "scorecard")] if project.scorecards else []),
        ]
    )
    _print_warnings(project.checked.notes)  # information, such as what was overridden
    warnings = len(project.warnings) + len(problems)
    verdict = _count(warnings, "warning") if warnings else "no problems found"
    _say(sys.stdout, f"{args.path}: {counts}; {verdict}")
    for note in project.notes:  # information, not problems: the exit status stays 0
        _say(sys.stdout, note.render())
    return EXIT_OK


def _query(args: argparse.Namespace) -> int:
    request = _query_request(args)
    output_format = _output_format(args.format, args.output)
    with reporting(not args.quiet, "loading project") as progress:
        project = _load(args, progress)
        # The terminal marks every value against its target. A target read from the data is
        # computed beside its metric for that, and shown as a column only when asked for.
        hidden_goals = output_format is None and not args.status and _reads_goals(project, args)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)

            def answer(status: bool) -> QueryResult:
                return project.query(
                    args.metrics,
                    **request,
                    progress=progress,
                    status=status,
                    order_by=tuple(args.order_by or ()),
                    limit=args.limit,
                    per=tuple(args.per or ()),
                )

            try:
                result = answer(args.status or hidden_goals)
            except (QueryError, DataError) as problem:
                if not hidden_goals:
                    raise
                # Goals nobody asked for never cost the answer: one that cannot be sliced as
                # the query is, or unreadable data, leaves the values unmarked.
                result = answer(False)
                hidden_goals = False
                reason = str(problem).splitlines()[0]
                _say(sys.stderr, f"note: targets read from the data are not marked: {reason}")
    table = result.to_arrow()
    _print_warnings(project.warnings)  # data warnings among them
    _show_other_warnings(caught)
    # Each metric as the answer shows it: a target set by a parameter has the query's value.
    metrics = [
        attrs.evolve(project.metrics[project.checked.metric_key(name)], decl=view.decl)
        for name, view in zip(args.metrics, result.metrics, strict=True)
    ]
    calendar = project.checked.calendar.rules  # names fiscal periods
    if output_format is None:
        shown = result_table(
            table, metrics, project.dimensions, calendar, companions=not hidden_goals
        )
        _console(sys.stdout).print(shown)
        return EXIT_OK
    # Only a format that shows labels and statuses needs every value formatted.
    takes_view = output_format.write_view is not None
    view = result_view(table, metrics, project.dimensions, calendar) if takes_view else None
    if args.output is not None:
        with _terminate_by_unwinding():
            write_output(output_format, table, args.output, view)
        if args.output != STDOUT:
            _say(sys.stderr, f"wrote {_count(table.num_rows, 'row')} to {args.output}")
    else:
        write_output(output_format, table, STDOUT, view)
    return EXIT_OK


def _reads_goals(project: Project, args: argparse.Namespace) -> bool:
    """Whether a metric asked for has a target read from the data (`target >= avg(goals.x)`)."""
    decls = [project.metrics.get(project.checked.metric_key(name)) for name in args.metrics]
    return any(d is not None and d.decl.target is not None and d.decl.target.goal for d in decls)


def _explain(args: argparse.Namespace) -> int:
    request = _query_request(args)
    project = _load(args)
    text = project.explain(args.metrics, **request, sql=args.sql, dialect=args.dialect)
    _say(sys.stdout, text.rstrip("\n"))
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    project = _load(args)
    _print_sections(
        [
            (
                "Metrics",
                len(project.metrics),
                metrics_table(project.metrics, project.metric_origins),
            ),
            *(
                [("Unavailable", len(project.unavailable), unavailable_table(project.unavailable))]
                if project.unavailable
                else []
            ),
            ("Sources", len(project.sources), sources_table(project.sources)),
            ("Dimensions", len(project.dimensions), dimensions_table(project.dimensions)),
            ("Scorecards", len(project.scorecards), scorecards_table(project.scorecards)),
            *(
                [("Parameters", len(parameters), parameters_table(parameters))]
                if (parameters := project.checked.parameters)
                else []
            ),
        ]
    )
    _print_warnings(project.warnings)
    return EXIT_OK


def _scorecard(args: argparse.Namespace) -> int:
    if args.format == TABLE and args.output is not None:
        raise UsageError(f"the table is for the terminal; to write {args.output} choose --format")
    view = _computed_scorecard(args, args.name)
    if args.format == TABLE:
        _console(sys.stdout).print(scorecard_table(view))
        return EXIT_OK
    shown = SCORECARD_FORMATS[args.format](view)
    if args.output is None and isinstance(shown, bytes):
        raise UsageError(f"{args.format} is a binary format; write it to a file with --output")
    if args.output is None:
        sys.stdout.write(shown if isinstance(shown, str) else "")
    else:
        _write_file(args.output, shown)
        _say(sys.stderr, f"wrote the {args.format} of the scorecard {args.name} to {args.output}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    view = _computed_scorecard(args, args.scorecard)
    _write_file(args.output, render_report(view))
    _say(sys.stderr, f"wrote the report of {_count(len(view.shown), 'metric')} to {args.output}")
    return EXIT_OK


def _computed_scorecard(args: argparse.Namespace, name: str) -> ScorecardView:
    """The scorecard `name` computed as the options ask, its warnings shown on stderr."""
    engine = _engine(args.engine)
    with reporting(not args.quiet, "loading project") as progress:
        project = _load(args, progress)
        progress(f"computing the scorecard {name}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            view = project.scorecard(
                name, end=args.end, periods=args.periods, engine=engine, params=_params(args)
            )
    _print_warnings(project.warnings)  # data warnings among them
    _show_other_warnings(caught)
    return view


def _write_file(path: str, content: str | bytes) -> None:
    """Write a view to `path` atomically (a SIGTERM unwinds the write like Ctrl-C)."""
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    with _terminate_by_unwinding(), atomic_output(path) as temporary:
        Path(temporary).write_bytes(data)


def _test(args: argparse.Namespace) -> int:
    with reporting(not args.quiet, "loading project") as progress:
        project = load_project(args.path, progress=progress)
        progress("checking the data contracts")
        results = project.test(args.source)
    _print_warnings(project.warnings)
    if results:
        _console(sys.stdout).print(contracts_table(results))
    _say(sys.stdout, f"{args.path}: {contracts_summary(results)}")
    return EXIT_OK if all(r.passed for r in results) else EXIT_ERROR


def _connections(args: argparse.Namespace) -> int:
    found = project_connections(args.path)
    rows = [(c.name, c.origin, c.describe()) for c in found.values()]
    _print_sections(
        [("Connections", len(rows), listing(("connection", "declared in", "settings"), rows))]
    )
    if not args.test:
        return EXIT_OK
    _say(sys.stdout, "")
    results = [_tested(connection) for connection in found.values()]
    for _, line in results:
        _say(sys.stdout, line)
    return EXIT_OK if all(ok for ok, _ in results) else EXIT_ERROR


def _tested(connection: Connection) -> tuple[bool, str]:
    """Whether the connection works, and one line saying what it reached or why not."""
    connector = get_registry().connectors.get(connection.type)
    if connector is None:
        return False, (
            f"{connection.name}: error: no connector `{connection.type}` is installed "
            "(`metricsmith plugins` lists those that are)"
        )
    test = getattr(connector, "test_connection", None)
    try:
        reached = test(connection) if test is not None else None
    except MetricsmithError as problem:
        # One line; a message quoting a driver's text may quote a secret: never print it.
        first = str(problem).splitlines()[0]
        return False, f"{connection.name}: error: {connection.redact(first)}"
    if reached is None:
        return True, f"{connection.name}: not tested (the {connection.type} connector cannot)"
    return True, f"{connection.name}: ok, {connection.redact(reached)}"


def _plugins(args: argparse.Namespace) -> int:
    registry = get_registry()
    functions = [
        *((name, "scalar", f.example) for name, f in sorted(registry.scalar_functions.items())),
        *(
            (name, "aggregate", f.example)
            for name, f in sorted(registry.aggregate_functions.items())
        ),
    ]
    sections: list[tuple[str, tuple[str, ...], Sequence[Sequence[str]]]] = [
        (
            "Plugins",
            ("plugin", "from", "hooks"),
            [(p.name, p.location, ", ".join(p.hooks)) for p in registry.plugins],
        ),
        (
            "Connectors",
            ("connector", "from", "description"),
            [(n, _origin(c), c.description) for n, c in sorted(registry.connectors.items())],
        ),
        ("Functions", ("function", "kind", "example"), functions),
        (
            "Engines",
            ("engine", "from", "description"),
            [(n, _origin(e), e.description) for n, e in sorted(registry.engines.items())],
        ),
        (
            "Metric libraries",
            ("library", "from", "themes"),
            [(p.name, p.provenance.origin, ", ".join(p.themes)) for p in registry.packs],
        ),
        (
            "Output formats",
            ("format", "description"),
            [(name, f.description) for name, f in sorted(registry.formats.items())],
        ),
    ]
    _print_sections(
        [(title, len(rows), listing(headers, rows)) for title, headers, rows in sections]
    )
    for problem in registry.problems:
        _say(sys.stderr, f"error[plugin]: {problem}")
    return EXIT_ERROR if registry.problems else EXIT_OK


# ---- helpers -----------------------------------------------------------------------------


def _origin(item: object) -> str:
    """The distribution and version a connector or engine comes from: a plugin's are handed
    out with their provenance, the built-in ones are metricsmith's own."""
    provenance = getattr(item, "provenance", None)
    if isinstance(provenance, Provenance):
        return provenance.origin
    return f"metricsmith {__version__}"


def _engine(name: str | None) -> str | None:
    """The engine asked for, checked against those installed (or `auto`)."""
    engines = get_registry().engines
    if name is not None and name not in engines and name != AUTO:
        raise UsageError(f"unknown engine {name!r}; choose {_choices([*engines, AUTO])}")
    return name


def _query_request(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of `Project.query` and `Project.explain`."""
    _engine(args.engine)
    return {
        "by": tuple(args.by or ()),
        "grain": args.grain,
        "start": args.start,
        "end": args.end,
        "as_of": args.as_of,
        "where": tuple(args.where or ()),
        "engine": args.engine,
        "max_periods": args.max_periods,
        "params": _params(args),
    }


def _positive_int(text: str, what: str = "periods") -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of {what} above 0, not {text!r}")
    return int(text)


def _row_count(text: str) -> int:
    return _positive_int(text, "rows")


def _output_format(name: str | None, output: str | None) -> OutputFormat | None:
    """The registry's output format to write, or None for the terminal table. Checked before
    the query runs, so a typo costs nothing."""
    formats = get_registry().formats
    by_extension = {f.extension: f for f in formats.values()}
    suffix = suffix_of(output) if output not in (None, STDOUT) else ""
    if name is None and output is not None:
        if suffix not in by_extension:
            raise UsageError(
                f"cannot tell the format of {output} from its suffix; add --format "
                f"({_choices(formats)})"
            )
        return by_extension[suffix]
    if name in (None, TABLE):
        if output is not None:
            raise UsageError(
                f"the table is for the terminal; to write {output} choose --format "
                f"({_choices(formats)})"
            )
        return None
    if name not in formats:
        raise UsageError(f"unknown format {name!r}; choose {TABLE}, {_choices(formats)}")
    if output is not None and suffix in by_extension and by_extension[suffix].name != name:
        extension = formats[name].extension
        renamed = f"{os.path.splitext(output)[0]}.{extension}"
        raise UsageError(
            f"{output} ends in .{suffix} but --format {name} writes .{extension} files; "
            f"write to {renamed}, or use --format {by_extension[suffix].name}"
        )
    if formats[name].binary and (output is None or (output == STDOUT and sys.stdout.isatty())):
        raise UsageError(f"{name} is a binary format; write it to a file with --output FILE")
    return formats[name]


def _choices(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


@contextmanager
def _terminate_by_unwinding() -> Iterator[None]:
    """While an output is written, SIGTERM raises `Terminated` instead of killing the process
    on the spot. Only then: a query computing in native code (DuckDB, Arrow kernels) would not
    see the exception until it finished, so the rest of the time SIGTERM stops it at once.
    Only the main thread can install signal handlers; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(_signal: int, _frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _console(stream: TextIO) -> Console:
    """Rich output with colour only on a terminal. Off a terminal (a pipe, a file, a test)
    lines are not wrapped to a guessed width: tables keep their natural width."""
    interactive = stream.isatty()
    return Console(
        file=stream,
        width=None if interactive else 10_000,
        markup=False,
        emoji=False,
        highlight=False,
    )


def _print_sections(sections: Sequence[tuple[str, int, Table]]) -> None:
    """Titled tables one after the other; an empty one shows just its title and count."""
    console = _console(sys.stdout)
    for index, (title, count, table) in enumerate(sections):
        if index:
            console.print()
        console.print(f"{title} ({count})", style="bold")
        if count:
            console.print(table)


def _print_warnings(found: Sequence[Diagnostic | DataWarning]) -> None:
    for warning in found:
        _say(sys.stderr, warning.render())


def _show_other_warnings(recorded: Sequence[warnings.WarningMessage]) -> None:
    """Python warnings other than data warnings (printed with the project's), as Python
    shows them."""
    for warning in recorded:
        if not issubclass(warning.category, DataWarning):
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def _discard_stdout() -> None:
    """Point stdout at the null device so the interpreter's final flush of what is still
    buffered does not raise a second broken pipe."""
    with suppress(OSError, ValueError):  # stdout without a file descriptor (captured, embedded)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _report_bug(bug: Exception) -> None:
    full = bool(os.environ.get(TRACEBACK_VARIABLE))
    if full:
        traceback.print_exception(bug, file=sys.stderr)
    where = traceback.extract_tb(bug.__traceback__)[-1]
    _say(
        sys.stderr,
        f"metricsmith: internal error: {type(bug).__name__}: {bug}\n"
        f"  raised at {where.filename}:{where.lineno} in {where.name}\n"
        "This is a bug in metricsmith, not a problem with your definitions or data. Please "
        "report it with the command you ran"
        + (
            " and the traceback above."
            if full
            else f"; set {TRACEBACK_VARIABLE}=1 to see the full traceback."
        ),
    )


def _say(stream: TextIO, text: str) -> None:
    print(text, file=stream)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
