"""Finding an Iceberg table: by name in a catalog, or by the folder that holds it.

A catalog is configured as pyiceberg configures catalogs, outside the definition files (where
its credentials belong): `.pyiceberg.yaml` in the home folder or in `$PYICEBERG_HOME`, or
`PYICEBERG_CATALOG__<NAME>__<PROPERTY>` environment variables. They are read when the project
is loaded. A folder is read from its newest metadata file, without a catalog.
"""

from __future__ import annotations

import difflib
import os
import re

from metricsmith.errors import DataError

#: The version in a metadata file's name: `00003-<uuid>.metadata.json` as catalogs write it,
#: `v3.metadata.json` as Hadoop tables do.
_METADATA_FILE = re.compile(r"^v?(\d+)(-.*)?\.metadata\.json$")


def from_catalog(identifier: str, catalog_name: str, source_name: str):
    """The table `identifier` ("namespace.table") of the configured catalog `catalog_name`."""
    from pyiceberg.catalog import load_catalog
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError
    from pyiceberg.utils.config import Config

    location = f"Iceberg catalog {catalog_name}, table {identifier}"
    properties = dict(Config().get_catalog_config(catalog_name) or {})
    # A SQL catalog creates its bookkeeping tables when it is opened, unless told not to:
    # reading never writes.
    properties.setdefault("init_catalog_tables", "false")
    try:
        catalog = load_catalog(catalog_name, **properties)
    except Exception as error:  # its message may quote the properties, credentials included
        raise DataError(
            f"the Iceberg catalog `{catalog_name}` could not be loaded ({type(error).__name__})",
            source=source_name,
            location=location,
            hint=f"configure it in .pyiceberg.yaml or with PYICEBERG_CATALOG__"
            f"{catalog_name.upper()}__URI and the other properties its type needs",
        ) from None
    try:
        return catalog.load_table(identifier)
    except (NoSuchTableError, NoSuchNamespaceError):
        raise DataError(
            f"the catalog has no table `{identifier}`",
            source=source_name,
            location=location,
            hint=_suggestion(identifier, _table_names(catalog, identifier)),
        ) from None


def _table_names(catalog, identifier: str) -> list[str]:
    """The catalog's tables in the identifier's namespace, or in every namespace when that
    one does not exist."""
    namespace = tuple(identifier.split(".")[:-1])
    namespaces = [namespace] if namespace in catalog.list_namespaces() else []
    try:
        namespaces = namespaces or catalog.list_namespaces()
        return [".".join(name) for each in namespaces for name in catalog.list_tables(each)]
    except Exception:  # a catalog that cannot list: the message then lists nothing
        return []


def from_folder(path: str, shown: str, source_name: str):
    """The table whose folder is `path` (holding `metadata/`), at its newest metadata file."""
    from pyiceberg.table import StaticTable

    metadata = os.path.join(path, "metadata")
    if not os.path.isdir(path):
        raise DataError(
            f"table folder not found: `{shown}`",
            source=source_name,
            location=path,
            hint="give a folder holding an Iceberg table's `metadata`, or its name and "
            'catalog=: iceberg("namespace.table", catalog="name")',
        )
    versions = {
        int(match.group(1)): name
        for name in (os.listdir(metadata) if os.path.isdir(metadata) else [])
        if (match := _METADATA_FILE.match(name))
    }
    if not versions:
        raise DataError(
            "the folder holds no Iceberg table (no `metadata/*.metadata.json`)",
            source=source_name,
            location=path,
            hint='name the table\'s folder, or read it through its catalog: catalog="name"',
        )
    return StaticTable.from_metadata(os.path.join(metadata, versions[max(versions)]))


def _suggestion(name: str, available: list[str]) -> str:
    close = difflib.get_close_matches(name, available, n=1)
    listed = f"the catalog has: {', '.join(sorted(available)) or 'no tables'}"
    return f"did you mean `{close[0]}`? {listed}" if close else listed
