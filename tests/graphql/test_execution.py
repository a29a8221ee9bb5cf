"""The flat-field fast path answers exactly as graphql-core's own execution does."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import strawberry
from strawberry import relay

from tonearm.schema.execution import FlatFieldsExecutionContext


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


FAST = strawberry.Schema(query=Query, execution_context_class=FlatFieldsExecutionContext)
REFERENCE = strawberry.Schema(query=Query)


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
    ],
)
async def test_results_and_errors_match_graphql_core(query: str) -> None:
    fast, reference = await FAST.execute(query), await REFERENCE.execute(query)

    assert fast.data == reference.data
    assert _errors(fast.errors) == _errors(reference.errors)
    if fast.data:
        assert [list(item) for item in next(iter(fast.data.values()))] == [
            list(item)
            for item in next(iter(reference.data.values()))  # type: ignore[union-attr]
        ]


def _errors(errors: list[Any] | None) -> list[tuple[str, Any]]:
    return [(error.message, error.path) for error in errors or []]


def test_default_relay_ids_are_planned_and_customized_ones_are_not() -> None:
    from tonearm.schema.execution import _relay_id_field

    types = FAST._schema.type_map
    song, renamed = types["Song"], types["Renamed"]

    assert _relay_id_field(song, song.fields["id"]) is not None  # type: ignore[attr-defined]
    assert _relay_id_field(renamed, renamed.fields["id"]) is None  # type: ignore[attr-defined]
