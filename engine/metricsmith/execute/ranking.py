"""Ranked lists: the order of a query's answer, its first N rows, and its first N rows per
group ("the 10 accounts most at risk", "the top 3 plans per segment"; docs/language.md,
"Ranked lists").

Ranking is one step on the answer's Arrow table after the engine has computed it, the same
code whichever engine ran the query: the answer is small (one row per period and slice), and
one implementation makes the rows and their order identical on every engine by construction,
ties and nulls included, where four SQL dialects would each need their null ordering and
collation pinned.

The order is total, so every engine's answer ranks the same way:
- the rows are grouped by the `per` columns (and, with a time grain, by the period first,
  unless the period is named in `order_by` or `per`): groups in ascending order;
- within a group, by the `order_by` keys, each ascending or descending (`-mrr`, `mrr:desc`);
- ties are broken by the other columns of the answer, ascending, in the answer's order;
- nulls come last, in ascending and descending order alike (a metric without a value is never
  "the top").
`limit` keeps the first N rows of each group (of the whole answer without groups).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import QueryError

#: The suffixes that set a key's direction; a leading `-` is descending too.
DESCENDING = ":desc"
ASCENDING = ":asc"


@frozen
class OrderKey:
    """One key of the order: a column of the answer, descending or not."""

    column: str
    descending: bool = False

    @classmethod
    def parse(cls, text: str) -> OrderKey:
        """`mrr`, `mrr:asc`, `-mrr` or `mrr:desc`."""
        name = text.strip()
        if name.startswith("-"):
            return cls(name[1:].strip(), descending=True)
        if name.endswith(DESCENDING):
            return cls(name.removesuffix(DESCENDING), descending=True)
        return cls(name.removesuffix(ASCENDING))


@frozen
class Ranking:
    """How to rank an answer: `order_by` keys, the first `limit` rows (None: all) of each
    group of equal `per` columns."""

    order_by: tuple[OrderKey, ...] = ()
    limit: int | None = None
    per: tuple[str, ...] = ()

    @property
    def requested(self) -> bool:
        return bool(self.order_by) or self.limit is not None


def ranking_of(
    order_by: Sequence[str] | str,
    limit: int | None,
    per: Sequence[str] | str,
    by: Sequence[str],
) -> Ranking:
    """The ranking the user asks for, checked against the query's `--by` columns: a limit is
    a positive whole number, `per` names `--by` columns and needs a limit."""
    keys = tuple(OrderKey.parse(k) for k in _names(order_by))
    groups = _names(per)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise QueryError(
            f"`--limit` must be a positive whole number of rows, not {limit!r}",
            hint="`--limit 10` keeps the first 10 rows (of each `--per` group)",
        )
    for key in keys:
        if not key.column:
            raise QueryError("`--order-by` has an empty name", hint="write `mrr` or `-mrr`")
    for name in groups:
        if name not in by:
            add = f"add `--by {name}` to group by it"
            close = did_you_mean(name, by)
            hint = f"{close} Or {add}" if close else add
            raise QueryError(f"`--per` names `{name}`, which is not a `--by` column", hint=hint)
    if groups and limit is None:
        raise QueryError(
            "`--per` needs `--limit`: it keeps the first N rows of each group",
            hint=f"add `--limit 3` for the top 3 per {', '.join(groups)}",
        )
    return Ranking(keys, limit, groups)


def check_columns(ranking: Ranking, columns: Sequence[str]) -> None:
    """Refuse an order-by name that is not a column of the answer (`columns`)."""
    for key in ranking.order_by:
        if key.column not in columns:
            listed = ", ".join(f"`{c}`" for c in columns)
            hint = did_you_mean(key.column, columns) or f"the answer's columns are {listed}"
            raise QueryError(
                f"`--order-by` names `{key.column}`, which is not a column of the result",
                hint=hint,
            )


def ranked(table: pa.Table, ranking: Ranking, period: str | None) -> pa.Table:
    """`table` (a query's answer, whose period column is `period` with a time grain) in the
    order of `ranking`, cut to its limit per group."""
    if not ranking.requested:
        return table
    check_columns(ranking, table.column_names)
    ordered = {k.column for k in ranking.order_by}
    groups = list(ranking.per)
    if period is not None and period not in ordered and period not in groups:
        groups.insert(0, period)  # a ranking is within each period unless it says otherwise
    keys = [(c, "ascending") for c in groups]
    keys += [(k.column, "descending" if k.descending else "ascending") for k in ranking.order_by]
    named = ordered | set(groups)
    keys += [(c, "ascending") for c in table.column_names if c not in named]
    table = table.take(_sort_indices(table, keys))
    if ranking.limit is None:
        return table
    if not groups:
        return table.slice(0, ranking.limit)
    return table.filter(pa.array(_position_in_group(table, groups) < ranking.limit))


def _sort_indices(table: pa.Table, keys: Sequence[tuple[str, str]]) -> pa.Array:
    """The order of `table`'s rows by `keys` (column, "ascending" or "descending"), nulls
    last in both directions: each column is preceded by whether it is null, which works on
    every pyarrow the project supports (where a null placement per key does not)."""
    columns, sort_keys = {}, []
    for i, (name, direction) in enumerate(keys):
        column = table.column(name)
        columns[f"null{i}"] = pc.is_null(column)
        columns[f"value{i}"] = column
        sort_keys += [(f"null{i}", "ascending"), (f"value{i}", direction)]
    return pc.sort_indices(pa.table(columns), sort_keys=sort_keys)


def _position_in_group(table: pa.Table, groups: Sequence[str]) -> np.ndarray:
    """Each row's position in its group, the rows sorted by `groups` first."""
    rows = table.num_rows
    starts = np.zeros(rows, dtype=bool)
    if rows:
        starts[0] = True
    for name in groups:
        column = table.column(name)
        before, after = column.slice(0, rows - 1), column.slice(1)
        # Two nulls are the same group; a null and a value are not.
        differs = pc.or_(
            pc.fill_null(pc.not_equal(before, after), False),
            pc.xor(pc.is_null(before), pc.is_null(after)),
        )
        starts[1:] |= differs.to_numpy(zero_copy_only=False)
    index = np.arange(rows)
    return index - np.maximum.accumulate(np.where(starts, index, 0))


def _names(value: Sequence[str] | str) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)
