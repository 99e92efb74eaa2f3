"""Who turns confinement on: the project (`project { confine paths }`), the caller
(`confine=`, `trusted=False`, --confine) or the environment (METRICSMITH_CONFINE), and which
data roots count."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from metricsmith.api import load_project
from metricsmith.check.paths import CONFINE_VARIABLE, DATA_ROOTS_VARIABLE
from metricsmith.cli import main
from metricsmith.dsl.parser import parse_source
from metricsmith.errors import Diagnostic, ProjectError
from metricsmith.model import decl as d
from metricsmith.model.span import SourceFile
from security_helpers import write

OUTSIDE_ROWS = 'source s from csv("../outside/rows.csv") { }\nmetric n = count(s)\n'


def problems(path: Path, **options: object) -> list[Diagnostic]:
    with pytest.raises(ProjectError) as raised:
        load_project(path, **options)
    return list(raised.value.diagnostics)


def test_a_project_can_confine_itself(project: Path) -> None:
    write(project, "project {\n  confine paths\n}\n" + OUTSIDE_ROWS)
    [problem] = problems(project)
    assert problem.code == "path-outside-project"
    assert "data_roots" in problem.hint


def test_its_data_roots_widen_its_own_confinement(project: Path) -> None:
    write(project, 'project { confine paths  data_roots "../outside" }\n' + OUTSIDE_ROWS)
    assert load_project(project).query(["n"]).column("n").to_pylist() == [2]
    # --confine on a trusted project keeps the roots the project declares
    assert load_project(project, confine=True).query(["n"]).column("n").to_pylist() == [2]


def test_data_roots_alone_confine_nothing(project: Path) -> None:
    write(project, 'project { data_roots "data" }\n' + OUTSIDE_ROWS)
    assert not load_project(project).paths.confined


def test_a_declared_data_root_must_be_a_folder(project: Path) -> None:
    write(project, 'project {\n  confine paths\n  data_roots "data", "nowhere"\n}\n')
    [problem] = problems(project)
    assert problem.code == "bad-data-root"
    assert (problem.span.line, problem.span.column) == (3, 22)


def test_untrusted_definitions_cannot_widen_the_confinement(project: Path) -> None:
    write(project, 'project { data_roots "../outside", "data" }\n' + OUTSIDE_ROWS)
    # The refused root, then (the project being checked on) the source reading under it.
    found = problems(project, trusted=False)
    assert [(p.code, p.span.line, p.span.column) for p in found] == [
        ("path-outside-project", 1, 22),
        ("path-outside-project", 2, 19),
    ]
    assert "whoever loads the project" in found[0].hint
    write(project, 'project { data_roots "data" }\n' + OUTSIDE_ROWS)  # inside: accepted
    [problem] = problems(project, trusted=False)
    assert (problem.code, problem.span.line, problem.span.column) == ("path-outside-project", 2, 19)


def test_the_environment_makes_every_load_untrusted(project: Path, outside, monkeypatch):
    write(project, 'project { data_roots "../outside" }\n' + OUTSIDE_ROWS)
    monkeypatch.setenv(CONFINE_VARIABLE, "1")
    assert {p.code for p in problems(project)} == {"path-outside-project"}
    assert {p.code for p in problems(project, confine=False)} == {"path-outside-project"}
    monkeypatch.setenv(DATA_ROOTS_VARIABLE, os.pathsep.join(["", str(outside)]))
    assert load_project(project).query(["n"]).column("n").to_pylist() == [2]
    monkeypatch.setenv(CONFINE_VARIABLE, "0")
    monkeypatch.delenv(DATA_ROOTS_VARIABLE)
    assert load_project(project).query(["n"]).column("n").to_pylist() == [2]


def test_one_project_declaration(project: Path) -> None:
    write(project, "project { confine paths }\n", "a.metrics")
    write(project, "project { confine paths }\n", "b.metrics")
    [problem] = problems(project)
    assert problem.code == "duplicate-project"
    assert problem.span.path.endswith("b.metrics")


def test_a_project_block_in_an_included_file_is_refused(project: Path) -> None:
    write(project.parent, "project { confine paths }\n", "shared.metrics")
    write(project, 'include "../shared.metrics"\n')
    [problem] = problems(project)
    assert problem.code == "included-project"
    assert problem.span.path.endswith("shared.metrics")


def test_untrusted_definitions_do_not_choose_the_engine(project: Path) -> None:
    """A Spark Connect `remote` in metricsmith.toml would receive the data."""
    (project / "metricsmith.toml").write_text(
        '[engine]\ndefault = "spark"\n[spark]\nremote = "sc://collector.invalid:15002"\n'
    )
    write(project, 'source s from csv("data/rows.csv") { }\nmetric n = count(s)\n')
    assert load_project(project, trusted=False).query(["n"]).column("n").to_pylist() == [2]


def test_the_command_line_options(project: Path, outside: Path, capsys) -> None:
    write(project, "metric one = 1\n" + OUTSIDE_ROWS)
    assert main(["check", str(project)]) == 0
    assert main(["check", "--confine", str(project)]) == 1
    err = capsys.readouterr().err
    assert "defs.metrics:2:19: error[path-outside-project]" in err
    assert main(["check", "--confine", "--data-root", str(outside), str(project)]) == 0
    assert main(["query", str(project), "n", "--confine"]) == 1
    assert main(["check", "--data-root", str(project / "nowhere"), str(project)]) == 1
    assert "error[bad-data-root]" in capsys.readouterr().err


def test_the_project_block_parses_with_positions_and_reserves_no_name() -> None:
    text = (
        'project {\n  confine paths\n  data_roots "data", "/srv/lake"\n}\n'
        'source project from csv("x.csv") { column paths }\n'
        "metric confine = count(project where project.paths > 0)\n"
    )
    module, found = parse_source(SourceFile("t.metrics", text))
    assert found == []
    settings, source, metric = module.decls
    assert isinstance(settings, d.ProjectDecl) and settings.confine
    assert [(r.value, r.span.line, r.span.column) for r in settings.data_roots] == [
        ("data", 3, 14),
        ("/srv/lake", 3, 22),
    ]
    assert (source.name.name, metric.name.name) == ("project", "confine")
