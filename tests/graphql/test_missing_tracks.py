"""Missing files over GraphQL: ``missingTracks``, ``Track.state``, ``scanLibrary``'s counts.

Real files scanned through ``scanLibrary``; listeners and admins over real HTTP requests.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql, error_codes
from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import write_mp3
from tonearm.db.models import TrackCollaboratorRecord, TrackRecord
from tonearm.library import scanner
from tonearm.schema.ids import track_global_id

SCAN = """mutation($confirm: Boolean) { scanLibrary(confirmMissing: $confirm) {
  added updated unchanged removed missing reattached ambiguousMatches skipped } }"""
MISSING = """query($first: Int, $after: String) { missingTracks(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id title artist albumTitle state missingSince album { title } } } } }"""
TRACK = "query($id: ID!) { track(id: $id) { title state missingSince } }"
STATE_OF_ALL = "{ tracks(first: 100) { edges { node { title state missingSince } } } }"


def record(root: Path, folder: str, album: str, count: int, first_key: int = 0) -> None:
    for number in range(1, count + 1):
        write_mp3(
            root / folder / f"{number:02d}.mp3",
            title=f"{album} {number}",
            artist="Band",
            album=album,
            track=str(number),
            key=first_key + number,
        )


@pytest.fixture
async def alice(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "alice")


@pytest.fixture
async def as_alice(app: FastAPI, alice: SignedInUser) -> Any:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tonearm.test", headers=alice.bearer
    ) as http:

        async def run(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
            response = await http.post("/graphql", json={"query": query, "variables": variables})
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        yield run


async def uuids_by_path(engine: AsyncEngine) -> dict[str, uuid.UUID]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(TrackRecord.path, TrackRecord.id))
        return {str(path): track_id for path, track_id in rows}


async def ids_by_path(engine: AsyncEngine) -> dict[str, str]:
    return {path: track_global_id(i) for path, i in (await uuids_by_path(engine)).items()}


async def test_scan_library_counts_missing_and_reattached(gql: Gql, media_root: Path) -> None:
    record(media_root, "Band/Record", "Record", 3)
    await gql(SCAN)
    (media_root / "Band/Record/01.mp3").unlink()
    gone = (await gql(SCAN))["data"]["scanLibrary"]
    (media_root / "Moved").mkdir()
    shutil.move(media_root / "Band/Record/02.mp3", media_root / "Moved/two.mp3")
    moved = (await gql(SCAN))["data"]["scanLibrary"]

    assert gone == {
        "added": 0,
        "updated": 0,
        "unchanged": 2,
        "removed": 1,
        "missing": 1,
        "reattached": 0,
        "ambiguousMatches": 0,
        "skipped": 0,
    }
    assert (moved["reattached"], moved["added"], moved["missing"]) == (1, 0, 0)


async def test_scan_library_confirm_missing_passes_the_unmounted_drive_guard(
    gql: Gql, media_root: Path
) -> None:
    record(media_root, "Drive", "Big", scanner.MISSING_GUARD_MIN)
    await gql(SCAN)
    shutil.rmtree(media_root / "Drive")
    write_mp3(media_root / "left.mp3", title="Left", key=200)

    kept = (await gql(SCAN))["data"]["scanLibrary"]
    listed = (await gql("{ tracks(first: 100) { totalCount } }"))["data"]["tracks"]
    confirmed = (await gql(SCAN, {"confirm": True}))["data"]["scanLibrary"]

    assert (kept["missing"], kept["added"]) == (0, 1)
    assert listed["totalCount"] == scanner.MISSING_GUARD_MIN + 1
    assert confirmed["missing"] == scanner.MISSING_GUARD_MIN
    after = (await gql("{ tracks(first: 100) { totalCount } }"))["data"]["tracks"]
    assert after["totalCount"] == 1


async def test_missing_tracks_lists_them_for_admins_the_longest_missing_first(
    gql: Gql, media_root: Path
) -> None:
    record(media_root, "Band/Record", "Record", 3)
    await gql(SCAN)
    (media_root / "Band/Record/03.mp3").unlink()
    await gql(SCAN)
    (media_root / "Band/Record/01.mp3").unlink()
    await gql(SCAN)

    first = (await gql(MISSING, {"first": 1}))["data"]["missingTracks"]
    second = (await gql(MISSING, {"first": 1, "after": first["pageInfo"]["endCursor"]}))["data"][
        "missingTracks"
    ]

    assert first["totalCount"] == 2
    assert first["pageInfo"]["hasNextPage"] is True
    (older,) = [edge["node"] for edge in first["edges"]]
    (newer,) = [edge["node"] for edge in second["edges"]]
    assert (older["title"], older["albumTitle"], older["artist"], older["state"]) == (
        "Record 3",
        "Record",
        "Band",
        "MISSING",
    )
    assert newer["title"] == "Record 1"
    assert older["missingSince"] < newer["missingSince"]
    # Its album still has an available track, so it is shown.
    assert older["album"] == {"title": "Record"}
    assert second["pageInfo"]["hasNextPage"] is False
    # No path of any kind leaves the server.
    assert "Band/Record" not in str(first) + str(second)


async def test_missing_tracks_is_for_admins_only(
    gql: Gql, as_alice: Gql, anonymous: httpx.AsyncClient
) -> None:
    body = await as_alice(MISSING)
    response = await anonymous.post("/graphql", json={"query": MISSING})

    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


async def test_missing_tracks_refuses_a_bad_cursor_and_a_page_too_large(
    gql: Gql, media_root: Path
) -> None:
    record(media_root, "Band/Record", "Record", 1)
    await gql(SCAN)
    bad = await gql(MISSING, {"after": "not a cursor"})
    other_list = await gql(
        MISSING,
        {
            "after": (await gql("{ tracks { pageInfo { endCursor } } }"))["data"]["tracks"][
                "pageInfo"
            ]["endCursor"]
        },
    )
    large = await gql(MISSING, {"first": 101})

    assert error_codes(bad) == ["INVALID_CURSOR"]
    assert error_codes(large) == ["PAGE_TOO_LARGE"]
    assert error_codes(other_list) == ["INVALID_CURSOR"]


async def test_track_state_is_for_admins_and_owners_only(
    gql: Gql, as_alice: Gql, engine: AsyncEngine, media_root: Path, alice: SignedInUser
) -> None:
    record(media_root, "Band/Record", "Record", 2)
    await gql(SCAN)
    uuids = await uuids_by_path(engine)
    async with engine.begin() as connection:
        await connection.execute(
            insert(TrackCollaboratorRecord).values(
                track_id=uuids["Band/Record/01.mp3"],
                user_id=alice.record.id,
                role="owner",
            )
        )

    by_admin = await gql(STATE_OF_ALL)
    by_alice = await as_alice(STATE_OF_ALL)

    assert [edge["node"] for edge in by_admin["data"]["tracks"]["edges"]] == [
        {"title": "Record 1", "state": "AVAILABLE", "missingSince": None},
        {"title": "Record 2", "state": "AVAILABLE", "missingSince": None},
    ]
    assert [edge["node"] for edge in by_alice["data"]["tracks"]["edges"]] == [
        {"title": "Record 1", "state": "AVAILABLE", "missingSince": None},
        {"title": "Record 2", "state": None, "missingSince": None},
    ]


LIKE = "mutation($id: ID!) { setLiked(id: $id, liked: true) { __typename } }"
PLAY = """mutation($id: ID!) { recordPlay(trackId: $id, playedSeconds: 1) {
  __typename ... on ImplausiblePlayError { message } } }"""
NEW_PLAYLIST = """mutation { createPlaylist(input: {name: "Mine"}) {
  ... on Playlist { id } } }"""
ADD = """mutation($p: ID!, $t: [ID!]!) { addToPlaylist(playlistId: $p, trackIds: $t) {
  __typename } }"""
MINE = """query($p: ID!) {
  liked { edges { item: node { item { ... on Track { title } } } } }
  history { edges { node { track { title } } } }
  playlist(id: $p) { trackCount items { edges { node { position track { title } } } } } }"""


async def test_a_missing_track_keeps_likes_plays_and_playlist_places_hidden_until_back(
    gql: Gql, as_alice: Gql, engine: AsyncEngine, media_root: Path
) -> None:
    record(media_root, "Band/Record", "Record", 2)
    await gql(SCAN)
    ids = await ids_by_path(engine)
    gone = ids["Band/Record/01.mp3"]
    playlist = (await as_alice(NEW_PLAYLIST))["data"]["createPlaylist"]["id"]
    await as_alice(ADD, {"p": playlist, "t": [gone, ids["Band/Record/02.mp3"]]})
    assert (await as_alice(LIKE, {"id": gone}))["data"]["setLiked"]["__typename"] == "LikeState"
    await as_alice(PLAY, {"id": gone})
    before = await as_alice(MINE, {"p": playlist})
    saved = (media_root / "Band/Record/01.mp3").read_bytes()
    (media_root / "Band/Record/01.mp3").unlink()
    await gql(SCAN)

    hidden = await as_alice(MINE, {"p": playlist})
    by_id = await as_alice(TRACK, {"id": gone})
    by_admin = await gql(TRACK, {"id": gone})
    (media_root / "Band/Record/01.mp3").write_bytes(saved)
    back_scan = (await gql(SCAN))["data"]["scanLibrary"]
    back = await as_alice(MINE, {"p": playlist})

    assert by_id["data"]["track"] is None
    assert by_admin["data"]["track"] is None  # hidden from everyone: see missingTracks
    assert hidden["data"]["liked"]["edges"] == []
    assert hidden["data"]["history"]["edges"] == []
    items = hidden["data"]["playlist"]["items"]["edges"]
    assert [(e["node"]["position"], e["node"]["track"]["title"]) for e in items] == [
        (1, "Record 2")
    ]
    assert back_scan["reattached"] == 1
    assert back == before
