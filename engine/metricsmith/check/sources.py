"""Opening sources at check time: connectors, schemas, keys, time columns and entity links."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import pyarrow as pa

from metricsmith.check.connections import connection_for
from metricsmith.check.entities import key_source
from metricsmith.check.paths import PathPolicy, check_connector_paths
from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import DataError, Diagnostic, MetricsmithError, PluginFailure
from metricsmith.model.bound import BColumn, BExpr, bwalk
from metricsmith.model.decl import EntityIdentity, Ident, SourceDecl
from metricsmith.model.time import SUB_PERIODS
from metricsmith.model.types import ARROW_FOR_TYPE, Type, type_of_arrow
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.connector import Connector, SourceReader, TypedSourceReader, offers


class UnreadableColumns(dict):
    """The columns of a source whose schema could not be read: every name is accepted with an
    unknown type, so one unreadable source yields one diagnostic, not one per formula."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> Type:
        return Type.UNKNOWN


def open_reader(
    decl: SourceDecl,
    connectors: Mapping[str, Connector],
    tables: Mapping[str, SourceReader],
    paths: PathPolicy,
    connections: Mapping[str, Connection],
) -> tuple[SourceReader | None, list[Diagnostic]]:
    """The reader of a declared source: the one bound to it by name in `tables`, or the one its
    connector opens with the declared column types; or the problems opening it."""
    name = decl.name.name
    if name in tables:
        return tables[name], []
    call = decl.connector
    connector = connectors.get(call.name.name)
    if connector is None:
        hint = did_you_mean(call.name.name, connectors) or (
            "available connectors: " + ", ".join(sorted(connectors))
        )
        return None, [
            Diagnostic(
                code="unknown-connector",
                message=f"unknown connector `{call.name.name}` for source `{name}`",
                span=call.name.span,
                hint=hint,
            )
        ]
    refused = check_connector_paths(call, connector, decl.base_dir, paths)
    if refused:
        return None, refused
    connection, unknown = connection_for(call, connector, connections)
    if unknown:
        return None, unknown
    try:
        reader = connector.open(
            [a.value for a in call.args],
            {key: lit.value for key, lit in call.options},
            base_dir=decl.base_dir,
            source_name=name,
            **connection,
        )
        reader = _with_declared_types(reader, decl)
        reader.schema()
    except (DataError, PluginFailure) as err:
        return None, [_connector_problem(decl, err.message, err.hint)]
    except MetricsmithError as err:
        return None, [_connector_problem(decl, str(err))]
    except Exception as err:  # a plugin's bug must not take the checker down
        message = f"connector `{call.name.name}` failed: {type(err).__name__}: {err}"
        return None, [_connector_problem(decl, message)]
    return reader, []


def _with_declared_types(reader: SourceReader, decl: SourceDecl) -> SourceReader:
    """The reader parsing declared columns as their types, when it can (a CSV column declared
    `string` then keeps the text `00001`, which inferring a number and casting back would
    turn into `1`). A declared timestamp is asked for as text: whether text without a zone
    offset is local time is the engine's decision (execute/data/reading.py), made the same
    way on every engine, and a column mixing both is refused on every engine. Other declared
    columns (and durations) are cast after reading."""
    if not offers(reader, TypedSourceReader):
        return reader
    types = {
        column.name.name: pa.string()
        if column.type == Type.TIMESTAMP
        else ARROW_FOR_TYPE[column.type]
        for column in decl.columns
        if column.expr is None and column.type in ARROW_FOR_TYPE and column.type != Type.DURATION
    }
    return reader.with_column_types(types) if types else reader


def _connector_problem(decl: SourceDecl, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(
        code="source-unreadable",
        message=message,
        span=decl.connector.span,
        hint=hint or "check the connector's arguments",
    )


def column_types(
    decl: SourceDecl, schema: pa.Schema | None
) -> tuple[dict[str, Type], dict[str, Type], list[Diagnostic]]:
    """The physical columns' types with declarations applied, the declared ones alone, and
    problems with the declarations."""
    if schema is None:
        return UnreadableColumns(), {}, []
    physical = {field.name: type_of_arrow(field.type) for field in schema}
    declared: dict[str, Type] = {
        # A time column without a value to infer a type from (an empty file) holds no times.
        column: Type.TIMESTAMP
        for column in _time_columns(decl)
        if physical.get(column) == Type.NULL
    }
    found = []
    for column in decl.columns:
        if column.expr is not None or column.type is None:
            continue
        if column.name.name not in physical:
            found.append(_missing_column(decl, column.name, physical))
            continue
        physical[column.name.name] = column.type
        declared[column.name.name] = column.type
    return physical, declared, found


def _time_columns(decl: SourceDecl) -> list[str]:
    named = [decl.time, *((decl.validity.start, decl.validity.end) if decl.validity else ())]
    return [ident.name for ident in named if ident is not None]


def _missing_column(decl: SourceDecl, ident: Ident, physical: Collection[str]) -> Diagnostic:
    return Diagnostic(
        code="unknown-name",
        message=f"`{decl.name.name}` has no column `{ident.name}`",
        span=ident.span,
        hint=did_you_mean(ident.name, physical) or "columns: " + ", ".join(sorted(physical)),
    )


def check_structure(
    decl: SourceDecl,
    physical: Mapping[str, Type],
    derived: Sequence[str],
    keys: Mapping[str, str | None],
) -> tuple[dict[str, str], list[Diagnostic]]:
    """Key, time, validity and link columns exist and fit; returns the usable links."""
    found = []
    known = {**{c: physical[c] for c in physical}, **dict.fromkeys(derived, Type.UNKNOWN)}

    def missing(ident: Ident) -> list[Diagnostic]:
        # `physical` accepts every name when the source could not be read (UnreadableColumns):
        # its one diagnostic says so, and no column of it is reported missing after it.
        if ident.name in known or ident.name in physical:
            return []
        return [_missing_column(decl, ident, list(known))]

    named = [decl.key, decl.time]
    if decl.validity is not None:
        named += [decl.validity.start, decl.validity.end]
    for ident in (i for i in named if i is not None):
        found += missing(ident)
    for ident in (i for i in named[1:] if i is not None):
        found += _not_a_time(decl, ident, physical.get(ident.name, Type.UNKNOWN))
    for identity in decl.identities:
        found += missing(identity.column)
        found += _shadowed(identity, {s: k for s, k in keys.items() if k is not None})
    links: dict[str, str] = {}
    for link in decl.links:
        column, target = link.column, link.target
        if problem := missing(column):
            found += problem
            continue
        if target.name not in keys:
            hint = did_you_mean(target.name, keys)
            found.append(
                Diagnostic(
                    code="unknown-name",
                    message=f"entity link to unknown source `{target.name}`",
                    span=target.span,
                    hint=hint,
                )
            )
            continue
        if keys[target.name] is None:
            found.append(
                Diagnostic(
                    code="no-key",
                    message=f"`{decl.name.name}.{column.name}` links to `{target.name}`, "
                    f"which has no key",
                    span=link.span,
                    hint=f"declare the key of `{target.name}`: `key <column>`",
                )
            )
            continue
        links[column.name] = target.name
    return links, found


def _shadowed(identity: EntityIdentity, keys: Mapping[str, str]) -> list[Diagnostic]:
    """An identifier that `per <name>` would never reach: a sub-period or a keyed source has
    that name, and `per` means them first."""
    name = identity.entity.name
    source = key_source(name, keys)
    if name in SUB_PERIODS:
        meaning = f"`per {name}` iterates over the {name}s of each period"
    elif source is not None:
        meaning = f"`per {name}` iterates over the rows of source `{source}`"
    else:
        return []
    return [
        Diagnostic(
            code="shadowed-entity",
            message=f"{meaning}, so the identifier `{name}` could never be iterated over",
            span=identity.entity.span,
            hint=f"give the identifier another name, e.g. `entity {identity.column.name} as "
            f"{name}_id`",
        )
    ]


def _not_a_time(
    decl: SourceDecl, ident: Ident, kind: Type, *, derived: bool = False
) -> list[Diagnostic]:
    if kind in (Type.DATE, Type.TIMESTAMP, Type.UNKNOWN, Type.NULL):
        return []
    if derived:
        hint = f"derive `{ident.name}` as a date or timestamp, e.g. with `date(...)`"
    else:
        hint = f"declare its type: `column {ident.name}: timestamp`"
    return [
        Diagnostic(
            code="type",
            message=f"time column `{decl.name.name}.{ident.name}` is {kind}, "
            "not a date or timestamp",
            span=ident.span,
            hint=hint,
        )
    ]


def check_derived_roles(
    decl: SourceDecl, physical: Mapping[str, Type], derived: Mapping[str, BExpr]
) -> list[Diagnostic]:
    """Derived columns given a role: a time or validity must be a date or timestamp (it may
    read linked sources: an event placed by its account's sign-up); a key or link column must
    be computed from the source's own columns, because it is what links are followed by."""
    found = []

    def formula(ident: Ident | None) -> BExpr | None:
        if ident is None or ident.name in physical:
            return None
        return derived.get(ident.name)

    times = [decl.time, *((decl.validity.start, decl.validity.end) if decl.validity else ())]
    for ident in times:
        value = formula(ident)
        if value is not None:
            found += _not_a_time(decl, ident, value.type, derived=True)
    roles = [("key", decl.key), *(("link", link.column) for link in decl.links)]
    for role, ident in roles:
        if ident is None:
            continue
        value = formula(ident)
        linked = [c for c in bwalk(value) if isinstance(c, BColumn) and c.path] if value else []
        if linked:
            found.append(
                Diagnostic(
                    code="derived-role",
                    message=f"{role} column `{decl.name.name}.{ident.name}` is derived from "
                    f"`{linked[0].source}.{linked[0].column}`, a column of another source",
                    span=ident.span,
                    hint=f"a key or link column is computed from the columns of "
                    f"`{decl.name.name}` itself; link to `{linked[0].source}` and read the "
                    "column through it instead",
                )
            )
    return found
