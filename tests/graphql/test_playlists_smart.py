"""Smart playlists over GraphQL: create, read computed items, preview, rules errors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.seed import insert_rows, track
from tests.support.accounts import SignedInUser, make_user
from tonearm.schema.ids import (
    PLAYLIST_ITEM_TYPE_NAME,
    PLAYLIST_TYPE_NAME,
    TRACK_TYPE_NAME,
    global_id,
    parse_global_id,
)

Run = Callable[..., Awaitable[dict[str, Any]]]
CREATE = """mutation($input: SmartPlaylistInput!) { createSmartPlaylist(input: $input) {
  __typename
  ... on InvalidPlaylistInputError { message field }
  ... on InvalidSmartRulesError { message ruleIndex ruleField: field }
  ... on Playlist { id name isSmart viewerCanEdit viewerCanAddTracks trackCount durationSeconds
    rules { match orderBy orderPeriodDays limit rules { field operator value } }
    items(first: 2) { totalCount edges { cursor node { id position addedAt addedBy { username }
      track { id title } } } pageInfo { hasNextPage endCursor } } } } }"""
ITEMS = """query($id: ID!, $after: String) { playlist(id: $id) {
  items(first: 2, after: $after) { edges { node { position track { title } } }
    pageInfo { hasNextPage endCursor } } } }"""
PREVIEW = """query($rules: SmartRulesInput!) { smartPlaylistPreview(rules: $rules) { __typename
  ... on SmartPlaylistPreview { trackCount durationSeconds tracks(first: 2) { title } }
  ... on InvalidSmartRulesError { message ruleIndex field } } }"""
UPDATE = """mutation($id: ID!, $input: PlaylistUpdateInput!) {
  updatePlaylist(id: $id, input: $input) {
  __typename ... on Playlist { trackCount rules { limit } }
  ... on InvalidSmartRulesError { message ruleIndex ruleField: field }
  ... on InvalidPlaylistInputError { message field } } }"""
ADD = """mutation($p: ID!, $t: [ID!]!) { addToPlaylist(playlistId: $p, trackIds: $t) {
  __typename ... on EditNotAllowedError { message } } }"""
TRACKS = [uuid.UUID(int=index, version=4) for index in range(1, 6)]


@pytest.fixture
async def alice(engine: AsyncEngine) -> SignedInUser:
    rows = [
        {
            **track(i, title=f"Jazz {i}", artist="A", year=1950 + i, track_id=tid),
            "origin": "library",
            "genre": "Jazz",
            "genres": ["Jazz"],
        }
        for i, tid in enumerate(TRACKS)
    ]
    await insert_rows(engine, rows)
    return await make_user(engine, "alice")


@pytest.fixture
async def run(app: FastAPI) -> AsyncIterator[Run]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as http:

        async def go(user: SignedInUser, query: str, **variables: Any) -> dict[str, Any]:
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=user.bearer
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            assert "errors" not in body, body
            (value,) = body["data"].values()
            result: dict[str, Any] = value
            return result

        yield go


JAZZ = {
    "rules": [
        {"field": "genre", "operator": "is", "value": "jazz"},
        {"field": "year", "operator": "between", "value": [1950, 1969]},
    ],
    "orderBy": "YEAR",
}


async def test_a_smart_playlist_computes_its_items(run: Run, alice: SignedInUser) -> None:
    created = await run(alice, CREATE, input={"name": "Old jazz", "rules": JAZZ})
    assert created["__typename"] == "Playlist"
    assert created["isSmart"] is True
    assert (created["viewerCanEdit"], created["viewerCanAddTracks"]) == (True, False)
    assert created["rules"] == {
        "match": "ALL",
        "orderBy": "YEAR",
        "orderPeriodDays": None,
        "limit": None,
        "rules": [
            {"field": "genre", "operator": "is", "value": "jazz"},
            {"field": "year", "operator": "between", "value": [1950, 1969]},
        ],
    }
    assert (created["trackCount"], created["durationSeconds"]) == (5, 900.0)
    items = created["items"]
    assert items["totalCount"] == 5
    first = items["edges"][0]["node"]
    assert first["position"] == 0
    assert first["addedBy"] is None
    assert first["track"]["id"] == global_id(TRACK_TYPE_NAME, TRACKS[0])
    playlist_id = parse_global_id(created["id"], PLAYLIST_TYPE_NAME)
    computed = uuid.uuid5(uuid.NAMESPACE_URL, f"{playlist_id}:{TRACKS[0]}")
    assert first["id"] == global_id(PLAYLIST_ITEM_TYPE_NAME, computed)
    seen, after = [], None
    while True:
        page = (await run(alice, ITEMS, id=created["id"], after=after))["items"]
        seen += [(e["node"]["position"], e["node"]["track"]["title"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [(i, f"Jazz {i}") for i in range(5)]
    refused = await run(alice, ADD, p=created["id"], t=[global_id(TRACK_TYPE_NAME, TRACKS[0])])
    assert refused["__typename"] == "EditNotAllowedError"
    changed = await run(alice, UPDATE, id=created["id"], input={"rules": {**JAZZ, "limit": 2}})
    assert changed == {"__typename": "Playlist", "trackCount": 2, "rules": {"limit": 2}}


async def test_rules_errors_over_the_api(run: Run, alice: SignedInUser) -> None:
    bad = {"rules": [{"field": "year", "operator": "is", "value": 1950}]}
    result = await run(alice, CREATE, input={"name": "x", "rules": bad})
    assert result == {
        "__typename": "InvalidSmartRulesError",
        "message": "Unknown operator 'is' for year; known: eq, neq, gt, gte, lt, lte, between.",
        "ruleIndex": 0,
        "ruleField": "operator",
    }
    wrong = {"rules": [JAZZ["rules"][0], {"field": "year", "operator": "eq", "value": "x"}]}
    result = await run(alice, CREATE, input={"name": "x", "rules": wrong})
    assert (result["ruleIndex"], result["ruleField"]) == (1, "value")
    nameless = await run(alice, CREATE, input={"name": "", "rules": bad})
    assert nameless["__typename"] == "InvalidPlaylistInputError"
    too_many = await run(alice, CREATE, input={"name": "x", "rules": {**JAZZ, "limit": 10_001}})
    assert (too_many["ruleIndex"], too_many["ruleField"]) == (None, "limit")
    preview = await run(alice, PREVIEW, rules=bad)
    assert preview["__typename"] == "InvalidSmartRulesError"
    assert preview["field"] == "operator"


async def test_preview_counts_and_first_tracks(run: Run, alice: SignedInUser) -> None:
    preview = await run(alice, PREVIEW, rules={**JAZZ, "limit": 3})
    assert preview == {
        "__typename": "SmartPlaylistPreview",
        "trackCount": 3,
        "durationSeconds": 540.0,
        "tracks": [{"title": "Jazz 0"}, {"title": "Jazz 1"}],
    }


async def test_rules_on_a_static_playlist_are_refused(run: Run, alice: SignedInUser) -> None:
    created = await run(
        alice,
        """mutation { createPlaylist(input: {name: "s"}) { ... on Playlist { id } } }""",
    )
    result = await run(alice, UPDATE, id=created["id"], input={"rules": JAZZ})
    assert result == {
        "__typename": "InvalidPlaylistInputError",
        "message": "Only smart playlists have rules.",
        "field": "rules",
    }
