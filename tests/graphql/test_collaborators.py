"""Collaborator mutations: every rule of ``catalog.access`` and every result union member."""

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
from tonearm.db.models import TrackCollaboratorRecord, TrackRecord
from tonearm.schema.ids import ALBUM_TYPE_NAME, TRACK_TYPE_NAME, USER_TYPE_NAME, global_id

UPLOAD = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
SECOND = uuid.UUID("00000000-0000-4000-8000-0000000000c2")
SCANNED = uuid.UUID("00000000-0000-4000-8000-0000000000c3")
As = Callable[..., Awaitable[dict[str, Any]]]

COMMON = """__typename
  ... on EditNotAllowedError { message }
  ... on UserNotFoundError { message userId }
  ... on LastOwnerError { message }
  ... on CollaboratorNotFoundError { message userId }"""
RESULT = (
    COMMON
    + """
  ... on Track { collaborators { user { username } role inherited } }
  ... on TrackNotFoundError { message trackId }"""
)
ALBUM_RESULT = (
    COMMON
    + """
  ... on Album { collaborators { user { username } role inherited } }
  ... on AlbumNotFoundError { message albumId }"""
)
ADD = f"""mutation($t: ID!, $u: ID!, $r: CollaboratorRole!) {{
  addTrackCollaborator(trackId: $t, userId: $u, role: $r) {{ {RESULT} }} }}"""
UPDATE = f"""mutation($t: ID!, $u: ID!, $r: CollaboratorRole!) {{
  updateTrackCollaborator(trackId: $t, userId: $u, role: $r) {{ {RESULT} }} }}"""
REMOVE = f"""mutation($t: ID!, $u: ID!) {{
  removeTrackCollaborator(trackId: $t, userId: $u) {{ {RESULT} }} }}"""
ADD_ALBUM = f"""mutation($a: ID!, $u: ID!, $r: CollaboratorRole!) {{
  addAlbumCollaborator(albumId: $a, userId: $u, role: $r) {{ {ALBUM_RESULT} }} }}"""
UPDATE_ALBUM = f"""mutation($a: ID!, $u: ID!, $r: CollaboratorRole!) {{
  updateAlbumCollaborator(albumId: $a, userId: $u, role: $r) {{ {ALBUM_RESULT} }} }}"""
REMOVE_ALBUM = f"""mutation($a: ID!, $u: ID!) {{
  removeAlbumCollaborator(albumId: $a, userId: $u) {{ {ALBUM_RESULT} }} }}"""


@pytest.fixture
async def people(engine: AsyncEngine) -> dict[str, SignedInUser]:
    return {
        name: await make_user(engine, name, Role.ADMIN if name == "root" else Role.LISTENER)
        for name in ("alice", "bob", "carol", "dave", "root")
    }


def uid(user: SignedInUser) -> str:
    return global_id(USER_TYPE_NAME, user.record.id)


T_UPLOAD = global_id(TRACK_TYPE_NAME, UPLOAD)
T_SCANNED = global_id(TRACK_TYPE_NAME, SCANNED)


@pytest.fixture
async def album(engine: AsyncEngine, people: dict[str, SignedInUser]) -> str:
    """Alice's two unpublished uploads on one album, and a published scanned track."""
    rows = [
        {
            **track(1, title="Up One", artist="Alice", album="Demos", track_id=UPLOAD),
            "origin": "upload",
            "is_published": False,
        },
        {
            **track(2, title="Up Two", artist="Alice", album="Demos", track_id=SECOND),
            "origin": "upload",
            "is_published": False,
        },
        {**track(3, title="Scanned", artist="Band", album="Live"), "id": SCANNED},
    ]
    await insert_and_group(
        engine,
        [
            {
                **row,
                "origin": row.get("origin", "library"),
                "is_published": row.get("is_published", True),
            }
            for row in rows
        ],
    )
    async with engine.begin() as connection:
        await connection.execute(
            insert(TrackCollaboratorRecord),
            [
                {"track_id": UPLOAD, "user_id": people["alice"].record.id, "role": "owner"},
                {"track_id": SECOND, "user_id": people["alice"].record.id, "role": "owner"},
            ],
        )
        album_id = await connection.scalar(
            select(TrackRecord.album_id).where(TrackRecord.id == UPLOAD)
        )
    assert album_id is not None
    return global_id(ALBUM_TYPE_NAME, album_id)


@pytest.fixture
async def as_user(app: FastAPI) -> AsyncIterator[As]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as http:

        async def run(user: SignedInUser, query: str, **variables: Any) -> dict[str, Any]:
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=user.bearer
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            assert "errors" not in body, body
            (value,) = body["data"].values()
            result: dict[str, Any] = value
            return result

        yield run


def listed(result: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(c["user"]["username"], c["role"], c["inherited"]) for c in result["collaborators"]]


async def test_owner_adds_updates_and_removes_a_collaborator(
    as_user: As, people: dict[str, SignedInUser], album: str
) -> None:
    alice, bob = people["alice"], people["bob"]
    added = await as_user(alice, ADD, t=T_UPLOAD, u=uid(bob), r="VIEWER")
    assert listed(added) == [("alice", "OWNER", False), ("bob", "VIEWER", False)]
    updated = await as_user(alice, UPDATE, t=T_UPLOAD, u=uid(bob), r="EDITOR")
    assert listed(updated) == [("alice", "OWNER", False), ("bob", "EDITOR", False)]
    # bob, an editor now, may edit but not manage collaborators
    seen = await as_user(
        bob,
        "query($t: ID!) { track(id: $t) { viewerRole canEdit collaborators { role } } }",
        t=T_UPLOAD,
    )
    assert seen == {"viewerRole": "EDITOR", "canEdit": True, "collaborators": []}
    refused = await as_user(bob, ADD, t=T_UPLOAD, u=uid(people["carol"]), r="VIEWER")
    assert refused["__typename"] == "EditNotAllowedError"
    removed = await as_user(alice, REMOVE, t=T_UPLOAD, u=uid(bob))
    assert listed(removed) == [("alice", "OWNER", False)]
    gone = await as_user(bob, "query($t: ID!) { track(id: $t) { title } }", t=T_UPLOAD)
    assert gone is None


async def test_not_visible_is_not_found_and_a_viewer_changes_nothing(
    as_user: As, people: dict[str, SignedInUser], album: str
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    hidden = await as_user(bob, ADD, t=T_UPLOAD, u=uid(bob), r="OWNER")
    assert hidden == {
        "__typename": "TrackNotFoundError",
        "message": "No track has this ID.",
        "trackId": T_UPLOAD,
    }
    unknown = global_id(TRACK_TYPE_NAME, uuid.uuid4())
    assert (await as_user(bob, ADD, t=unknown, u=uid(bob), r="OWNER"))[
        "__typename"
    ] == "TrackNotFoundError"
    await as_user(alice, ADD, t=T_UPLOAD, u=uid(carol), r="VIEWER")
    as_viewer = await as_user(carol, ADD, t=T_UPLOAD, u=uid(carol), r="OWNER")
    assert as_viewer["__typename"] == "EditNotAllowedError"
    scanned = await as_user(bob, ADD, t=T_SCANNED, u=uid(bob), r="OWNER")
    assert scanned["__typename"] == "EditNotAllowedError"  # scanned tracks: admins only


async def test_unknown_user_and_unknown_collaborator(
    as_user: As, people: dict[str, SignedInUser], album: str
) -> None:
    alice = people["alice"]
    nobody = global_id(USER_TYPE_NAME, uuid.uuid4())
    missing = await as_user(alice, ADD, t=T_UPLOAD, u=nobody, r="VIEWER")
    assert missing == {
        "__typename": "UserNotFoundError",
        "message": "No account has this ID.",
        "userId": nobody,
    }
    not_one = await as_user(alice, UPDATE, t=T_UPLOAD, u=uid(people["dave"]), r="EDITOR")
    assert not_one["__typename"] == "CollaboratorNotFoundError"
    assert not_one["userId"] == uid(people["dave"])
    assert (await as_user(alice, REMOVE, t=T_UPLOAD, u=uid(people["dave"])))[
        "__typename"
    ] == "CollaboratorNotFoundError"


async def test_the_last_owner_of_an_upload_stays(
    as_user: As, people: dict[str, SignedInUser], album: str
) -> None:
    alice, root = people["alice"], people["root"]
    for query, extra in ((REMOVE, {}), (UPDATE, {"r": "EDITOR"}), (ADD, {"r": "VIEWER"})):
        refused = await as_user(root, query, t=T_UPLOAD, u=uid(alice), **extra)
        assert refused == {
            "__typename": "LastOwnerError",
            "message": "An uploaded track keeps at least one owner.",
        }
    await as_user(alice, ADD, t=T_UPLOAD, u=uid(people["bob"]), r="OWNER")
    demoted = await as_user(alice, UPDATE, t=T_UPLOAD, u=uid(alice), r="VIEWER")
    assert demoted["collaborators"] == []  # a viewer now: the list is for owners
    seen = await as_user(
        root,
        "query($t: ID!) { track(id: $t) { collaborators { user { username } role inherited } } }",
        t=T_UPLOAD,
    )
    assert listed(seen) == [("alice", "VIEWER", False), ("bob", "OWNER", False)]


async def test_album_owners_own_every_track_and_cannot_be_demoted_there(
    as_user: As, people: dict[str, SignedInUser], album: str
) -> None:
    alice, dave, root = people["alice"], people["dave"], people["root"]
    on_album = await as_user(root, ADD_ALBUM, a=album, u=uid(dave), r="OWNER")
    assert listed(on_album) == [("dave", "OWNER", False)]
    added = await as_user(alice, ADD, t=T_UPLOAD, u=uid(dave), r="VIEWER")
    assert ("dave", "OWNER", True) in listed(added)
    for query, extra in ((UPDATE, {"r": "VIEWER"}), (REMOVE, {})):
        refused = await as_user(root, query, t=T_UPLOAD, u=uid(dave), **extra)
        assert refused["__typename"] == "EditNotAllowedError"
    seen = await as_user(
        dave,
        "query($t: ID!) { track(id: $t) { viewerRole canEdit } }",
        t=global_id(TRACK_TYPE_NAME, SECOND),
    )
    assert seen == {"viewerRole": "OWNER", "canEdit": True}
    role = await as_user(dave, "query($a: ID!) { album(id: $a) { viewerRole canEdit } }", a=album)
    assert role == {"viewerRole": "OWNER", "canEdit": True}


async def test_album_collaborator_errors(
    as_user: As, people: dict[str, SignedInUser], album: str
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    assert (await as_user(bob, ADD_ALBUM, a=album, u=uid(bob), r="OWNER"))[
        "__typename"
    ] == "AlbumNotFoundError"
    # alice owns its tracks, not the album: managing the album is the album owners' (and admins')
    assert (await as_user(alice, ADD_ALBUM, a=album, u=uid(bob), r="VIEWER"))[
        "__typename"
    ] == "EditNotAllowedError"
    await as_user(people["root"], ADD_ALBUM, a=album, u=uid(alice), r="OWNER")
    nobody = global_id(USER_TYPE_NAME, uuid.uuid4())
    assert (await as_user(alice, ADD_ALBUM, a=album, u=nobody, r="VIEWER"))[
        "__typename"
    ] == "UserNotFoundError"
    assert (await as_user(alice, UPDATE_ALBUM, a=album, u=uid(carol), r="VIEWER"))[
        "__typename"
    ] == "CollaboratorNotFoundError"
    await as_user(alice, ADD_ALBUM, a=album, u=uid(carol), r="VIEWER")
    listing = await as_user(
        carol,
        """query($a: ID!) { album(id: $a) {
            title tracks { title } viewerRole canEdit collaborators { role } } }""",
        a=album,
    )
    assert listing == {
        "title": "Demos",
        "tracks": [{"title": "Up One"}, {"title": "Up Two"}],
        "viewerRole": "VIEWER",
        "canEdit": False,
        "collaborators": [],
    }
    removed = await as_user(alice, REMOVE_ALBUM, a=album, u=uid(carol))
    assert listed(removed) == [("alice", "OWNER", False)]
    # alice still owns both tracks herself, so her album role may go
    assert (await as_user(alice, REMOVE_ALBUM, a=album, u=uid(alice)))["__typename"] == "Album"


async def test_the_last_owner_of_an_uploaded_album_stays(
    as_user: As, people: dict[str, SignedInUser], album: str, engine: AsyncEngine
) -> None:
    alice, dave, root = people["alice"], people["dave"], people["root"]
    await as_user(root, ADD_ALBUM, a=album, u=uid(dave), r="OWNER")
    for track_id in (T_UPLOAD, global_id(TRACK_TYPE_NAME, SECOND)):
        await as_user(dave, ADD, t=track_id, u=uid(alice), r="VIEWER")
    refused = await as_user(root, REMOVE_ALBUM, a=album, u=uid(dave))
    assert refused == {
        "__typename": "LastOwnerError",
        "message": "The album's uploaded tracks keep at least one owner.",
    }
    assert (await as_user(root, UPDATE_ALBUM, a=album, u=uid(dave), r="EDITOR"))[
        "__typename"
    ] == "LastOwnerError"


async def test_user_by_username(as_user: As, people: dict[str, SignedInUser]) -> None:
    query = "query($n: String!) { userByUsername(username: $n) { id username } }"
    found = await as_user(people["bob"], query, n="ALICE")
    assert found == {"id": uid(people["alice"]), "username": "alice"}
    assert await as_user(people["bob"], query, n="ali") is None
