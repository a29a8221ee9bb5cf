"""The social fields of a page cost one query per kind, whatever the page's size; the
flat-field fast path answers ``playCount`` from the row and leaves the rest to resolvers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from graphql import GraphQLObjectType
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql
from tests.graphql.seed import insert_and_group, library_rows
from tonearm.db.models import TrackRecord
from tonearm.schema.build import build_schema
from tonearm.schema.execution import plan_field

SOCIAL = """query($first: Int) { tracks(first: $first) { edges { node {
  playCount likeCount viewerHasLiked viewerPlayCount lastPlayedAt
  album { likeCount viewerHasLiked } artists { likeCount viewerHasLiked } } } } }"""


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    """SQL statements the app's engine executes while the test runs."""
    executed: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    sync_engine = app.state.services.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    yield executed
    event.remove(sync_engine, "before_cursor_execute", record)


async def test_a_page_s_likes_and_plays_are_one_query_per_kind(
    gql: Gql, engine: AsyncEngine, statements: list[str]
) -> None:
    await insert_and_group(engine, library_rows(120))
    await gql("{ library { trackCount } }")
    counts = []
    for size in (20, 100):
        statements.clear()
        body = await gql(SOCIAL, {"first": size})
        assert len(body["data"]["tracks"]["edges"]) == size
        counts.append(len(statements))
    # The viewer, the page, albums, artists of the tracks; then like counts and the
    # viewer's likes of tracks, albums and artists (2 × 3), and the viewer's play counts.
    assert counts[0] == counts[1] == 11


async def test_play_count_is_read_from_the_row_by_the_fast_path(
    gql: Gql, engine: AsyncEngine
) -> None:
    await insert_and_group(engine, library_rows(3))
    async with engine.begin() as connection:
        await connection.execute(update(TrackRecord).values(play_count=7))
    body = await gql("{ tracks { edges { node { id playCount viewerPlayCount likeCount } } } }")
    assert {
        (node["playCount"], node["viewerPlayCount"], node["likeCount"])
        for node in (edge["node"] for edge in body["data"]["tracks"]["edges"])
    } == {(7, 0, 0)}


def test_the_fast_path_takes_only_play_count_of_the_new_track_fields() -> None:
    schema = build_schema()
    track = schema._schema.type_map["Track"]
    assert isinstance(track, GraphQLObjectType)
    planned = {
        name: plan_field(schema, track, name) is not None
        for name in (
            "playCount",
            "likeCount",
            "viewerHasLiked",
            "viewerPlayCount",
            "lastPlayedAt",
            "comments",
        )
    }
    assert planned == {
        "playCount": True,
        "likeCount": False,
        "viewerHasLiked": False,
        "viewerPlayCount": False,
        "lastPlayedAt": False,
        "comments": False,
    }
