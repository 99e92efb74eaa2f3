"""The results of `metricsmith test` as a terminal table: one row per contract, with the rows
that break it shown beneath its verdict."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from metricsmith.model.contracts import ContractResult, Example
from metricsmith.present.values import format_cell

HOLDS = ("✓ holds", "green")
BROKEN = ("✗", "red")
UNCHECKED = ("? not checked", "yellow")


def contracts_table(results: Sequence[ContractResult]) -> Table:
    out = Table(show_edge=False, header_style="bold")
    out.add_column("source")
    out.add_column("contract")
    out.add_column("where")
    out.add_column("rows", justify="right")
    out.add_column("result")
    for result in results:
        contract = result.contract
        span = contract.span
        where = f"{span.path}:{span.line}" if span.line else ""
        out.add_row(
            contract.source, contract.text, where, str(result.rows_checked), _verdict(result)
        )
    return out


def _verdict(result: ContractResult) -> Text:
    if result.error is not None:
        text, style = UNCHECKED
        return Text(f"{text}: {result.error}", style=style)
    if result.passed:
        return Text(*HOLDS)
    glyph, style = BROKEN
    lines = [f"{glyph} {result.failing_rows} failing"]
    lines += [_example(example) for example in result.examples]
    if result.failing_rows > len(result.examples):
        lines.append(f"  … {result.failing_rows - len(result.examples)} more")
    return Text("\n".join(lines), style=style)


def _example(example: Example) -> str:
    values = ", ".join(f"{label} = {format_cell(value)}" for label, value in example.values)
    return f"  row {example.row}: {values}" if values else f"  row {example.row}"


def summary(results: Sequence[ContractResult]) -> str:
    """`12 contracts: 10 hold, 2 broken`."""
    held = sum(1 for r in results if r.passed)
    unchecked = sum(1 for r in results if r.error is not None)
    broken = len(results) - held - unchecked
    parts = [f"{held} hold", f"{broken} broken"]
    if unchecked:
        parts.append(f"{unchecked} not checked")
    noun = "contract" if len(results) == 1 else "contracts"
    return f"{len(results)} {noun}: {', '.join(parts)}"
