"""Playlists over GraphQL: every mutation, every refusal, lists, items, visibility."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.seed import insert_and_group, track
from tests.support.accounts import SignedInUser, make_user
from tonearm.accounts.users import Role
from tonearm.db.models import (
    PlaylistItemRecord,
    PlaylistRecord,
    TrackCollaboratorRecord,
    UserRecord,
)
from tonearm.schema.ids import (
    PLAYLIST_ITEM_TYPE_NAME,
    PLAYLIST_TYPE_NAME,
    TRACK_TYPE_NAME,
    USER_TYPE_NAME,
    global_id,
)

Run = Callable[..., Awaitable[dict[str, Any]]]
TRACKS = [uuid.UUID(int=index, version=4) for index in range(1, 7)]
HIDDEN = uuid.UUID("00000000-0000-4000-8000-00000000d0d0")  # bob's unpublished upload
T = [global_id(TRACK_TYPE_NAME, track_id) for track_id in TRACKS]
T_HIDDEN = global_id(TRACK_TYPE_NAME, HIDDEN)

FIELDS = {
    "PlaylistNotFoundError": "message playlistId",
    "EditNotAllowedError": "message",
    "InvalidPlaylistInputError": "message field",
    "InvalidPlaylistPositionError": "message position trackCount",
    "PlaylistTooLongError": "message limit",
    "TrackNotFoundError": "message trackId",
    "PlaylistItemNotFoundError": "message itemId",
    "UserNotFoundError": "message userId",
    "InvalidSmartRulesError": "message ruleIndex ruleField: field",
    "DeletedPlaylist": "id",
}
PLAYLIST = """id name description isPublic isCollaborative isSmart isReadOnly viewerCanEdit
  viewerCanAddTracks trackCount durationSeconds owner { id username }
  collaborators { username } coverArt { url }
  items(first: 100) { totalCount edges { cursor node { id position addedBy { username }
    track { id title } } } pageInfo { hasNextPage } } }"""


def result_of(*types: str) -> str:
    """The selection of a result union of these members (and Playlist)."""
    parts = ["__typename", f"... on Playlist {{ {PLAYLIST}"]
    parts += [f"... on {name} {{ {FIELDS[name]} }}" for name in types]
    return "\n  ".join(parts)


ITEMS = result_of(
    "PlaylistNotFoundError",
    "EditNotAllowedError",
    "TrackNotFoundError",
    "PlaylistItemNotFoundError",
    "InvalidPlaylistPositionError",
    "PlaylistTooLongError",
)
CREATE = f"""mutation($input: PlaylistInput!) {{
  createPlaylist(input: $input) {{ {result_of("InvalidPlaylistInputError")} }} }}"""
UPDATED = result_of(
    "PlaylistNotFoundError",
    "EditNotAllowedError",
    "InvalidPlaylistInputError",
    "InvalidSmartRulesError",
)
UPDATE = f"""mutation($id: ID!, $input: PlaylistUpdateInput!) {{
  updatePlaylist(id: $id, input: $input) {{ {UPDATED} }} }}"""
DELETE = """mutation($id: ID!) { deletePlaylist(id: $id) { __typename
  ... on DeletedPlaylist { id } ... on PlaylistNotFoundError { message playlistId }
  ... on EditNotAllowedError { message } } }"""
ADD = f"""mutation($p: ID!, $t: [ID!]!, $at: Int) {{
  addToPlaylist(playlistId: $p, trackIds: $t, position: $at) {{ {ITEMS} }} }}"""
REMOVE = f"""mutation($p: ID!, $i: [ID!]!) {{
  removeFromPlaylist(playlistId: $p, itemIds: $i) {{ {ITEMS} }} }}"""
MOVE = f"""mutation($p: ID!, $i: ID!, $to: Int!) {{
  movePlaylistItem(playlistId: $p, itemId: $i, toPosition: $to) {{ {ITEMS} }} }}"""
COLLABORATED = result_of("PlaylistNotFoundError", "EditNotAllowedError", "UserNotFoundError")
COLLABORATORS = f"""mutation($p: ID!, $u: [ID!]!) {{
  setPlaylistCollaborators(playlistId: $p, userIds: $u) {{ {COLLABORATED} }} }}"""
ONE = f"query($id: ID!) {{ playlist(id: $id) {{ {PLAYLIST[:-2]} }} }}"
LIST = """query($scope: PlaylistScope!, $first: Int, $after: String) {
  playlists(scope: $scope, first: $first, after: $after) {
    totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
async def people(engine: AsyncEngine) -> dict[str, SignedInUser]:
    return {
        name: await make_user(engine, name, Role.ADMIN if name == "root" else Role.LISTENER)
        for name in ("alice", "bob", "carol", "root")
    }


@pytest.fixture
async def library(engine: AsyncEngine, people: dict[str, SignedInUser]) -> None:
    """Six published tracks and bob's unpublished upload."""
    rows = [
        {
            **track(index, title=f"Song {index}", artist="Band", album="Record", track_id=tid),
            "origin": "library",
            "is_published": True,
        }
        for index, tid in enumerate(TRACKS, start=1)
    ]
    hidden = track(9, title="Secret", artist="Bob", album="Demos", track_id=HIDDEN)
    rows.append({**hidden, "origin": "upload", "is_published": False})
    await insert_and_group(engine, rows)
    async with engine.begin() as connection:
        await connection.execute(
            insert(TrackCollaboratorRecord).values(
                track_id=HIDDEN, user_id=people["bob"].record.id, role="owner"
            )
        )


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as client:
        yield client


@pytest.fixture
def raw(http: httpx.AsyncClient) -> Run:
    """The whole response body of an operation run as a user."""

    async def run(user: SignedInUser, query: str, **variables: Any) -> dict[str, Any]:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=user.bearer
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


@pytest.fixture
def as_user(raw: Run) -> Run:
    """The one root field's value of an operation that must not fail."""

    async def run(user: SignedInUser, query: str, **variables: Any) -> dict[str, Any]:
        body = await raw(user, query, **variables)
        assert "errors" not in body, body
        (value,) = body["data"].values()
        result: dict[str, Any] = value
        return result

    return run


async def create(as_user: Run, user: SignedInUser, name: str, **settings: Any) -> str:
    result = await as_user(user, CREATE, input={"name": name, **settings})
    assert result["__typename"] == "Playlist", result
    playlist_id: str = result["id"]
    return playlist_id


def titles(result: dict[str, Any]) -> list[str]:
    return [edge["node"]["track"]["title"] for edge in result["items"]["edges"]]


def item_ids(result: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in result["items"]["edges"]]


def uid(user: SignedInUser) -> str:
    return global_id(USER_TYPE_NAME, user.record.id)


async def test_create_add_move_remove_round_trip(
    as_user: Run, people: dict[str, SignedInUser], library: None
) -> None:
    alice = people["alice"]
    playlist = await create(as_user, alice, "  Road trip  ", description="For the car")
    added = await as_user(alice, ADD, p=playlist, t=[T[0], T[1], T[0]])
    assert added["__typename"] == "Playlist"
    assert added["name"] == "Road trip"
    assert added["owner"] == {"id": uid(alice), "username": "alice"}
    assert titles(added) == ["Song 1", "Song 2", "Song 1"]
    assert [e["node"]["position"] for e in added["items"]["edges"]] == [0, 1, 2]
    assert added["trackCount"] == 3
    assert added["durationSeconds"] == 540.0
    assert added["items"]["edges"][0]["node"]["addedBy"] == {"username": "alice"}
    assert (added["viewerCanEdit"], added["viewerCanAddTracks"]) == (True, True)

    at_start = await as_user(alice, ADD, p=playlist, t=[T[2]], at=0)
    assert titles(at_start) == ["Song 3", "Song 1", "Song 2", "Song 1"]
    middle = await as_user(alice, ADD, p=playlist, t=[T[3], T[4]], at=2)
    assert titles(middle) == ["Song 3", "Song 1", "Song 4", "Song 5", "Song 2", "Song 1"]
    end = await as_user(alice, ADD, p=playlist, t=[T[5]], at=6)
    assert titles(end)[-1] == "Song 6"

    ids = item_ids(end)
    down = await as_user(alice, MOVE, p=playlist, i=ids[0], to=3)  # Song 3 down
    assert titles(down) == ["Song 1", "Song 4", "Song 5", "Song 3", "Song 2", "Song 1", "Song 6"]
    up = await as_user(alice, MOVE, p=playlist, i=ids[6], to=1)  # Song 6 up
    assert titles(up) == ["Song 1", "Song 6", "Song 4", "Song 5", "Song 3", "Song 2", "Song 1"]
    last = await as_user(alice, MOVE, p=playlist, i=ids[6], to=6)
    assert titles(last)[-1] == "Song 6"
    first = await as_user(alice, MOVE, p=playlist, i=ids[6], to=0)
    assert titles(first)[0] == "Song 6"
    same = await as_user(alice, MOVE, p=playlist, i=ids[6], to=0)
    assert titles(same) == titles(first)

    removed = await as_user(alice, REMOVE, p=playlist, i=[ids[0], ids[6]])
    assert titles(removed) == ["Song 1", "Song 4", "Song 5", "Song 2", "Song 1"]
    assert [e["node"]["position"] for e in removed["items"]["edges"]] == [0, 1, 2, 3, 4]
    again = await as_user(alice, REMOVE, p=playlist, i=[ids[0]])
    assert again == {
        "__typename": "PlaylistItemNotFoundError",
        "message": "This playlist has no item with this ID.",
        "itemId": ids[0],
    }
    read = await as_user(alice, ONE, id=playlist)
    assert [e["node"]["track"]["title"] for e in read["items"]["edges"]] == titles(removed)
    deleted = await as_user(alice, DELETE, id=playlist)
    assert deleted == {"__typename": "DeletedPlaylist", "id": playlist}
    assert await as_user(alice, ONE, id=playlist) is None
    # Deleting moves it to the trash: a second delete finds nothing, a restore brings it
    # back with its items (tests/trash has the rest).
    assert (await as_user(alice, DELETE, id=playlist))["__typename"] == "PlaylistNotFoundError"
    trash = "query { trash { edges { node { id kind trackCount } } } }"
    assert await as_user(alice, trash) == {
        "edges": [
            {"node": {"id": playlist, "kind": "PLAYLIST", "trackCount": len(titles(removed))}}
        ]
    }
    restored = "mutation($id: ID!) { restore(id: $id) { __typename } }"
    assert await as_user(alice, restored, id=playlist) == {"__typename": "TrashEntry"}
    read = await as_user(alice, ONE, id=playlist)
    assert [e["node"]["track"]["title"] for e in read["items"]["edges"]] == titles(removed)


async def test_another_users_private_playlist_is_not_there_for_every_mutation(
    as_user: Run, people: dict[str, SignedInUser], library: None
) -> None:
    alice, bob = people["alice"], people["bob"]
    private = await create(as_user, alice, "Mine")
    added = await as_user(alice, ADD, p=private, t=[T[0]])
    item = item_ids(added)[0]
    random_id = global_id(PLAYLIST_TYPE_NAME, uuid.uuid4())
    for playlist in (private, random_id):
        expected = {
            "__typename": "PlaylistNotFoundError",
            "message": "No playlist has this ID.",
            "playlistId": playlist,
        }
        assert await as_user(bob, UPDATE, id=playlist, input={"name": "x"}) == expected
        assert await as_user(bob, DELETE, id=playlist) == expected
        assert await as_user(bob, ADD, p=playlist, t=[T[1]]) == expected
        assert await as_user(bob, REMOVE, p=playlist, i=[item]) == expected
        assert await as_user(bob, MOVE, p=playlist, i=item, to=0) == expected
        assert await as_user(bob, COLLABORATORS, p=playlist, u=[uid(bob)]) == expected
        assert await as_user(bob, ONE, id=playlist) is None
    node = await as_user(bob, "query($id: ID!) { node(id: $id) { id } }", id=private)
    assert node is None
    mine = await as_user(
        alice, "query($id: ID!) { node(id: $id) { ... on Playlist { name } } }", id=private
    )
    assert mine == {"name": "Mine"}
    listed = await as_user(bob, LIST, scope="ALL")
    assert listed["totalCount"] == 0
    # Nothing changed.
    assert titles(await as_user(alice, ONE, id=private)) == ["Song 1"]


async def test_another_users_public_playlist_is_read_only_for_them(
    as_user: Run, people: dict[str, SignedInUser], library: None
) -> None:
    alice, bob = people["alice"], people["bob"]
    public = await create(as_user, alice, "Shared", isPublic=True)
    item = item_ids(await as_user(alice, ADD, p=public, t=[T[0], T[1]]))[0]
    seen = await as_user(bob, ONE, id=public)
    assert (seen["viewerCanEdit"], seen["viewerCanAddTracks"]) == (False, False)
    assert seen["trackCount"] == 2
    for result in (
        await as_user(bob, UPDATE, id=public, input={"name": "Taken"}),
        await as_user(bob, DELETE, id=public),
        await as_user(bob, ADD, p=public, t=[T[2]]),
        await as_user(bob, REMOVE, p=public, i=[item]),
        await as_user(bob, MOVE, p=public, i=item, to=1),
        await as_user(bob, COLLABORATORS, p=public, u=[uid(bob)]),
    ):
        assert result["__typename"] == "EditNotAllowedError", result
        assert result["message"]
    assert titles(await as_user(alice, ONE, id=public)) == ["Song 1", "Song 2"]
    # An admin may.
    renamed = await as_user(people["root"], UPDATE, id=public, input={"name": "Renamed"})
    assert renamed["name"] == "Renamed"


async def test_collaborators_add_and_reorder_until_collaboration_is_off(
    as_user: Run, people: dict[str, SignedInUser], library: None
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    playlist = await create(as_user, alice, "Together", isCollaborative=True)
    set_ = await as_user(alice, COLLABORATORS, p=playlist, u=[uid(bob), uid(alice)])
    assert set_["collaborators"] == [{"username": "bob"}]
    seen = await as_user(bob, ONE, id=playlist)
    assert (seen["viewerCanEdit"], seen["viewerCanAddTracks"]) == (False, True)
    added = await as_user(bob, ADD, p=playlist, t=[T[0], T[1]])
    assert [e["node"]["addedBy"]["username"] for e in added["items"]["edges"]] == ["bob", "bob"]
    moved = await as_user(bob, MOVE, p=playlist, i=item_ids(added)[1], to=0)
    assert titles(moved) == ["Song 2", "Song 1"]
    # Bob may not change settings or collaborators.
    refused = await as_user(bob, COLLABORATORS, p=playlist, u=[uid(carol)])
    assert refused["__typename"] == "EditNotAllowedError"
    assert (await as_user(bob, UPDATE, id=playlist, input={"name": "B"}))["__typename"] == (
        "EditNotAllowedError"
    )
    # Carol is not a collaborator: the private playlist is not there for her.
    assert (await as_user(carol, ADD, p=playlist, t=[T[2]]))["__typename"] == (
        "PlaylistNotFoundError"
    )
    mine = await as_user(bob, LIST, scope="MINE")
    assert [e["node"]["name"] for e in mine["edges"]] == ["Together"]
    # Off: the rows stay, but no longer let bob change the tracks.
    off = await as_user(alice, UPDATE, id=playlist, input={"isCollaborative": False})
    assert off["collaborators"] == [{"username": "bob"}]
    assert (await as_user(bob, ADD, p=playlist, t=[T[2]]))["__typename"] == "EditNotAllowedError"
    assert (await as_user(bob, LIST, scope="MINE"))["totalCount"] == 0
    # Users must exist and be enabled.
    missing = global_id(USER_TYPE_NAME, uuid.uuid4())
    result = await as_user(alice, COLLABORATORS, p=playlist, u=[uid(bob), missing])
    assert result == {
        "__typename": "UserNotFoundError",
        "message": "No enabled account has this ID.",
        "userId": missing,
    }


async def test_disabled_user_cannot_become_a_collaborator(
    as_user: Run, people: dict[str, SignedInUser], library: None, engine: AsyncEngine
) -> None:
    alice, carol = people["alice"], people["carol"]
    playlist = await create(as_user, alice, "Together", isCollaborative=True)
    async with engine.begin() as connection:
        await connection.execute(
            update(UserRecord).where(UserRecord.id == carol.record.id).values(is_active=False)
        )
    result = await as_user(alice, COLLABORATORS, p=playlist, u=[uid(carol)])
    assert result["__typename"] == "UserNotFoundError"
    assert result["userId"] == uid(carol)


async def test_the_servers_file_playlist_is_read_only(
    as_user: Run, people: dict[str, SignedInUser], library: None, engine: AsyncEngine
) -> None:
    file_id = uuid.uuid4()
    async with engine.begin() as connection:
        await connection.execute(
            insert(PlaylistRecord).values(
                id=file_id,
                owner_id=None,
                kind="file",
                name="Server Mix",
                source_path="mixes/server.m3u",
                sort_name="server mix",
            )
        )
        await connection.execute(
            insert(PlaylistItemRecord).values(
                id=uuid.uuid4(), playlist_id=file_id, track_id=TRACKS[0], position=2**32
            )
        )
    playlist = global_id(PLAYLIST_TYPE_NAME, file_id)
    for user in (people["alice"], people["root"]):
        seen = await as_user(user, ONE, id=playlist)
        assert seen["owner"] is None
        assert seen["isReadOnly"] is True
        assert (seen["viewerCanEdit"], seen["viewerCanAddTracks"]) == (False, False)
        assert titles(seen) == ["Song 1"]
        item = item_ids(seen)[0]
        for result in (
            await as_user(user, UPDATE, id=playlist, input={"name": "Mine"}),
            await as_user(user, DELETE, id=playlist),
            await as_user(user, ADD, p=playlist, t=[T[1]]),
            await as_user(user, REMOVE, p=playlist, i=[item]),
            await as_user(user, MOVE, p=playlist, i=item, to=0),
            await as_user(user, COLLABORATORS, p=playlist, u=[]),
        ):
            assert result["__typename"] == "EditNotAllowedError", result
    public = await as_user(people["alice"], LIST, scope="PUBLIC")
    assert [e["node"]["name"] for e in public["edges"]] == ["Server Mix"]


async def test_invisible_tracks_are_left_out_of_items_and_counts(
    as_user: Run, people: dict[str, SignedInUser], library: None, engine: AsyncEngine
) -> None:
    alice, bob = people["alice"], people["bob"]
    playlist = await create(as_user, bob, "Demos", isPublic=True)
    bobs = await as_user(bob, ADD, p=playlist, t=[T[0], T_HIDDEN, T[1]])
    assert titles(bobs) == ["Song 1", "Secret", "Song 2"]
    assert bobs["trackCount"] == 3
    # Alice cannot add bob's unpublished upload: not there for her.
    mine = await create(as_user, alice, "Mine")
    refused = await as_user(alice, ADD, p=mine, t=[T[0], T_HIDDEN])
    assert refused == {
        "__typename": "TrackNotFoundError",
        "message": "No track has this ID.",
        "trackId": T_HIDDEN,
    }
    assert (await as_user(alice, ONE, id=mine))["trackCount"] == 0
    seen = await as_user(alice, ONE, id=playlist)
    assert titles(seen) == ["Song 1", "Song 2"]
    assert [e["node"]["position"] for e in seen["items"]["edges"]] == [0, 2]
    assert seen["trackCount"] == 2
    assert seen["items"]["totalCount"] == 2
    assert seen["durationSeconds"] == 360.0
    one = """query($id: ID!, $after: String) { playlist(id: $id) { items(first: 1, after: $after) {
      edges { node { position track { title } } } pageInfo { endCursor } } } }"""
    page = (await as_user(alice, one, id=playlist))["items"]
    after = page["pageInfo"]["endCursor"]
    second = (await as_user(alice, one, id=playlist, after=after))["items"]["edges"]
    assert second == [{"node": {"position": 2, "track": {"title": "Song 2"}}}]
    # Unpublishing a track hides it from everyone else too.
    async with engine.begin() as connection:
        from tonearm.db.models import TrackRecord

        await connection.execute(
            update(TrackRecord).where(TrackRecord.id == TRACKS[1]).values(is_published=False)
        )
    assert titles(await as_user(alice, ONE, id=playlist)) == ["Song 1"]


async def test_bad_input_gets_clear_errors(
    as_user: Run, raw: Run, people: dict[str, SignedInUser], library: None
) -> None:
    alice = people["alice"]
    empty = await as_user(alice, CREATE, input={"name": "   "})
    assert empty == {
        "__typename": "InvalidPlaylistInputError",
        "message": "A playlist needs a name.",
        "field": "name",
    }
    long = await as_user(alice, CREATE, input={"name": "x" * 201})
    assert (long["__typename"], long["field"]) == ("InvalidPlaylistInputError", "name")
    assert (await as_user(alice, CREATE, input={"name": "x" * 200}))["__typename"] == "Playlist"
    described = await as_user(alice, CREATE, input={"name": "d", "description": "x" * 2001})
    assert described["field"] == "description"
    playlist = await create(as_user, alice, "P")
    renamed = await as_user(alice, UPDATE, id=playlist, input={"name": ""})
    assert renamed["field"] == "name"
    await as_user(alice, ADD, p=playlist, t=[T[0], T[1]])
    for position in (-1, 3):
        result = await as_user(alice, ADD, p=playlist, t=[T[2]], at=position)
        assert result == {
            "__typename": "InvalidPlaylistPositionError",
            "message": f"Position {position} is outside 0..2.",
            "position": position,
            "trackCount": 2,
        }
    item = item_ids(await as_user(alice, ONE, id=playlist))[0]
    for position in (-1, 2):
        result = await as_user(alice, MOVE, p=playlist, i=item, to=position)
        assert (result["__typename"], result["position"]) == (
            "InvalidPlaylistPositionError",
            position,
        )
    too_many = await as_user(alice, ADD, p=playlist, t=[T[0]] * 1001)
    assert too_many["__typename"] == "PlaylistTooLongError"
    assert too_many["limit"] == 1000
    # Malformed ids: the API's INVALID_ID, never a 500.
    for query, variables in (
        (ADD, {"p": "nope", "t": [T[0]]}),
        (ADD, {"p": playlist, "t": ["nope"]}),
        (ADD, {"p": T[0], "t": [T[0]]}),
        (REMOVE, {"p": playlist, "i": [T[0]]}),
        (MOVE, {"p": playlist, "i": "x", "to": 0}),
        (COLLABORATORS, {"p": playlist, "u": ["x"]}),
        (ONE, {"id": "bad"}),
    ):
        body = await raw(alice, query, **variables)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_ID"], body
    foreign_item = global_id(PLAYLIST_ITEM_TYPE_NAME, uuid.uuid4())
    missing = await as_user(alice, MOVE, p=playlist, i=foreign_item, to=0)
    assert missing["__typename"] == "PlaylistItemNotFoundError"
    assert missing["itemId"] == foreign_item
    body = await raw(alice, LIST, scope="ALL", first=101)
    assert body["errors"][0]["extensions"]["code"] == "PAGE_TOO_LARGE"
    body = await raw(alice, LIST, scope="ALL", after="garbage")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_lists_by_scope_and_name_with_cursors(
    as_user: Run, people: dict[str, SignedInUser], library: None
) -> None:
    alice, bob = people["alice"], people["bob"]
    for name in ("beta", "Alpha", "Émile", "delta"):
        await create(as_user, alice, name)
    await create(as_user, bob, "Bob public", isPublic=True)
    await create(as_user, bob, "Bob private")
    names = [e["node"]["name"] for e in (await as_user(alice, LIST, scope="ALL"))["edges"]]
    assert names == ["Alpha", "beta", "Bob public", "delta", "Émile"]
    mine = await as_user(alice, LIST, scope="MINE", first=2)
    assert [e["node"]["name"] for e in mine["edges"]] == ["Alpha", "beta"]
    assert mine["totalCount"] == 4
    rest = await as_user(alice, LIST, scope="MINE", first=2, after=mine["pageInfo"]["endCursor"])
    assert [e["node"]["name"] for e in rest["edges"]] == ["delta", "Émile"]
    assert rest["pageInfo"]["hasNextPage"] is False
    public = await as_user(alice, LIST, scope="PUBLIC")
    assert [e["node"]["name"] for e in public["edges"]] == ["Bob public"]
    everything = await as_user(people["root"], LIST, scope="ALL")
    assert everything["totalCount"] == 6


async def test_items_page_through_cursors(
    as_user: Run, raw: Run, people: dict[str, SignedInUser], library: None
) -> None:
    alice = people["alice"]
    playlist = await create(as_user, alice, "Long")
    await as_user(alice, ADD, p=playlist, t=T * 5)
    page = """query($id: ID!, $after: String) { playlist(id: $id) {
      items(first: 7, after: $after) { edges { node { position track { title } } }
        pageInfo { hasNextPage endCursor } } } }"""
    seen: list[int] = []
    after = None
    while True:
        result = await as_user(alice, page, id=playlist, after=after)
        items = result["items"]
        seen += [edge["node"]["position"] for edge in items["edges"]]
        if not items["pageInfo"]["hasNextPage"]:
            break
        after = items["pageInfo"]["endCursor"]
    assert seen == list(range(30))
    forged = base64.urlsafe_b64encode(b'[2,"playlist_items.POSITION",[1e400],"00"]').decode()
    body = await raw(alice, page, id=playlist, after=forged.rstrip("="))
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_cover_art_is_own_image_else_mosaic(
    as_user: Run, people: dict[str, SignedInUser], library: None, engine: AsyncEngine
) -> None:
    from tests.graphql.seed import insert_artwork

    alice = people["alice"]
    playlist = await create(as_user, alice, "Covered")
    assert (await as_user(alice, ONE, id=playlist))["coverArt"] is None
    await insert_artwork(engine, "a" * 64)
    await insert_artwork(engine, "b" * 64)
    async with engine.begin() as connection:
        playlist_id = await connection.scalar(select(PlaylistRecord.id))
        await connection.execute(
            update(PlaylistRecord)
            .where(PlaylistRecord.id == playlist_id)
            .values(mosaic_hash="b" * 64)
        )
    assert (await as_user(alice, ONE, id=playlist))["coverArt"]["url"].startswith(
        "/api/art/" + "b" * 64
    )
    async with engine.begin() as connection:
        await connection.execute(update(PlaylistRecord).values(artwork_hash="a" * 64))
    assert (await as_user(alice, ONE, id=playlist))["coverArt"]["url"].startswith(
        "/api/art/" + "a" * 64
    )


async def test_signed_out_and_account_less_viewers(
    anonymous: httpx.AsyncClient,
    make_settings: Callable[..., Any],
    database_url_for_test: str,
    media_root: Any,
) -> None:
    body = (await anonymous.post("/graphql", json={"query": "{ playlists { totalCount } }"})).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    from tonearm.app import create_app

    local = create_app(
        make_settings(database_url=database_url_for_test, media_root=media_root, auth="none")
    )
    transport = httpx.ASGITransport(app=local)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as http:
        body = (
            await http.post(
                "/graphql",
                json={"query": CREATE, "variables": {"input": {"name": "x"}}},
                headers={"Origin": "http://tonearm.test"},
            )
        ).json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        listed = (
            await http.post("/graphql", json={"query": "{ playlists(scope: MINE) { totalCount } }"})
        ).json()
        assert listed == {"data": {"playlists": {"totalCount": 0}}}
