"""Keyset pagination of ``tracks``: complete walks in every order, both directions."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql, error_codes
from tests.graphql.seed import insert_rows, library_rows, track
from tonearm.catalog.pagination import TrackOrder

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $order: TrackOrder!) {
  tracks(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
SORT_KEYS = {
    TrackOrder.ARTIST: lambda row: (row["sort_library"], row["id"].hex),
    TrackOrder.TITLE: lambda row: (row["sort_title"], row["id"].hex),
    TrackOrder.RECENTLY_ADDED: lambda row: (row["created_at"], row["id"].hex),
    TrackOrder.DURATION: lambda row: (row["duration_seconds"], row["id"].hex),
    TrackOrder.POPULAR: lambda row: (row.get("popularity", 0.0), row["id"].hex),
}
DESCENDING = {TrackOrder.RECENTLY_ADDED, TrackOrder.POPULAR}


def expected_ids(rows: list[dict[str, Any]], order: TrackOrder) -> list[str]:
    """Global IDs in the order the API must return them."""
    ordered = sorted(rows, key=SORT_KEYS[order], reverse=order in DESCENDING)
    return [base64.b64encode(f"Track:{row['id']}".encode()).decode() for row in ordered]


async def page(gql: Gql, order: TrackOrder, **arguments: Any) -> dict[str, Any]:
    body = await gql(PAGE, {"order": order.name, **arguments})
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["tracks"]
    return connection


@pytest.fixture
async def seeded(engine: AsyncEngine) -> list[dict[str, Any]]:
    rows = library_rows(250)
    await insert_rows(engine, rows)
    return rows


@pytest.mark.parametrize("order", list(TrackOrder))
async def test_forward_walk_returns_every_track_once_in_order(
    gql: Gql, seeded: list[dict[str, Any]], order: TrackOrder
) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        connection = await page(gql, order, first=37, after=after)
        pages += 1
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        assert connection["totalCount"] == 250
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == 7
    assert seen == expected_ids(seeded, order)


@pytest.mark.parametrize("order", list(TrackOrder))
async def test_backward_walk_returns_every_track_once_in_order(
    gql: Gql, seeded: list[dict[str, Any]], order: TrackOrder
) -> None:
    seen: list[str] = []
    before = None
    while True:
        connection = await page(gql, order, last=37, before=before)
        seen = [edge["node"]["id"] for edge in connection["edges"]] + seen
        info = connection["pageInfo"]
        assert info["hasNextPage"] is (before is not None)
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
    assert seen == expected_ids(seeded, order)


async def test_default_page_is_twenty_in_artist_order(
    gql: Gql, seeded: list[dict[str, Any]]
) -> None:
    body = await gql("{ tracks { edges { node { id } } pageInfo { hasNextPage } } }")
    ids = [edge["node"]["id"] for edge in body["data"]["tracks"]["edges"]]
    assert ids == expected_ids(seeded, TrackOrder.ARTIST)[:20]
    assert body["data"]["tracks"]["pageInfo"]["hasNextPage"] is True


async def test_cursors_of_edges_resume_right_after_that_edge(
    gql: Gql, seeded: list[dict[str, Any]]
) -> None:
    first = await page(gql, TrackOrder.TITLE, first=10)
    middle = first["edges"][4]["cursor"]
    resumed = await page(gql, TrackOrder.TITLE, first=3, after=middle)
    assert [e["node"]["id"] for e in resumed["edges"]] == expected_ids(seeded, TrackOrder.TITLE)[
        5:8
    ]


async def test_page_between_after_and_before(gql: Gql, seeded: list[dict[str, Any]]) -> None:
    first = await page(gql, TrackOrder.DURATION, first=10)
    after, before = first["edges"][1]["cursor"], first["edges"][6]["cursor"]
    window = await page(gql, TrackOrder.DURATION, after=after, before=before)
    assert [e["node"]["id"] for e in window["edges"]] == expected_ids(seeded, TrackOrder.DURATION)[
        2:6
    ]


async def test_artist_order_sorts_by_album_artist_album_disc_track_then_title(
    gql: Gql, engine: AsyncEngine
) -> None:
    await insert_rows(
        engine,
        [
            track(1, title="Zebra", artist="Guest", album_artist="Abba", album="B", track_number=1),
            track(2, title="Alpha", artist="The Beatles", album="A", track_number=2),
            track(3, title="Omega", artist="Abba", album="A", track_number=9),
            track(4, title="Beta", artist="The Beatles", album="A", track_number=1),
        ],
    )
    body = await gql("{ tracks { edges { node { title } } } }")
    titles = [edge["node"]["title"] for edge in body["data"]["tracks"]["edges"]]
    assert titles == ["Omega", "Zebra", "Beta", "Alpha"]


async def test_first_zero_returns_no_edges_but_knows_there_are_more(
    gql: Gql, seeded: list[dict[str, Any]]
) -> None:
    connection = await page(gql, TrackOrder.ARTIST, first=0)
    assert connection["edges"] == []
    assert connection["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


async def test_empty_library_gives_an_empty_connection(gql: Gql) -> None:
    connection = await page(gql, TrackOrder.ARTIST, first=5)
    assert connection == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


async def test_more_than_one_hundred_is_refused_not_clamped(gql: Gql) -> None:
    body = await gql(PAGE, {"order": "ARTIST", "first": 101})
    assert error_codes(body) == ["PAGE_TOO_LARGE"]
    assert body["errors"][0]["message"] == "first may be at most 100, got 101"
    assert body["data"] is None


async def test_one_hundred_is_allowed(gql: Gql, seeded: list[dict[str, Any]]) -> None:
    connection = await page(gql, TrackOrder.ARTIST, first=100)
    assert len(connection["edges"]) == 100


async def test_negative_page_size_is_bad_user_input(gql: Gql) -> None:
    body = await gql(PAGE, {"order": "ARTIST", "first": -1})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "first must not be negative"


def _encode(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


async def test_malformed_cursor_is_invalid_cursor(gql: Gql) -> None:
    body = await gql(PAGE, {"order": "ARTIST", "after": "not a cursor!"})
    assert error_codes(body) == ["INVALID_CURSOR"]
    assert body["errors"][0]["message"] == "The cursor is not valid for this list and order."
    assert body["data"] is None


async def test_cursor_from_another_order_is_invalid_cursor(
    gql: Gql, seeded: list[dict[str, Any]]
) -> None:
    title_cursor = (await page(gql, TrackOrder.TITLE, first=1))["pageInfo"]["endCursor"]
    body = await gql(PAGE, {"order": "DURATION", "after": title_cursor})
    assert error_codes(body) == ["INVALID_CURSOR"]


async def test_hand_made_cursor_starts_at_that_position(
    gql: Gql, seeded: list[dict[str, Any]]
) -> None:
    cursor = _encode([2, "tracks.DURATION", [180.25], "0" * 32])
    connection = await page(gql, TrackOrder.DURATION, first=1, after=cursor)
    expected = sorted(
        (row for row in seeded if row["duration_seconds"] >= 180.25),
        key=SORT_KEYS[TrackOrder.DURATION],
    )[0]
    assert (
        connection["edges"][0]["node"]["id"]
        == base64.b64encode(f"Track:{expected['id']}".encode()).decode()
    )
