"""One case of the seed corpus (tests/robustness/corpus/*.toml): a small project, its data, a
query or a command line, and the outcome a correct metricsmith gives.

```toml
summary = "what goes wrong, in a sentence"
xfail = "issue 10: …, fixed on branch data-read"  # only while the fix has not merged
engines = ["arrow", "duckdb"]                     # the default; "spark" marks the case spark,
                                                  # "postgres" runs on the run's server

[files]                       # written into a scratch folder, the project
"project.metrics" = "…"
"data.csv" = "…"
"deep.metrics" = { parts = [["metric m = ", 1], ["1 + ", 500], ["1", 1]] }
"latin1.metrics" = { hex = "6d6574726963…" }
"link.csv" = { symlink = "data/out.csv" }

[query]                       # Project.query's arguments
metrics = ["n"]
grain = "month"

[cli]                         # or a command line instead ({project} is the folder)
args = ["query", "{project}", "n", "--grain", "day"]
exit = 1
timeout = 30

[expect]
outcome = "table"             # or project-error, query-error, data-error, consistent
table = { month = [2024-01-01], n = [2] }
still_symlinks = ["link.csv"]  # after a command line
warnings_contain = ["account_id"]  # in Project.warnings after the queries
```

`consistent` is the rule of issue 10 where the right answer is the fixer's choice: a
`ProjectError` whose every diagnostic has a file position, or the same outcome on every
engine (equal tables, or a DataError / QueryError on each) — never an internal error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import attrs
import metricsmith
import pyarrow as pa
from agreement import differences, same_value
from metricsmith.errors import DataError, MetricsmithError, ProjectError, QueryError

CORPUS = Path(__file__).parent / "corpus"


def file_bytes(spec: str | dict) -> bytes:
    if isinstance(spec, str):
        return spec.encode()
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    return b"".join(piece.encode() * times for piece, times in spec["parts"])


@attrs.frozen
class CorpusCase:
    name: str
    spec: dict

    @classmethod
    def all(cls) -> list[CorpusCase]:
        return [cls(p.stem, tomllib.loads(p.read_text())) for p in sorted(CORPUS.glob("*.toml"))]

    @property
    def engines(self) -> list[str]:
        return self.spec.get("engines", ["arrow", "duckdb"])

    @property
    def expect(self) -> dict:
        return self.spec["expect"]

    def write(self, folder: Path) -> Path:
        for name, spec in self.spec["files"].items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(spec, dict) and "symlink" in spec:
                (folder / name).symlink_to(spec["symlink"])
                continue
            (folder / name).write_bytes(file_bytes(spec))
        return folder / self.spec.get("project", "")

    def run(self, folder: Path, spark_session: object = None) -> None:
        """Check the case's expectation; an AssertionError says how it was not met."""
        project_path = self.write(folder)
        if "cli" in self.spec:
            return self._run_cli(project_path)
        try:
            project = metricsmith.load_project(project_path)
        except ProjectError as problem:
            return self._project_error(problem)
        answers = {}
        for engine in self.engines:
            options = {"spark_session": spark_session} if engine == "spark" else {}
            try:
                query = project.query(engine=engine, **self.spec["query"], **options)
                answers[engine] = query.to_arrow()
            except MetricsmithError as problem:
                answers[engine] = problem
        self._answers(answers)
        warned = "\n".join(f"{w.message} {w.hint or ''}" for w in project.warnings)
        for piece in self.expect.get("warnings_contain", []):
            assert piece in warned, f"no warning mentions {piece!r}: {warned!r}"

    def _project_error(self, problem: ProjectError) -> None:
        expected = self.expect["outcome"]
        assert expected in ("project-error", "consistent"), f"expected {expected}:\n{problem}"
        unplaced = [d.message for d in problem.diagnostics if d.span is None or d.span.line == 0]
        assert not unplaced, f"diagnostics without a position: {unplaced}"
        self._message(str(problem))
        files = self.expect.get("files_with_errors")
        if files:
            shown = {Path(d.span.path).name for d in problem.diagnostics}
            assert set(files) <= shown, f"errors only in {shown}:\n{problem}"

    def _answers(self, answers: dict[str, pa.Table | MetricsmithError]) -> None:
        expected = self.expect["outcome"]
        kinds = {engine: _kind(answer) for engine, answer in answers.items()}
        if expected == "consistent":
            assert len(set(kinds.values())) == 1, f"engines differ: {answers}"
        else:
            assert set(kinds.values()) == {expected}, f"expected {expected}: {answers}"
        for engine, answer in answers.items():
            if isinstance(answer, pa.Table):
                self._table(engine, answer, answers[self.engines[0]])
            else:
                self._message(str(answer))
                self._data_error(answer)

    def _table(self, engine: str, table: pa.Table, reference: pa.Table) -> None:
        found = differences(reference, table)
        assert not found, f"{engine} differs from {self.engines[0]}: {found}"
        for column, values in self.expect.get("table", {}).items():
            got = table[column].to_pylist()
            same = len(got) == len(values) and all(map(same_value, got, values))
            assert same, f"{engine}: column {column} is {got}, expected {values}"

    def _message(self, text: str) -> None:
        for piece in self.expect.get("message_contains", []):
            assert piece.lower() in text.lower(), f"{piece!r} not in:\n{text}"
        for piece in self.expect.get("message_excludes", []):
            assert piece not in text, f"{piece!r} shown in:\n{text}"

    def _data_error(self, problem: MetricsmithError) -> None:
        for field in ("source", "column", "row"):
            if field in self.expect:
                got = getattr(problem, field, None)
                assert got == self.expect[field], f"{field} {got!r} != {self.expect[field]!r}"

    def _run_cli(self, project: Path) -> None:
        cli = self.spec["cli"]
        args = [arg.format(project=project) for arg in cli["args"]]
        code = "import sys; from metricsmith.cli import main; sys.exit(main(sys.argv[1:]))"
        result = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            cwd=project if project.is_dir() else project.parent,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            timeout=cli.get("timeout", 60),
        )
        shown = result.stderr.decode(errors="replace")
        assert result.returncode == cli["exit"], f"exit {result.returncode}:\n{shown}"
        self._message(shown)
        for name in self.expect.get("still_symlinks", []):
            assert (project / name).is_symlink(), f"{name} was replaced by a regular file"


def _kind(answer: pa.Table | MetricsmithError) -> str:
    if isinstance(answer, pa.Table):
        return "table"
    if isinstance(answer, DataError):
        return "data-error"
    if isinstance(answer, QueryError):
        return "query-error"
    return type(answer).__name__
