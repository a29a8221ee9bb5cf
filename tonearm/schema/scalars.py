"""Custom GraphQL scalars."""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def _long(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Long cannot represent a non-integer value: {value!r}")
    if not LONG_MIN <= value <= LONG_MAX:
        raise ValueError(f"Long cannot represent a value outside 64 bits: {value!r}")
    return value


Long = NewType("Long", int)
"""A 64-bit integer in Python annotations; ``SCALAR_MAP`` tells Strawberry how to carry it."""

LONG = strawberry.scalar(
    name="Long",
    description=(
        "A 64-bit signed integer, serialized as a JSON number (GraphQL's Int is 32-bit). "
        "Clients in JavaScript read it exactly up to 2^53, past any real file size."
    ),
    serialize=_long,
    parse_value=_long,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {Long: LONG}
"""Every custom scalar of the schema, for ``StrawberryConfig(scalar_map=...)``."""
