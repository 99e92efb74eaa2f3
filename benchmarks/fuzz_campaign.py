"""A fuzzing campaign: mutate the sample project and the library, run each mutant, classify.

Each case copies nothing: a workspace holds the sample project (its data thinned to about 150
rows a file, so a case takes milliseconds) beside the customer-success library it includes,
and a case rewrites ONE file of it — a definition file mutated byte by byte or token by
token, or a data file mutated byte by byte or cell by cell — runs `load_project` (parse and
check) and, when the project is accepted, a query of a few of its metrics on the Arrow
executor and on DuckDB, then restores the file. Each case runs in a worker process with a
deadline, so a hang is seen as one (the worker is killed and replaced).

Every case ends as one of:

* ``accepted``: checked, queried, and the two engines agree;
* ``diagnostic``: a ProjectError, QueryError or PluginError (the user's mistake, explained);
* ``data-error``: a DataError (the data's problem, explained);
* ``disagreement``: both engines answered, differently (a silent wrong answer on one);
* ``internal``: anything else escaping (a bug), grouped by exception type and crash site —
  the innermost frame inside metricsmith;
* ``hang``: no answer within the deadline.

The goal is zero ``internal``, ``disagreement`` and ``hang``. Run from the repository root:

    python benchmarks/fuzz_campaign.py --cases 3000 --seed 1          # ~5 minutes
    python benchmarks/fuzz_campaign.py --cases 500 --json out.json --examples 3

CI runs a few hundred cases (tests/robustness/test_mutated_projects.py).
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import multiprocessing
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
from metricsmith_customer_success import LIBRARY as PACK

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "metric_defs" / "sample"
LIBRARY = PACK
ROWS_PER_FILE = 150
AGREEMENT = ROOT / "tests" / "conformance"  # agreement.py: when two answers are the same
if str(AGREEMENT) not in sys.path:
    sys.path.insert(0, str(AGREEMENT))
OUTCOMES = ("accepted", "diagnostic", "data-error", "disagreement", "internal", "hang")
FAILURES = ("disagreement", "internal", "hang")


# ---- the workspace -----------------------------------------------------------------------


def make_workspace(folder: Path) -> Path:
    """The sample project (data thinned to ~ROWS_PER_FILE rows a file, every k-th row so the
    time span is kept) and the library it includes, side by side under `folder`. Returns the
    sample project's folder."""
    shutil.copytree(LIBRARY, folder / LIBRARY.name)
    project = folder / SAMPLE.name
    (project / "data").mkdir(parents=True)
    for file in SAMPLE.glob("*.metrics"):
        # The copy of the pack beside the project, which cases may rewrite, not the installed one.
        text = file.read_text().replace(
            'include "customer_success"', 'include "../customer_success"'
        )
        (project / file.name).write_text(text)
    for file in sorted((SAMPLE / "data").glob("*.csv")):
        header, *rows = file.read_bytes().splitlines(keepends=True)
        step = max(1, math.ceil(len(rows) / ROWS_PER_FILE))
        (project / "data" / file.name).write_bytes(header + b"".join(rows[::step]))
    return project


def mutable_files(project: Path) -> list[Path]:
    """The files a case may rewrite: every definition file of the project and the library,
    and every data file."""
    library = project.parent / LIBRARY.name
    return sorted(
        [*project.glob("*.metrics"), *library.glob("*.metrics"), *project.glob("data/*.csv")]
    )


# ---- mutations ---------------------------------------------------------------------------

TOKEN = re.compile(rb'"(?:[^"\\\n]|\\.)*"|@[0-9T:.+\-Z]+|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\S')
KEYWORDS = [
    b"source", b"metric", b"dimension", b"calendar", b"include", b"key", b"time", b"entity",
    b"valid", b"from", b"to", b"column", b"where", b"per", b"over", b"last", b"all", b"case",
    b"when", b"then", b"else", b"end", b"and", b"or", b"not", b"in", b"is", b"null", b"true",
    b"format", b"target", b"as", b"->", b"day", b"week", b"month", b"year", b"days", b"weeks",
]  # fmt: skip
ODD_TOKENS = [
    b"0", b"-1", b"99999999999", b"99999999999999999999", b"1e400", b"1e-400", b"0.0",
    b"9" * 400, b'""', b'"\\u0000"', b'"\x00"', b'"' + b"x" * 300 + b'"', b"@9999-12-31",
    b"@0001-01-01", b"@2024-02-30", b"99999999999 weeks", b"over last 99999999 days",
    b"[-99999]", b"[-1]", b"[0]", b"[1]", b"over all time", b"over year to date",
    b"per user:", b"per account:", b"per day:", b"cohort_start(", b"same_period_last_year(",
    b"growth(", b"bucket(", b"(", b")", b",", b"+", b"/", b"*", b".", b"\xff", b"\xef\xbb\xbf",
    b"\t", b"#", b"\\", b"'", b"\xc3\xa9", b"\xf0\x9f\x92\xa9",
]  # fmt: skip
ODD_CELLS = [
    b"", b"NaN", b"inf", b"-inf", b"-0", b"1e400", b"99999999999999999999", b"-9223372036854775809",
    b"2024-13-45", b"2024-02-30T25:61:00Z", b"0000-01-01", b"9999-12-31T23:59:59Z",
    b"2024-03-31T02:30:00", b"2024-01-01T00:00:00+14:00", b"2024-01-01T00:00:00-12:00",
    b"2024-01-01", b"12:30:00", b"true", b"null", b"\xff\xfe", b'"a,b"', b'"', b"a\x00b",
    b"00001", b"1,5", b"1.5", b"-", b" 7 ", b"\xc3\xa9t\xc3\xa9", b"x" * 5000,
]  # fmt: skip


def _splice(data: bytes, start: int, stop: int, piece: bytes) -> bytes:
    return data[:start] + piece + data[stop:]


def _byte_mutation(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    n = max(1, len(data))
    at = rng.randrange(n)
    kind = rng.choice(
        ["flip", "insert", "delete", "duplicate", "truncate", "utf16", "bom", "nul", "repeat"]
    )
    if kind == "flip":
        return kind, _splice(data, at, at + 1, bytes([rng.randrange(256)]))
    if kind == "insert":
        piece = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        return kind, _splice(data, at, at, piece)
    if kind == "delete":
        return kind, _splice(data, at, at + rng.randint(1, 64), b"")
    if kind == "duplicate":
        stop = at + rng.randint(1, 200)
        return kind, _splice(data, stop, stop, data[at:stop])
    if kind == "truncate":
        return kind, data[:at]
    if kind == "utf16":
        return kind, data.decode("utf-8", "replace").encode("utf-16")
    if kind == "bom":
        return kind, b"\xef\xbb\xbf" + data
    if kind == "nul":
        return kind, _splice(data, at, at, b"\x00")
    piece = data[at : at + rng.randint(1, 4)]
    return kind, _splice(data, at, at, piece * rng.choice([50, 500, 3000]))


def _token_mutation(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    tokens = [m.span() for m in TOKEN.finditer(data)]
    if not tokens:
        return "token-none", data
    start, stop = rng.choice(tokens)
    kind = rng.choice(
        ["replace", "keyword", "odd", "delete", "swap", "duplicate", "nest", "chain", "rename"]
    )
    if kind == "replace":
        other = rng.choice(tokens)
        return kind, _splice(data, start, stop, data[other[0] : other[1]])
    if kind == "keyword":
        return kind, _splice(data, start, start, rng.choice(KEYWORDS) + b" ")
    if kind == "odd":
        return kind, _splice(data, start, stop, rng.choice(ODD_TOKENS))
    if kind == "delete":
        return kind, _splice(data, start, stop, b"")
    if kind == "swap":
        other_start, other_stop = rng.choice(tokens)
        if other_start < start:
            start, stop, other_start, other_stop = other_start, other_stop, start, stop
        if other_start < stop:
            return kind, data
        first, second = data[start:stop], data[other_start:other_stop]
        return kind, data[:start] + second + data[stop:other_start] + first + data[other_stop:]
    if kind == "duplicate":
        return kind, _splice(data, stop, stop, b" " + data[start:stop])
    depth = rng.choice([20, 200, 600])
    if kind == "nest":
        return kind, _splice(data, start, stop, b"(" * depth + data[start:stop] + b")" * depth)
    if kind == "chain":
        operator = rng.choice([b" + 1", b" * 2", b" and true", b"[-1]"])
        return kind, _splice(data, stop, stop, operator * depth)
    # rename: every occurrence of one name, as a refactoring gone half-way would
    word = data[start:stop]
    if not re.fullmatch(rb"[A-Za-z_]\w*", word):
        return kind, data
    return kind, re.sub(rb"\b" + re.escape(word) + rb"\b", word + b"_x", data, count=1)


def _cell_mutation(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    lines = data.split(b"\n")
    kind = rng.choice(["cell", "cell", "cell", "header-only", "empty", "drop-header", "column"])
    if kind == "header-only":
        return kind, lines[0] + b"\n"
    if kind == "empty":
        return kind, b""
    if kind == "drop-header":
        return kind, b"\n".join(lines[1:])
    if kind == "column":
        width = lines[0].count(b",") + 1
        drop = rng.randrange(width)
        kept = [b",".join(c for i, c in enumerate(line.split(b",")) if i != drop) for line in lines]
        return kind, b"\n".join(kept)
    row = rng.randrange(len(lines))
    cells = lines[row].split(b",")
    cells[rng.randrange(len(cells))] = rng.choice(ODD_CELLS)
    lines[row] = b",".join(cells)
    return kind, b"\n".join(lines)


def mutate(path: Path, data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One mutation of a file's bytes, named: definition files get byte or token mutations
    (one to three stacked), data files byte or cell mutations."""
    kinds: list[Callable] = (
        [_byte_mutation, _cell_mutation, _cell_mutation]
        if path.suffix == ".csv"
        else [_byte_mutation, _token_mutation, _token_mutation]
    )
    names = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        name, data = rng.choice(kinds)(data, rng)
        names.append(name)
    return "+".join(names), data


# ---- one case ----------------------------------------------------------------------------


@attrs.frozen
class Outcome:
    kind: str  # one of OUTCOMES
    detail: str = ""  # the message's first line, or the differences
    site: str = ""  # for internal errors: "ExceptionType at file:line in function"


def crash_site(error: BaseException) -> str:
    """The exception's type and the innermost frame inside metricsmith (else the innermost)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "metricsmith" in f.filename] or frames
    if not ours:
        return type(error).__name__
    frame = ours[-1]
    where = frame.filename.split("metricsmith/", 1)[-1]
    return f"{type(error).__name__} at {where}:{frame.lineno} in {frame.name}"


def classify(error: BaseException) -> Outcome:
    from metricsmith.errors import DataError, MetricsmithError

    first_line = (str(error).strip().splitlines() or [""])[0][:300]
    if isinstance(error, DataError):
        return Outcome("data-error", first_line)
    if isinstance(error, MetricsmithError):
        return Outcome("diagnostic", first_line)
    return Outcome("internal", f"{type(error).__name__}: {first_line}", crash_site(error))


def metrics_by_data_file(project: Path) -> dict[str, list[str]]:
    """For the pristine project: the metrics a month-grain query answers, by the name of each
    data file they read ("" lists them all). A case prefers the metrics that read the data
    file it mutated, and never picks one that needs a cohort slice."""
    import metricsmith

    loaded = metricsmith.load_project(project)
    files = {
        name: Path(str(s.decl.connector.args[0].value)).name for name, s in loaded.sources.items()
    }
    found: dict[str, list[str]] = collections.defaultdict(list)
    for name in sorted(loaded.metrics):
        try:
            plan = loaded.explain([name], grain="month")
        except Exception:
            continue
        found[""].append(name)
        reads = plan.split("reads", 1)[1].split("\n\n", 1)[0]
        for source, file in files.items():
            if f"\n  {source}: " in reads:
                found[file].append(name)
    return dict(found)


def run_project(project: Path, rng: random.Random, prefer: str, queryable: dict) -> Outcome:
    """Check the project and, if it is accepted, query up to three of its metrics on Arrow
    and on DuckDB: those defined in the file named `prefer`, or reading it if it is data."""
    import metricsmith
    from agreement import differences

    try:
        loaded = metricsmith.load_project(project)
        names = [n for n in queryable[""] if n in loaded.metrics]
        in_file = [n for n in names if Path(loaded.metrics[n].decl.span.path).name == prefer]
        preferred = queryable.get(prefer) or in_file or names
        chosen = rng.sample(preferred, min(3, len(preferred)))
        grain = rng.choice([None, "month", "week", "quarter"])
        window = rng.choice([("2024-01", "2024-07"), ("2024-03-10", "2024-05-20"), (None, None)])
        by = rng.choice([[], [], ["accounts.segment"]])
        query = {"grain": grain, "start": window[0], "end": window[1], "by": by}
        reference = loaded.query(chosen, engine="arrow", **query)
        answer = loaded.query(chosen, engine="duckdb", **query)
    except RecursionError as error:  # keep the message short: the traceback is huge
        return Outcome("internal", "RecursionError", crash_site(error))
    except Exception as error:
        return classify(error)
    found = differences(reference, answer)
    if found:
        return Outcome("disagreement", f"{chosen} {query}: " + "; ".join(found))
    return Outcome("accepted")


# ---- workers with a deadline -------------------------------------------------------------


def _serve(connection, project: str, queryable: dict[str, list[str]]) -> None:
    while True:
        message = connection.recv()
        if message is None:
            return
        seed, prefer = message
        connection.send(
            attrs.astuple(run_project(Path(project), random.Random(seed), prefer, queryable))
        )


class Worker:
    """A process that runs cases one at a time; killed and replaced when a case hangs."""

    def __init__(self, project: Path, queryable: dict[str, list[str]]):
        self.project = project
        self.queryable = queryable
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, str(self.project), self.queryable)
        )
        self.process.start()

    def run(self, seed: int, prefer: str, timeout: float) -> Outcome:
        self.connection.send((seed, prefer))
        if self.connection.poll(timeout):
            try:
                return Outcome(*self.connection.recv())
            except EOFError:  # the worker died (a crash in native code)
                self._restart()
                return Outcome("internal", "the worker process died", "process exit")
        self._restart()
        return Outcome("hang", f"no answer within {timeout:g} s")

    def _restart(self) -> None:
        self.process.kill()
        self.process.join()
        self._start()

    def close(self) -> None:
        self.connection.send(None)
        self.process.join(5)


@attrs.frozen
class Case:
    number: int
    file: str  # relative to the workspace
    mutation: str
    outcome: Outcome
    content: bytes  # the mutated file


def campaign(
    cases: int, seed: int, timeout: float, first_timeout: float | None = None
) -> Iterator[Case]:
    """Run `cases` mutated projects; yields each case as it finishes."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        project = make_workspace(Path(folder))
        files = mutable_files(project)
        worker = Worker(project, metrics_by_data_file(project))
        try:
            for number in range(cases):
                path = files[rng.randrange(len(files))]
                original = path.read_bytes()
                mutation, content = mutate(path, original, rng)
                path.write_bytes(content)
                limit = first_timeout if number == 0 and first_timeout else timeout
                try:
                    outcome = worker.run(rng.randrange(2**32), path.name, limit)
                finally:
                    path.write_bytes(original)
                relative = str(path.relative_to(folder))
                yield Case(number, relative, mutation, outcome, content)
        finally:
            worker.close()


# ---- the report --------------------------------------------------------------------------


def summarize(results: list[Case]) -> dict:
    counts = collections.Counter(case.outcome.kind for case in results)
    sites: dict[str, list[Case]] = collections.defaultdict(list)
    for case in results:
        if case.outcome.kind == "internal":
            sites[case.outcome.site].append(case)
    return {
        "cases": len(results),
        "outcomes": {kind: counts.get(kind, 0) for kind in OUTCOMES},
        "internal_sites": {
            site: {
                "count": len(found),
                "example": f"{found[0].file} ({found[0].mutation}): {found[0].outcome.detail}",
            }
            for site, found in sorted(sites.items(), key=lambda item: -len(item[1]))
        },
    }


def _save_examples(results: list[Case], folder: Path, per_class: int) -> None:
    """Write the mutated file of the first `per_class` cases of each failure class."""
    seen: collections.Counter = collections.Counter()
    for case in results:
        key = case.outcome.site or case.outcome.kind
        if case.outcome.kind not in FAILURES or seen[key] >= per_class:
            continue
        seen[key] += 1
        home = folder / f"{case.number:05d}-{case.outcome.kind}"
        (home / case.file).parent.mkdir(parents=True, exist_ok=True)
        (home / case.file).write_bytes(case.content)
        (home / "outcome.txt").write_text(
            f"{case.file} ({case.mutation})\n{case.outcome.site}\n{case.outcome.detail}\n"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case")
    parser.add_argument("--json", type=Path, help="write the summary here")
    parser.add_argument("--examples", type=int, default=0, help="mutants kept per failure class")
    parser.add_argument("--examples-dir", type=Path, default=Path("fuzz-examples"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = []
    for case in campaign(args.cases, args.seed, args.timeout, first_timeout=args.timeout + 30):
        results.append(case)
        if case.outcome.kind in FAILURES:
            print(f"#{case.number} {case.file} ({case.mutation}): {case.outcome.kind} "
                  f"{case.outcome.site} {case.outcome.detail[:200]}", flush=True)  # fmt: skip
    summary = summarize(results)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    if args.examples:
        _save_examples(results, args.examples_dir, args.examples)
    return 1 if any(summary["outcomes"][kind] for kind in FAILURES) else 0


if __name__ == "__main__":
    sys.exit(main())
