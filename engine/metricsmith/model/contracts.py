"""Data contracts: what a source's data promises (`expect ...`, and a `key`'s uniqueness),
resolved by the checker, and what verifying them against the data found.

A contract is a promise about data, so `check` can only resolve it (columns exist, types fit);
whether it holds is known once the data is read. `Verification` records that answer, so a
consumer such as the planner can ask whether a fact it would rely on has been verified.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence

from attrs import field, frozen

from metricsmith.model.bound import BBinary, BColumn, BExpr, BIsNull
from metricsmith.model.span import NO_SPAN, Span

#: How many failing rows a result keeps as examples.
EXAMPLE_ROWS = 5


class ContractKind(enum.Enum):
    KEY = "key"  # implied by `key x`: its values are unique
    UNIQUE = "unique"  # `expect unique a, b`
    IN = "in"  # `expect x in target`: every non-null value is a key of target
    CONDITION = "condition"  # `expect <row condition>`: no row makes it false


@frozen(kw_only=True)
class Contract:
    """One resolved promise about the rows of `source`.

    `values` are the row formulas the contract reads, each with the label a report shows it
    under: the columns of a uniqueness contract, the value that must be a key of `target`, or
    every name a condition mentions (derived columns and linked columns included). `condition`
    is the bound condition of a CONDITION contract. Two contracts written identically are
    equal wherever they were written (the span is not compared)."""

    source: str
    kind: ContractKind
    text: str
    values: tuple[tuple[str, BExpr], ...]
    condition: BExpr | None = None
    target: str | None = None
    span: Span = field(eq=False, repr=False, default=NO_SPAN)

    @property
    def declared(self) -> bool:
        """Written with `expect` (a key's uniqueness is implied, not written)."""
        return self.kind is not ContractKind.KEY


@frozen(kw_only=True)
class Example:
    """A row that breaks a contract: its 1-based data row and the values the contract read."""

    row: int
    values: tuple[tuple[str, object], ...]


@frozen(kw_only=True)
class ContractResult:
    """What checking one contract against all the rows of its source found. `error` says why
    it could not be checked (unreadable data, a repeated key on a link it follows)."""

    contract: Contract
    rows_checked: int
    failing_rows: int
    examples: tuple[Example, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.failing_rows == 0 and self.error is None

    def summary(self) -> str:
        """`3 of 120 rows break it (rows 4, 9, 12)`."""
        if self.error is not None:
            return self.error
        if self.passed:
            return f"holds on {_rows(self.rows_checked)}"
        shown = ", ".join(str(example.row) for example in self.examples)
        more = ", …" if self.failing_rows > len(self.examples) else ""
        return (
            f"{self.failing_rows} of {_rows(self.rows_checked)} break it "
            f"(row{'s' if len(self.examples) > 1 else ''} {shown}{more})"
        )


@frozen
class Verification:
    """What a consumer such as the planner may rely on: it asks about a fact, and the
    contracts that state it are verified against the data first (`verify` checks them, once
    each). A fact holds only when a contract stating it was verified and passed; a fact no
    contract states, or one whose contract fails or cannot be checked, does not hold."""

    contracts: tuple[Contract, ...]
    verify: Callable[[Sequence[Contract]], Sequence[ContractResult]] = field(eq=False)

    def holds(self, contract: Contract) -> bool:
        return contract in self.contracts and self.verify([contract])[0].passed

    def unique(self, source: str, columns: Iterable[str]) -> bool:
        """Whether the rows of `source` are unique on exactly these columns."""
        wanted = tuple(columns)
        return self._any(
            c
            for c in self.contracts
            if c.source == source
            and c.kind in (ContractKind.KEY, ContractKind.UNIQUE)
            and tuple(label for label, _ in c.values) == wanted
        )

    def link_complete(self, source: str, column: str, target: str) -> bool:
        """Whether every row of `source` names an existing row of `target` through `column`:
        the values are keys of `target` and are present (no nulls). This is what lets a join
        along the link drop unmatched rows without changing any answer."""
        return bool(self.complete_link(source, column, target))

    def complete_link(self, source: str, column: str, target: str) -> tuple[Contract, ...]:
        """The contracts that make the link complete (`link_complete`), verified to hold: one
        saying its values are keys of `target`, one that they are present; none unless both."""
        member = self._first(
            c
            for c in self.contracts
            if c.source == source
            and c.kind is ContractKind.IN
            and c.target == target
            and c.values[0][0] == column
        )
        if member is None:
            return ()
        present = self.present(source, column)
        return (member, *present) if present else ()

    def present(self, source: str, column: str) -> tuple[Contract, ...]:
        """The contract saying `column` of `source` is never null, verified to hold (none
        when no contract says so)."""
        found = self._first(
            c
            for c in self.contracts
            if c.source == source
            and c.condition is not None
            and any(_requires(part, column) for part in conjuncts(c.condition))
        )
        return () if found is None else (found,)

    def _any(self, candidates: Iterable[Contract]) -> bool:
        return self._first(candidates) is not None

    def _first(self, candidates: Iterable[Contract]) -> Contract | None:
        return next((c for c in candidates if self.holds(c)), None)


def conjuncts(condition: BExpr) -> list[BExpr]:
    """`a and b and c` as [a, b, c]: each part holds on every row when the whole does."""
    if isinstance(condition, BBinary) and condition.op == "and":
        return [*conjuncts(condition.left), *conjuncts(condition.right)]
    return [condition]


def _requires(condition: BExpr, column: str) -> bool:
    """Whether the condition is `column is not null` over the source's own column."""
    operand = condition.operand if isinstance(condition, BIsNull) else None
    return (
        isinstance(condition, BIsNull)
        and condition.negated
        and isinstance(operand, BColumn)
        and not operand.path
        and operand.column == column
    )


def _rows(n: int) -> str:
    return f"{n} row{'' if n == 1 else 's'}"
