"""What every test suite shares: the engines a test runs on, their known gaps, and the run's
one Spark session and PostgreSQL server (docs/testing.md, "One test body, every engine").

A test that takes the `engine` fixture runs once per engine: `engine` is the name to pass to
`Project.query(..., engine=engine)`, and the test asserts its expected values on each. It runs
on Arrow and DuckDB; a module, class or test marked `@pytest.mark.engines("arrow", "duckdb",
"spark", "postgres")` chooses its own engines (Spark answers a query in about half a second, so
the suites that need it opt in; the postgres engine runs on the run's throwaway server, and its
tests carry the `postgres` marker as Spark's carry `spark`). `--engines duckdb`
(comma-separated) keeps only some engines; the parameters are named after the engines, so
`-k duckdb` selects one too.

`@pytest.mark.notimpl(["spark"], raises=QueryError, reason="...")` records a known gap: on those
engines the test is a strict expected failure (it must fail, with `raises` if given), so the
day the gap is closed the test fails until the mark is removed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings
from postgres_server import (
    INSTALL_HINT,
    PostgresServer,
    server_programs,
    start_server,
    stop_server,
)

ENGINES = ("arrow", "duckdb", "spark", "postgres")

# In CI the property tests draw the same examples on every run (docs/testing.md, "Random
# valid projects"): a clean clone has no example database to replay a failure from, and a
# fresh sample would blame whichever change happened to draw an old bug. Exploring with fresh
# samples is a local run (no CI variable) or the slow run with other seeds.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

#: The engines a test taking `engine` runs on unless an `engines` mark says otherwise.
DEFAULT_ENGINES = ("arrow", "duckdb")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engines",
        default=",".join(ENGINES),
        help="comma-separated engines the engine-parametrised tests run on (default: all)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "engines(*names): the engines a test taking `engine` runs on"
    )
    config.addinivalue_line(
        "markers",
        "notimpl(engines, raises=None, reason=...): a known gap, a strict xfail on those engines",
    )
    unknown = set(_selected(config)) - set(ENGINES)
    if unknown:
        raise pytest.UsageError(f"--engines: unknown engines {sorted(unknown)}; know {ENGINES}")


def _selected(config: pytest.Config) -> list[str]:
    return [name.strip() for name in config.getoption("--engines").split(",") if name.strip()]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames or _parametrizes_engine(metafunc.definition):
        return
    chosen = metafunc.definition.get_closest_marker("engines")
    names = chosen.args if chosen else DEFAULT_ENGINES
    unknown = set(names) - set(ENGINES)
    assert not unknown, f"{metafunc.definition.nodeid}: unknown engines {sorted(unknown)}"
    wanted = _selected(metafunc.config)
    params = [
        pytest.param(name, marks=_ENGINE_MARKS.get(name, []), id=name)
        for name in names
        if name in wanted
    ]
    # Module scope: a module's tests run engine by engine, and a module-scoped fixture may
    # query on `engine` once for all the module's tests on that engine.
    metafunc.parametrize("engine", params, indirect=True, scope="module")


#: The engines whose tests carry a marker of their own (`-m "not spark"` deselects them).
_ENGINE_MARKS = {"spark": [pytest.mark.spark], "postgres": [pytest.mark.postgres]}


def _parametrizes_engine(definition: pytest.Function) -> bool:
    """Whether the test lists its engines itself with `@pytest.mark.parametrize("engine",
    ...)`, as some CLI, SQL and plugin tests do: the fixture then stays out of its way."""
    for mark in definition.iter_markers("parametrize"):
        names = mark.args[0]
        if "engine" in ([n.strip() for n in names.split(",")] if isinstance(names, str) else names):
            return True
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        engine = getattr(item, "callspec", None) and item.callspec.params.get("engine")
        for gap in item.iter_markers("notimpl"):
            (engines,) = gap.args
            assert gap.kwargs.get("reason"), f"{item.nodeid}: a notimpl mark needs a reason"
            if engine in engines:
                item.add_marker(
                    pytest.mark.xfail(
                        strict=True, raises=gap.kwargs.get("raises"), reason=gap.kwargs["reason"]
                    )
                )


@pytest.fixture(scope="module")
def engine(request: pytest.FixtureRequest) -> str:
    """The engine this run of the test queries: "arrow", "duckdb", "spark" or "postgres"."""
    if request.param == "spark":
        # `engine="spark"` runs on the Spark session active in the process: this run's one.
        request.getfixturevalue("spark_session")
    if request.param == "postgres":
        # `engine="postgres"` without a connection reaches the server of libpq's environment,
        # which the throwaway server sets for the run.
        request.getfixturevalue("postgres_server")
    return request.param


@pytest.fixture(scope="session")
def spark_session() -> object:
    """The test run's single local Spark session, shared by every suite."""
    from metricsmith.execute.spark_session import SparkOptions, spark_session

    return spark_session(SparkOptions(master="local[2]"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The test run's one throwaway PostgreSQL server (tests/postgres_server.py), with libpq's
    environment pointing at it for the whole run."""
    programs = server_programs()
    if programs is None:
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    server = start_server(programs)
    patch = pytest.MonkeyPatch()
    for name, value in server.environment.items():
        patch.setenv(name, value)
    try:
        yield server
    finally:
        patch.undo()
        stop_server(programs, server)
