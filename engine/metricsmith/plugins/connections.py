"""Named connections: where a database lives and how to log in, kept out of `.metrics` files.

A source names a connection (`postgres("warehouse", table="public.events")`); the connection
itself is declared in the project's `metricsmith.toml` or in a profiles file outside the
project (`$METRICSMITH_PROFILES`, else `~/.config/metricsmith/profiles.toml`), where a
company keeps what differs between people and machines:

    [connections.warehouse]
    type = "postgres"                    # the connector that opens it
    host = "db.internal"
    database = "analytics"
    user = "metrics_ro"
    password_env = "WAREHOUSE_PASSWORD"  # or password_file = "~/.secrets/warehouse"

A secret is never written in a settings file: `<name>_env` names the environment variable
holding it and `<name>_file` a file holding it (its text without the final line break: a
password, or a whole key or credentials file of several lines). Its value is a `Secret`,
which prints as `***`, so a connection can be shown, logged or put in an error safely.
A profiles file's connection replaces the project's of the same name (a person points the
project's `warehouse` at their own replica). Untrusted definitions (docs/security.md) see only
the profiles file's: the project folder is theirs, the profiles file the operator's.
docs/connectors.md describes the settings of each connector.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from attrs import field, frozen

from metricsmith.errors import QueryError

PROFILES_VARIABLE = "METRICSMITH_PROFILES"
#: Where the profiles file is, for messages (`profiles_path` finds it).
PROFILES_HINT = f"${PROFILES_VARIABLE}, default ~/.config/metricsmith/profiles.toml"
SETTINGS_FILE = "metricsmith.toml"
#: Settings that hold a secret: written literally they are refused, as `<name>_env` or
#: `<name>_file` they are read from there.
SECRET_SETTINGS = frozenset(
    {"password", "token", "secret", "private_key", "private_key_password", "credentials"}
)
_SOURCES = ("_env", "_file")
#: The value of a setting: what TOML gives for a scalar.
Setting = str | int | float | bool


class Secret:
    """A secret value that never shows itself: `str`, `repr` and f-strings give `***`.
    `reveal()` is for the one call that needs it (the driver's login)."""

    __slots__ = ("_value", "origin")

    def __init__(self, value: str, origin: str):
        self._value = value
        #: Where it was read, for messages: `environment variable X` or `file F`.
        self.origin = origin

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@frozen
class Connection:
    """A named connection: the connector `type` that opens it, its plain `settings`, its
    `secrets` (absent when the variable or file holding one is missing: `missing` says which,
    so listing connections works without them and using one says what to set), and the file
    that declared it."""

    name: str
    type: str
    settings: Mapping[str, Setting] = field(factory=dict)
    secrets: Mapping[str, Secret] = field(factory=dict)
    missing: Mapping[str, str] = field(factory=dict)
    origin: str = ""

    def setting(self, name: str, default: Setting | None = None) -> Setting | None:
        return self.settings.get(name, default)

    def secret(self, name: str) -> Secret | None:
        """The secret `name`, or None when none is declared; a QueryError when it is declared
        but its variable or file is missing."""
        if name in self.missing:
            raise QueryError(
                f"connection `{self.name}` needs its {name} from {self.missing[name]}, "
                "which is not there",
                hint=f"set it, or change `{name}_env`/`{name}_file` in {self.origin}",
            )
        return self.secrets.get(name)

    def refuse_unknown_settings(self, accepted: Sequence[str], *, secrets: str) -> None:
        """A QueryError naming the first setting (alphabetically) not in `accepted`, and what
        the connector accepts: the settings, then `secrets` (how its secrets are given)."""
        unknown = sorted(set(self.settings) - set(accepted))
        if unknown:
            raise QueryError(
                f"connection `{self.name}` has no setting `{unknown[0]}`",
                hint=f"a {self.type} connection accepts {', '.join(accepted)}, and {secrets}",
            )

    def redact(self, text: str) -> str:
        """`text` with every secret's value replaced by `***` (for a driver's message, which
        may quote what it was given)."""
        for secret in self.secrets.values():
            if secret.reveal():
                text = text.replace(secret.reveal(), "***")
        return text

    def describe(self) -> str:
        """One line for listings: the type and plain settings, and where each secret comes
        from (never its value)."""
        parts = [f"{k}={v}" for k, v in self.settings.items()]
        parts += [f"{k} from {s.origin}" for k, s in self.secrets.items()]
        parts += [f"{k} from {where} (missing)" for k, where in self.missing.items()]
        return f"{self.type}: " + (", ".join(parts) or "(no settings)")


def profiles_path() -> Path:
    """The profiles file: $METRICSMITH_PROFILES, else profiles.toml in the user's metricsmith
    configuration folder ($XDG_CONFIG_HOME/metricsmith, default ~/.config/metricsmith)."""
    given = os.environ.get(PROFILES_VARIABLE)
    if given:
        return Path(given).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join("~", ".config")
    return Path(config).expanduser() / "metricsmith" / "profiles.toml"


def load_connections(project_folder: Path | None, *, trusted: bool = True) -> dict[str, Connection]:
    """The connections a project can name: its metricsmith.toml's (when `trusted`) with the
    profiles file's over them."""
    found: dict[str, Connection] = {}
    files = [project_folder / SETTINGS_FILE] if trusted and project_folder is not None else []
    for path in [*files, profiles_path()]:
        if path.is_file():
            found.update(_connections_in(path))
    return found


def _connections_in(path: Path) -> dict[str, Connection]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise QueryError(
            f"{path}: byte {error.start} is not UTF-8 text (0x{error.object[error.start]:02x})",
            hint="save the file as UTF-8, as TOML requires",
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise QueryError(f"{path}: {error}", hint="fix the TOML syntax") from None
    table = data.get("connections", {})
    if not isinstance(table, dict):
        raise QueryError(f"{path}: `connections` must be a table ([connections.NAME])")
    return {name: _connection(name, body, path) for name, body in table.items()}


def _connection(name: str, body: object, path: Path) -> Connection:
    where = f"{path} [connections.{name}]"
    if not isinstance(body, dict):
        raise QueryError(f"{where} must be a table of settings")
    kind = body.get("type")
    if not isinstance(kind, str):
        raise QueryError(
            f"{where} has no `type`",
            hint='name the connector that opens it: type = "postgres"',
        )
    settings: dict[str, Setting] = {}
    secrets: dict[str, Secret] = {}
    missing: dict[str, str] = {}
    for key, value in body.items():
        if key == "type":
            continue
        if key in SECRET_SETTINGS:
            raise QueryError(
                f"{where}: `{key}` is a secret and is not written in a settings file",
                hint=f'read it from the environment (`{key}_env = "VARIABLE"`) or a file '
                f'(`{key}_file = "path"`)',
            )
        if not isinstance(value, Setting):
            raise QueryError(f"{where}: `{key}` must be a string, number or boolean")
        secret_name = next(
            (key.removesuffix(s) for s in _SOURCES if key.endswith(s) and key != s), None
        )
        if secret_name is None:
            settings[key] = value
            continue
        if not isinstance(value, str):
            raise QueryError(f"{where}: `{key}` must name a variable or a file (a string)")
        secret, origin = _read_secret(key.endswith("_env"), value, path.parent)
        if secret is None:
            missing[secret_name] = origin
        else:
            secrets[secret_name] = Secret(secret, origin)
    return Connection(
        name=name, type=kind, settings=settings, secrets=secrets, missing=missing, origin=where
    )


def _read_secret(from_env: bool, where: str, folder: Path) -> tuple[str | None, str]:
    if from_env:
        return os.environ.get(where), f"environment variable {where}"
    path = folder / Path(where).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None, f"file {where}"
    return text.rstrip("\r\n"), f"file {where}"
