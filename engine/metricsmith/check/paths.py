"""Confinement: the folders a project may read, and the check of every path it names.

Definitions are code-adjacent: whoever writes `csv("/etc/passwd", delimiter=":")` reads what the
process can read. A confined project may name only files inside its own folder and its data
roots. Each path is resolved the way it will be opened (`~` expanded, joined to the folder of
the file that names it, symbolic links followed) before it is compared, so neither `..` nor a
link leads out; below a root, names starting with `.` (`.env`, `.git`) are refused as well,
because they hold secrets far more often than data. The check runs before anything is opened,
so a refused path is never read and its existence is not revealed.

Confinement is on when the caller asks (`load_project(confine=True)`, `--confine`), when the
definitions are untrusted (`load_project(trusted=False)`, or METRICSMITH_CONFINE in the
environment), or when the project declares `project { confine paths }`. Data roots declared by
untrusted definitions never widen what the caller allowed: they must lie inside it.
docs/security.md describes the trust model.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence

from attrs import evolve, frozen

from metricsmith.errors import Diagnostic
from metricsmith.model.decl import ConnectorCall, ProjectDecl
from metricsmith.model.span import Span

#: Set (to anything but "", "0", "false" or "no") to load every project as untrusted.
CONFINE_VARIABLE = "METRICSMITH_CONFINE"
#: More data roots for every project, separated like PATH entries.
DATA_ROOTS_VARIABLE = "METRICSMITH_DATA_ROOTS"
_OFF = ("", "0", "false", "no")


@frozen
class PathPolicy:
    """Where a project may read. Unconfined, every path is admitted."""

    confined: bool
    #: Resolved absolute folders, the project's own first.
    roots: tuple[str, ...]
    #: Whether the definitions' own `data_roots` may widen the roots.
    trusted: bool = True

    def admits(self, resolved: str) -> bool:
        return not self.confined or self.root_of(resolved) is not None

    def root_of(self, resolved: str) -> str | None:
        return next((root for root in self.roots if _inside(resolved, root)), None)

    def widened(self, folders: Iterable[str]) -> PathPolicy:
        roots = [*self.roots, *(resolve(f) for f in folders)]
        return evolve(self, roots=tuple(dict.fromkeys(roots)))


UNCONFINED = PathPolicy(confined=False, roots=())


def resolve(written: str, base_dir: str = ".") -> str:
    """The absolute path `written` opens, relative to `base_dir`, every link followed."""
    return os.path.realpath(os.path.join(base_dir, os.path.expanduser(written)))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def caller_policy(
    project_dir: str,
    *,
    confine: bool,
    trusted: bool,
    data_roots: Sequence[str | os.PathLike[str]],
) -> tuple[PathPolicy, list[Diagnostic]]:
    """The policy the caller sets: its switches and the environment's, and its data roots
    (relative ones against the working directory); problems with those roots."""
    setting = os.environ.get(CONFINE_VARIABLE, "").strip().lower()
    untrusted = not trusted or setting not in _OFF
    listed = os.environ.get(DATA_ROOTS_VARIABLE, "").split(os.pathsep)
    roots = [os.fspath(root) for root in data_roots] + [root for root in listed if root]
    found = [_not_a_folder(root, None) for root in roots if not os.path.isdir(root)]
    folders = [resolve(root) for root in roots if os.path.isdir(root)]
    policy = PathPolicy(
        confined=confine or untrusted,
        roots=tuple(dict.fromkeys([resolve(project_dir), *folders])),
        trusted=not untrusted,
    )
    return policy, found


def with_project_settings(
    policy: PathPolicy, decls: Sequence[ProjectDecl]
) -> tuple[PathPolicy, list[Diagnostic]]:
    """The policy once the project's own `project` declaration is applied: it may confine the
    project, and widen the roots only when the definitions are trusted."""
    found = [
        Diagnostic(
            code="duplicate-project",
            message="the project is declared twice",
            span=extra.span,
            hint=f"keep one `project` block; the first is at {decls[0].span}",
        )
        for extra in decls[1:]
    ]
    if not decls:
        return policy, found
    decl = decls[0]
    base_dir = os.path.dirname(os.path.abspath(decl.span.path))
    roots: list[str] = []
    for literal in decl.data_roots:
        written = str(literal.value)
        if policy.trusted:
            folder = os.path.join(base_dir, os.path.expanduser(written))
            if os.path.isdir(folder):
                roots.append(resolve(written, base_dir))
            else:
                found.append(_not_a_folder(written, literal.span))
            continue
        refusal = check_path(written, base_dir, literal.span, policy)
        if refusal is not None:
            found.append(refusal)
    confined = evolve(policy, confined=policy.confined or decl.confine)
    return confined.widened(roots), found


def _not_a_folder(written: str, span: Span | None) -> Diagnostic:
    return Diagnostic(
        code="bad-data-root",
        message=f"data root `{written}` is not a folder",
        span=span,
        hint="a data root is an existing folder; a relative one is taken from the folder of "
        "the file declaring it, or from the working directory when given to the command",
    )


def check_path(written: str, base_dir: str, span: Span, policy: PathPolicy) -> Diagnostic | None:
    """Why a path named in a definition may not be read, or None when it may. A folder is
    admitted when everything below it is; a glob when its fixed part and every match are."""
    if "\0" in written:
        return Diagnostic(
            code="bad-path",
            message="the path contains a NUL character, which no file name can",
            span=span,
            hint="remove the `\\x00` from the path",
        )
    if not policy.confined:
        return None
    check = _PathCheck(written, base_dir, span, policy)
    joined = os.path.join(base_dir, os.path.expanduser(written))
    if not _is_pattern(joined):
        return check.refusal(joined, as_written=True) or check.links_below(joined)
    problem = check.refusal(_fixed_prefix(joined), as_written=True)
    for match in glob.glob(joined, recursive=True) if problem is None else []:
        problem = check.refusal(match, as_written=False) or check.links_below(match)
        if problem is not None:
            break
    return problem


@frozen
class _PathCheck:
    """One path written in a definition, checked against the policy."""

    written: str
    base_dir: str
    span: Span
    policy: PathPolicy

    def refusal(self, path: str, *, as_written: bool) -> Diagnostic | None:
        """Why `path` (the written path, or a file it leads to) may not be read."""
        resolved = os.path.realpath(path)
        lexical = os.path.normpath(os.path.abspath(path))
        if as_written:
            detail = " (a symbolic link leads there)" if resolved != lexical else ""
        else:
            detail = f" (through `{os.path.relpath(path, self.base_dir)}`)"
        root = self.policy.root_of(resolved)
        if root is None:
            return self._outside(detail)
        below = os.path.relpath(resolved, root).split(os.sep)
        hidden = next((part for part in below if part.startswith(".") and part != "."), None)
        if hidden is None:
            return None
        return Diagnostic(
            code="hidden-path",
            message=f"`{self.written}` reads a hidden file or folder, `{hidden}`{detail}",
            span=self.span,
            hint="a confined project reads no file or folder whose name starts with `.` (such "
            "names often hold secrets, like .env); rename it if it is data",
        )

    def links_below(self, path: str) -> Diagnostic | None:
        """For a folder: the first symbolic link below it that leads out or to a hidden file,
        following linked folders (each real folder once, so a cycle of links ends). Anything
        else below a folder inside the roots is inside them too."""
        seen: set[str] = set()
        for top, folders, files in os.walk(path, followlinks=True):
            if os.path.realpath(top) in seen:
                folders.clear()
                continue
            seen.add(os.path.realpath(top))
            for entry in (os.path.join(top, name) for name in [*folders, *files]):
                problem = self.refusal(entry, as_written=False) if os.path.islink(entry) else None
                if problem is not None:
                    return problem
        return None

    def _outside(self, detail: str) -> Diagnostic:
        if self.policy.trusted:
            widen = "add its folder to `data_roots` in the `project` block, or pass --data-root"
        else:
            widen = "whoever loads the project can add its folder as a data root"
        return Diagnostic(
            code="path-outside-project",
            message=f"`{self.written}` {'leads' if detail else 'is'} outside the folders this "
            f"project may read{detail}",
            span=self.span,
            hint=f"paths are confined to {', '.join(self.policy.roots)}; {widen}",
        )


def _is_pattern(path: str) -> bool:
    return glob.escape(path) != path


def _fixed_prefix(pattern: str) -> str:
    """The folder a glob searches in: the pattern without its components from the first
    wildcard on."""
    while _is_pattern(pattern):
        pattern = os.path.dirname(pattern)
    return pattern or os.curdir


def check_connector_paths(
    call: ConnectorCall, connector: object, base_dir: str, policy: PathPolicy
) -> list[Diagnostic]:
    """Problems with the paths a connector call names: the arguments its connector declares
    as paths (`path_arguments`: positions and option names). A connector that declares
    nothing cannot be confined, so a confined project may not use it."""
    if not policy.confined:
        return []
    declared = getattr(connector, "path_arguments", None)
    if declared is None:
        return [
            Diagnostic(
                code="unconfinable-connector",
                message=f"connector `{call.name.name}` does not declare which of its arguments "
                "are paths, so a confined project cannot use it",
                span=call.name.span,
                hint="its plugin can declare `path_arguments` (docs/plugins.md); or load the "
                "project unconfined if its definitions are trusted",
            )
        ]
    literals = [arg for index, arg in enumerate(call.args) if index in declared]
    literals += [literal for name, literal in call.options if name in declared]
    found = []
    for literal in literals:
        if isinstance(literal.value, str):
            problem = check_path(literal.value, base_dir, literal.span, policy)
            found += [problem] if problem is not None else []
    return found


def is_definition_file(path: str | os.PathLike[str]) -> bool:
    """A regular file named `*.metrics`, reached through no link to a file named otherwise:
    the only kind of file whose text metricsmith parses, and so may show in a message."""
    text = os.fspath(path)
    # Only a link as the last part can change the name the path ends with (resolving every
    # part costs a system call each: a project loaded again checks dozens of files).
    return (
        text.endswith(".metrics")
        and (not os.path.islink(text) or os.path.realpath(text).endswith(".metrics"))
        and os.path.isfile(text)
    )
