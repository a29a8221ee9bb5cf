"""No N+1: a page costs the same few statements whatever its size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql
from tests.graphql.seed import insert_and_group, insert_artwork, insert_rows, library_rows, track
from tonearm.db.models import AlbumRecord

ALL_FIELDS = """id title artist albumArtist trackNumber discNumber discSubtitle year genre
    durationSeconds format bitrate bitDepth sampleRate channels sizeBytes mimeType createdAt
    updatedAt"""
PAGE = f"""query($first: Int, $after: String) {{ tracks(first: $first, after: $after) {{
  totalCount edges {{ cursor node {{ {ALL_FIELDS} }} }}
  pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"""


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    """SQL statements the app's engine executes while the test runs."""
    executed: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    sync_engine = app.state.services.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    yield executed
    event.remove(sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def seeded(engine: AsyncEngine, gql: Gql) -> None:
    await insert_rows(engine, library_rows(230))
    await gql("{ library { trackCount } }")  # connect first: dialect setup runs SQL once


async def test_first_page_of_100_is_three_statements(
    gql: Gql, seeded: None, statements: list[str]
) -> None:
    body = await gql(PAGE, {"first": 100})
    assert len(body["data"]["tracks"]["edges"]) == 100
    assert len(statements) == 3  # the viewer (bearer token), the page, the count


async def test_page_after_a_cursor_is_three_statements_at_any_size(
    gql: Gql, seeded: None, statements: list[str]
) -> None:
    cursor = (await gql(PAGE, {"first": 1}))["data"]["tracks"]["pageInfo"]["endCursor"]
    statements.clear()
    await gql(PAGE, {"first": 5, "after": cursor})
    small = len(statements)
    statements.clear()
    await gql(PAGE, {"first": 100, "after": cursor})
    assert (small, len(statements)) == (3, 3)  # the viewer, the page, the count


async def test_total_count_is_only_computed_when_asked_for(
    gql: Gql, seeded: None, statements: list[str]
) -> None:
    await gql("{ tracks(first: 100) { edges { node { id } } } }")
    assert len(statements) == 2  # the viewer, the page


async def test_node_lookups_are_batched(gql: Gql, seeded: None, statements: list[str]) -> None:
    ids = [
        edge["node"]["id"] for edge in (await gql(PAGE, {"first": 5}))["data"]["tracks"]["edges"]
    ]
    statements.clear()
    aliases = " ".join(
        f'n{i}: node(id: "{node_id}") {{ id }} t{i}: track(id: "{node_id}") {{ title }}'
        for i, node_id in enumerate(ids)
    )
    body = await gql(f"{{ {aliases} }}")
    assert body["data"]["n4"]["id"] == ids[4]
    assert len(statements) == 2  # the viewer, one batched lookup


@pytest.fixture
async def albums_seeded(engine: AsyncEngine, gql: Gql) -> None:
    """120 albums of 30 artists (with guests), two tracks each; half of them with a cover."""
    rows = []
    for number in range(120):
        for side in range(2):
            guest = f" feat. Guest {number % 7}" if side else ""
            rows.append(
                track(
                    number * 2 + side,
                    title=f"Song {number}-{side}",
                    artist=f"Artist {number % 30}{guest}",
                    album=f"Album {number}",
                    album_artist=f"Artist {number % 30}",
                    track_number=side + 1,
                )
            )
    await insert_and_group(engine, rows)
    for number in range(0, 120, 2):
        await insert_artwork(engine, f"{number:064x}")
    async with engine.begin() as connection:
        for number in range(0, 120, 2):
            await connection.execute(
                update(AlbumRecord)
                .where(AlbumRecord.title == f"Album {number}")
                .values(artwork_hash=f"{number:064x}")
            )
    await gql("{ library { trackCount } }")  # connect first: dialect setup runs SQL once


ALBUM_PAGE = """query($first: Int) { albums(first: $first) { edges { node {
  title artistCredit year coverArt { url placeholder } artists { name } } } } }"""
TRACK_PAGE = """query($first: Int) { tracks(first: $first) { edges { node {
  title album { title coverArt { url } } artists { name } } } } }"""


async def _count(gql: Gql, statements: list[str], query: str, first: int) -> int:
    statements.clear()
    body = await gql(query, {"first": first})
    assert "errors" not in body, body
    return len(statements)


async def test_a_page_of_albums_with_artists_and_covers_is_two_statements_at_any_size(
    gql: Gql, albums_seeded: None, statements: list[str]
) -> None:
    body = await gql(ALBUM_PAGE, {"first": 50})
    nodes = [edge["node"] for edge in body["data"]["albums"]["edges"]]
    assert len(nodes) == 50
    assert 0 < sum(1 for node in nodes if node["coverArt"]) < 50
    assert all(len(node["artists"]) == 1 for node in nodes)
    # the viewer, the page joined to its album artists and its covers' artworks
    assert await _count(gql, statements, ALBUM_PAGE, 5) == 2
    assert await _count(gql, statements, ALBUM_PAGE, 50) == 2


async def test_a_page_of_tracks_with_albums_and_artists_is_five_statements_at_any_size(
    gql: Gql, albums_seeded: None, statements: list[str]
) -> None:
    body = await gql(TRACK_PAGE, {"first": 100})
    nodes = [edge["node"] for edge in body["data"]["tracks"]["edges"]]
    assert len(nodes) == 100
    assert all(node["album"]["title"].startswith("Album ") for node in nodes)
    assert {len(node["artists"]) for node in nodes} == {1, 2}
    # the viewer, the page, their albums, their artists, the albums' artworks
    assert await _count(gql, statements, TRACK_PAGE, 10) == 5
    assert await _count(gql, statements, TRACK_PAGE, 100) == 5


async def test_a_page_of_artists_with_covers_is_four_statements_at_any_size(
    gql: Gql, albums_seeded: None, statements: list[str]
) -> None:
    query = """query($first: Int) { artists(first: $first) { edges { node {
      name albumCount coverArt { url placeholder } } } } }"""
    body = await gql(query, {"first": 40})
    assert sum(1 for e in body["data"]["artists"]["edges"] if e["node"]["coverArt"]) == 15
    # the viewer, the page, their newest albums' covers, the artworks
    assert await _count(gql, statements, query, 3) == 4
    assert await _count(gql, statements, query, 40) == 4


async def test_an_album_with_its_tracks_is_three_statements(
    gql: Gql, albums_seeded: None, statements: list[str]
) -> None:
    album_id = (await gql("{ albums(first: 1) { edges { node { id } } } }"))["data"]["albums"][
        "edges"
    ][0]["node"]["id"]
    statements.clear()
    body = await gql(
        f'{{ album(id: "{album_id}") {{ title tracks {{ title durationSeconds trackNumber }} }} }}'
    )
    assert len(body["data"]["album"]["tracks"]) == 2
    assert len(statements) == 3  # the viewer, the album, its tracks


async def test_albums_of_a_page_are_known_to_their_tracks(
    gql: Gql, albums_seeded: None, statements: list[str]
) -> None:
    query = """query($first: Int) { albums(first: $first) { edges { node {
      tracks { title album { title } artists { name } } } } } }"""
    # the viewer, the page, the tracks of its albums, their artists: no query for the
    # albums the tracks belong to, which the page already read
    assert await _count(gql, statements, query, 50) == 4


async def test_fragments_and_nodes_keep_the_statement_count_constant(
    gql: Gql, albums_seeded: None, statements: list[str]
) -> None:
    fragment = """query($first: Int) { albums(first: $first) { edges { node { ...A } } } }
      fragment A on Album { artists { name } ... on Album { coverArt { url } } }"""
    assert await _count(gql, statements, fragment, 50) == 2
    ids = [
        edge["node"]["id"]
        for edge in (await gql("{ tracks(first: 20) { edges { node { id } } } }"))["data"][
            "tracks"
        ]["edges"]
    ]
    nodes = " ".join(
        f'n{i}: node(id: "{gid}") {{ ... on Track {{ album {{ title coverArt {{ url }} }} '
        "artists { name } } }"
        for i, gid in enumerate(ids)
    )
    statements.clear()
    body = await gql(f"{{ {nodes} }}")
    assert body["data"]["n19"]["album"]["title"].startswith("Album ")
    # the viewer, the tracks, their albums, their artists, the albums' artworks
    assert len(statements) == 5


ROLES_PAGE = """{ tracks(first: 100) { edges { node { id viewerRole canEdit isPublished
    collaborators { user { username } role } } } } }"""


async def test_roles_of_a_page_cost_one_statement(
    app: FastAPI, engine: AsyncEngine, seeded: None, statements: list[str]
) -> None:
    import httpx

    from tests.support.accounts import make_user

    listener = await make_user(engine, "listener")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tonearm.test", headers=listener.bearer
    ) as http:
        await http.post("/graphql", json={"query": "{ library { trackCount } }"})  # token use
        statements.clear()
        body = (await http.post("/graphql", json={"query": ROLES_PAGE})).json()
    edges = body["data"]["tracks"]["edges"]
    assert len(edges) == 100
    assert {(e["node"]["viewerRole"], e["node"]["canEdit"]) for e in edges} == {(None, False)}
    assert len(statements) == 3  # the viewer, the page, the roles of its 100 tracks


async def test_collaborators_of_a_page_cost_one_statement(
    gql: Gql, seeded: None, statements: list[str]
) -> None:
    body = await gql(ROLES_PAGE)
    assert len(body["data"]["tracks"]["edges"]) == 100
    assert len(statements) == 3  # the viewer, the page, the collaborators (no album on these)
