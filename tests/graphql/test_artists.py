"""``artists``, ``artist`` and ``Artist``: the list, search, lookups, albums and cover art."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql, error_codes
from tests.graphql.seed import EPOCH, insert_and_group, insert_artwork, track
from tonearm.db.models import AlbumRecord, ArtistRecord

PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $search: String) {
  artists(first: $first, after: $after, last: $last, before: $before, search: $search) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
ARTIST_ALBUMS = """query($id: ID!, $first: Int, $after: String) { artist(id: $id) {
  albums(first: $first, after: $after) {
    totalCount
    edges { cursor isAppearance node { title year } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  } } }"""
NAMES = [
    "Ábel",
    "AC/DC",
    "The Beatles",
    "Beyoncé",
    "Björk",
    "Kendrick Lamar",
    "Someone",
    "Various Artists",
]


def artist_gid(artist_id: uuid.UUID) -> str:
    return base64.b64encode(f"Artist:{artist_id}".encode()).decode()


@pytest.fixture
async def library(engine: AsyncEngine) -> dict[str, uuid.UUID]:
    """Artists with own albums, guest spots and compilations; returns their ids by name."""
    rows = [
        track(1, title="Come Together", artist="The Beatles", album="Abbey Road", year=1969),
        track(2, title="Help!", artist="The Beatles", album="Help!", year=1965),
        track(3, title="Jóga", artist="Björk", album="Homogenic", year=1997),
        track(4, title="Formation", artist="Beyoncé", album="Lemonade", year=2016),
        track(
            5,
            title="Freedom",
            artist="Beyoncé feat. Kendrick Lamar",
            album="Lemonade",
            album_artist="Beyoncé",
            year=2016,
        ),
        track(6, title="Humble", artist="Kendrick Lamar", album="DAMN.", year=2017),
        track(
            7,
            title="Hit",
            artist="Kendrick Lamar",
            album="Hits 2018",
            year=2018,
            is_compilation=True,
            folder="hits",
        ),
        track(
            8,
            title="Other",
            artist="Someone",
            album="Hits 2018",
            year=2018,
            is_compilation=True,
            folder="hits",
        ),
        track(
            9,
            title="Old",
            artist="Kendrick Lamar",
            album="Old Mix",
            year=2010,
            is_compilation=True,
            folder="old",
        ),
        track(10, title="Back in Black", artist="AC/DC", album="Back in Black", year=1980),
        track(
            11,
            title="Yesterday",
            artist="The Beatles",
            album="Help!",
            year=1965,
            composers=["Lennon"],
        ),
        track(12, title="Dal", artist="Ábel", album=None),
    ]
    await insert_and_group(engine, rows)
    async with engine.connect() as connection:
        found = await connection.execute(select(ArtistRecord.name, ArtistRecord.id))
        return {row.name: row.id for row in found}


async def listed(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(ArtistRecord.id, ArtistRecord.sort_name).where(
                (ArtistRecord.album_count > 0) | (ArtistRecord.track_count > 0)
            )
        )
        return sorted(rows.all(), key=lambda row: (row.sort_name, row.id))


async def names(gql: Gql, **arguments: Any) -> tuple[int, list[str]]:
    body = await gql(PAGE, arguments)
    assert "errors" not in body, body
    connection = body["data"]["artists"]
    return connection["totalCount"], [edge["node"]["name"] for edge in connection["edges"]]


async def test_artists_are_listed_by_folded_name_without_composer_only_credits(
    gql: Gql, library: dict[str, uuid.UUID]
) -> None:
    assert "Lennon" in library  # a composer credit makes an artist row, but not a listing
    assert await names(gql, first=20) == (len(NAMES), NAMES)
    stats = await gql("{ library { artistCount } }")
    assert stats["data"]["library"]["artistCount"] == len(NAMES)


async def test_paging_forward_and_backward_visits_every_artist_once(
    gql: Gql, engine: AsyncEngine, library: dict[str, uuid.UUID]
) -> None:
    expected = [artist_gid(row.id) for row in await listed(engine)]
    forward: list[str] = []
    after = None
    while True:
        connection = (await gql(PAGE, {"first": 2, "after": after}))["data"]["artists"]
        forward += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    backward: list[str] = []
    before = None
    while True:
        connection = (await gql(PAGE, {"last": 3, "before": before}))["data"]["artists"]
        backward = [edge["node"]["id"] for edge in connection["edges"]] + backward
        if not connection["pageInfo"]["hasPreviousPage"]:
            break
        before = connection["pageInfo"]["startCursor"]
    assert forward == backward == expected


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("beat", ["The Beatles"]),
        ("BJÖRK", ["Björk"]),
        ("bjork", ["Björk"]),
        ("abel", ["Ábel"]),
        ("ken lam", ["Kendrick Lamar"]),
        ("ac", ["AC/DC"]),
        ("dc", ["AC/DC"]),
        ("be", ["The Beatles", "Beyoncé"]),
        ("lennon", []),
        ("eatles", []),
    ],
)
async def test_search_is_folded_word_prefix_matching(
    gql: Gql, library: dict[str, uuid.UUID], search: str, found: list[str]
) -> None:
    assert await names(gql, first=20, search=search) == (len(found), found)


async def test_artist_by_id_with_counts(gql: Gql, library: dict[str, uuid.UUID]) -> None:
    gid = artist_gid(library["Kendrick Lamar"])
    body = await gql(
        f'{{ artist(id: "{gid}") {{ id name albumCount trackCount coverArt {{ url }} }} '
        f'node(id: "{gid}") {{ __typename ... on Artist {{ name }} }} }}'
    )
    assert body == {
        "data": {
            "artist": {
                "id": gid,
                "name": "Kendrick Lamar",
                "albumCount": 1,
                "trackCount": 4,
                "coverArt": None,
            },
            "node": {"__typename": "Artist", "name": "Kendrick Lamar"},
        }
    }


async def test_unknown_and_malformed_artist_ids(gql: Gql) -> None:
    unknown = artist_gid(uuid.uuid4())
    album_id = base64.b64encode(f"Album:{uuid.uuid4()}".encode()).decode()
    assert await gql(f'{{ artist(id: "{unknown}") {{ id }} }}') == {"data": {"artist": None}}
    for bad in ("garbage", album_id):
        body = await gql(f'{{ artist(id: "{bad}") {{ id }} }}')
        assert body["data"] == {"artist": None}
        assert error_codes(body) == ["INVALID_ID"]
        assert body["errors"][0]["message"] == "Not a valid artist ID."


async def test_artist_albums_are_their_own_then_appearances_each_by_year(
    gql: Gql, library: dict[str, uuid.UUID]
) -> None:
    body = await gql(ARTIST_ALBUMS, {"id": artist_gid(library["Kendrick Lamar"])})
    albums = body["data"]["artist"]["albums"]
    assert albums["totalCount"] == 4
    assert [
        (edge["node"]["title"], edge["node"]["year"], edge["isAppearance"])
        for edge in albums["edges"]
    ] == [
        ("DAMN.", 2017, False),
        ("Old Mix", 2010, True),
        ("Lemonade", 2016, True),
        ("Hits 2018", 2018, True),
    ]
    various = await gql(ARTIST_ALBUMS, {"id": artist_gid(library["Various Artists"])})
    assert [
        (edge["node"]["title"], edge["isAppearance"])
        for edge in various["data"]["artist"]["albums"]["edges"]
    ] == [("Old Mix", False), ("Hits 2018", False)]


async def test_artist_albums_page_with_cursors(gql: Gql, library: dict[str, uuid.UUID]) -> None:
    gid = artist_gid(library["Kendrick Lamar"])
    seen: list[tuple[str, bool]] = []
    after = None
    while True:
        albums = (await gql(ARTIST_ALBUMS, {"id": gid, "first": 1, "after": after}))["data"][
            "artist"
        ]["albums"]
        seen += [(e["node"]["title"], e["isAppearance"]) for e in albums["edges"]]
        assert albums["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not albums["pageInfo"]["hasNextPage"]:
            break
        after = albums["pageInfo"]["endCursor"]
    assert seen == [
        ("DAMN.", False),
        ("Old Mix", True),
        ("Lemonade", True),
        ("Hits 2018", True),
    ]


async def test_artist_albums_limits_and_foreign_cursors(
    gql: Gql, library: dict[str, uuid.UUID]
) -> None:
    gid = artist_gid(library["The Beatles"])
    album_cursor = (await gql("{ albums(first: 1) { pageInfo { endCursor } } }"))["data"]["albums"][
        "pageInfo"
    ]["endCursor"]
    too_large = await gql(ARTIST_ALBUMS, {"id": gid, "first": 101})
    foreign = await gql(ARTIST_ALBUMS, {"id": gid, "after": album_cursor})
    assert error_codes(too_large) == ["PAGE_TOO_LARGE"]
    assert error_codes(foreign) == ["INVALID_CURSOR"]
    assert too_large["data"] == foreign["data"] == {"artist": None}


async def test_track_artists_are_main_then_featured(
    gql: Gql, library: dict[str, uuid.UUID]
) -> None:
    body = await gql('{ tracks(search: "freedom") { edges { node { artist artists { name } } } } }')
    assert body["data"]["tracks"]["edges"] == [
        {
            "node": {
                "artist": "Beyoncé feat. Kendrick Lamar",
                "artists": [{"name": "Beyoncé"}, {"name": "Kendrick Lamar"}],
            }
        }
    ]


async def _cover_of(gql: Gql, artist_id: uuid.UUID) -> Any:
    body = await gql(f'{{ artist(id: "{artist_gid(artist_id)}") {{ coverArt {{ url }} }} }}')
    return body["data"]["artist"]["coverArt"]


async def test_artist_cover_is_their_own_else_their_newest_album_with_one(
    gql: Gql, engine: AsyncEngine, library: dict[str, uuid.UUID]
) -> None:
    own, old, new, guest = "a" * 64, "b" * 64, "c" * 64, "d" * 64
    for artwork in (own, old, new, guest):
        await insert_artwork(engine, artwork)
    async with engine.begin() as connection:
        for title, artwork in (("Help!", old), ("Abbey Road", new), ("Lemonade", guest)):
            await connection.execute(
                update(AlbumRecord).where(AlbumRecord.title == title).values(artwork_hash=artwork)
            )
    beatles = library["The Beatles"]
    assert await _cover_of(gql, beatles) == {"url": f"/api/art/{new}/300"}
    # An appearance's cover is not the artist's.
    assert await _cover_of(gql, library["Kendrick Lamar"]) is None
    async with engine.begin() as connection:
        await connection.execute(
            update(ArtistRecord).where(ArtistRecord.id == beatles).values(artwork_hash=own)
        )
    assert await _cover_of(gql, beatles) == {"url": f"/api/art/{own}/300"}


async def test_same_year_albums_pick_the_newest_added_cover(gql: Gql, engine: AsyncEngine) -> None:
    rows = [
        track(1, title="A", artist="Solo", album="First", year=2000, folder="one"),
        track(2, title="B", artist="Solo", album="Second", year=2000, folder="two"),
        track(3, title="C", artist="Solo", album="Undated", year=None, folder="three"),
    ]
    await insert_and_group(engine, rows)
    covers = {"First": "e" * 64, "Second": "f" * 64, "Undated": "9" * 64}
    for artwork in covers.values():
        await insert_artwork(engine, artwork)
    async with engine.begin() as connection:
        for day, (title, artwork) in enumerate(covers.items()):
            await connection.execute(
                update(AlbumRecord)
                .where(AlbumRecord.title == title)
                .values(artwork_hash=artwork, created_at=EPOCH + timedelta(days=[1, 0, 5][day]))
            )
    solo = (await gql('{ artists(search: "solo") { edges { node { coverArt { url } } } } }'))[
        "data"
    ]["artists"]["edges"][0]["node"]["coverArt"]
    assert solo == {"url": f"/api/art/{'e' * 64}/300"}
