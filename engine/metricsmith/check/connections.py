"""The connection a source's connector call names, found before the connector opens it.

A connector that reads from a named connection says which of its arguments names it
(`connection_argument`: a position or an option name, docs/plugins.md); the checker resolves
the name among the project's connections (plugins/connections.py), so an unknown or mistyped
name is reported at its position in the definition file, and the connector receives the
`Connection` itself, never the name.
"""

from __future__ import annotations

from collections.abc import Mapping

from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import Diagnostic
from metricsmith.model.decl import ConnectorCall
from metricsmith.plugins.connections import PROFILES_HINT, Connection


def connection_for(
    call: ConnectorCall, connector: object, connections: Mapping[str, Connection]
) -> tuple[dict[str, Connection | None], list[Diagnostic]]:
    """The `connection=` keyword for the connector's `open` (empty for a connector that names
    none), or the problem with the name the call gives."""
    which = getattr(connector, "connection_argument", None)
    if which is None:
        return {}, []
    literal = (
        call.args[which] if isinstance(which, int) and which < len(call.args) else None
    ) or next((lit for name, lit in call.options if name == which), None)
    if literal is None:
        # No name: the connector's own default (libpq's environment for postgres).
        return {"connection": None}, []
    name = literal.value
    if not isinstance(name, str):
        return {}, [
            Diagnostic(
                code="unknown-connection",
                message=f"`{call.name.name}` takes the name of a connection here, "
                f"not {literal.value!r}",
                span=literal.span,
                hint=f'write {call.name.name}("warehouse", ...) with a connection declared in '
                "metricsmith.toml (docs/connectors.md)",
            )
        ]
    found = connections.get(name)
    if found is None:
        hint = did_you_mean(name, connections) or (
            f"declare [connections.{name}] in metricsmith.toml or in the profiles file "
            f"({PROFILES_HINT}); `metricsmith connections` lists those declared"
        )
        return {}, [
            Diagnostic(
                code="unknown-connection",
                message=f"unknown connection `{name}`",
                span=literal.span,
                hint=hint,
            )
        ]
    if found.type != call.name.name:
        return {}, [
            Diagnostic(
                code="unknown-connection",
                message=f"connection `{name}` is a {found.type} connection, not {call.name.name}",
                span=literal.span,
                hint=f"use {found.type}(...) for it, or name a {call.name.name} connection",
            )
        ]
    return {"connection": found}, []
