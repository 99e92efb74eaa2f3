"""A level's formulas evaluated at some of its cells only.

Combining a child level needs its formulas only at the cells in an iteration — the entities
in their sets, in the periods the parent reads — often a fraction of the grid (a member
before it signs up is in no set). A leaf is its column taken at those cells; an offset
evaluates its operand at the cells it reads instead, the same unit's some periods back or
at its cohort's start.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from metricsmith.execute.arrow.evaluate import Evaluator, Leaf
from metricsmith.execute.arrow.grid import LevelCells
from metricsmith.execute.arrow.values import Datum, take_indices
from metricsmith.model import bound as b
from metricsmith.plan.offsets import offset_shift


class CellSubset(Evaluator):
    """The formulas of a level (`level`) at `cells` (cell numbers, -1 for none)."""

    def __init__(self, level: LevelCells, cells: np.ndarray):
        super().__init__(level.functions, level.timezone, level.origin, level.parameters)
        self.level = level
        self.cells = cells
        self._indices = take_indices(cells)
        self._shifted: dict[b.BOffset, CellSubset] = {}

    def leaf(self, node: Leaf) -> Datum:
        value = self.level.leaf(node)
        if isinstance(value, pa.Scalar):
            return value
        return value.take(self._indices)

    def _compute(self, node: b.BExpr) -> Datum:
        match node:
            case b.BOffset():
                return self._read_at(node).evaluate(node.operand)
            case b.BWindow() | b.BPer():
                return self.leaf(node)
        return super()._compute(node)

    def _read_at(self, node: b.BOffset) -> CellSubset:
        """The cells an offset reads: the same unit's, periods back or at its cohort's."""
        if node not in self._shifted:
            grid = self.level.grid
            if node.unit == "cohort":
                read = self.level.cohort_cells_at(self.cells)
            else:
                back = offset_shift(node, grid.timeline.grain, "") * grid.unit_count
                read = np.where(self.cells >= back, self.cells - back, -1)
            self._shifted[node] = CellSubset(self.level, read)
        return self._shifted[node]
