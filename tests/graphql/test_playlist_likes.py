"""Likes of playlists: only playlists the viewer may see, listed under PLAYLIST, counted."""

from __future__ import annotations

from typing import Any

from tests.graphql.social_fixtures import As, Library, as_user, library, people
from tests.support.accounts import SignedInUser

__all__ = ["as_user", "library", "people"]

CREATE = """mutation($name: String!, $public: Boolean!) {
  createPlaylist(input: {name: $name, isPublic: $public}) { ... on Playlist { id } } }"""
SET = """mutation($id: ID!, $liked: Boolean!) { setLiked(id: $id, liked: $liked) {
  __typename ... on LikeState { id liked likeCount }
  ... on LikeTargetNotFoundError { message id } } }"""
LIKED = """query($kind: LikeKind) { liked(kind: $kind) { totalCount
  edges { node { item { __typename ... on Playlist { name likeCount viewerHasLiked } } } } } }"""
PLAYLIST = "query($id: ID!) { playlist(id: $id) { likeCount viewerHasLiked } }"


async def _playlist(as_user: As, owner: SignedInUser, name: str, *, public: bool) -> str:
    body = await as_user(owner, CREATE, {"name": name, "public": public})
    playlist_id: str = body["data"]["createPlaylist"]["id"]
    return playlist_id


async def test_a_public_playlist_is_liked_counted_and_listed(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    shared = await _playlist(as_user, alice, "Shared", public=True)
    for user in (alice, bob):
        body = await as_user(user, SET, {"id": shared, "liked": True})
        assert body["data"]["setLiked"]["__typename"] == "LikeState"
    assert (await as_user(bob, PLAYLIST, {"id": shared}))["data"]["playlist"] == {
        "likeCount": 2,
        "viewerHasLiked": True,
    }
    liked: dict[str, Any] = (await as_user(bob, LIKED, {"kind": "PLAYLIST"}))["data"]["liked"]
    assert liked["totalCount"] == 1
    assert [edge["node"]["item"] for edge in liked["edges"]] == [
        {"__typename": "Playlist", "name": "Shared", "likeCount": 2, "viewerHasLiked": True}
    ]
    everything = (await as_user(bob, LIKED, {"kind": None}))["data"]["liked"]
    assert everything["totalCount"] == 1


async def test_another_user_s_private_playlist_cannot_be_liked(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    private = await _playlist(as_user, alice, "Mine", public=False)
    body = await as_user(bob, SET, {"id": private, "liked": True})
    assert body["data"]["setLiked"] == {
        "__typename": "LikeTargetNotFoundError",
        "message": "Nothing you can like has this ID.",
        "id": private,
    }
    liked = (await as_user(bob, LIKED, {"kind": "PLAYLIST"}))["data"]["liked"]
    assert liked["totalCount"] == 0


async def test_a_like_of_a_playlist_made_private_again_is_hidden(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    playlist = await _playlist(as_user, alice, "Was public", public=True)
    await as_user(bob, SET, {"id": playlist, "liked": True})
    update = """mutation($id: ID!) { updatePlaylist(id: $id, input: {isPublic: false}) {
      __typename } }"""
    assert (await as_user(alice, update, {"id": playlist}))["data"]["updatePlaylist"] == {
        "__typename": "Playlist"
    }
    liked = (await as_user(bob, LIKED, {"kind": "PLAYLIST"}))["data"]["liked"]
    assert (liked["totalCount"], liked["edges"]) == (0, [])
