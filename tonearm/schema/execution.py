"""A faster way through the commonest shape of a tonearm response: rows of plain scalars.

A ``tracks(first: 100)`` page asks for ~1,900 fields, nearly all of them scalars read
straight off a ``Track``. graphql-core spends ~5 µs on each (a path, a resolve-info object,
the resolver call, value completion), which made GraphQL several times slower than
returning the same rows as plain JSON. ``FlatFieldsExecutionContext`` recognizes a
selection set made only of argument-free scalar or enum fields served by Strawberry's
default resolver, plans it once per (type, selection) and then builds each object with one
``getattr`` and one ``serialize`` per field.

Anything else — an argument, a sub-selection, a custom resolver, field middleware, a null
in a non-null field or a value that fails to serialize — takes graphql-core's own path, so
results and errors are exactly what it would produce.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.pyutils import AwaitableOrValue, Path
from strawberry import relay
from strawberry.relay.utils import to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

TYPENAME = "__typename"


class _PlannedField(NamedTuple):
    response_name: str
    attribute: str | None  # None: __typename
    serialize: Callable[[Any], Any]
    non_null: bool


class _Plan(NamedTuple):
    """How to build one selection: fields read directly, and the rest left to graphql-core."""

    direct: tuple[_PlannedField, ...]
    rest: tuple[str, ...]
    order: tuple[str, ...]


def _plan_field(
    parent_type: GraphQLObjectType, response_name: str, details: Any
) -> _PlannedField | None:
    node = details[0].node
    if len(details) != 1 or node.arguments or node.selection_set or node.directives:
        return None
    name = node.name.value
    if name == TYPENAME:
        return _PlannedField(response_name, None, str, True)
    field = parent_type.fields.get(name)
    relay_id = _relay_id_field(parent_type, field) if field is not None else None
    if relay_id is not None:
        return _PlannedField(response_name, *relay_id)
    if field is None or field.args or not getattr(field.resolve, "_is_default", False):
        return None
    definition = (field.extensions or {}).get("strawberry-definition")
    named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if definition is None or not isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return None
    non_null = isinstance(field.type, GraphQLNonNull)
    return _PlannedField(response_name, definition.python_name, named.serialize, non_null)


def _relay_id_field(
    parent_type: GraphQLObjectType, field: GraphQLField
) -> tuple[str, Callable[[Any], str], bool] | None:
    """A Relay ``id`` computed the way ``relay.Node`` does, when the type keeps its defaults.

    ``Node._id`` resolves ``GlobalID(info.path.typename, str(resolve_id(root)))``; for a type
    that overrides neither ``resolve_id`` nor ``resolve_typename`` that is the base64 of the
    type name and the id attribute, which is what the GlobalID scalar serializes to.
    """
    definition = (field.extensions or {}).get("strawberry-definition")
    resolver = getattr(definition, "base_resolver", None)
    wrapped = getattr(resolver, "wrapped_func", None)
    if getattr(wrapped, "__func__", None) is not relay.Node._id.__func__:
        return None
    origin = getattr((parent_type.extensions or {}).get("strawberry-definition"), "origin", None)
    if not (
        isinstance(origin, type)
        and issubclass(origin, relay.Node)
        and origin.resolve_id.__func__ is relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
        and origin.resolve_typename.__func__ is relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
    ):
        return None
    type_name = parent_type.name
    return origin.resolve_id_attr(), lambda node_id: to_base64(type_name, str(node_id)), True


def _make_plan(parent_type: GraphQLObjectType, grouped_field_set: Any) -> _Plan | None:
    direct, rest = [], []
    for name, details in grouped_field_set.items():
        planned = _plan_field(parent_type, name, details)
        if planned is None:
            rest.append(name)
        else:
            direct.append(planned)
    if not direct:
        return None
    return _Plan(tuple(direct), tuple(rest), tuple(grouped_field_set))


class FlatFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the flat-field fast path described above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[Any, _Plan | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        *args: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """Read plain fields directly; leave everything else to graphql-core."""
        middleware = self.middleware_manager
        plan = (
            None
            if middleware and middleware.middlewares
            else self._plan(parent_type, grouped_field_set)
        )
        direct = _build(plan.direct, parent_type.name, source_value) if plan else None
        if plan is None or direct is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, *args)
        if not plan.rest:
            return direct
        rest = super().execute_fields(
            parent_type,
            source_value,
            path,
            {name: grouped_field_set[name] for name in plan.rest},
            *args,
        )
        if self.is_awaitable(rest):
            return _merge_later(plan.order, direct, rest)
        return _merge(plan.order, direct, rest)  # type: ignore[arg-type]

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> _Plan | None:
        # graphql-core memoizes the grouped field set of a list's items, so every item of a
        # page shares one object: plan once per execution, keyed (like graphql-core's own
        # memo) by identity while holding the object so its id cannot be reused.
        cached = self._plans.get(id(grouped_field_set))
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        plan = _make_plan(parent_type, grouped_field_set)
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan


def _merge(order: tuple[str, ...], *parts: dict[str, Any]) -> dict[str, Any]:
    merged = {key: value for part in parts for key, value in part.items()}
    return {key: merged[key] for key in order if key in merged}


async def _merge_later(
    order: tuple[str, ...], direct: dict[str, Any], rest: Awaitable[dict[str, Any]]
) -> dict[str, Any]:
    return _merge(order, direct, await rest)


def _build(fields: tuple[_PlannedField, ...], type_name: str, source: Any) -> dict[str, Any] | None:
    result: dict[str, Any] = {}
    try:
        for field in fields:
            if field.attribute is None:
                result[field.response_name] = type_name
                continue
            value = getattr(source, field.attribute)
            if value is None:
                if field.non_null:
                    return None  # let graphql-core raise and report the error properly
                result[field.response_name] = None
            else:
                result[field.response_name] = field.serialize(value)
    except Exception:  # graphql-core's path reports it, with a location
        return None
    return result
