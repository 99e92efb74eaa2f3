"""Only `.metrics` files are read as definitions, so no other file's text can show in a
syntax error (issue 10: `include ".env"` printed the secret on its first line); a confined
project includes only files inside its folders."""

from __future__ import annotations

import collections
from pathlib import Path

import metricsmith.api as api
import pytest
from metricsmith.api import load_project
from metricsmith.cli import main
from metricsmith.errors import Diagnostic, ProjectError
from security_helpers import SECRET, write


def problems(path: Path, **options: object) -> list[Diagnostic]:
    with pytest.raises(ProjectError) as raised:
        load_project(path, **options)
    assert SECRET not in str(raised.value)
    return list(raised.value.diagnostics)


def test_including_a_dotenv_file_is_refused_before_it_is_read(project: Path) -> None:
    write(project, 'metric one = 1\ninclude ".env"\n')
    [problem] = problems(project)
    assert problem.code == "include-not-metrics"
    assert (problem.span.line, problem.span.column) == (2, 9)
    assert "SECRET" not in problem.render()


def test_a_metrics_link_to_another_kind_of_file_is_not_read(project: Path) -> None:
    (project / "sneaky.metrics").symlink_to(project / ".env")
    write(project, 'metric one = 1\ninclude "sneaky.metrics"\n')
    [problem] = problems(project)
    assert problem.code == "include-not-metrics"


def test_a_project_folder_skips_such_links(project: Path) -> None:
    (project / "sneaky.metrics").symlink_to(project / ".env")
    write(project, "metric one = 1\n")
    assert [f.name for f in load_project(project).files] == ["defs.metrics"]


def test_a_metrics_link_to_a_metrics_link_to_another_kind_of_file_is_not_read(
    project: Path,
) -> None:
    (project / "sneaky.metrics").symlink_to(project / ".env")
    (project / "sneakier.metrics").symlink_to(project / "sneaky.metrics")
    write(project, 'metric one = 1\ninclude "sneakier.metrics"\n')
    [problem] = problems(project)
    assert problem.code == "include-not-metrics"


def test_a_metrics_file_in_a_linked_folder_is_read(project: Path) -> None:
    (project / "real").mkdir()
    (project / "real" / "more.metrics").write_text("metric two = 2\n")
    (project / "linked").symlink_to(project / "real")
    write(project, 'metric one = 1\ninclude "linked/more.metrics"\n')
    assert sorted(load_project(project).metrics) == ["one", "two"]


def test_a_project_given_as_another_kind_of_file_is_refused(project: Path, capsys) -> None:
    [problem] = problems(project / ".env")
    assert problem.code == "no-project"
    assert "is not a .metrics file" in problem.message
    assert main(["check", str(project / ".env")]) == 1
    assert SECRET not in capsys.readouterr().err


def test_confined_includes_stay_inside(project: Path, outside: Path) -> None:
    write(project, 'include "../outside/more.metrics"\n')
    [problem] = problems(project, confine=True)
    assert problem.code == "path-outside-project"
    assert (problem.span.line, problem.span.column) == (1, 9)
    assert "outside_metric" in load_project(project).metrics  # unconfined, as before
    project_ = load_project(project, confine=True, data_roots=[outside])
    assert "outside_metric" in project_.metrics


def test_a_missing_include_outside_is_refused_like_an_existing_one(project: Path) -> None:
    """No existence oracle: nothing outside a confined project is even looked at."""
    for target in ("../outside/more.metrics", "../outside/none.metrics", "/no/such"):
        write(project, f'include "{target}"\n')
        [problem] = problems(project, confine=True)
        assert problem.code == "path-outside-project"


def test_a_linked_definition_file_leading_out_is_refused(project: Path, outside: Path) -> None:
    (project / "linked.metrics").symlink_to(outside / "more.metrics")
    write(project, "metric one = 1\n")
    [problem] = problems(project, confine=True)
    assert problem.code == "path-outside-project"
    assert "linked.metrics" in problem.message
    assert "outside_metric" in load_project(project).metrics


def test_an_included_folder_with_a_link_out_is_refused(project: Path, outside: Path) -> None:
    (project / "shared").mkdir()
    (project / "shared" / "out.metrics").symlink_to(outside / "more.metrics")
    write(project, 'include "shared"\n')
    # Found twice: among the project's own files and through the include.
    assert {p.code for p in problems(project, confine=True)} == {"path-outside-project"}


def test_libraries_shipped_by_plugins_may_be_included(project: Path, outside):
    import types

    from metricsmith.plugins.hookspecs import hookimpl

    plugin = types.SimpleNamespace(
        __name__="kpis", metricsmith_metric_libraries=hookimpl(lambda: [str(outside)])
    )
    write(project, 'include "outside"\n')
    assert "outside_metric" in load_project(project, confine=True, plugins=[plugin]).metrics


def test_a_load_resolves_each_definition_file_once(project: Path, monkeypatch) -> None:
    """The confinement check, parsing each file once and telling the included files from the
    project's own all need a file's resolved path; resolving follows every link on the way
    (a system call per folder), so a load resolves each file once (api.py, `_RealPaths`)."""
    (project / "lib").mkdir()
    write(project / "lib", "metric shared = 2\n", "shared.metrics")
    write(project, 'include "lib/shared.metrics"\nmetric one = 1\n')
    write(project, 'include "lib/shared.metrics"\nmetric two = 2\n', "more.metrics")
    asked: collections.Counter[str] = collections.Counter()
    resolve = api.resolve

    def counting(written: str, base_dir: str = ".") -> str:
        asked[written] += 1
        return resolve(written, base_dir)

    monkeypatch.setattr(api, "resolve", counting)
    loaded = load_project(project, confine=True)
    assert sorted(loaded.metrics) == ["one", "shared", "two"]
    definition_files = [path for path in asked if path.endswith(".metrics")]
    assert len(definition_files) == 3
    assert all(asked[path] == 1 for path in definition_files)
