"""The trash over GraphQL: delete, what hides at once, restore exactly, purge, who may."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.trash.conftest import As, Library
from tonearm.db.engine import create_session_factory
from tonearm.db.models import (
    AlbumRecord,
    CommentRecord,
    LikeRecord,
    PlayCountRecord,
    PlaylistItemRecord,
    PurgedPathRecord,
    ShareRecord,
    TrackRecord,
    TrashRecord,
)
from tonearm.library.grouping import GroupingChanges, group_tracks
from tonearm.schema.ids import PLAYLIST_TYPE_NAME, TRACK_TYPE_NAME, global_id, parse_global_id

ENTRY = """__typename
  ... on TrashEntry { id kind name trackCount deletedBy { username } deletedAt purgeAt
    object { __typename ... on Track { title } ... on Album { title }
      ... on Playlist { name } } }"""
RESULT = f"""{ENTRY}
  ... on TrackNotFoundError {{ message trackId }}
  ... on AlbumNotFoundError {{ message albumId }}
  ... on EditNotAllowedError {{ message }}"""
DELETE_TRACK = f"mutation($id: ID!) {{ deleteTrack(id: $id) {{ {RESULT} }} }}"
DELETE_ALBUM = f"mutation($id: ID!) {{ deleteAlbum(id: $id) {{ {RESULT} }} }}"
RESTORE = f"""mutation($id: ID!) {{ restore(id: $id) {{ {ENTRY}
  ... on NotInTrashError {{ message id }} }} }}"""
PURGE = """mutation($id: ID!) { purge(id: $id) { __typename
  ... on Purged { id kind } ... on NotInTrashError { message id } } }"""
EMPTY = "mutation { emptyTrash { purgedCount } }"
TRASH = """query($first: Int, $after: String) { trash(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id kind name trackCount deletedBy { username } } } } }"""
TRACK = (
    "query($id: ID!) { track(id: $id) { title likeCount viewerHasLiked viewerPlayCount "
    "comments { totalCount edges { node { body } } } } }"
)
TRACKS = """query($search: String) { tracks(first: 50, search: $search) {
  totalCount edges { node { title } } } }"""
ALBUM = "query($id: ID!) { album(id: $id) { id title trackCount tracks { title } } }"
LIKED = (
    "query { liked(kind: TRACK) { totalCount edges { node { item { ... on Track { title } } } } } }"
)
LIBRARY = "query { library { trackCount albumCount } }"
STREAM = """mutation($id: ID!) { createStreamUrl(trackId: $id) { __typename } }"""
LIKE = "mutation($id: ID!) { setLiked(id: $id, liked: true) { __typename } }"
PLAY = """mutation($id: ID!) { recordPlay(trackId: $id, playedSeconds: 170) { __typename } }"""
COMMENT = 'mutation($id: ID!) { addComment(targetId: $id, body: "lovely") { __typename } }'
CREATE_PLAYLIST = """mutation { createPlaylist(input: {name: "Mix"}) { ... on Playlist { id } } }"""
ADD = """mutation($p: ID!, $t: [ID!]!) { addToPlaylist(playlistId: $p, trackIds: $t) {
  __typename } }"""
PLAYLIST = """query($id: ID!) { playlist(id: $id) { name trackCount
  items { edges { node { position track { title } } } } } }"""
DELETE_PLAYLIST = """mutation($id: ID!) { deletePlaylist(id: $id) { __typename
  ... on DeletedPlaylist { id } ... on PlaylistNotFoundError { playlistId }
  ... on EditNotAllowedError { message } } }"""


def titles(connection: dict[str, Any]) -> list[str]:
    """The titles of a tracks connection's page."""
    return [edge["node"]["title"] for edge in connection["edges"]]


def items(playlist: dict[str, Any]) -> list[tuple[int, str]]:
    """A playlist's visible items as (position, title)."""
    return [
        (edge["node"]["position"], edge["node"]["track"]["title"])
        for edge in playlist["items"]["edges"]
    ]


async def _playlist_of(as_user: As, user: Any, track_ids: list[str]) -> str:
    playlist: str = (await as_user(user, CREATE_PLAYLIST))["id"]
    assert (await as_user(user, ADD, p=playlist, t=track_ids))["__typename"] == "Playlist"
    return playlist


async def test_delete_hides_a_track_everywhere_and_restore_brings_everything_back(
    as_user: As, library: Library
) -> None:
    alice = library.people["alice"]
    first, second, third = library.uploaded
    assert (await as_user(alice, LIKE, id=second))["__typename"] == "LikeState"
    assert (await as_user(alice, PLAY, id=second))["__typename"] == "RecordedPlay"
    assert (await as_user(alice, COMMENT, id=second))["__typename"] == "Comment"
    playlist = await _playlist_of(as_user, alice, [first, second, third])
    before_library = await as_user(alice, LIBRARY)
    before = await as_user(alice, TRACK, id=second)
    assert before["viewerHasLiked"] is True
    assert before["viewerPlayCount"] == 1

    deleted = await as_user(alice, DELETE_TRACK, id=second)
    assert deleted["__typename"] == "TrashEntry"
    assert deleted["id"] == second
    assert (deleted["kind"], deleted["name"], deleted["trackCount"]) == ("TRACK", "Wave 2", 1)
    assert deleted["deletedBy"] == {"username": "alice"}
    assert deleted["object"] == {"__typename": "Track", "title": "Wave 2"}
    assert deleted["purgeAt"] is not None

    # Gone at once from every list, search, count, lookup and stream.
    assert await as_user(alice, TRACK, id=second) is None
    assert "Wave 2" not in titles(await as_user(alice, TRACKS))
    assert titles(await as_user(alice, TRACKS, search="Wave 2")) == []
    after_library = await as_user(alice, LIBRARY)
    assert after_library["trackCount"] == before_library["trackCount"] - 1
    album = await as_user(alice, ALBUM, id=library.album)
    assert (album["trackCount"], [t["title"] for t in album["tracks"]]) == (
        2,
        ["Wave 1", "Wave 3"],
    )
    assert (await as_user(alice, LIKED))["totalCount"] == 0
    assert items(await as_user(alice, PLAYLIST, id=playlist)) == [(0, "Wave 1"), (2, "Wave 3")]
    assert (await as_user(alice, STREAM, id=second))["__typename"] == "TrackNotFoundError"
    assert (await as_user(alice, DELETE_TRACK, id=second))["__typename"] == "TrackNotFoundError"

    restored = await as_user(alice, RESTORE, id=second)
    assert (restored["__typename"], restored["id"]) == ("TrashEntry", second)
    after = await as_user(alice, TRACK, id=second)
    assert after == before
    assert (await as_user(alice, LIKED))["totalCount"] == 1
    assert items(await as_user(alice, PLAYLIST, id=playlist)) == [
        (0, "Wave 1"),
        (1, "Wave 2"),
        (2, "Wave 3"),
    ]
    assert await as_user(alice, LIBRARY) == before_library
    assert (await as_user(alice, ALBUM, id=library.album))["trackCount"] == 3
    assert (await as_user(alice, TRASH))["totalCount"] == 0
    # Restoring twice: nothing is in the trash any more.
    again = await as_user(alice, RESTORE, id=second)
    assert again == {
        "__typename": "NotInTrashError",
        "message": "Nothing you can see in the trash has this ID.",
        "id": second,
    }


async def test_album_delete_takes_its_available_tracks_and_restore_gives_the_same_album(
    as_user: As, library: Library, engine: AsyncEngine
) -> None:
    alice = library.people["alice"]
    second = library.uploaded[1]
    assert (await as_user(alice, DELETE_TRACK, id=second))["__typename"] == "TrashEntry"
    deleted = await as_user(alice, DELETE_ALBUM, id=library.album)
    assert deleted["__typename"] == "TrashEntry"
    assert (deleted["id"], deleted["kind"], deleted["name"]) == (library.album, "ALBUM", "Harbour")
    assert deleted["trackCount"] == 2  # Wave 2 keeps its own entry
    assert await as_user(alice, ALBUM, id=library.album) is None
    assert [t for t in titles(await as_user(alice, TRACKS)) if t.startswith("Wave")] == []
    listed = await as_user(alice, TRASH)
    assert [(e["node"]["kind"], e["node"]["trackCount"]) for e in listed["edges"]] == [
        ("ALBUM", 2),
        ("TRACK", 1),
    ]
    album_id = parse_global_id(library.album, "Album")
    async with engine.connect() as connection:
        kept = await connection.scalar(
            select(AlbumRecord.is_available).where(AlbumRecord.id == album_id)
        )
    assert kept is False  # the album row stays, hidden

    assert (await as_user(alice, RESTORE, id=library.album))["__typename"] == "TrashEntry"
    album = await as_user(alice, ALBUM, id=library.album)
    assert album["id"] == library.album
    assert [t["title"] for t in album["tracks"]] == ["Wave 1", "Wave 3"]
    assert (await as_user(alice, RESTORE, id=second))["__typename"] == "TrashEntry"
    assert (await as_user(alice, ALBUM, id=library.album))["trackCount"] == 3


async def test_not_visible_is_not_found_and_visible_but_not_owned_is_not_allowed(
    as_user: As, library: Library
) -> None:
    alice, bob, root = (library.people[n] for n in ("alice", "bob", "root"))
    random_track = global_id(TRACK_TYPE_NAME, uuid.uuid4())
    for hidden in (library.hidden, random_track):
        refused = await as_user(bob, DELETE_TRACK, id=hidden)
        assert refused == {
            "__typename": "TrackNotFoundError",
            "message": "No track has this ID.",
            "trackId": hidden,
        }
    assert (await as_user(bob, DELETE_TRACK, id=library.uploaded[0]))["__typename"] == (
        "EditNotAllowedError"
    )
    assert (await as_user(bob, DELETE_ALBUM, id=library.album))["__typename"] == (
        "EditNotAllowedError"
    )
    # A scanned track nobody was given a role on is the admins' alone.
    assert (await as_user(alice, DELETE_TRACK, id=library.scanned))["__typename"] == (
        "EditNotAllowedError"
    )
    assert (await as_user(alice, DELETE_TRACK, id=library.uploaded[0]))["__typename"] == (
        "TrashEntry"
    )
    # bob cannot see, restore or purge alice's entry: as if it were not there.
    assert (await as_user(bob, TRASH))["totalCount"] == 0
    for mutation in (RESTORE, PURGE):
        result = await as_user(bob, mutation, id=library.uploaded[0])
        assert result["__typename"] == "NotInTrashError"
    assert (await as_user(bob, EMPTY)) == {"purgedCount": 0}
    # An admin deleting alice's upload puts it in alice's trash, saying who deleted it.
    deleted = await as_user(root, DELETE_TRACK, id=library.uploaded[1])
    assert deleted["deletedBy"] == {"username": "root"}
    mine = await as_user(alice, TRASH)
    assert [e["node"]["deletedBy"]["username"] for e in mine["edges"]] == ["root", "alice"]
    assert (await as_user(root, TRASH))["totalCount"] == 2
    assert (await as_user(alice, RESTORE, id=library.uploaded[1]))["__typename"] == "TrashEntry"


async def test_bad_ids_are_typed_errors(as_user: As, library: Library) -> None:
    alice = library.people["alice"]
    for mutation in (DELETE_TRACK, RESTORE, PURGE):
        body = await as_user(alice, mutation, raw=True, id="not-an-id")
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_ID"]
    body = await as_user(alice, DELETE_TRACK, raw=True, id=library.album)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_ID"]
    body = await as_user(alice, TRASH, raw=True, after="garbage")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_CURSOR"]
    body = await as_user(None, TRASH, raw=True)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


async def test_trash_pages_newest_first(as_user: As, library: Library) -> None:
    alice = library.people["alice"]
    for track_id in library.uploaded:
        assert (await as_user(alice, DELETE_TRACK, id=track_id))["__typename"] == "TrashEntry"
    first = await as_user(alice, TRASH, first=2)
    assert [e["node"]["name"] for e in first["edges"]] == ["Wave 3", "Wave 2"]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (3, True)
    rest = await as_user(alice, TRASH, first=2, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["name"] for e in rest["edges"]] == ["Wave 1"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_purge_deletes_rows_references_and_uploaded_files_once(
    as_user: As, library: Library, engine: AsyncEngine, settings: Any
) -> None:
    alice = library.people["alice"]
    first = library.uploaded[0]
    await as_user(alice, LIKE, id=first)
    await as_user(alice, PLAY, id=first)
    await as_user(alice, COMMENT, id=first)
    playlist = await _playlist_of(as_user, alice, [first, library.uploaded[1]])
    track_id = parse_global_id(first, TRACK_TYPE_NAME)
    async with engine.begin() as connection:
        await connection.execute(
            insert(ShareRecord).values(
                key="k" * 32,
                owner_id=alice.record.id,
                kind="track",
                target_id=track_id,
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
        )
    variants = settings.data_dir.expanduser().resolve() / "variants" / str(track_id)[:2]
    variant = variants / str(track_id) / "opus-96.ogg"
    variant.parent.mkdir(parents=True)
    variant.write_bytes(b"OggS")
    assert (await as_user(alice, DELETE_TRACK, id=first))["__typename"] == "TrashEntry"
    assert library.upload_files[0].exists()  # nothing on disk changes before a purge

    purged = await as_user(alice, PURGE, id=first)
    assert purged == {"__typename": "Purged", "id": first, "kind": "TRACK"}
    assert not library.upload_files[0].exists()
    assert not variant.parent.exists()
    assert library.upload_files[1].exists()
    async with engine.connect() as connection:
        for model, column in (
            (TrackRecord, TrackRecord.id),
            (LikeRecord, LikeRecord.target_id),
            (CommentRecord, CommentRecord.target_id),
            (ShareRecord, ShareRecord.target_id),
            (PlayCountRecord, PlayCountRecord.track_id),
            (PlaylistItemRecord, PlaylistItemRecord.track_id),
        ):
            count = await connection.scalar(
                select(func.count()).select_from(model).where(column == track_id)
            )
            assert count == 0, model
        assert await connection.scalar(select(func.count()).select_from(TrashRecord)) == 0
        assert await connection.scalar(select(func.count()).select_from(PurgedPathRecord)) == 0
    assert items(await as_user(alice, PLAYLIST, id=playlist)) == [(0, "Wave 2")]
    assert (await as_user(alice, ALBUM, id=library.album))["trackCount"] == 2
    again = await as_user(alice, PURGE, id=first)
    assert again == {
        "__typename": "NotInTrashError",
        "message": "Nothing you can see in the trash has this ID.",
        "id": first,
    }
    assert (await as_user(alice, RESTORE, id=first))["__typename"] == "NotInTrashError"


async def test_a_purged_scanned_track_keeps_its_file_and_records_its_path(
    as_user: As, library: Library, engine: AsyncEngine
) -> None:
    root = library.people["root"]
    assert (await as_user(root, DELETE_TRACK, id=library.scanned))["__typename"] == "TrashEntry"
    assert (await as_user(root, PURGE, id=library.scanned))["__typename"] == "Purged"
    assert library.scanned_file.read_bytes() == b"ID3 scanned"
    async with engine.connect() as connection:
        rows = (await connection.execute(select(PurgedPathRecord))).all()
    assert [(row.path, row.purged_by) for row in rows] == [("seed/00020.mp3", root.record.id)]
    assert "Lighthouse" not in titles(await as_user(root, TRACKS))


async def test_restoring_a_track_whose_album_was_purged_regroups_it(
    as_user: As, library: Library
) -> None:
    alice = library.people["alice"]
    second = library.uploaded[1]
    assert (await as_user(alice, DELETE_TRACK, id=second))["__typename"] == "TrashEntry"
    assert (await as_user(alice, DELETE_ALBUM, id=library.album))["__typename"] == "TrashEntry"
    assert (await as_user(alice, PURGE, id=library.album))["__typename"] == "Purged"
    assert not library.upload_files[0].exists()
    assert not library.upload_files[2].exists()
    assert library.upload_files[1].exists()
    assert (await as_user(alice, RESTORE, id=second))["__typename"] == "TrashEntry"
    restored = await as_user(
        alice, "query($id: ID!) { track(id: $id) { title album { title trackCount } } }", id=second
    )
    assert restored == {"title": "Wave 2", "album": {"title": "Harbour", "trackCount": 1}}


async def test_an_admin_purges_a_missing_track_at_once(
    as_user: As, library: Library, engine: AsyncEngine
) -> None:
    track_id = parse_global_id(library.scanned, TRACK_TYPE_NAME)
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord)
            .where(TrackRecord.id == track_id)
            .values(state="missing", state_changed_at=func.now())
        )
    bob, root = library.people["bob"], library.people["root"]
    assert (await as_user(bob, PURGE, id=library.scanned))["__typename"] == "NotInTrashError"
    # An available track is not purged by anyone without a trip through the trash.
    assert (await as_user(root, PURGE, id=library.uploaded[0]))["__typename"] == ("NotInTrashError")
    purged = await as_user(root, PURGE, id=library.scanned)
    assert purged == {"__typename": "Purged", "id": library.scanned, "kind": "TRACK"}
    assert (await as_user(root, PURGE, id=library.scanned))["__typename"] == "NotInTrashError"
    async with engine.connect() as connection:
        assert (
            await connection.scalar(select(TrackRecord.id).where(TrackRecord.id == track_id))
            is None
        )
        assert await connection.scalar(select(PurgedPathRecord.path)) == "seed/00020.mp3"
    assert library.scanned_file.exists()


async def test_delete_playlist_moves_it_to_the_trash_with_its_items(
    as_user: As, library: Library, engine: AsyncEngine
) -> None:
    alice, bob = library.people["alice"], library.people["bob"]
    playlist = await _playlist_of(as_user, alice, library.uploaded)
    await as_user(bob, LIKE, id=playlist)
    assert (await as_user(bob, DELETE_PLAYLIST, id=playlist)) == {
        "__typename": "PlaylistNotFoundError",
        "playlistId": playlist,
    }
    deleted = await as_user(alice, DELETE_PLAYLIST, id=playlist)
    assert deleted == {"__typename": "DeletedPlaylist", "id": playlist}
    assert await as_user(alice, PLAYLIST, id=playlist) is None
    listed = await as_user(alice, TRASH)
    assert [
        (e["node"]["id"], e["node"]["kind"], e["node"]["trackCount"]) for e in listed["edges"]
    ] == [(playlist, "PLAYLIST", 3)]
    assert (await as_user(alice, DELETE_PLAYLIST, id=playlist))["__typename"] == (
        "PlaylistNotFoundError"
    )
    assert (await as_user(alice, RESTORE, id=playlist))["__typename"] == "TrashEntry"
    back = await as_user(alice, PLAYLIST, id=playlist)
    assert (back["name"], items(back)) == (
        "Mix",
        [(0, "Wave 1"), (1, "Wave 2"), (2, "Wave 3")],
    )
    # Purged for good: the playlist, its items and the likes of it.
    assert (await as_user(alice, DELETE_PLAYLIST, id=playlist))["__typename"] == "DeletedPlaylist"
    assert (await as_user(alice, PURGE, id=playlist)) == {
        "__typename": "Purged",
        "id": playlist,
        "kind": "PLAYLIST",
    }
    playlist_id = parse_global_id(playlist, PLAYLIST_TYPE_NAME)
    async with engine.connect() as connection:
        assert (
            await connection.scalar(
                select(func.count())
                .select_from(PlaylistItemRecord)
                .where(PlaylistItemRecord.playlist_id == playlist_id)
            )
            == 0
        )
        assert (
            await connection.scalar(
                select(func.count())
                .select_from(LikeRecord)
                .where(LikeRecord.target_id == playlist_id)
            )
            == 0
        )
    assert global_id(PLAYLIST_TYPE_NAME, playlist_id) == playlist


async def test_empty_trash_purges_what_the_viewer_sees(
    as_user: As, library: Library, engine: AsyncEngine
) -> None:
    alice, root = library.people["alice"], library.people["root"]
    for track_id in library.uploaded[:2]:
        await as_user(alice, DELETE_TRACK, id=track_id)
    await as_user(root, DELETE_TRACK, id=library.scanned)
    assert await as_user(alice, EMPTY) == {"purgedCount": 2}
    assert (await as_user(alice, TRASH))["totalCount"] == 0
    assert (await as_user(root, TRASH))["totalCount"] == 1
    assert await as_user(root, EMPTY) == {"purgedCount": 1}
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(TrashRecord)) == 0


async def test_racing_deletes_of_one_track_trash_it_once(as_user: As, library: Library) -> None:
    alice, root = library.people["alice"], library.people["root"]
    results = await asyncio.gather(
        as_user(alice, DELETE_TRACK, id=library.uploaded[0]),
        as_user(root, DELETE_TRACK, id=library.uploaded[0]),
    )
    assert sorted(r["__typename"] for r in results) == ["TrackNotFoundError", "TrashEntry"]
    assert (await as_user(root, TRASH))["totalCount"] == 1


async def test_an_album_deleted_again_after_a_track_came_back_keeps_one_entry(
    as_user: As, library: Library, engine: AsyncEngine
) -> None:
    alice = library.people["alice"]
    back = parse_global_id(library.uploaded[1], TRACK_TYPE_NAME)
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord).where(TrackRecord.id == back).values(state="missing")
        )
    assert (await as_user(alice, DELETE_ALBUM, id=library.album))["trackCount"] == 2
    # The missing file turns up again (as a rescan would mark it): the album is back too.
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord).where(TrackRecord.id == back).values(state="available")
        )
    await group_tracks(create_session_factory(engine), GroupingChanges(written_ids=[back]))
    assert (await as_user(alice, ALBUM, id=library.album))["trackCount"] == 1
    again = await as_user(alice, DELETE_ALBUM, id=library.album)
    assert (again["__typename"], again["trackCount"]) == ("TrashEntry", 3)
    assert (await as_user(alice, TRASH))["totalCount"] == 1
    assert (await as_user(alice, RESTORE, id=library.album))["__typename"] == "TrashEntry"
    assert (await as_user(alice, ALBUM, id=library.album))["trackCount"] == 3
