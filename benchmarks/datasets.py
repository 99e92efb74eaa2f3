"""What the benchmark data generators share: instants, labelled columns, atomic Parquet writes,
the size flags of their command lines, and a cache that skips generation when the files on disk
were made from the same parameters.

A data set is a folder of Parquet tables plus `manifest.json`, which records the generator's
version and every parameter. The parameters are a frozen attrs class whose fields carry their
command-line help as metadata, so each generator declares its sizes once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
MICROS_PER_SECOND = 1_000_000
SECONDS_PER_DAY = 86_400
MICROS_PER_DAY = SECONDS_PER_DAY * MICROS_PER_SECOND
TIMESTAMP = pa.timestamp("us", tz="UTC")

Spec = TypeVar("Spec")
# Yields (table name, table) one at a time, so a big table can be written and dropped before
# the next is built.
TableBuilder = Callable[[Any], Iterator[tuple[str, pa.Table]]]


def size_field(default: int, meaning: str) -> Any:
    """An attrs field for a parameter that is also a command-line flag."""
    return attrs.field(default=default, metadata={"help": meaning})


def epoch_micros(day: dt.date) -> int:
    """Microseconds since the epoch at midnight UTC starting `day`."""
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return int(midnight.timestamp()) * MICROS_PER_SECOND


def timestamps(micros: np.ndarray) -> pa.Array:
    return pa.array(micros, type=pa.int64()).cast(TIMESTAMP)


def pick(rng: np.random.Generator, labels: tuple[str, ...], shares: tuple[float, ...], n: int):
    """`n` labels drawn with the given shares, as an Arrow string array."""
    indices = rng.choice(len(labels), size=n, p=shares).astype(np.int32)
    return pa.DictionaryArray.from_arrays(indices, pa.array(labels)).cast(pa.string())


def write_atomically(table: pa.Table, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    pq.write_table(table, partial, row_group_size=1 << 20)
    os.replace(partial, path)


@attrs.frozen
class Dataset:
    """Parquet tables generated together, into one folder, from one parameter object."""

    tables: tuple[str, ...]
    # Bump when the shape of the generated data changes, so cached files are regenerated.
    version: int
    build: TableBuilder

    def manifest_for(self, spec: object) -> dict[str, object]:
        return {"generator_version": self.version, **attrs.asdict(spec)}

    def is_cached(self, spec: object, directory: Path) -> bool:
        """Whether `directory` already holds the files for exactly these parameters."""
        manifest = directory / MANIFEST
        if not manifest.exists():
            return False
        if not all((directory / f"{t}.parquet").exists() for t in self.tables):
            return False
        return json.loads(manifest.read_text()) == self.manifest_for(spec)

    def ensure(self, spec: object, directory: Path, *, force: bool = False) -> bool:
        """Generate the Parquet files into `directory` unless they exist for the same
        parameters. Returns whether files were written."""
        if not force and self.is_cached(spec, directory):
            return False
        directory.mkdir(parents=True, exist_ok=True)
        # Drop the manifest first: an interrupted run must not leave old parameters vouching
        # for a half-replaced set of files.
        (directory / MANIFEST).unlink(missing_ok=True)
        for name, table in self.build(spec):
            write_atomically(table, directory / f"{name}.parquet")
        (directory / MANIFEST).write_text(json.dumps(self.manifest_for(spec), indent=2) + "\n")
        return True


def add_spec_arguments(parser: argparse.ArgumentParser, spec_class: type) -> None:
    """One `--name` flag per field of `spec_class`, defaulting to the field's default."""
    for field in attrs.fields(spec_class):
        parser.add_argument(
            f"--{field.name}",
            type=int,
            default=field.default,
            help=f"{field.metadata['help']} (default {field.default})",
        )


def spec_from_arguments(spec_class: type[Spec], args: argparse.Namespace) -> Spec:
    return spec_class(**{f.name: getattr(args, f.name) for f in attrs.fields(spec_class)})


def spec_flags(spec: object) -> list[str]:
    """The flags that give `spec` back through `add_spec_arguments` (for a child process)."""
    return [f"--{f.name}={getattr(spec, f.name)}" for f in attrs.fields(type(spec))]


def generate_main(dataset: Dataset, spec_class: type, directory: Path, description: str) -> None:
    """The command line of a generator: size flags, --force, one line saying what happened."""
    parser = argparse.ArgumentParser(description=description)
    add_spec_arguments(parser, spec_class)
    parser.add_argument("--force", action="store_true", help="regenerate even if cached")
    args = parser.parse_args()
    spec = spec_from_arguments(spec_class, args)
    started = time.perf_counter()
    if dataset.ensure(spec, directory, force=args.force):
        print(f"generated {spec} into {directory} in {time.perf_counter() - started:.1f} s")
    else:
        print(f"{directory} already holds {spec}; nothing to do (--force to regenerate)")
