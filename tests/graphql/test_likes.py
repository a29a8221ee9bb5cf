"""Likes over GraphQL: setLiked both ways, counts, liked lists, never another user's."""

from __future__ import annotations

import base64
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.social_fixtures import OPEN, As, Library, as_user, library, people
from tests.support.accounts import SignedInUser
from tonearm.db.models import TrackRecord
from tonearm.schema import ids
from tonearm.social.likes import TARGETS, LikeKind

__all__ = ["as_user", "library", "people"]

SET = """mutation($id: ID!, $liked: Boolean!) { setLiked(id: $id, liked: $liked) {
  __typename ... on LikeState { id liked likeCount }
  ... on LikeTargetNotFoundError { message id } } }"""
LIKED = """query($kind: LikeKind, $first: Int, $after: String) {
  liked(kind: $kind, first: $first, after: $after) { totalCount
    edges { cursor node { likedAt item { __typename ... on Track { title }
      ... on Album { title } ... on Artist { name } } } }
    pageInfo { hasNextPage endCursor } } }"""
TRACK = """query($id: ID!) { track(id: $id) { likeCount viewerHasLiked
  album { likeCount viewerHasLiked } artists { name likeCount viewerHasLiked } } }"""


def test_the_like_table_names_the_schema_s_global_id_types() -> None:
    assert {kind: target.type_name for kind, target in TARGETS.items()} == {
        LikeKind.TRACK: ids.TRACK_TYPE_NAME,
        LikeKind.ALBUM: ids.ALBUM_TYPE_NAME,
        LikeKind.ARTIST: ids.ARTIST_TYPE_NAME,
        LikeKind.PLAYLIST: ids.PLAYLIST_TYPE_NAME,
    }


async def test_set_liked_is_idempotent_both_ways(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    states = []
    for user, liked in ((alice, True), (alice, True), (bob, True), (alice, False), (alice, False)):
        body = await as_user(user, SET, {"id": library.open_track, "liked": liked})
        states.append(body["data"]["setLiked"])
    assert [(s["__typename"], s["liked"], s["likeCount"]) for s in states] == [
        ("LikeState", True, 1),
        ("LikeState", True, 1),
        ("LikeState", True, 2),
        ("LikeState", False, 1),
        ("LikeState", False, 1),
    ]
    assert {s["id"] for s in states} == {library.open_track}


@pytest.mark.parametrize("which", ["hidden_track", "hidden_album", "hidden_artist", "random"])
async def test_liking_what_you_cannot_see_looks_like_liking_nothing(
    as_user: As, people: dict[str, SignedInUser], library: Library, which: str
) -> None:
    target = (
        ids.global_id(ids.ALBUM_TYPE_NAME, uuid.uuid4())
        if which == "random"
        else getattr(library, which)
    )
    for liked in (True, False):
        body = await as_user(people["bob"], SET, {"id": target, "liked": liked})
        assert body["data"]["setLiked"] == {
            "__typename": "LikeTargetNotFoundError",
            "message": "Nothing you can like has this ID.",
            "id": target,
        }
    # Its owner may like it.
    if which != "random":
        body = await as_user(people["alice"], SET, {"id": target, "liked": True})
        assert body["data"]["setLiked"]["__typename"] == "LikeState"


async def test_an_id_of_something_not_likeable_is_invalid(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    user_id = ids.global_id(ids.USER_TYPE_NAME, people["bob"].record.id)
    body = await as_user(people["alice"], SET, {"id": user_id, "liked": True})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"


async def test_counts_and_viewer_flags_on_track_album_and_artist(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    for target in (library.open_track, library.open_album, library.open_artist):
        await as_user(alice, SET, {"id": target, "liked": True})
    await as_user(bob, SET, {"id": library.open_album, "liked": True})
    mine = (await as_user(alice, TRACK, {"id": library.open_track}))["data"]["track"]
    theirs = (await as_user(bob, TRACK, {"id": library.open_track}))["data"]["track"]
    assert mine == {
        "likeCount": 1,
        "viewerHasLiked": True,
        "album": {"likeCount": 2, "viewerHasLiked": True},
        "artists": [{"name": "Openartist", "likeCount": 1, "viewerHasLiked": True}],
    }
    assert theirs == {
        "likeCount": 1,
        "viewerHasLiked": False,
        "album": {"likeCount": 2, "viewerHasLiked": True},
        "artists": [{"name": "Openartist", "likeCount": 1, "viewerHasLiked": False}],
    }


async def test_liked_lists_your_own_likes_newest_first_by_kind_with_cursors(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    for target in (library.open_track, library.hidden_track, library.open_album):
        await as_user(alice, SET, {"id": target, "liked": True})
    await as_user(alice, SET, {"id": library.open_artist, "liked": True})
    await as_user(bob, SET, {"id": library.short_track, "liked": True})

    everything = (await as_user(alice, LIKED, {}))["data"]["liked"]
    assert everything["totalCount"] == 4
    assert [edge["node"]["item"] for edge in everything["edges"]] == [
        {"__typename": "Artist", "name": "Openartist"},
        {"__typename": "Album", "title": "Openalbum"},
        {"__typename": "Track", "title": "Secretsong"},
        {"__typename": "Track", "title": "Opensong"},
    ]
    tracks = (await as_user(alice, LIKED, {"kind": "TRACK", "first": 1}))["data"]["liked"]
    assert [e["node"]["item"]["title"] for e in tracks["edges"]] == ["Secretsong"]
    assert tracks["pageInfo"]["hasNextPage"] is True
    rest = await as_user(
        alice, LIKED, {"kind": "TRACK", "first": 1, "after": tracks["pageInfo"]["endCursor"]}
    )
    assert [e["node"]["item"]["title"] for e in rest["data"]["liked"]["edges"]] == ["Opensong"]
    assert rest["data"]["liked"]["pageInfo"]["hasNextPage"] is False

    bobs = (await as_user(bob, LIKED, {}))["data"]["liked"]
    assert [e["node"]["item"]["title"] for e in bobs["edges"]] == ["Shortsong"]
    assert bobs["totalCount"] == 1


async def test_a_like_of_a_track_later_hidden_leaves_the_list(
    as_user: As, people: dict[str, SignedInUser], library: Library, engine: AsyncEngine
) -> None:
    from sqlalchemy import update

    bob = people["bob"]
    await as_user(bob, SET, {"id": library.open_track, "liked": True})
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord).where(TrackRecord.id == OPEN).values(is_published=False)
        )
    liked = (await as_user(bob, LIKED, {}))["data"]["liked"]
    assert (liked["totalCount"], liked["edges"]) == (0, [])


async def test_a_likes_cursor_is_refused_by_the_track_list(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    await as_user(people["alice"], SET, {"id": library.open_track, "liked": True})
    cursor = (await as_user(people["alice"], LIKED, {}))["data"]["liked"]["edges"][0]["cursor"]
    body = await as_user(
        people["alice"], "query($a: String) { tracks(after: $a) { totalCount } }", {"a": cursor}
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    assert base64.urlsafe_b64decode(cursor + "==").startswith(b'[2,"likes.NEWEST"')


async def test_liking_a_track_adds_its_popularity_and_unliking_takes_it_back(
    as_user: As, people: dict[str, SignedInUser], library: Library, engine: AsyncEngine
) -> None:
    async def popularity() -> tuple[float, object]:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(TrackRecord.popularity, TrackRecord.updated_at).where(
                        TrackRecord.id == OPEN
                    )
                )
            ).one()
        return row[0], row[1]

    before, updated_at = await popularity()
    await as_user(people["alice"], SET, {"id": library.open_track, "liked": True})
    liked, liked_updated_at = await popularity()
    await as_user(people["alice"], SET, {"id": library.open_track, "liked": False})
    after, _ = await popularity()
    assert before == 0.0
    assert liked > 3.0  # a like weighs 3, grown since 2026-01-01
    assert after == pytest.approx(0.0, abs=1e-9 * liked)
    assert liked_updated_at == updated_at  # listening is not an edit


async def test_without_an_account_likes_need_signing_in(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    body = await as_user(None, SET, {"id": library.open_track, "liked": True})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
