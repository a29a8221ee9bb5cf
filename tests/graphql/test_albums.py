"""``albums``, ``album`` and ``Album``: orders, keyset pages, search, lookups, cover art.

Rows come from the scanner's own row builder and grouping phase (``seed.insert_and_group``),
so albums hold exactly what a scan would store.
"""

from __future__ import annotations

import base64
import random
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql, error_codes
from tests.graphql.seed import EPOCH, insert_and_group, track
from tonearm.catalog.pagination import AlbumOrder
from tonearm.db.models import AlbumRecord, ArtworkRecord

PAGE = """query($order: AlbumOrder!, $first: Int, $after: String, $last: Int, $before: String,
  $search: String) {
  albums(orderBy: $order, first: $first, after: $after, last: $last, before: $before,
         search: $search) {
    totalCount
    edges { cursor isAppearance node { id title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
ARTISTS = ["The Beatles", "Beyoncé", "Björk", "ABBA", "Aphex Twin", "Ábel"]
WORDS = ["Love", "Night", "Blue", "Heart", "Gold"]


def album_gid(album_id: uuid.UUID) -> str:
    return base64.b64encode(f"Album:{album_id}".encode()).decode()


async def set_album_times(engine: AsyncEngine, times: dict[uuid.UUID, Any]) -> None:
    async with engine.begin() as connection:
        for album_id, moment in times.items():
            await connection.execute(
                update(AlbumRecord).where(AlbumRecord.id == album_id).values(created_at=moment)
            )


async def albums_in_db(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        columns = (
            AlbumRecord.id,
            AlbumRecord.title,
            AlbumRecord.sort_title,
            AlbumRecord.sort_artist,
            AlbumRecord.sort_year,
            AlbumRecord.created_at,
        )
        return list((await connection.execute(select(*columns))).all())


@pytest.fixture
async def many(engine: AsyncEngine) -> list[Any]:
    """32 albums with ties in every order: same titles, credits, years and added-at times.

    Two releases told apart only by their MusicBrainz ids share every sort key.
    """
    rng = random.Random(11)
    rows = []
    index = 0
    for number in range(30):
        artist = ARTISTS[number % len(ARTISTS)]
        title = f"{WORDS[number % len(WORDS)]} {'Songs' if number % 2 else 'Hits'}"
        year = None if number % 7 == 0 else 1990 + number % 3
        for _ in range(rng.randint(1, 3)):
            index += 1
            rows.append(track(index, title=f"Track {index}", artist=artist, album=title, year=year))
    for release in ("a" * 8, "b" * 8):
        index += 1
        mbid = f"{release}-0000-4000-8000-000000000000"
        rows.append(
            track(index, title="Twin", artist="ABBA", album="Twin", musicbrainz_album_id=mbid)
        )
    await insert_and_group(engine, rows)
    albums = await albums_in_db(engine)
    times = {album.id: EPOCH + timedelta(hours=number // 3) for number, album in enumerate(albums)}
    await set_album_times(engine, times)
    return await albums_in_db(engine)


SORT_KEYS = {
    AlbumOrder.TITLE: lambda album: (album.sort_title, album.id),
    AlbumOrder.ARTIST: lambda album: (album.sort_artist, album.id),
    AlbumOrder.YEAR: lambda album: (album.sort_year, album.id),
    AlbumOrder.RECENTLY_ADDED: lambda album: (album.created_at, album.id),
}


def expected_ids(albums: list[Any], order: AlbumOrder) -> list[str]:
    ordered = sorted(albums, key=SORT_KEYS[order], reverse=order is AlbumOrder.RECENTLY_ADDED)
    return [album_gid(album.id) for album in ordered]


async def page(gql: Gql, order: AlbumOrder, **arguments: Any) -> dict[str, Any]:
    body = await gql(PAGE, {"order": order.name, **arguments})
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["albums"]
    return connection


async def test_the_fixture_has_ties_in_every_order(many: list[Any]) -> None:
    assert len(many) == 32
    for order, key in SORT_KEYS.items():
        keys = [key(album)[0] for album in many]
        assert len(set(keys)) < len(keys), order


@pytest.mark.parametrize("order", list(AlbumOrder))
async def test_walking_forward_visits_every_album_once_in_order(
    gql: Gql, many: list[Any], order: AlbumOrder
) -> None:
    seen: list[str] = []
    after = None
    while True:
        connection = await page(gql, order, first=7, after=after)
        assert connection["totalCount"] == 32
        assert {edge["isAppearance"] for edge in connection["edges"]} <= {False}
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == expected_ids(many, order)


@pytest.mark.parametrize("order", list(AlbumOrder))
async def test_walking_backward_visits_every_album_once_in_order(
    gql: Gql, many: list[Any], order: AlbumOrder
) -> None:
    seen: list[str] = []
    before = None
    while True:
        connection = await page(gql, order, last=5, before=before)
        seen = [edge["node"]["id"] for edge in connection["edges"]] + seen
        info = connection["pageInfo"]
        assert info["hasNextPage"] is (before is not None)
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
    assert seen == expected_ids(many, order)


LINKED_PAGE = """query($order: AlbumOrder!, $first: Int, $after: String, $last: Int,
  $before: String) {
  albums(orderBy: $order, first: $first, after: $after, last: $last, before: $before) {
    edges { node { id artistCredit artists { name } coverArt { url } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


@pytest.mark.parametrize("order", list(AlbumOrder))
async def test_pages_that_show_artists_and_covers_walk_both_ways_alike(
    gql: Gql, many: list[Any], order: AlbumOrder
) -> None:
    # Such a page reads its links in the same statement (a joined subquery): it must page
    # exactly as the plain one does.
    forward: list[dict[str, Any]] = []
    after = None
    while True:
        body = await gql(LINKED_PAGE, {"order": order.name, "first": 6, "after": after})
        connection = body["data"]["albums"]
        forward += [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    backward: list[dict[str, Any]] = []
    before = None
    while True:
        body = await gql(LINKED_PAGE, {"order": order.name, "last": 9, "before": before})
        connection = body["data"]["albums"]
        backward = [edge["node"] for edge in connection["edges"]] + backward
        if not connection["pageInfo"]["hasPreviousPage"]:
            break
        before = connection["pageInfo"]["startCursor"]
    assert [node["id"] for node in forward] == expected_ids(many, order)
    assert backward == forward
    assert all(node["artists"] == [{"name": node["artistCredit"]}] for node in forward)
    assert {node["coverArt"] for node in forward} == {None}


async def test_default_is_twenty_albums_by_artist(gql: Gql, many: list[Any]) -> None:
    body = await gql("{ albums { edges { node { id } } pageInfo { hasNextPage } } }")
    ids = [edge["node"]["id"] for edge in body["data"]["albums"]["edges"]]
    assert ids == expected_ids(many, AlbumOrder.ARTIST)[:20]
    assert body["data"]["albums"]["pageInfo"]["hasNextPage"] is True


@pytest.fixture
async def classics(engine: AsyncEngine) -> dict[str, uuid.UUID]:
    rows = [
        track(1, title="Another Brick", artist="Pink Floyd", album="The Wall", year=1979),
        track(2, title="Dogs", artist="Pink Floyd", album="Animals", year=1977),
        track(3, title="Money, Money", artist="ABBA", album="Arrival", year=1976),
        track(4, title="Jóga", artist="Björk", album="Homogenic", year=1997),
        track(5, title="Hunter", artist="Björk", album="Homogenic", year=1997),
        track(6, title="Demo", artist="ABBA", album="Untimed", year=None),
        track(7, title="Single", artist="ABBA", album=None),
    ]
    await insert_and_group(engine, rows)
    by_title = {album.title: album.id for album in await albums_in_db(engine)}
    added = ["Homogenic", "Arrival", "The Wall", "Untimed", "Animals"]
    await set_album_times(
        engine, {by_title[title]: EPOCH + timedelta(days=day) for day, title in enumerate(added)}
    )
    return by_title


@pytest.mark.parametrize(
    ("order", "titles"),
    [
        (AlbumOrder.TITLE, ["Animals", "Arrival", "Homogenic", "Untimed", "The Wall"]),
        (AlbumOrder.ARTIST, ["Arrival", "Untimed", "Homogenic", "Animals", "The Wall"]),
        (AlbumOrder.YEAR, ["Arrival", "Animals", "The Wall", "Homogenic", "Untimed"]),
        (AlbumOrder.RECENTLY_ADDED, ["Animals", "Untimed", "The Wall", "Arrival", "Homogenic"]),
    ],
)
async def test_each_order_sorts_by_what_it_promises(
    gql: Gql, classics: dict[str, uuid.UUID], order: AlbumOrder, titles: list[str]
) -> None:
    connection = await page(gql, order, first=10)
    assert [edge["node"]["title"] for edge in connection["edges"]] == titles
    assert connection["totalCount"] == 5  # "Single" has no album tag: no album


@pytest.mark.parametrize(
    ("search", "titles"),
    [
        ("homogenic", ["Homogenic"]),
        ("HOMO", ["Homogenic"]),
        ("björk", ["Homogenic"]),
        ("BJORK", ["Homogenic"]),
        ("floyd", ["Animals", "The Wall"]),
        ("pink wa", ["The Wall"]),
        ("the", ["The Wall"]),
        ("ogenic", []),
        ("abba", ["Arrival", "Untimed"]),
        ('abba" OR "floyd', []),
        ("   ", ["Animals", "Arrival", "Homogenic", "Untimed", "The Wall"]),
    ],
)
async def test_search_is_folded_word_prefix_matching(
    gql: Gql, classics: dict[str, uuid.UUID], search: str, titles: list[str]
) -> None:
    connection = await page(gql, AlbumOrder.TITLE, first=10, search=search)
    assert [edge["node"]["title"] for edge in connection["edges"]] == titles
    assert connection["totalCount"] == len(titles)


async def test_search_pages_with_cursors(gql: Gql, classics: dict[str, uuid.UUID]) -> None:
    first = await page(gql, AlbumOrder.TITLE, first=1, search="a")
    second = await page(
        gql, AlbumOrder.TITLE, first=5, search="a", after=first["pageInfo"]["endCursor"]
    )
    assert [e["node"]["title"] for e in first["edges"] + second["edges"]] == [
        "Animals",
        "Arrival",
        "Untimed",
    ]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)


async def test_limits_and_errors_are_those_of_tracks(
    gql: Gql, classics: dict[str, uuid.UUID]
) -> None:
    too_large = await gql(PAGE, {"order": "TITLE", "first": 101})
    negative = await gql(PAGE, {"order": "TITLE", "last": -1})
    garbage = await gql(PAGE, {"order": "TITLE", "after": "not a cursor!"})
    too_long = await gql(PAGE, {"order": "TITLE", "search": "x" * 201})
    assert error_codes(too_large) == ["PAGE_TOO_LARGE"]
    assert too_large["errors"][0]["message"] == "first may be at most 100, got 101"
    assert error_codes(negative) == ["BAD_USER_INPUT"]
    assert error_codes(garbage) == ["INVALID_CURSOR"]
    assert garbage["errors"][0]["message"] == "The cursor is not valid for this list and order."
    assert error_codes(too_long) == ["BAD_USER_INPUT"]
    assert too_long["errors"][0]["message"] == "Search text is limited to 200 characters."
    assert [body["data"] for body in (too_large, negative, garbage, too_long)] == [None] * 4


async def test_a_cursor_of_tracks_or_of_another_order_is_invalid(
    gql: Gql, classics: dict[str, uuid.UUID]
) -> None:
    tracks = await gql("{ tracks(first: 1, orderBy: TITLE) { pageInfo { endCursor } } }")
    track_cursor = tracks["data"]["tracks"]["pageInfo"]["endCursor"]
    title_cursor = (await page(gql, AlbumOrder.TITLE, first=1))["pageInfo"]["endCursor"]
    on_albums = await gql(PAGE, {"order": "TITLE", "after": track_cursor})
    other_order = await gql(PAGE, {"order": "ARTIST", "before": title_cursor})
    back_on_tracks = await gql(
        "query($c: String) { tracks(orderBy: TITLE, after: $c) { edges { cursor } } }",
        {"c": title_cursor},
    )
    assert error_codes(on_albums) == ["INVALID_CURSOR"]
    assert error_codes(other_order) == ["INVALID_CURSOR"]
    assert error_codes(back_on_tracks) == ["INVALID_CURSOR"]


ALBUM_FIELDS = """id title artistCredit artists { name } year isCompilation discCount
  trackCount durationSeconds genres coverArt { url } createdAt
  tracks { title discNumber trackNumber album { title } }"""


async def test_album_by_id_has_every_contract_field(gql: Gql, engine: AsyncEngine) -> None:
    credit = "Simon & Garfunkel"
    rows = [
        track(1, title="Cecilia", artist=credit, album="Bridge", track_number=2),
        track(2, title="Bridge", artist=credit, album="Bridge", track_number=1),
        track(3, title="Bonus", artist=credit, album="Bridge", disc_number=2),
        track(
            4,
            title="Alpha",
            artist=credit,
            album="Bridge",
            track_number=1,
            disc_number=2,
            genres=["Folk", "Pop"],
        ),
    ]
    await insert_and_group(engine, rows)
    (album,) = await albums_in_db(engine)
    body = await gql(f'{{ album(id: "{album_gid(album.id)}") {{ {ALBUM_FIELDS} }} }}')
    tracks = [("Bridge", 1, 1), ("Cecilia", 1, 2), ("Bonus", 2, None), ("Alpha", 2, 1)]
    assert body == {
        "data": {
            "album": {
                "id": album_gid(album.id),
                "title": "Bridge",
                "artistCredit": credit,
                "artists": [{"name": credit}],
                "year": 2001,
                "isCompilation": False,
                "discCount": 2,
                "trackCount": 4,
                "durationSeconds": 720.0,
                "genres": ["Pop", "Folk"],
                "coverArt": None,
                "createdAt": album.created_at.isoformat(),
                "tracks": [
                    {
                        "title": title,
                        "discNumber": disc,
                        "trackNumber": number,
                        "album": {"title": "Bridge"},
                    }
                    for title, disc, number in tracks
                ],
            }
        }
    }


async def test_node_resolves_an_album(gql: Gql, classics: dict[str, uuid.UUID]) -> None:
    gid = album_gid(classics["Arrival"])
    body = await gql(f'{{ node(id: "{gid}") {{ __typename id ... on Album {{ title }} }} }}')
    assert body == {"data": {"node": {"__typename": "Album", "id": gid, "title": "Arrival"}}}


async def test_unknown_album_is_null_without_errors(
    gql: Gql, classics: dict[str, uuid.UUID]
) -> None:
    unknown = album_gid(uuid.uuid4())
    body = await gql(f'{{ album(id: "{unknown}") {{ id }} node(id: "{unknown}") {{ id }} }}')
    assert body == {"data": {"album": None, "node": None}}


@pytest.mark.parametrize(
    "bad_id",
    [
        "garbage",
        base64.b64encode(f"Track:{uuid.uuid4()}".encode()).decode(),
        base64.b64encode(f"Artist:{uuid.uuid4()}".encode()).decode(),
        base64.b64encode(b"Album:not-a-uuid").decode(),
        base64.b64encode(f"Album:{uuid.uuid4().hex}".encode()).decode(),
    ],
    ids=["garbage", "track-id", "artist-id", "not-a-uuid", "uuid-not-canonical"],
)
async def test_malformed_album_id_is_invalid_id(gql: Gql, bad_id: str) -> None:
    body = await gql(f'{{ album(id: "{bad_id}") {{ id }} }}')
    assert body["data"] == {"album": None}
    assert error_codes(body) == ["INVALID_ID"]
    assert body["errors"][0]["message"] == "Not a valid album ID."
    assert body["errors"][0]["path"] == ["album"]


async def test_node_refuses_ids_of_types_it_does_not_resolve(gql: Gql) -> None:
    user_id = base64.b64encode(f"User:{uuid.uuid4()}".encode()).decode()
    body = await gql(f'{{ node(id: "{user_id}") {{ id }} }}')
    assert body["data"] == {"node": None}
    assert error_codes(body) == ["INVALID_ID"]


async def test_a_compilation_is_one_album_under_various_artists(
    gql: Gql, engine: AsyncEngine
) -> None:
    rows = [
        track(n, title=f"Song {n}", artist=artist, album="Summer Mix", is_compilation=True)
        for n, artist in enumerate(["Ann", "Bob feat. Cy", "Dee"], start=1)
    ]
    await insert_and_group(engine, rows)
    body = await gql(
        """{ albums { totalCount edges { node { title artistCredit isCompilation
             artists { name } tracks { artists { name } } } } } }"""
    )
    assert body["data"]["albums"] == {
        "totalCount": 1,
        "edges": [
            {
                "node": {
                    "title": "Summer Mix",
                    "artistCredit": "Various Artists",
                    "isCompilation": True,
                    "artists": [{"name": "Various Artists"}],
                    "tracks": [
                        {"artists": [{"name": "Ann"}]},
                        {"artists": [{"name": "Bob"}, {"name": "Cy"}]},
                        {"artists": [{"name": "Dee"}]},
                    ],
                }
            }
        ],
    }


ART = "ab" * 32


@pytest.fixture
async def with_cover(engine: AsyncEngine, classics: dict[str, uuid.UUID]) -> uuid.UUID:
    async with engine.begin() as connection:
        await connection.execute(
            ArtworkRecord.__table__.insert().values(
                hash=ART,
                width=1400,
                height=1300,
                sizes=[64, 300, 600, 1200],
                color="#a1b2c3",
                created_at=EPOCH,
            )
        )
        await connection.execute(
            update(AlbumRecord)
            .where(AlbumRecord.id == classics["Homogenic"])
            .values(artwork_hash=ART)
        )
    return classics["Homogenic"]


@pytest.mark.parametrize(
    ("size", "made"),
    [
        (None, 300),
        (1, 64),
        (64, 64),
        (65, 300),
        (300, 300),
        (301, 600),
        (1200, 1200),
        (1201, 1200),
        (100_000, 1200),
    ],
)
async def test_cover_url_names_the_nearest_made_size(
    gql: Gql, with_cover: uuid.UUID, size: int | None, made: int
) -> None:
    argument = "" if size is None else f"(size: {size})"
    body = await gql(
        f'{{ album(id: "{album_gid(with_cover)}") {{ coverArt {{ url{argument} placeholder '
        "width height } } }"
    )
    assert body == {
        "data": {
            "album": {
                "coverArt": {
                    "url": f"/api/art/{ART}/{made}",
                    "placeholder": "#a1b2c3",
                    "width": 1400,
                    "height": 1300,
                }
            }
        }
    }


async def test_cover_url_of_no_pixels_is_bad_user_input(gql: Gql, with_cover: uuid.UUID) -> None:
    body = await gql(
        f'{{ album(id: "{album_gid(with_cover)}") {{ coverArt {{ url(size: 0) }} }} }}'
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "size must be at least 1."


async def test_tracks_carry_their_albums_cover(gql: Gql, with_cover: uuid.UUID) -> None:
    body = await gql(
        "{ tracks(orderBy: TITLE) { edges { node { title coverArt { url(size: 64) } } } } }"
    )
    covers = {e["node"]["title"]: e["node"]["coverArt"] for e in body["data"]["tracks"]["edges"]}
    assert covers == {
        "Another Brick": None,
        "Demo": None,
        "Dogs": None,
        "Hunter": {"url": f"/api/art/{ART}/64"},
        "Jóga": {"url": f"/api/art/{ART}/64"},
        "Money, Money": None,
        "Single": None,
    }


async def test_a_track_without_an_album_tag_has_no_album(
    gql: Gql, classics: dict[str, uuid.UUID]
) -> None:
    body = await gql(
        '{ tracks(search: "single") { edges { node { album { id } artists { name } } } } }'
    )
    assert body["data"]["tracks"]["edges"] == [
        {"node": {"album": None, "artists": [{"name": "ABBA"}]}}
    ]


LINKED = """id title artists { name } coverArt { url(size: 64) placeholder }
  tracks { title artists { name } coverArt { url } album { title coverArt { url } } }"""


async def test_linked_fields_answer_the_same_with_or_without_look_ahead(
    gql: Gql, with_cover: uuid.UUID, classics: dict[str, uuid.UUID]
) -> None:
    # ``album`` and ``albums`` fetch what their selection follows up front; ``node`` and
    # fragments on it do not, so every linked field there goes through the loaders later.
    for title in ("Homogenic", "Arrival"):
        gid = album_gid(classics[title])
        direct = await gql(f'{{ album(id: "{gid}") {{ {LINKED} }} }}')
        via_node = await gql(f'{{ node(id: "{gid}") {{ ... on Album {{ {LINKED} }} }} }}')
        listed = await gql(
            f'{{ albums(search: "{title}") {{ edges {{ node {{ ...A }} }} }} }} '
            f"fragment A on Album {{ {LINKED} }}"
        )
        assert "errors" not in direct, direct
        assert direct["data"]["album"] == via_node["data"]["node"]
        assert listed["data"]["albums"]["edges"] == [{"node": direct["data"]["album"]}]
        covered = title == "Homogenic"
        album = direct["data"]["album"]
        cover = {"url": f"/api/art/{ART}/64", "placeholder": "#a1b2c3"} if covered else None
        assert album["coverArt"] == cover
        assert {t["coverArt"]["url"] if covered else None for t in album["tracks"]} == {
            f"/api/art/{ART}/300" if covered else None
        }
    assert classics["Homogenic"] == with_cover


async def test_album_artists_keep_their_credit_order_on_every_path(
    gql: Gql, engine: AsyncEngine
) -> None:
    credit = ["Paul Simon", "Art Garfunkel", "Zed"]
    rows = [
        track(n, title=f"S{n}", artist="Simon & Garfunkel", album="Concert", album_artists=credit)
        for n in (1, 2)
    ]
    await insert_and_group(engine, rows)
    listed = await gql("{ albums { edges { node { id artists { name } } } } }")
    (edge,) = listed["data"]["albums"]["edges"]
    direct = await gql(f'{{ album(id: "{edge["node"]["id"]}") {{ artists {{ name }} }} }}')
    names = [{"name": name} for name in credit]
    assert edge["node"]["artists"] == direct["data"]["album"]["artists"] == names
