"""How a plugin's function reaches SQL: through the `sql` field of its registration
(`ScalarFunction.sql`, `AggregateFunction.sql`, plugins/functions.py; docs/plugins.md).

`sql(dialect_name, *args)` takes and returns sqlglot expressions, and raises
NotImplementedError for a dialect it does not support. Without it, or when it refuses, the
query fails at compile time naming the function and the dialect; when it raises anything else
or returns something other than an expression, the failure names the plugin.
"""

from __future__ import annotations

from sqlglot import exp

from metricsmith.execute.sql.errors import UnsupportedConstruct
from metricsmith.plugins.functions import AggregateFunction, ScalarFunction
from metricsmith.plugins.provenance import calling_plugin, from_a_plugin


def plugin_sql(
    function: ScalarFunction | AggregateFunction | None,
    construct: str,
    dialect: str,
    *args: exp.Expression | None,
) -> exp.Expression:
    """The SQL of a call of a plugin's `function` (`construct` names it in refusals). An
    aggregate counting rows (`f(source)`) gets None for its value."""
    if function is None or function.sql is None:
        raise UnsupportedConstruct(construct, dialect, "it has no SQL implementation")
    sql, provenance = function.sql, function.provenance
    with calling_plugin(provenance, f"while compiling to {dialect}"):
        try:
            compiled = sql(dialect, *args)
        except NotImplementedError as refusal:
            reason = str(refusal) or "not implemented"
            raise UnsupportedConstruct(construct, dialect, reason) from None
    if not isinstance(compiled, exp.Expression) and from_a_plugin(provenance):
        raise provenance.failure(
            f"returned {type(compiled).__name__} from `sql`, not a sqlglot expression"
        )
    return compiled
