"""Rows of one source, with the sources its entity links reach.

A formula whose columns all live behind the same link (`accounts.segment == "enterprise"` over
tickets) is evaluated on the linked source's rows — usually far fewer — and the answers are
then fetched for each row through the link's row indices. Every linked source gets one extra
all-null row that unmatched link values point at, so a formula over a missing row gives what a
SQL left join would (`coalesce(accounts.segment, "none")` is "none", not null).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import DataError
from metricsmith.execute.arrow.evaluate import Evaluator, Leaf
from metricsmith.execute.arrow.values import Datum, as_array, take_indices
from metricsmith.execute.data.keys import require_unique_key
from metricsmith.model import bound as b
from metricsmith.plugins.functions import ScalarFunction
from metricsmith.plugins.values import dictionary_encode, holds


class Sources:
    """The tables read for a query, and the frames of linked sources built from them (shared
    by every scan of the query)."""

    def __init__(
        self,
        project: CheckedProject,
        tables: Mapping[str, pa.Table],
        functions: Mapping[str, ScalarFunction],
        timezone: str,
        parameters: Mapping[str, b.BLiteral] | None = None,
    ):
        self.project = project
        self.tables = tables
        self.functions = functions
        self.timezone = timezone
        #: The query's parameter values; the declared defaults outside a query (contracts).
        self.parameters = (
            {
                name: b.BLiteral(value=info.default, type=info.type)
                for name, info in project.parameters.items()
            }
            if parameters is None
            else parameters
        )
        self._frames: dict[str, RowFrame] = {}
        self._linked: dict[str, RowFrame] = {}
        self._key_tables: dict[str, KeyTable | None] = {}
        self._batch: RowFrame | None = None
        self._whole = self  # the sources a batch's belong to

    def with_batch(self, source: str, batch: pa.Table) -> Sources:
        """These sources with `batch`, some rows of `source`, in place of `source`'s rows:
        the frames of the other sources (and what was evaluated over them) are shared, so a
        link is looked up once for all the batches."""
        batched = Sources(self.project, self.tables, self.functions, self.timezone)
        batched._whole = self
        # The batch's frame follows links through these sources (a source read in batches is
        # not linked to), and no cycle keeps the batch alive once it is done.
        batched._batch = RowFrame(source, batch, self)
        return batched

    def frame(self, source: str) -> RowFrame:
        """Every row read of `source` (one frame per query, so what a formula evaluates to
        is shared by every grouped pass over the source)."""
        if self._batch is not None:
            # The other sources' frames are the whole query's: nothing evaluated over them
            # keeps a batch alive.
            return self._batch if source == self._batch.source else self._whole.frame(source)
        if source not in self._frames:
            self._frames[source] = RowFrame(source, self.tables[source], self)
        return self._frames[source]

    def linked(self, source: str) -> RowFrame:
        """The frame link lookups land in: every row of `source` plus one all-null row."""
        if self._batch is not None:
            return self._whole.linked(source)
        if source not in self._linked:
            key = self.project.sources[source].key
            assert key is not None, "the checker only accepts links to sources with a key"
            require_unique_key(source, self.frame(source).named(key), key)
            table = self.tables[source]
            empty = pa.table({f.name: pa.nulls(1, f.type) for f in table.schema})
            self._linked[source] = RowFrame(source, pa.concat_tables([table, empty]), self)
        return self._linked[source]

    def row_indices(self, source: str, link: str, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """For each link value, the row of the linked source holding that key (the null row
        when there is none)."""
        target = self.project.sources[source].links[link]
        key = self.project.sources[target].key
        assert key is not None, "the checker only accepts links to sources with a key"
        keys = self.frame(target).named(key)
        if target not in self._key_tables:
            self._key_tables[target] = KeyTable.of(keys) if len(keys) else None
        found = positions_of(values, keys, source, link, self._key_tables[target])
        return pc.fill_null(found, len(keys)) if found.null_count else found


# Fewer values than this are looked up among keys by hashing (a table would not pay).
_TABLE_FROM_VALUES = 1 << 16
# Values read at once where a pass over a whole column needs no more.
_SLICE = 1 << 20


def all_true(frame: RowFrame, conditions: Sequence[b.BExpr]) -> np.ndarray:
    """Rows where every condition is true (null counts as false)."""
    keep = np.ones(frame.num_rows, dtype=bool)
    for condition in conditions:
        values = as_array(frame.evaluate(condition), frame.num_rows)
        keep &= holds(values).to_numpy(zero_copy_only=False)
    return keep


def positions_of(
    values: pa.Array | pa.ChunkedArray,
    keys: pa.Array,
    source: str,
    column: str,
    table: KeyTable | None = None,
) -> pa.Array:
    """For each value (of `source.column`), the position of the equal key (null: none).
    `table`: the keys' `KeyTable`, when the caller keeps it for several lookups."""
    if pa.types.is_null(keys.type):  # no key at all (an empty file): nothing is named
        return pa.nulls(len(values), pa.int32())
    if values.type != keys.type:
        try:
            values = pc.cast(values, keys.type)
        except pa.ArrowException as error:
            raise DataError(
                f"the values cannot be compared with the key they name ({keys.type}): {error}",
                source=source,
                column=column,
            ) from error
    if table is None and len(values) >= _TABLE_FROM_VALUES:
        table = KeyTable.of(keys)
    # A null value names nothing, even if some key is (wrongly) null.
    found = table.find(values) if table is not None else None
    if found is None:
        found = pc.index_in(values, value_set=keys, skip_nulls=True)
    return found.combine_chunks() if isinstance(found, pa.ChunkedArray) else found


@frozen(eq=False)
class KeyTable:
    """Integer keys of a compact range as a table with a slot per integer of the range
    (the key's position, -1 for none), so finding a value is one subtraction and one read
    instead of a hash lookup. Built once per linked source and query: a source read in
    batches looks its links up in every batch."""

    low: int
    slots: np.ndarray

    @classmethod
    def of(cls, keys: pa.Array) -> KeyTable | None:
        """The table of `keys`; None unless they are integers spread over a compact range."""
        if not pa.types.is_signed_integer(keys.type):
            return None
        valid_keys = keys.is_valid().to_numpy(zero_copy_only=False)
        numbers = pc.fill_null(keys, 0).to_numpy().astype(np.int64)
        if not valid_keys.any():
            return None
        low, high = int(numbers[valid_keys].min()), int(numbers[valid_keys].max())
        if high - low > 4 * len(keys) + _TABLE_FROM_VALUES:
            return None
        slots = np.full(high - low + 1, -1, dtype=np.int32)
        positions = np.flatnonzero(valid_keys).astype(np.int32)
        # Assigned last to first: a key repeated (wrongly) is found at its first position.
        slots[numbers[positions][::-1] - low] = positions[::-1]
        return cls(low, slots)

    def find(self, values: pa.Array | pa.ChunkedArray) -> pa.Array | None:
        """Each value's key position (null: none); None for values that are not integers.
        The values are read as they are, chunk by chunk and a slice at a time: no combined
        copy and no offsets as large as the values (over 10M events, 80 MB each)."""
        if not pa.types.is_integer(values.type):
            return None
        found = np.empty(len(values), dtype=self.slots.dtype)
        offsets = np.empty(min(len(values), _SLICE), dtype=np.int64)  # one buffer for all
        done = 0
        for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
            for start in range(0, len(chunk), _SLICE):
                part = chunk.slice(start, _SLICE)
                self._find_part(part, found[done : done + len(part)], offsets[: len(part)])
                done += len(part)
        return take_indices(found)

    def _find_part(self, values: pa.Array, found: np.ndarray, offsets: np.ndarray) -> None:
        """`find` of some values, written to `found`; `offsets` is scratch of their length."""
        low, high = self.low, self.low + len(self.slots) - 1
        wanted = _filled(values, low).astype(np.int64, copy=False)
        if values.null_count == 0 and len(wanted) and low <= wanted.min() and wanted.max() <= high:
            # Every value names a slot (the usual case): one gather, no masks.
            np.subtract(wanted, low, out=offsets)
            # `clip`: the offsets are in range (with an `out`, the default mode checks each
            # through a buffer).
            np.take(self.slots, offsets, out=found, mode="clip")
            return
        inside = (
            values.is_valid().to_numpy(zero_copy_only=False) & (wanted >= low) & (wanted <= high)
        )
        found.fill(-1)
        found[inside] = self.slots[wanted[inside] - low]


@frozen
class _Link:
    """Where a link leads: the linked source's frame and, for each row, its row there (as
    Arrow indices and as numpy positions)."""

    frame: RowFrame
    rows: pa.Array
    positions: np.ndarray


class RowFrame(Evaluator):
    """Evaluates row formulas over the rows of `table`, which belong to `source`."""

    def __init__(self, source: str, table: pa.Table, sources: Sources):
        super().__init__(sources.functions, sources.timezone, source, sources.parameters)
        self.source = source
        self.table = table
        self.sources = sources
        self._links: dict[str, _Link] = {}
        self._codes: dict[b.BExpr, tuple[np.ndarray, pa.Array]] = {}
        #: One id per row for combinations of formulas, with how many ids there can be,
        #: kept for every pass over this frame grouping by the same ones (grouping.py,
        #: `combined_codes`).
        self.combined: dict[tuple[b.BExpr, ...], tuple[np.ndarray, int]] = {}

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    def leaf(self, node: Leaf) -> Datum:
        if isinstance(node, b.BColumn) and not node.path:
            return self.table[node.column]
        return super().leaf(node)

    def named(self, column: str) -> pa.Array:
        """The values of a column named as a key, time or link column: read, or derived (its
        formula evaluated here, once per frame)."""
        value = self.evaluate(self.sources.project.sources[self.source].value_of(column))
        return as_array(value, self.num_rows)

    def _compute(self, node: b.BExpr) -> Datum:
        link = shared_link(node)
        if link is None:
            return super()._compute(node)
        followed = self._follow(link)
        value = followed.frame.evaluate(past_link(node))
        return value if isinstance(value, pa.Scalar) else pc.take(value, followed.rows)

    def linked_rows(self, link: str) -> np.ndarray:
        """For each row, the row of the source `link` leads to that it names (that source's
        row count: none)."""
        return self._follow(link).positions

    def behind(self, link: str) -> RowFrame:
        """The frame `link` leads to: every row of the linked source, then the null row that
        rows naming none point at (`linked_rows`)."""
        return self._follow(link).frame

    def _follow(self, link: str) -> _Link:
        if link not in self._links:
            info = self.sources.project.sources[self.source]
            # The values as read (in chunks): looked up without a combined copy.
            values = self.evaluate(info.value_of(link))
            if not isinstance(values, pa.ChunkedArray):
                values = as_array(values, self.num_rows)
            rows = self.sources.row_indices(self.source, link, values)
            target = info.links[link]
            self._links[link] = _Link(self.sources.linked(target), rows, rows.to_numpy())
        return self._links[link]

    def codes(self, node: b.BExpr) -> tuple[np.ndarray, pa.Array]:
        """Integer codes for the formula's values (equal values, equal codes; null gets
        `len(dictionary)`) and the dictionary of distinct non-null values."""
        if node not in self._codes:
            link = shared_link(node)
            if link is not None:
                followed = self._follow(link)
                codes, dictionary = followed.frame.codes(past_link(node))
                result = codes[followed.positions], dictionary
            else:
                values = self.evaluate(node)
                if not isinstance(values, pa.ChunkedArray):
                    values = as_array(values, self.num_rows)
                result = _offset_codes(values) or _encoded_codes(as_array(values, self.num_rows))
            self._codes[node] = result
        return self._codes[node]

    def dictionary(self, node: b.BExpr) -> pa.Array:
        """The dictionary of `codes`; of a formula behind a link, found over the linked
        source's rows alone (no code looked up for each row of this one)."""
        link = shared_link(node)
        if link is None or node in self._codes:
            return self.codes(node)[1]
        return self.behind(link).codes(past_link(node))[1]


def _encoded_codes(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    encoded = dictionary_encode(values)
    dictionary = encoded.dictionary
    indices = pc.fill_null(encoded.indices, len(dictionary))
    return indices.to_numpy(zero_copy_only=False), dictionary


# The largest code kept in 32 bits (a module name, so a test can make it small).
_NARROW_CODES = np.iinfo(np.int32).max


def _offset_codes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array] | None:
    """Codes of integers over a compact range without hashing them: each value's offset from
    the smallest, and every integer of the range as the dictionary (some perhaps in no row).
    None for other values. The codes are 32-bit when the null's code (one past the range)
    fits, as `dictionary_encode`'s are: half the memory of int64 (10M events: 40 MB less per
    column)."""
    kind = values.type
    fits = pa.types.is_signed_integer(kind) or (
        pa.types.is_unsigned_integer(kind) and kind.bit_width <= 32
    )
    if not fits or values.null_count == len(values):
        return None
    low, high = (int(s.as_py()) for s in pc.min_max(values).values())
    if high - low >= max(len(values), 1 << 16):
        return None  # sparse: the dictionary would hold mostly integers of no row
    dtype = np.int32 if high - low + 1 <= _NARROW_CODES else np.int64
    offsets = np.empty(len(values), dtype=dtype)
    done = 0
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        # Subtracted in int64 (no narrow input wraps), written narrowed where it goes: no
        # combined copy of the chunks, no widened one.
        part = offsets[done : done + len(chunk)]
        np.subtract(_filled(chunk, low), low, out=part, dtype=np.int64, casting="same_kind")
        if chunk.null_count:
            # A null's code is one past the dictionary, as with dictionary_encode.
            part[~chunk.is_valid().to_numpy(zero_copy_only=False)] = high - low + 1
        done += len(chunk)
    dictionary = pa.array(np.arange(low, high + 1), pa.int64()).cast(values.type)
    return offsets, dictionary


def _filled(values: pa.Array, fill: int) -> np.ndarray:
    """The integers as numpy, nulls replaced by `fill`; without nulls, the values' own buffer
    (filling copied 10M account ids for nothing, a tenth of the health score's passes)."""
    if values.null_count:
        values = pc.fill_null(values, fill)
    return values.to_numpy(zero_copy_only=False)


def shared_link(node: b.BExpr) -> str | None:
    """The first link every column of the formula lies behind, if they all share one."""
    links = {c.path[0] if c.path else None for c in b.bwalk(node) if isinstance(c, b.BColumn)}
    return links.pop() if len(links) == 1 else None


def past_link(node: b.BExpr) -> b.BExpr:
    """The formula as seen from the linked source (every column's path one link shorter)."""

    def shorten(sub: b.BExpr) -> b.BExpr:
        return attrs.evolve(sub, path=sub.path[1:]) if isinstance(sub, b.BColumn) else sub

    return b.bmap(node, shorten)
