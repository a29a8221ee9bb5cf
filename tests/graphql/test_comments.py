"""Comments over GraphQL: stored and returned verbatim, limits, rights, rate, visibility."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from tests.graphql.social_fixtures import As, Library, as_user, library, people
from tests.support.accounts import SignedInUser
from tonearm.schema.ids import COMMENT_TYPE_NAME, TRACK_TYPE_NAME, global_id

__all__ = ["as_user", "library", "people"]

ADD = """mutation($target: ID!, $body: String!) { addComment(targetId: $target, body: $body) {
  __typename
  ... on Comment { id body author { username } createdAt editedAt viewerCanEdit viewerCanDelete }
  ... on CommentTargetNotFoundError { message targetId }
  ... on InvalidCommentError { message }
  ... on CommentRateLimited { message retryAfterSeconds } } }"""
EDIT = """mutation($id: ID!, $body: String!) { editComment(id: $id, body: $body) {
  __typename ... on Comment { body editedAt } ... on CommentNotFoundError { commentId }
  ... on EditNotAllowedError { message } ... on InvalidCommentError { message } } }"""
DELETE = """mutation($id: ID!) { deleteComment(id: $id) {
  __typename ... on DeletedComment { id } ... on CommentNotFoundError { commentId }
  ... on EditNotAllowedError { message } } }"""
ON_TRACK = """query($id: ID!, $first: Int, $after: String) { track(id: $id) {
  comments(first: $first, after: $after) { totalCount
    edges { cursor node { body author { username } viewerCanEdit viewerCanDelete } }
    pageInfo { hasNextPage endCursor } } } }"""
ON_ALBUM = (
    """query($id: ID!) { album(id: $id) { comments { totalCount edges { node { body } } } } }"""
)


async def add(as_user: As, user: SignedInUser, target: str, body: str) -> dict[str, Any]:
    response = await as_user(user, ADD, {"target": target, "body": body})
    assert "errors" not in response, response
    result: dict[str, Any] = response["data"]["addComment"]
    return result


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "  spaced & \"quoted\" 'text'\n\tand a newline  ",
        "x" * 2000,
        "é" * 2000,
    ],
)
async def test_bodies_are_stored_and_returned_exactly_as_typed(
    as_user: As, people: dict[str, SignedInUser], library: Library, body: str
) -> None:
    posted = await add(as_user, people["bob"], library.open_track, body)
    assert (posted["__typename"], posted["body"]) == ("Comment", body)
    listed = (await as_user(people["alice"], ON_TRACK, {"id": library.open_track}))["data"]
    assert listed["track"]["comments"]["edges"][0]["node"]["body"] == body


@pytest.mark.parametrize("body", ["", "   ", "\n\t ", "x" * 2001])
async def test_empty_and_too_long_bodies_are_refused(
    as_user: As, people: dict[str, SignedInUser], library: Library, body: str
) -> None:
    posted = await add(as_user, people["bob"], library.open_track, body)
    assert posted["__typename"] == "InvalidCommentError"
    listed = (await as_user(people["bob"], ON_TRACK, {"id": library.open_track}))["data"]
    assert listed["track"]["comments"]["totalCount"] == 0


@pytest.mark.parametrize("which", ["hidden_track", "hidden_album", "random"])
async def test_comments_on_what_you_cannot_see_look_like_comments_on_nothing(
    as_user: As, people: dict[str, SignedInUser], library: Library, which: str
) -> None:
    target = (
        global_id(TRACK_TYPE_NAME, uuid.uuid4()) if which == "random" else getattr(library, which)
    )
    posted = await add(as_user, people["bob"], target, "hello")
    assert posted == {
        "__typename": "CommentTargetNotFoundError",
        "message": "No track or album you can see has this ID.",
        "targetId": target,
    }


async def test_comments_on_a_hidden_track_cannot_be_edited_or_deleted_by_others(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    posted = await add(as_user, alice, library.hidden_track, "my own track")
    random_id = global_id(COMMENT_TYPE_NAME, uuid.uuid4())
    for comment_id in (posted["id"], random_id):
        edit = await as_user(bob, EDIT, {"id": comment_id, "body": "x"})
        delete = await as_user(bob, DELETE, {"id": comment_id})
        assert edit["data"]["editComment"] == {
            "__typename": "CommentNotFoundError",
            "commentId": comment_id,
        }
        assert delete["data"]["deleteComment"] == {
            "__typename": "CommentNotFoundError",
            "commentId": comment_id,
        }


async def test_authors_edit_and_delete_admins_delete_others_do_neither(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob, admin = people["alice"], people["bob"], people["admin"]
    posted = await add(as_user, alice, library.open_album, "first words")
    assert (posted["viewerCanEdit"], posted["viewerCanDelete"], posted["editedAt"]) == (
        True,
        True,
        None,
    )
    comment_id = posted["id"]

    refused = await as_user(bob, EDIT, {"id": comment_id, "body": "mine now"})
    assert refused["data"]["editComment"]["__typename"] == "EditNotAllowedError"
    refused = await as_user(admin, EDIT, {"id": comment_id, "body": "moderated"})
    assert refused["data"]["editComment"]["__typename"] == "EditNotAllowedError"
    refused = await as_user(bob, DELETE, {"id": comment_id})
    assert refused["data"]["deleteComment"]["__typename"] == "EditNotAllowedError"
    blank = await as_user(alice, EDIT, {"id": comment_id, "body": "  "})
    assert blank["data"]["editComment"]["__typename"] == "InvalidCommentError"

    edited = (await as_user(alice, EDIT, {"id": comment_id, "body": "second words"}))["data"]
    assert edited["editComment"]["body"] == "second words"
    assert edited["editComment"]["editedAt"] is not None

    seen = (await as_user(bob, ON_ALBUM, {"id": library.open_album}))["data"]["album"]
    assert seen["comments"] == {"totalCount": 1, "edges": [{"node": {"body": "second words"}}]}
    by_track = await as_user(bob, ON_TRACK, {"id": library.open_track})
    assert by_track["data"]["track"]["comments"]["totalCount"] == 0  # the album's, not the track's

    deleted = await as_user(admin, DELETE, {"id": comment_id})
    assert deleted["data"]["deleteComment"] == {"__typename": "DeletedComment", "id": comment_id}
    again = await as_user(alice, DELETE, {"id": comment_id})
    assert again["data"]["deleteComment"]["__typename"] == "CommentNotFoundError"


async def test_viewer_rights_and_newest_first_pages(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob, admin = people["alice"], people["bob"], people["admin"]
    for index, user in enumerate((alice, bob, alice)):
        await add(as_user, user, library.open_track, f"comment {index}")
    first = (await as_user(bob, ON_TRACK, {"id": library.open_track, "first": 2}))["data"]
    comments = first["track"]["comments"]
    assert comments["totalCount"] == 3
    assert [e["node"] for e in comments["edges"]] == [
        {
            "body": "comment 2",
            "author": {"username": "alice"},
            "viewerCanEdit": False,
            "viewerCanDelete": False,
        },
        {
            "body": "comment 1",
            "author": {"username": "bob"},
            "viewerCanEdit": True,
            "viewerCanDelete": True,
        },
    ]
    after = comments["pageInfo"]["endCursor"]
    rest = await as_user(admin, ON_TRACK, {"id": library.open_track, "first": 2, "after": after})
    edges = rest["data"]["track"]["comments"]["edges"]
    assert [
        (e["node"]["body"], e["node"]["viewerCanEdit"], e["node"]["viewerCanDelete"]) for e in edges
    ] == [("comment 0", False, True)]


@pytest.fixture
def settings(make_settings: Any, database_url_for_test: str, media_root: Any) -> Any:
    """Three comments a minute, so the limit is reached quickly."""
    return make_settings(database_url=database_url_for_test, media_root=media_root, comment_rate=3)


async def test_the_rate_limit_counts_stored_comments_per_user(
    app: FastAPI, as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    for index in range(3):
        assert (await add(as_user, alice, library.open_track, f"{index}"))["__typename"] == (
            "Comment"
        )
    limited = await add(as_user, alice, library.open_album, "one more")
    assert limited["__typename"] == "CommentRateLimited"
    assert 1 <= limited["retryAfterSeconds"] <= 60
    assert limited["message"]
    assert (await add(as_user, bob, library.open_track, "mine"))["__typename"] == "Comment"


async def test_without_an_account_comments_need_signing_in(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    body = await as_user(None, ADD, {"target": library.open_track, "body": "hi"})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
