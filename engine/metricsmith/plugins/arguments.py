"""Checking the literal arguments of a source's call, `name(args, key=value)`, the way every
first-party connector does: each refusal is a DataError that names the connector and the
source and carries the connector's usage (`write sqlite("file.db", table="name") ...`) as its
hint, since the fix is always to write the call as the usage says."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from attrs import frozen

from metricsmith.errors import DataError


@frozen
class CallArguments:
    """The checks of one connector's calls, for the source `source_name`."""

    #: The connector's name, as calls write it (`sqlite`).
    connector: str
    #: How to write a call: the hint of every refusal.
    usage: str
    source_name: str

    def refusal(self, message: str) -> DataError:
        """`<connector>() <message>`, with the usage as its hint."""
        return DataError(f"{self.connector}() {message}", source=self.source_name, hint=self.usage)

    def one_text(self, args: Sequence[object], described: str = "one path argument") -> str:
        """The only positional argument, which must be text: `takes <described>, got N`."""
        if len(args) != 1 or not isinstance(args[0], str):
            raise self.refusal(f"takes {described}, got {len(args)}")
        return args[0]

    def known_options(self, options: Mapping[str, object], accepted: Sequence[str]) -> None:
        """Refuses the first option (alphabetically) not in `accepted`, naming those accepted."""
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            names = ", ".join(accepted[:-1]) + " and " if len(accepted) > 1 else ""
            raise self.refusal(f"has no option `{unknown[0]}`; it accepts {names}{accepted[-1]}")

    def local_path(self, given: str, base_dir: str, what: str, *, folder: bool = False) -> str:
        """The path `given` resolved against `base_dir` (the definition file's folder, after
        expanding `~`), which must be a file (a folder with `folder`): `<what> not found`."""
        path = os.path.normpath(os.path.join(base_dir, os.path.expanduser(given)))
        if not (os.path.isdir(path) if folder else os.path.isfile(path)):
            raise DataError(
                f"{what} not found: `{given}`",
                source=self.source_name,
                location=path,
                hint="relative paths are resolved against the definition file's folder, "
                + base_dir,
            )
        return path

    def one_text_option(self, options: Mapping[str, object], names: Sequence[str]) -> str:
        """The name of the only option given (after `known_options(options, names)`), which
        must be text: `needs exactly one of table="..." or query="..."`."""
        if len(options) != 1 or not isinstance(next(iter(options.values())), str):
            choices = " or ".join(f'{name}="..."' for name in names)
            raise self.refusal(f"needs exactly one of {choices}")
        return next(iter(options))
