"""`offers` tells what optional methods a reader has as `isinstance` with the protocols does,
asked of each instance: a wrapper's capabilities are those of the reader it wraps."""

from __future__ import annotations

import pyarrow as pa
import pytest
from metricsmith.plugins.connector import (
    AnyRangeBatchSourceReader,
    BatchSourceReader,
    DatabaseTableReader,
    EngineTableReader,
    NativeFiles,
    NativeFilesReader,
    TypedSourceReader,
    native_files,
    offers,
)

PROTOCOLS = (
    TypedSourceReader,
    BatchSourceReader,
    AnyRangeBatchSourceReader,
    NativeFilesReader,
    DatabaseTableReader,
    EngineTableReader,
)


class Plain:
    location = "plain"

    def schema(self) -> pa.Schema:
        return pa.schema([("x", pa.int64())])

    def read(self, columns=None, time_range=None) -> pa.Table:
        return pa.table({"x": [1]})


FILES = NativeFiles(
    format="parquet", files=("a.parquet",), file_schema=Plain().schema(), partitions=pa.schema([])
)


class Files(Plain):
    def native_files(self, columns):
        return FILES


class Blocked(Files):
    native_files = None  # a method set to None is not offered


class Forwarding:
    """Forwards everything to the reader it wraps, so offers what that one offers."""

    def __init__(self, wrapped: object):
        self.wrapped = wrapped

    def __getattr__(self, name: str) -> object:
        return getattr(self.wrapped, name)


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("reader", [Plain(), Files(), Blocked()], ids=lambda r: type(r).__name__)
def test_offers_agrees_with_isinstance(reader, protocol):
    assert offers(reader, protocol) == isinstance(reader, protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("wrapped", [Plain(), Files(), Blocked()], ids=lambda r: type(r).__name__)
def test_a_forwarding_wrapper_offers_what_it_wraps(wrapped, protocol):
    # As `isinstance` decides on Python 3.11; from 3.12 it looks past `__getattr__`.
    assert offers(Forwarding(wrapped), protocol) == offers(wrapped, protocol)


def test_wrappers_of_the_same_type_offer_what_each_wraps():
    # Asked of each instance: a verdict kept per type would give one of these the other's.
    with_files, without = Forwarding(Files()), Forwarding(Plain())
    assert native_files(with_files, None) is FILES
    assert native_files(without, None) is None
    assert offers(with_files, NativeFilesReader) and not offers(without, NativeFilesReader)
