"""Named connections (plugins/connections.py): where they are declared, how their secrets are
read and never shown, and how the checker resolves the one a source names
(check/connections.py)."""

from __future__ import annotations

from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from metricsmith.builtin.connectors import InMemoryReader
from metricsmith.cli import main
from metricsmith.errors import ProjectError, QueryError
from metricsmith.plugins.connections import (
    PROFILES_VARIABLE,
    Connection,
    Secret,
    load_connections,
    profiles_path,
)
from metricsmith.plugins.hookspecs import hookimpl

PASSWORD = "Planted-S3cret-for-connections"

PROJECT_TOML = """\
[connections.warehouse]
type = "fakedb"
host = "db.internal"
port = 5432
password_env = "CONNECTIONS_TEST_PASSWORD"

[connections.files]
type = "fakedb"
token_file = "secrets/token.txt"

[connections.other]
type = "otherdb"
"""


@pytest.fixture(autouse=True)
def no_profiles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A profiles file of the test's own (absent until written), never the user's."""
    path = tmp_path / "profiles" / "profiles.toml"
    monkeypatch.setenv(PROFILES_VARIABLE, str(path))
    monkeypatch.delenv("CONNECTIONS_TEST_PASSWORD", raising=False)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "secrets").mkdir(parents=True)
    (folder / "metricsmith.toml").write_text(PROJECT_TOML, encoding="utf-8")
    (folder / "secrets" / "token.txt").write_text("tok-123\nsecond line\n", encoding="utf-8")
    return folder


def test_connections_come_from_the_project_settings(project, monkeypatch):
    monkeypatch.setenv("CONNECTIONS_TEST_PASSWORD", PASSWORD)
    found = load_connections(project)
    assert sorted(found) == ["files", "other", "warehouse"]
    warehouse = found["warehouse"]
    assert (warehouse.type, dict(warehouse.settings)) == (
        "fakedb",
        {"host": "db.internal", "port": 5432},
    )
    assert warehouse.origin == f"{project / 'metricsmith.toml'} [connections.warehouse]"
    assert warehouse.secret("password").reveal() == PASSWORD
    assert warehouse.secret("token") is None  # none declared


def test_a_secret_file_gives_its_whole_text_relative_to_the_settings_file(project):
    # Whole, without the final line break: a PEM key or a JSON key file spans lines.
    token = load_connections(project)["files"].secret("token")
    assert token.reveal() == "tok-123\nsecond line"
    assert token.origin == "file secrets/token.txt"


def test_secrets_never_show_themselves(project, monkeypatch):
    monkeypatch.setenv("CONNECTIONS_TEST_PASSWORD", PASSWORD)
    warehouse = load_connections(project)["warehouse"]
    secret = warehouse.secret("password")
    shown = [str(secret), repr(secret), f"{secret}", repr(warehouse), str(warehouse)]
    shown.append(warehouse.describe())
    assert all(PASSWORD not in text for text in shown)
    assert str(secret) == "***"
    assert warehouse.describe() == (
        "fakedb: host=db.internal, port=5432, "
        "password from environment variable CONNECTIONS_TEST_PASSWORD"
    )
    assert warehouse.redact(f"login {PASSWORD} failed") == "login *** failed"


def test_a_missing_secret_lists_fine_and_says_what_to_set_when_used(project):
    warehouse = load_connections(project)["warehouse"]
    assert "password from environment variable CONNECTIONS_TEST_PASSWORD (missing)" in (
        warehouse.describe()
    )
    with pytest.raises(QueryError) as caught:
        warehouse.secret("password")
    assert "connection `warehouse` needs its password from environment variable " in str(
        caught.value
    )
    assert "CONNECTIONS_TEST_PASSWORD" in str(caught.value)
    assert "metricsmith.toml" in str(caught.value)  # where to change it


@pytest.mark.parametrize("key", ["password", "token"])
def test_a_secret_written_in_the_file_is_refused_without_quoting_it(project, key):
    (project / "metricsmith.toml").write_text(
        f'[connections.w]\ntype = "fakedb"\n{key} = "{PASSWORD}"\n', encoding="utf-8"
    )
    with pytest.raises(QueryError) as caught:
        load_connections(project)
    text = str(caught.value)
    assert f"`{key}` is a secret and is not written in a settings file" in text
    assert f"{key}_env" in text and f"{key}_file" in text
    assert PASSWORD not in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[connections.w]\nhost = 'x'\n", "has no `type`"),
        ("connections = 3\n", "`connections` must be a table"),
        ("[connections.w]\ntype = 'fakedb'\nhost = [1]\n", "must be a string, number or"),
        ("[connections.w\n", "fix the TOML syntax"),
    ],
)
def test_malformed_settings(project, body, message):
    (project / "metricsmith.toml").write_text(body, encoding="utf-8")
    with pytest.raises(QueryError, match=message.replace("[", r"\[")):
        load_connections(project)


def test_the_profiles_file_overrides_the_projects_connection(project, no_profiles, monkeypatch):
    no_profiles.parent.mkdir()
    no_profiles.write_text(
        '[connections.warehouse]\ntype = "fakedb"\nhost = "my-replica"\n'
        '[connections.mine]\ntype = "fakedb"\n',
        encoding="utf-8",
    )
    found = load_connections(project)
    assert sorted(found) == ["files", "mine", "other", "warehouse"]
    assert dict(found["warehouse"].settings) == {"host": "my-replica"}
    assert found["warehouse"].origin.startswith(str(no_profiles))


def test_the_profiles_file_defaults_to_the_users_configuration(monkeypatch, tmp_path):
    monkeypatch.delenv(PROFILES_VARIABLE)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert profiles_path() == tmp_path / "metricsmith" / "profiles.toml"


def test_untrusted_definitions_see_only_the_profiles_file(project, no_profiles):
    assert load_connections(project, trusted=False) == {}
    no_profiles.parent.mkdir()
    no_profiles.write_text('[connections.mine]\ntype = "fakedb"\n', encoding="utf-8")
    assert sorted(load_connections(project, trusted=False)) == ["mine"]


def test_secret_equality_compares_values_without_showing_them():
    assert Secret("a", "x") == Secret("a", "y")
    assert Secret("a", "x") != Secret("b", "x")
    assert Connection(name="n", type="t").describe() == "t: (no settings)"


# ---- the checker resolves the connection a source names ------------------------------------


class _Reader:
    location = "fake"

    def __init__(self, connection: Connection | None):
        self.connection = connection
        self.inner = InMemoryReader(pa.table({"n": [1, 2]}), location="fake")

    def schema(self) -> pa.Schema:
        return self.inner.schema()

    def read(self, columns=None, time_range=None) -> pa.Table:
        return self.inner.read(columns, time_range)


class _FakeDb:
    name = "fakedb"
    description = "a connector naming a connection, for the tests"
    path_arguments = ()
    connection_argument = 0

    def open(self, args, options, *, base_dir, source_name, connection=None):
        return _Reader(connection)


class _Plugin:
    @hookimpl
    def metricsmith_connectors(self):
        return [_FakeDb()]


def _load(project: Path, call: str, **options) -> metricsmith.Project:
    (project / "a.metrics").write_text(
        f"source rows from {call} {{}}\nmetric rows_counted = count(rows)\n", encoding="utf-8"
    )
    return metricsmith.load_project(project, plugins=[_Plugin()], **options)


def _problem(project: Path, call: str, **options):
    with pytest.raises(ProjectError) as caught:
        _load(project, call, **options)
    (problem,) = caught.value.diagnostics
    return problem


def test_the_connector_receives_the_connection_not_its_name(project):
    loaded = _load(project, 'fakedb("warehouse", table="t")')
    reader = loaded.checked.sources["rows"].reader.reader
    assert reader.connection.name == "warehouse"
    assert loaded.checked.connections["warehouse"] is reader.connection


def test_a_call_naming_no_connection_gets_none(project):
    reader = _load(project, 'fakedb(table="t")').checked.sources["rows"].reader.reader
    assert reader.connection is None


def test_an_unknown_connection_is_reported_at_its_name_with_a_suggestion(project):
    problem = _problem(project, 'fakedb("warehose", table="t")')
    assert problem.code == "unknown-connection"
    assert problem.message == "unknown connection `warehose`"
    assert (problem.span.line, problem.span.column) == (1, 25)
    assert "warehouse" in problem.hint


def test_an_unknown_connection_without_a_near_one_says_where_to_declare_it(project):
    problem = _problem(project, 'fakedb("elsewhere", table="t")')
    assert "declare [connections.elsewhere] in metricsmith.toml" in problem.hint
    assert "`metricsmith connections` lists those declared" in problem.hint


def test_a_connection_of_another_type_is_refused(project):
    problem = _problem(project, 'fakedb("other", table="t")')
    assert problem.message == "connection `other` is a otherdb connection, not fakedb"
    assert problem.span.column == 25


def test_a_name_that_is_not_text_is_refused(project):
    problem = _problem(project, "fakedb(3)")
    assert problem.message == "`fakedb` takes the name of a connection here, not 3"


def test_untrusted_definitions_cannot_name_the_projects_connections(project):
    problem = _problem(project, 'fakedb("warehouse", table="t")', trusted=False)
    assert problem.message == "unknown connection `warehouse`"


# ---- metricsmith connections ----------------------------------------------------------------


def test_metricsmith_connections_lists_without_connecting(project, capsys):
    assert main(["connections", str(project)]) == 0
    out = capsys.readouterr().out
    assert "Connections (3)" in out
    assert "password from environment variable CONNECTIONS_TEST_PASSWORD (missing)" in out
    assert "token from file secrets/token.txt" in out and "tok-123" not in out


def test_metricsmith_connections_of_an_untrusted_project_reads_only_the_profiles(
    project, no_profiles, monkeypatch, capsys
):
    no_profiles.parent.mkdir()
    no_profiles.write_text('[connections.mine]\ntype = "fakedb"\n', encoding="utf-8")
    monkeypatch.setenv("METRICSMITH_CONFINE", "1")
    assert main(["connections", str(project), "--test"]) == 1  # no fakedb connector installed
    out = capsys.readouterr().out
    assert "Connections (1)" in out and "warehouse" not in out
    assert "mine: error: no connector `fakedb` is installed" in out


def test_a_settings_file_that_is_not_utf8_is_one_clear_line(tmp_path, capsys):
    (tmp_path / "p.metrics").write_text("metric one = 1\n", encoding="utf-8")
    (tmp_path / "metricsmith.toml").write_bytes(b"\xff\xfe[connections.wh]\n")
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "metricsmith.toml: byte 0 is not UTF-8 text (0xff)" in err
    assert "save the file as UTF-8" in err and "internal error" not in err
