"""Scalar and aggregate functions available in formulas, as plugins register them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from attrs import field, frozen

from metricsmith.model.types import Type
from metricsmith.plugins.provenance import Provenance

if TYPE_CHECKING:
    from sqlglot import exp

#: Given the argument types, the result type, or a message saying why the call is wrong.
Signature = Callable[[Sequence[Type]], "Type | str"]

#: Stands, in the arguments handed to `ScalarFunction.constants`, for one that is not a constant.
NOT_CONSTANT = object()

#: A function's SQL: (the dialect's name, the arguments as sqlglot expressions) -> a sqlglot
#: expression. It raises NotImplementedError (its message saying why) for a dialect it does
#: not support; the SQL engines then refuse the query naming the function and the dialect.
SqlForm = Callable[..., "exp.Expression"]


@frozen
class ScalarFunction:
    """A row-level function. `arrow` receives evaluated arguments (Arrow arrays or scalars of
    equal length) and returns an Arrow array. `constants`, when given, checks a well-typed call
    before any data is read: it receives each argument's value where the argument is written as
    a constant (`NOT_CONSTANT` elsewhere) and returns what is wrong, or None."""

    name: str
    min_args: int
    max_args: int | None
    signature: Signature
    arrow: Callable[..., pa.Array | pa.ChunkedArray | pa.Scalar]
    doc: str
    example: str
    constants: Callable[[Sequence[object]], str | None] | None = None
    #: Whether a null argument makes the result null (true of every function but those that
    #: choose among values, like `coalesce`). Then an argument without a type (the literal
    #: `null`, a column without a single value) gives null of the call's type on every engine,
    #: without the function being called: what type its nulls would have is unknown.
    propagates_nulls: bool = True
    #: How the SQL engines compile a call: `sql(dialect, *args)` (see `SqlForm`). Without it,
    #: a query calling the function runs on the Arrow engine only.
    sql: SqlForm | None = field(default=None, kw_only=True)
    #: Set by the registry: the plugin that registered the function, named when it fails.
    provenance: Provenance | None = field(default=None, eq=False, kw_only=True)


class Additive(StrEnum):
    """What each row adds to an additive aggregate: the aggregate over rows is the total of
    their weights, so a pass can add a row's weight where its range of periods starts and take
    it away after it ends instead of repeating the row in every period (plan/physical.py)."""

    #: 1 for a row whose value is not null (and that meets the condition).
    COUNT = "count"
    #: The row's value.
    VALUE = "value"


class Pick(StrEnum):
    """Which row an ordered aggregate takes its value from: the one ordered last or first."""

    LARGEST = "largest"
    SMALLEST = "smallest"


class OrderedBy(StrEnum):
    """What orders the rows of an ordered aggregate."""

    #: The source's `time` column (`last`, `first`).
    TIME = "time"
    #: The call's second argument, a row formula (`max_by(x, y)`).
    ARGUMENT = "argument"


@frozen
class Ordering:
    """An aggregate that returns its value at one row: the row whose (order, value) pair is
    the largest (or smallest), among the rows where both are not null. Comparing the value
    after the order breaks ties between rows of equal order the same way on every engine."""

    pick: Pick
    by: OrderedBy


#: A grouped implementation: (values, each row's group id in 0..n-1 as int64, in row order, n
#: groups, params) -> n results, one per group id.
GroupedImpl = Callable[[pa.Array, np.ndarray, int, Sequence[float]], pa.Array]


@frozen
class AggregateFunction:
    """An aggregate over rows. `hash_name` names a pyarrow hash aggregation (fused into the
    single grouped pass per source); otherwise `grouped` computes it from the rows' group ids."""

    name: str
    #: The result type given the argument's type (None for `count(source)`), or a message.
    signature: Callable[[Type | None], Type | str]
    doc: str
    example: str
    #: Number of constant parameters after the value (percentile's fraction).
    params: int = 0
    #: Whether `f(source)` without a column is meaningful (count).
    counts_rows: bool = False
    #: Value for a group with no rows: 0 for count/sum, None for the others.
    empty: int | float | None = None
    hash_name: str | None = None
    grouped: GroupedImpl | None = None
    #: How the SQL engines compile a call: `sql(dialect, value, *params)`, the value already
    #: null where the aggregate's `where` does not hold (see `SqlForm`).
    sql: SqlForm | None = field(default=None, kw_only=True)
    #: Set for an aggregate that returns its value at one row (`last`, `max_by`). Its
    #: `grouped` then receives a struct array with fields `value` and `order` (null where the
    #: aggregate's `where` does not hold), and `params` must be 0; the SQL engines compile the
    #: pick themselves (`sql` is not used).
    ordering: Ordering | None = field(default=None, kw_only=True)
    #: Whether the aggregate is the total of each row's weight, and which weight (None: it is
    #: not, e.g. an average or a maximum). Engines add only integer totals so.
    additive: Additive | None = field(default=None, kw_only=True)
    #: Whether the result depends only on which values each group has, not on how often
    #: (a distinct count): an engine may drop repeated values and nulls before computing it.
    ignores_repeats: bool = field(default=False, kw_only=True)
    #: Set by the registry: the plugin that registered the function, named when it fails.
    provenance: Provenance | None = field(default=None, eq=False, kw_only=True)


@frozen
class FunctionTable:
    """The functions a project is checked with, by name; the checked project carries them to
    planning and execution, so a query runs with the functions its formulas were typed by."""

    scalars: Mapping[str, ScalarFunction]
    aggregates: Mapping[str, AggregateFunction]
