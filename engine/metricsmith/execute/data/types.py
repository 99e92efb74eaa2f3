"""The Arrow types of the language's types, as every engine returns them."""

from __future__ import annotations

import pyarrow as pa

from metricsmith.model.types import ARROW_FOR_TYPE, Type


def arrow_type(type_: Type, timezone: str) -> pa.DataType | None:
    """The Arrow type values of a language type have in the executor (timestamps carry the
    calendar's zone); None for types without one (null, unknown)."""
    if type_ == Type.TIMESTAMP:
        return pa.timestamp("us", tz=timezone)
    return ARROW_FOR_TYPE.get(type_)
