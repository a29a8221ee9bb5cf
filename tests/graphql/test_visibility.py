"""Unpublished tracks: invisible to others in every read, visible to collaborators and admins."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.seed import insert_and_group, track
from tests.support.accounts import SignedInUser, make_user
from tonearm.accounts.users import Role
from tonearm.db.models import AlbumRecord, TrackCollaboratorRecord, TrackRecord
from tonearm.schema.ids import ALBUM_TYPE_NAME, TRACK_TYPE_NAME, global_id

HIDDEN = uuid.UUID("00000000-0000-4000-8000-00000000000a")
OPEN = uuid.UUID("00000000-0000-4000-8000-00000000000b")
As = Callable[[SignedInUser, str, dict[str, Any] | None], Awaitable[dict[str, Any]]]


@pytest.fixture
async def people(engine: AsyncEngine) -> dict[str, SignedInUser]:
    return {
        "alice": await make_user(engine, "alice"),
        "bob": await make_user(engine, "bob"),
        "carol": await make_user(engine, "carol"),
        "admin": await make_user(engine, "root", Role.ADMIN),
    }


@pytest.fixture
async def registry(engine: AsyncEngine, people: dict[str, SignedInUser]) -> dict[str, uuid.UUID]:
    """Alice's unpublished track on its own album and artist; carol views it; one open track."""
    hidden = track(
        1,
        title="Secretsong",
        artist="Hiddenartist",
        album="Secretalbum",
        album_artist="Hiddenartist",
        track_id=HIDDEN,
    )
    opened = track(2, title="Opensong", artist="Openartist", album="Openalbum", track_id=OPEN)
    await insert_and_group(
        engine, [{**hidden, "is_published": False}, {**opened, "is_published": True}]
    )
    async with engine.begin() as connection:
        await connection.execute(
            insert(TrackCollaboratorRecord),
            [
                {"track_id": HIDDEN, "user_id": people["alice"].record.id, "role": "owner"},
                {"track_id": HIDDEN, "user_id": people["carol"].record.id, "role": "viewer"},
            ],
        )
        album_id = await connection.scalar(
            select(TrackRecord.album_id).where(TrackRecord.id == HIDDEN)
        )
        track_count = await connection.scalar(
            select(AlbumRecord.track_count).where(AlbumRecord.id == album_id)
        )
    assert track_count == 0  # the precomputed count covers published tracks only
    return {"album": album_id}


@pytest.fixture
async def as_user(app: FastAPI) -> AsyncIterator[As]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as http:

        async def run(
            user: SignedInUser, query: str, variables: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=user.bearer
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            assert "errors" not in body, body
            return body["data"]

        yield run


EVERYTHING = """query($track: ID!, $album: ID!, $artist: ID!) {
  tracks(first: 50) { totalCount edges { node { title } } }
  found: tracks(first: 50, search: "secretsong") { totalCount edges { node { title } } }
  albums(first: 50) { totalCount edges { node { title tracks { title } } } }
  foundAlbums: albums(first: 50, search: "secretalbum") { totalCount }
  artists(first: 50) { totalCount edges { node { name } } }
  foundArtists: artists(first: 50, search: "hiddenartist") { totalCount }
  library { trackCount albumCount artistCount totalDurationSeconds }
  track(id: $track) { title isPublished }
  node(id: $track) { id }
  album(id: $album) { title }
  albumNode: node(id: $album) { id }
  artist(id: $artist) { name albums { totalCount } }
}"""
MINT = "mutation($id: ID!) { createStreamUrl(trackId: $id) { __typename } }"


async def _artist_id(as_user: As, admin: SignedInUser) -> str:
    data = await as_user(
        admin, '{ artists(first: 10, search: "hiddenartist") { edges { node { id } } } }', None
    )
    return str(data["artists"]["edges"][0]["node"]["id"])


@pytest.fixture
async def ids(
    as_user: As, people: dict[str, SignedInUser], registry: dict[str, uuid.UUID]
) -> dict[str, str]:
    return {
        "track": global_id(TRACK_TYPE_NAME, HIDDEN),
        "album": global_id(ALBUM_TYPE_NAME, registry["album"]),
        "artist": await _artist_id(as_user, people["admin"]),
    }


async def test_an_unpublished_track_is_not_there_for_others(
    as_user: As, people: dict[str, SignedInUser], ids: dict[str, str]
) -> None:
    data = await as_user(people["bob"], EVERYTHING, ids)
    assert data["tracks"] == {"totalCount": 1, "edges": [{"node": {"title": "Opensong"}}]}
    assert data["found"] == {"totalCount": 0, "edges": []}
    assert data["albums"] == {
        "totalCount": 1,
        "edges": [{"node": {"title": "Openalbum", "tracks": [{"title": "Opensong"}]}}],
    }
    assert data["foundAlbums"] == {"totalCount": 0}
    assert data["artists"] == {"totalCount": 1, "edges": [{"node": {"name": "Openartist"}}]}
    assert data["foundArtists"] == {"totalCount": 0}
    assert data["library"] == {
        "trackCount": 1,
        "albumCount": 1,
        "artistCount": 1,
        "totalDurationSeconds": 180.0,
    }
    for field in ("track", "node", "album", "albumNode", "artist"):
        assert data[field] is None, field
    minted = await as_user(people["bob"], MINT, {"id": ids["track"]})
    assert minted == {"createStreamUrl": {"__typename": "TrackNotFoundError"}}


@pytest.mark.parametrize("who", ["alice", "carol", "admin"])
async def test_an_unpublished_track_is_there_for_its_collaborators_and_admins(
    as_user: As, people: dict[str, SignedInUser], ids: dict[str, str], who: str
) -> None:
    data = await as_user(people[who], EVERYTHING, ids)
    assert data["tracks"]["totalCount"] == 2
    assert {edge["node"]["title"] for edge in data["tracks"]["edges"]} == {"Opensong", "Secretsong"}
    assert data["found"] == {"totalCount": 1, "edges": [{"node": {"title": "Secretsong"}}]}
    assert data["albums"]["totalCount"] == 2
    assert {"title": "Secretalbum", "tracks": [{"title": "Secretsong"}]} in [
        edge["node"] for edge in data["albums"]["edges"]
    ]
    assert data["foundAlbums"] == {"totalCount": 1}
    assert data["artists"]["totalCount"] == 2
    assert data["foundArtists"] == {"totalCount": 1}
    assert data["library"] == {
        "trackCount": 2,
        "albumCount": 2,
        "artistCount": 2,
        "totalDurationSeconds": 360.0,
    }
    assert data["track"] == {"title": "Secretsong", "isPublished": False}
    assert data["node"] == {"id": ids["track"]}
    assert data["album"] == {"title": "Secretalbum"}
    assert data["albumNode"] == {"id": ids["album"]}
    assert data["artist"] == {"name": "Hiddenartist", "albums": {"totalCount": 1}}
    minted = await as_user(people[who], MINT, {"id": ids["track"]})
    assert minted == {"createStreamUrl": {"__typename": "StreamUrl"}}


async def test_roles_and_collaborators_are_answered_per_viewer(
    as_user: As, people: dict[str, SignedInUser], ids: dict[str, str]
) -> None:
    query = """query($id: ID!) { track(id: $id) { viewerRole canEdit isUpload
        collaborators { user { username } role inherited } } }"""
    alice = await as_user(people["alice"], query, {"id": ids["track"]})
    assert alice["track"] == {
        "viewerRole": "OWNER",
        "canEdit": True,
        "isUpload": False,
        "collaborators": [
            {"user": {"username": "alice"}, "role": "OWNER", "inherited": False},
            {"user": {"username": "carol"}, "role": "VIEWER", "inherited": False},
        ],
    }
    carol = await as_user(people["carol"], query, {"id": ids["track"]})
    assert carol["track"] == {
        "viewerRole": "VIEWER",
        "canEdit": False,
        "isUpload": False,
        "collaborators": [],
    }
    admin = await as_user(people["admin"], query, {"id": ids["track"]})
    assert admin["track"]["viewerRole"] == "OWNER"
    assert len(admin["track"]["collaborators"]) == 2
    page = await as_user(
        people["bob"], "{ tracks(first: 10) { edges { node { viewerRole canEdit } } } }", None
    )
    assert page["tracks"]["edges"] == [{"node": {"viewerRole": None, "canEdit": False}}]
