"""The flat-field fast path answers exactly as graphql-core's own execution does."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import strawberry
from graphql import DirectiveLocation
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.schema_directive import Location

from tonearm.schema.execution import FlatFieldsExecutionContext, plan_field


class Never(BasePermission):
    message = "Not for you."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


class Shout(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return str(next_(source, info, **kwargs)).upper()


@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION])
class Tag:
    name: str


@strawberry.directive(locations=[DirectiveLocation.FIELD])
def reverse(value: str) -> str:
    return value[::-1]


@strawberry.enum
class Mood(enum.Enum):
    CALM = "calm"
    LOUD = "loud"


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    note: str | None
    mood: Mood
    plays: int
    secret: str = strawberry.field(default="hidden", permission_classes=[Never])
    loud: str = strawberry.field(default="quiet", extensions=[Shout()])
    tagged: str = strawberry.field(default="tag", directives=[Tag(name="x")])

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


@strawberry.type
class Song(relay.Node):
    code: relay.NodeID[str]
    title: str


@strawberry.type
class Renamed(relay.Node):
    code: relay.NodeID[str]

    @classmethod
    def resolve_typename(cls, root: Any, info: strawberry.Info) -> str:
        return "Song"


@strawberry.type
class Query:
    @strawberry.field
    def songs(self) -> list[Song]:
        return [Song(code="a", title="x"), Song(code="ü/2", title="y")]

    @strawberry.field
    def renamed(self) -> list[Renamed]:
        return [Renamed(code="r1")]

    @strawberry.field
    def items(self) -> list[Item]:
        return [
            Item(id=strawberry.ID("1"), name="a", note=None, mood=Mood.CALM, plays=1),
            Item(id=strawberry.ID("2"), name="b", note="n", mood=Mood.LOUD, plays=2),
        ]

    @strawberry.field
    def broken(self) -> list[Item]:
        return [Item(id=strawberry.ID("3"), name=None, note=None, mood=Mood.CALM, plays=3)]  # type: ignore[arg-type]

    @strawberry.field
    def unserializable(self) -> list[Item]:
        return [Item(id=strawberry.ID("4"), name="c", note=None, mood=Mood.CALM, plays="x")]  # type: ignore[arg-type]


_CONTEXT = FlatFieldsExecutionContext.for_schema()
FAST = strawberry.Schema(query=Query, execution_context_class=_CONTEXT, directives=[reverse])
_CONTEXT.bind(FAST)
UNBOUND = strawberry.Schema(
    query=Query, execution_context_class=FlatFieldsExecutionContext, directives=[reverse]
)
REFERENCE = strawberry.Schema(query=Query, directives=[reverse])


@pytest.mark.parametrize(
    "query",
    [
        "{ items { id name note mood plays } }",
        "{ items { __typename plays name } }",
        "{ items { first: name second: name id } }",
        "{ items { name shout } }",
        "{ items { name shout(times: 2) plays } }",
        "{ items { ...F name } } fragment F on Item { plays note }",
        "{ items { name @include(if: false) plays note } }",
        "{ items { name plays @skip(if: true) id } }",
        "{ broken { id name plays } }",
        "{ unserializable { id name plays } }",
        "{ songs { id title } }",
        "{ songs { title ident: id __typename } }",
        "{ renamed { id } }",
        "{ items { name secret plays } }",
        "{ items { secret } }",
        "{ items { name loud plays } }",
        "{ items { tagged name } }",
        "{ items { name @reverse plays } }",
        "{ items { id name note mood plays secret loud tagged } }",
    ],
)
@pytest.mark.parametrize("fast_schema", [FAST, UNBOUND], ids=["bound", "unbound"])
async def test_results_and_errors_match_graphql_core(
    query: str, fast_schema: strawberry.Schema
) -> None:
    fast, reference = await fast_schema.execute(query), await REFERENCE.execute(query)

    assert fast.data == reference.data
    assert _errors(fast.errors) == _errors(reference.errors)
    if fast.data:
        assert [list(item) for item in next(iter(fast.data.values()))] == [
            list(item)
            for item in next(iter(reference.data.values()))  # type: ignore[union-attr]
        ]


def _errors(errors: list[Any] | None) -> list[tuple[str, Any]]:
    return [(error.message, error.path) for error in errors or []]


async def test_a_permission_protected_field_is_never_served_by_the_shortcut() -> None:
    result = await FAST.execute("{ items { name secret } }")

    assert result.data is None or all(item is None for item in result.data["items"])
    assert {error.message for error in result.errors or []} == {"Not for you."}


def _type(name: str) -> Any:
    return FAST._schema.type_map[name]


@pytest.mark.parametrize("field", ["name", "note", "mood", "plays"])
def test_plain_fields_take_the_shortcut(field: str) -> None:
    assert plan_field(FAST, _type("Item"), field) is not None


@pytest.mark.parametrize("field", ["secret", "loud", "tagged", "shout"])
def test_fields_with_permissions_extensions_directives_or_resolvers_do_not(field: str) -> None:
    assert plan_field(FAST, _type("Item"), field) is None


def test_default_relay_ids_are_planned_and_customized_ones_are_not() -> None:
    assert plan_field(FAST, _type("Song"), "id") is not None
    assert plan_field(FAST, _type("Renamed"), "id") is None


def test_an_unbound_context_plans_nothing() -> None:
    assert FlatFieldsExecutionContext.strawberry_schema is None
    assert FlatFieldsExecutionContext.field_plans == {}
