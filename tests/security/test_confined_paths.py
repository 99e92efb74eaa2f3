"""A confined project reads only inside its folder and its data roots (issue 10, Security).

Every path is resolved (`~`, `..`, symbolic links) before it is compared, and checked before
the connector is called, so a refused path is never opened."""

from __future__ import annotations

import importlib.metadata
import os
import sqlite3
import types
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from attrs import define, field
from metricsmith.api import load_project
from metricsmith.builtin.connectors import CSV
from metricsmith.cli import main
from metricsmith.errors import Diagnostic, ProjectError
from metricsmith.plugins.connector import SourceReader
from metricsmith.plugins.hookspecs import hookimpl
from metricsmith.registry import SELECTION_VARIABLE, build_registry
from security_helpers import write


def problems(path: Path, **options: object) -> list[Diagnostic]:
    with pytest.raises(ProjectError) as raised:
        load_project(path, **options)
    return list(raised.value.diagnostics)


def only_problem(path: Path, **options: object) -> Diagnostic:
    [problem] = problems(path, **options)
    return problem


def source(path: str) -> str:
    return f'source s from csv("{path}") {{ }}\nmetric n = count(s)\n'


def test_the_etc_passwd_repro_is_refused_at_the_path_literal(project: Path) -> None:
    write(project, 'source pw from csv("/etc/passwd", delimiter=":") { }\n')
    problem = only_problem(project, confine=True)
    assert problem.code == "path-outside-project"
    assert (problem.span.line, problem.span.column) == (1, 20)
    assert problem.span.end_column - problem.span.column == len('"/etc/passwd"')
    assert str(project.resolve()) in problem.hint
    assert "root" in problem.hint


def test_unconfined_projects_read_where_they_are_told(project: Path, outside: Path) -> None:
    """The default is unchanged: definitions are trusted like code."""
    write(project, source("../outside/rows.csv"))
    assert load_project(project).query(["n"]).column("n").to_pylist() == [2]


def test_dot_dot_is_refused_after_resolution(project: Path) -> None:
    write(project, source("../outside/rows.csv"))
    assert only_problem(project, confine=True).code == "path-outside-project"
    write(project, source("data/../../project/data/rows.csv"))  # leaves and comes back
    assert load_project(project, confine=True).query(["n"]).column("n").to_pylist() == [2]


def test_home_relative_paths_are_resolved_first(project: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(project.parent / "outside"))
    write(project, source("~/rows.csv"))
    assert only_problem(project, confine=True).code == "path-outside-project"


def test_a_link_inside_the_project_leading_out_is_refused(project: Path, outside: Path) -> None:
    (project / "data" / "linked.csv").symlink_to(outside / "rows.csv")
    write(project, source("data/linked.csv"))
    problem = only_problem(project, confine=True)
    assert problem.code == "path-outside-project"
    assert "symbolic link" in problem.message


def test_a_link_below_a_folder_source_is_refused(project: Path, outside: Path) -> None:
    (project / "data" / "nested").mkdir()
    (project / "data" / "nested" / "out").symlink_to(outside, target_is_directory=True)
    write(project, source("data"))
    problem = only_problem(project, confine=True)
    assert problem.code == "path-outside-project"
    assert os.path.join("data", "nested", "out") in problem.message


def test_a_cycle_of_links_below_a_folder_ends(project: Path) -> None:
    (project / "data" / "loop").symlink_to(project / "data", target_is_directory=True)
    write(project, source("data/rows.csv"))
    assert load_project(project, confine=True).query(["n"]).column("n").to_pylist() == [2]
    write(project, source("data"))
    assert "s" in load_project(project, confine=True).sources  # the loop stays inside


def test_every_match_of_a_glob_is_checked(project: Path, outside: Path) -> None:
    (project / "data" / "z.csv").symlink_to(outside / "rows.csv")
    write(project, source("data/*.csv"))
    problem = only_problem(project, confine=True)
    assert problem.code == "path-outside-project"
    assert "z.csv" in problem.message


def test_a_glob_outside_is_refused_whether_or_not_it_matches(project: Path) -> None:
    """No existence oracle: the refusal is the same for files that exist and those that do
    not, and nothing outside is listed."""
    for pattern in ("../outside/*.csv", "../outside/*.nothing", "/nowhere/at/all/*.csv"):
        write(project, source(pattern))
        assert only_problem(project, confine=True).code == "path-outside-project"


def test_hidden_files_are_refused_even_through_a_link(project: Path) -> None:
    write(project, source(".env"))
    problem = only_problem(project, confine=True)
    assert problem.code == "hidden-path"
    assert "SECRET" not in problem.render()
    (project / "data" / "innocent.csv").symlink_to(project / ".env")
    write(project, source("data/innocent.csv"))
    assert only_problem(project, confine=True).code == "hidden-path"
    write(project, source("data"))
    assert only_problem(project, confine=True).code == "hidden-path"


def test_data_roots_admit_their_files(project: Path, outside: Path) -> None:
    write(project, source(str(outside / "rows.csv")))
    project_ = load_project(project, confine=True, data_roots=[outside])
    assert project_.query(["n"]).column("n").to_pylist() == [2]
    assert project_.paths.roots == (str(project.resolve()), str(outside.resolve()))


def test_a_data_root_that_is_not_a_folder(project: Path, tmp_path: Path) -> None:
    write(project, source("data/rows.csv"))
    problem = only_problem(project, confine=True, data_roots=[tmp_path / "missing"])
    assert problem.code == "bad-data-root"


# ---- connectors from plugins --------------------------------------------------------------


@define
class UndeclaredConnector:
    """Records every `open`, then reads its `file` option (or argument) as CSV; says nothing
    about which of its arguments are paths."""

    name: str
    description: str = "a spy"
    opened: list[str] = field(factory=list)

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
    ) -> SourceReader:
        path = str(options.get("file", args[0] if args else ""))
        self.opened.append(path)
        return CSV.open([path], {}, base_dir=base_dir, source_name=source_name)


class DeclaredConnector(UndeclaredConnector):
    path_arguments = ("file",)


@define
class Spies:
    """The spying connectors, and the plugin registering them."""

    connectors: dict[str, UndeclaredConnector]
    plugin: object

    def __getitem__(self, name: str) -> UndeclaredConnector:
        return self.connectors[name]


@pytest.fixture
def spies() -> Spies:
    connectors = {
        "by_option": DeclaredConnector("by_option"),
        "undeclared": UndeclaredConnector("undeclared"),
    }
    plugin = types.SimpleNamespace(
        __name__="spies", metricsmith_connectors=hookimpl(lambda: list(connectors.values()))
    )
    registry = build_registry([plugin])
    assert set(connectors) <= set(registry.connectors), registry.problems
    return Spies(connectors, plugin)


def test_a_plugin_connector_is_checked_before_it_is_opened(project: Path, spies) -> None:
    write(project, 'source s from by_option(file="../outside/rows.csv") { }\n')
    problem = only_problem(project, confine=True, plugins=[spies.plugin])
    assert problem.code == "path-outside-project"
    assert (problem.span.line, problem.span.column) == (1, 30)
    assert spies["by_option"].opened == []
    write(project, 'source s from by_option(file="data/rows.csv") { }\n')
    load_project(project, confine=True, plugins=[spies.plugin])
    assert spies["by_option"].opened == ["data/rows.csv"]


def test_a_connector_declaring_no_paths_cannot_be_confined(project: Path, spies) -> None:
    write(project, 'source s from undeclared("data/rows.csv") { }\n')
    problem = only_problem(project, confine=True, plugins=[spies.plugin])
    assert problem.code == "unconfinable-connector"
    assert "path_arguments" in problem.hint
    assert spies["undeclared"].opened == []
    load_project(project, plugins=[spies.plugin])  # trusted and unconfined: usable
    assert spies["undeclared"].opened == ["data/rows.csv"]


def test_the_sqlite_plugin_is_confined(project: Path, outside: Path, monkeypatch) -> None:
    try:
        importlib.metadata.distribution("metricsmith-sqlite")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("metricsmith-sqlite is not installed")
    monkeypatch.delenv(SELECTION_VARIABLE, raising=False)
    for folder in (project, outside):
        with sqlite3.connect(folder / "shop.db") as connection:
            connection.execute("CREATE TABLE t (id INTEGER)")
        connection.close()
    write(project, f'source s from sqlite("{outside / "shop.db"}", table="t") {{ }}\n')
    assert only_problem(project, confine=True).code == "path-outside-project"
    write(project, 'source s from sqlite("shop.db", table="t") { }\n')
    assert "s" in load_project(project, confine=True).sources


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ('source s from csv("data/rows\\x00.csv") { }\n', 19),
        ('include "defs\\x00.metrics"\n', 9),
        ('project { confine paths  data_roots "da\\x00ta" }\n', 37),
    ],
)
def test_a_nul_character_in_a_path_is_a_positioned_problem(project: Path, text, column) -> None:
    # The language refuses a NUL in any string, before a path is looked at (docs/language.md).
    write(project, text)
    for options in ({}, {"confine": True}, {"trusted": False}):
        problem = only_problem(project, **options)
        assert (problem.code, problem.span.column) == ("bad-literal", column)


def test_a_single_file_project_is_confined_to_its_folder(project: Path) -> None:
    defs = write(project, source("data/rows.csv"))
    assert load_project(defs, confine=True).paths.roots == (str(project.resolve()),)
    write(project, source("../outside/rows.csv"))
    assert only_problem(defs, confine=True).code == "path-outside-project"


def test_the_repro_on_the_command_line_shows_nothing_of_the_file(project: Path, capsys) -> None:
    write(project, 'source pw from csv("/etc/passwd", delimiter=":", header=false) { }\n')
    write(project, "metric users = count(pw)\n", "metrics.metrics")
    assert main(["query", "--confine", str(project), "users"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "error[path-outside-project]" in err
    assert "root:" not in err
