"""A faster way through the commonest shape of a tonearm response: rows of plain scalars.

A ``tracks(first: 100)`` page asks for ~1,900 fields, nearly all of them scalars read
straight off a ``Track``. graphql-core spends several microseconds on each (a path, a
resolve-info object, the resolver call, value completion), which made GraphQL several times
slower than returning the same rows as plain JSON. ``FlatFieldsExecutionContext`` builds such
fields with one ``getattr`` and one ``serialize`` each, planned once per (type, selection).

Safe by construction: a field takes the shortcut only when Strawberry's public schema API
(``Schema.get_field_for_type``) shows it has no resolver, no permission classes, no field
extensions and no directives, graphql-core shows it has no arguments and a scalar or enum
type, and the query gives it no arguments, directives or sub-selection; and only while no
field middleware (schema extensions with a ``resolve`` hook) is installed. The one resolver
it computes itself is ``relay.Node``'s own ``id`` on a type that overrides neither
``resolve_id`` nor ``resolve_typename``. A context class that is not bound to its schema
(``bind``) never takes the shortcut. Everything else — and any null in a non-null field or a
value that fails to serialize — goes through graphql-core, so results and errors are exactly
what it would produce (``tests/graphql/test_execution.py`` compares them).

It subclasses graphql-core's ``ExecutionContext.execute_fields`` through Strawberry's
execution context, so both packages are pinned to exact versions in ``pyproject.toml``;
re-run that differential test and ``benchmarks/graphql_api.py`` when upgrading either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, NamedTuple

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.pyutils import AwaitableOrValue, Path
from strawberry import relay
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import get_object_definition

TYPENAME = "__typename"


class _FieldPlan(NamedTuple):
    attribute: str | None  # None: __typename
    serialize: Callable[[Any], Any]
    non_null: bool


class _PlannedField(NamedTuple):
    response_name: str
    attribute: str | None
    serialize: Callable[[Any], Any]
    non_null: bool


class _Plan(NamedTuple):
    """How to build one selection: fields read directly, and the rest left to graphql-core."""

    direct: tuple[_PlannedField, ...]
    rest: tuple[str, ...]
    order: tuple[str, ...]


def _node_id_function() -> Any:
    definition = get_object_definition(relay.Node, strict=True)
    (field,) = (f for f in definition.fields if f.graphql_name == "id")
    assert field.base_resolver is not None
    return getattr(field.base_resolver.wrapped_func, "__func__", field.base_resolver.wrapped_func)


_NODE_ID = _node_id_function()


def plan_field(
    schema: strawberry.Schema, parent_type: GraphQLObjectType, name: str
) -> _FieldPlan | None:
    """How to read field ``name`` of ``parent_type`` directly, or None to leave it alone."""
    field = parent_type.fields.get(name)
    if field is None or field.args:
        return None
    definition = schema.get_field_for_type(field_name=name, type_name=parent_type.name)
    if (
        definition is None
        or definition.permission_classes
        or definition.extensions
        or definition.directives
    ):
        return None
    non_null = isinstance(field.type, GraphQLNonNull)
    named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if not isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return None
    if definition.base_resolver is None:
        return _FieldPlan(definition.python_name, named.serialize, non_null)
    return _relay_id_plan(schema, parent_type, definition)


def _relay_id_plan(
    schema: strawberry.Schema, parent_type: GraphQLObjectType, definition: Any
) -> _FieldPlan | None:
    """``relay.Node``'s own ``id``: ``GlobalID(type name, str(resolve_id(root)))``."""
    wrapped = definition.base_resolver.wrapped_func
    if getattr(wrapped, "__func__", wrapped) is not _NODE_ID:
        return None
    object_definition = schema.get_type_by_name(parent_type.name)
    origin = getattr(object_definition, "origin", None)
    if not (
        isinstance(origin, type)
        and issubclass(origin, relay.Node)
        and getattr(origin.resolve_id, "__func__", None)
        is getattr(relay.Node.resolve_id, "__func__", ())
        and getattr(origin.resolve_typename, "__func__", None)
        is getattr(relay.Node.resolve_typename, "__func__", ())
    ):
        return None
    type_name = parent_type.name
    return _FieldPlan(
        origin.resolve_id_attr(),
        lambda node_id: str(relay.GlobalID(type_name, str(node_id))),
        True,
    )


class FlatFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the flat-field fast path described above.

    Use ``FlatFieldsExecutionContext.for_schema()`` to get a class for one schema, pass it as
    ``execution_context_class`` and ``bind`` it to the schema once built.
    """

    strawberry_schema: ClassVar[strawberry.Schema | None] = None
    field_plans: ClassVar[dict[tuple[str, str], _FieldPlan | None]] = {}

    @classmethod
    def for_schema(cls) -> type[FlatFieldsExecutionContext]:
        """A fresh, unbound subclass (one per schema: decisions are cached per class)."""
        return type(cls.__name__, (cls,), {"strawberry_schema": None, "field_plans": {}})

    @classmethod
    def bind(cls, schema: strawberry.Schema) -> None:
        """Decide fields against ``schema`` from now on."""
        cls.strawberry_schema = schema
        cls.field_plans = {}

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
            if self.strawberry_schema is None or (middleware and middleware.middlewares)
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
        plan = self._make_plan(parent_type, grouped_field_set)
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def _make_plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> _Plan | None:
        direct, rest = [], []
        for response_name, details in grouped_field_set.items():
            planned = self._plan_selection(parent_type, response_name, details)
            if planned is None:
                rest.append(response_name)
            else:
                direct.append(planned)
        if not direct:
            return None
        return _Plan(tuple(direct), tuple(rest), tuple(grouped_field_set))

    def _plan_selection(
        self, parent_type: GraphQLObjectType, response_name: str, details: Any
    ) -> _PlannedField | None:
        node = details[0].node
        if len(details) != 1 or node.arguments or node.selection_set or node.directives:
            return None
        name = node.name.value
        if name == TYPENAME:
            return _PlannedField(response_name, None, str, True)
        key = (parent_type.name, name)
        plans = type(self).field_plans
        if key not in plans:
            assert self.strawberry_schema is not None
            plans[key] = plan_field(self.strawberry_schema, parent_type, name)
        planned = plans[key]
        return None if planned is None else _PlannedField(response_name, *planned)


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
