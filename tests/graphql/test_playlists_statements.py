"""No N+1 on playlists: a page costs the same few statements whatever its size."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql
from tests.graphql.seed import insert_and_group, insert_artwork, library_rows
from tests.support.accounts import SignedInUser, make_user
from tonearm.db.models import (
    PlaylistCollaboratorRecord,
    PlaylistItemRecord,
    PlaylistRecord,
)
from tonearm.schema.ids import PLAYLIST_TYPE_NAME, global_id

LIST = """{ playlists(first: 50) { edges { node { name owner { username }
  collaborators { username } trackCount durationSeconds coverArt { url }
  viewerCanEdit viewerCanAddTracks } } } }"""
ITEMS = """query($id: ID!, $first: Int) { playlist(id: $id) { items(first: $first) {
  edges { node { position addedBy { username }
    track { title album { title } artists { name } coverArt { url } } } } } } }"""


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    executed: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    sync_engine = app.state.services.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    yield executed
    event.remove(sync_engine, "before_cursor_execute", record)


async def _seed(engine: AsyncEngine, admin: SignedInUser, count: int) -> uuid.UUID:
    """``count`` playlists of different owners, each with items, a collaborator and a cover."""
    rows = library_rows(60)
    await insert_and_group(engine, rows)
    await insert_artwork(engine, "c" * 64)
    users = [await make_user(engine, f"user{i}") for i in range(count)]
    playlists = [uuid.uuid4() for _ in range(count)]
    async with engine.begin() as connection:
        await connection.execute(
            insert(PlaylistRecord),
            [
                {
                    "id": playlist_id,
                    "owner_id": users[i].record.id,
                    "kind": "static",
                    "name": f"P{i:02d}",
                    "sort_name": f"p{i:02d}",
                    "is_public": True,
                    "is_collaborative": True,
                    "mosaic_hash": "c" * 64,
                }
                for i, playlist_id in enumerate(playlists)
            ],
        )
        await connection.execute(
            insert(PlaylistCollaboratorRecord),
            [
                {"playlist_id": p, "user_id": users[(i + 1) % count].record.id}
                for i, p in enumerate(playlists)
            ],
        )
        await connection.execute(
            insert(PlaylistItemRecord),
            [
                {
                    "id": uuid.uuid4(),
                    "playlist_id": p,
                    "track_id": row["id"],
                    "position": n * 2**32,
                    "added_by": users[i].record.id,
                }
                for i, p in enumerate(playlists)
                for n, row in enumerate(rows[: 10 + i])
            ],
        )
    return playlists[-1]


@pytest.mark.parametrize("count", [2, 12])
async def test_a_page_of_playlists_is_a_fixed_number_of_statements(
    engine: AsyncEngine, gql: Gql, admin: SignedInUser, statements: list[str], count: int
) -> None:
    await _seed(engine, admin, count)
    await gql("{ library { trackCount } }")
    statements.clear()
    body = await gql(LIST)
    assert "errors" not in body, body
    edges = body["data"]["playlists"]["edges"]
    assert len(edges) == count
    assert edges[0]["node"]["trackCount"] == 10
    assert edges[0]["node"]["collaborators"] == [{"username": "user1"}]
    assert edges[0]["node"]["coverArt"]["url"].startswith("/api/art/" + "c" * 64)
    # viewer, page, owners, collaborators, counts, covers
    assert len(statements) == 6, statements


@pytest.mark.parametrize("first", [3, 20])
async def test_a_page_of_items_is_a_fixed_number_of_statements(
    engine: AsyncEngine, gql: Gql, admin: SignedInUser, statements: list[str], first: int
) -> None:
    playlist = await _seed(engine, admin, 2)
    await gql("{ library { trackCount } }")
    statements.clear()
    body = await gql(ITEMS, {"id": global_id(PLAYLIST_TYPE_NAME, playlist), "first": first})
    assert "errors" not in body, body
    assert len(body["data"]["playlist"]["items"]["edges"]) == min(first, 11)
    # viewer, playlist, page, counts before and within it, albums, artists, added-by (no
    # album has a cover here, so none is looked up)
    assert len(statements) == 7, statements
