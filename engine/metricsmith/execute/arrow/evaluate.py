"""Evaluating bound formulas over Arrow data, each distinct sub-formula once.

Bound nodes compare equal regardless of where they were written, so the cache keyed by node
computes a sub-formula shared by several aggregates (or metrics) a single time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import assert_never

import pyarrow as pa
import pyarrow.compute as pc

from metricsmith.errors import ArithmeticOverflow, DataError, InternalError
from metricsmith.execute.arrow import operators
from metricsmith.execute.arrow.values import Datum, literal
from metricsmith.model import bound as b
from metricsmith.model.types import Type, arrow_type
from metricsmith.plan.formatting import format_expr
from metricsmith.plugins.functions import ScalarFunction
from metricsmith.plugins.provenance import calling_plugin, checked_values
from metricsmith.plugins.values import align_numbers, align_temporal, holds

#: The nodes an evaluator reads from what it evaluates over rather than computes: columns and
#: aggregates, and at a level the windows and `per` aggregates computed for its cells.
Leaf = b.BColumn | b.BAggregate | b.BWindow | b.BPer


class Evaluator:
    """Evaluates formulas; subclasses say what a column or an aggregate stands for."""

    def __init__(
        self,
        functions: Mapping[str, ScalarFunction],
        timezone: str,
        origin: str,
        parameters: Mapping[str, b.BLiteral],
    ):
        self.functions = functions
        self.timezone = timezone
        #: Named as the source of data errors raised while evaluating.
        self.origin = origin
        #: The value of each parameter (`Plan.parameters`).
        self.parameters = parameters
        self._cache: dict[b.BExpr, Datum] = {}

    def evaluate(self, node: b.BExpr) -> Datum:
        cached = self._cache.get(node)
        if cached is None:
            try:
                cached = self._compute(node)
            except pa.ArrowException as error:
                if operators.is_overflow(error):
                    expression = format_expr(node)
                    raise ArithmeticOverflow(
                        (), sources=[self.origin], expression=expression
                    ) from error
                raise DataError(
                    f"cannot compute `{format_expr(node)}`: {error}", source=self.origin
                ) from error
            self._cache[node] = cached
        return cached

    def leaf(self, node: Leaf) -> Datum:
        raise InternalError(f"{type(self).__name__} cannot evaluate {node!r}")

    def _compute(self, node: b.BExpr) -> Datum:
        match node:
            case b.BLiteral():
                return literal(node, self.timezone)
            case b.BParameter(name=name):
                return literal(self.parameters[name], self.timezone)
            case b.BColumn() | b.BAggregate():
                return self.leaf(node)
            case b.BUnary(op="not", operand=operand):
                value = self.evaluate(operand)
                return pc.invert(value.cast(pa.bool_()) if pa.types.is_null(value.type) else value)
            case b.BUnary(operand=operand):
                return operators.negate(self.evaluate(operand))
            case b.BBinary(op=op, left=left, right=right):
                return operators.binary(op, self.evaluate(left), self.evaluate(right))
            case b.BIsNull(operand=operand, negated=negated):
                value = self.evaluate(operand)
                return pc.is_valid(value) if negated else pc.is_null(value)
            case b.BInList():
                return self._in_list(node)
            case b.BCase():
                return self._case(node)
            case b.BCall():
                return self._call(node)
            case b.BOffset() | b.BWindow() | b.BPer() | b.BMetric():
                # Read at a level's cells (levels.py); metrics are expanded by check.
                raise InternalError(f"cannot evaluate {node!r} here")
            case _:
                assert_never(node)

    def _call(self, node: b.BCall) -> Datum:
        function = self.functions[node.function]
        args = [self.evaluate(arg) for arg in node.args]
        rows = [len(arg) for arg in args if not isinstance(arg, pa.Scalar)]
        if function.propagates_nulls and any(pa.types.is_null(arg.type) for arg in args):
            # No kernel takes an argument without a type; the answer is known anyway.
            dtype = arrow_type(node.type, self.timezone) or pa.null()
            return pa.nulls(rows[0], dtype) if rows else pa.scalar(None, dtype)
        with calling_plugin(function.provenance):
            result = function.arrow(*args)
        return checked_values(
            function.provenance,
            result,
            length=rows[0] if rows else None,
            declared=node.type,
            scalar_allowed=True,
        )

    def _in_list(self, node: b.BInList) -> Datum:
        # An equality per item joined by `or` gives SQL's answer with nulls for free:
        # `null in (1)` and `2 in (1, null)` are both unknown.
        operand = self.evaluate(node.operand)
        result = None
        for item in node.items:
            equal = operators.binary("==", operand, self.evaluate(item))
            result = equal if result is None else pc.or_kleene(result, equal)
        return pc.invert(result) if node.negated else result

    def _case(self, node: b.BCase) -> Datum:
        branches = [self.evaluate(value) for _, value in node.whens]
        default = self.evaluate(node.default) if node.default is not None else pa.scalar(None)
        *branches, default = align_numbers(align_temporal([*branches, default]))
        result = default
        # A condition that is null does not choose its branch.
        for (condition, _), value in zip(reversed(node.whens), reversed(branches), strict=True):
            result = pc.if_else(holds(self.evaluate(condition)), value, result)
        if node.type == Type.DECIMAL and pa.types.is_decimal(result.type):
            return operators.language_decimal(result)  # as the SQL engines' CASE
        target = arrow_type(node.type, self.timezone)
        if target is not None and result.type != target:
            result = pc.cast(result, target)
        return result
