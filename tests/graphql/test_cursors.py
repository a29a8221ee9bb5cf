"""Cursor and page-argument parsing (pure functions; the GraphQL tests cover the wiring)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from enum import Enum

import pytest

from tonearm.catalog.artist_queries import ArtistAlbum
from tonearm.catalog.pagination import (
    ORDERS,
    AlbumOrder,
    ArtistAlbumOrder,
    ArtistOrder,
    BadPageArgument,
    InvalidCursor,
    PageTooLarge,
    TrackOrder,
    decode_cursor,
    encode_cursor,
    page_request,
)
from tonearm.db.models import AlbumRecord, ArtistRecord, TrackRecord

TRACK_ID = uuid.UUID("12345678-1234-4678-9234-567812345678")


def _encode(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _record() -> TrackRecord:
    moment = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    return TrackRecord(
        id=TRACK_ID,
        sort_library="abba\x1farrival\x1f00001",
        sort_title="dancing queen",
        created_at=moment,
        duration_seconds=230.125,
        popularity=3.5,
    )


@pytest.mark.parametrize("order", list(TrackOrder))
def test_cursor_round_trips_for_every_order(order: TrackOrder) -> None:
    record = _record()
    cursor = decode_cursor(encode_cursor(order, record), order)
    expected_key = {
        TrackOrder.ARTIST: record.sort_library,
        TrackOrder.TITLE: record.sort_title,
        TrackOrder.RECENTLY_ADDED: record.created_at,
        TrackOrder.DURATION: record.duration_seconds,
        TrackOrder.POPULAR: record.popularity,
    }[order]
    assert (cursor.order, cursor.keys, cursor.id) == (order, (expected_key,), TRACK_ID)


def _album() -> AlbumRecord:
    return AlbumRecord(
        id=TRACK_ID,
        sort_title="arrival\x1fabba",
        sort_artist="abba\x1f1976\x1farrival",
        sort_year="1976\x1fabba\x1farrival",
        created_at=datetime(2026, 3, 4, tzinfo=UTC),
    )


@pytest.mark.parametrize("order", list(AlbumOrder))
def test_album_cursor_round_trips_for_every_order(order: AlbumOrder) -> None:
    album = _album()
    cursor = decode_cursor(encode_cursor(order, album), order)
    expected_key = {
        AlbumOrder.TITLE: album.sort_title,
        AlbumOrder.ARTIST: album.sort_artist,
        AlbumOrder.YEAR: album.sort_year,
        AlbumOrder.RECENTLY_ADDED: album.created_at,
    }[order]
    assert (cursor.order, cursor.keys, cursor.id) == (order, (expected_key,), TRACK_ID)


def test_artist_and_artist_album_cursors_round_trip() -> None:
    artist = ArtistRecord(id=TRACK_ID, sort_name="beatles")
    entry = ArtistAlbum(_album(), is_appearance=True)
    by_name = decode_cursor(encode_cursor(ArtistOrder.NAME, artist), ArtistOrder.NAME)
    by_year = decode_cursor(encode_cursor(ArtistAlbumOrder.YEAR, entry), ArtistAlbumOrder.YEAR)
    assert (by_name.keys, by_name.id) == (("beatles",), TRACK_ID)
    assert (by_year.keys, by_year.id) == ((1, "1976\x1fabba\x1farrival"), TRACK_ID)


ALL_ORDERS = [*TrackOrder, *AlbumOrder, *ArtistOrder, *ArtistAlbumOrder]


def _any_row(order: object) -> object:
    if isinstance(order, TrackOrder):
        return _record()
    if isinstance(order, AlbumOrder):
        return _album()
    if isinstance(order, ArtistOrder):
        return ArtistRecord(id=TRACK_ID, sort_name="beatles")
    return ArtistAlbum(_album(), is_appearance=False)


@pytest.mark.parametrize("made_for", ALL_ORDERS, ids=str)
def test_a_cursor_of_one_list_or_order_is_refused_by_every_other(made_for: object) -> None:
    cursor = encode_cursor(made_for, _any_row(made_for))  # type: ignore[arg-type]
    for order in ALL_ORDERS:
        if order is made_for:
            continue
        with pytest.raises(InvalidCursor):
            decode_cursor(cursor, order)  # type: ignore[arg-type]


def test_every_order_names_its_list() -> None:
    names = [spec.name for spec in ORDERS.values()]
    assert len(set(names)) == len(names)
    assert {name.partition(".")[0] for name in names} == {
        "tracks",
        "albums",
        "artists",
        "artist_albums",
        "likes",
        "plays",
        "comments",
        "playlists",
        "playlist_items",
        "smart",
        "trash",
        "shares",
        "missing",
    }


def test_cursor_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor(TrackOrder.ARTIST, _record())
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    ("cursor", "order"),
    [
        ("not base64 at all!", TrackOrder.ARTIST),
        ("", TrackOrder.ARTIST),
        ("A" * 5000, TrackOrder.ARTIST),
        (_encode({"o": "tracks.ARTIST"}), TrackOrder.ARTIST),
        (_encode([2, "tracks.ARTIST", ["key"]]), TrackOrder.ARTIST),
        (_encode([1, "tracks.ARTIST", ["key"], TRACK_ID.hex]), TrackOrder.ARTIST),
        (_encode([2, "tracks.ARTIST", [5], TRACK_ID.hex]), TrackOrder.ARTIST),
        (_encode([2, "tracks.ARTIST", ["x" * 1025], TRACK_ID.hex]), TrackOrder.ARTIST),
        (_encode([2, "tracks.ARTIST", ["key"], "not-a-uuid"]), TrackOrder.ARTIST),
        (_encode([2, "tracks.ARTIST", ["key"], str(TRACK_ID)]), TrackOrder.ARTIST),
        (base64.urlsafe_b64encode(b"\xff\xfe").decode(), TrackOrder.ARTIST),
        (_encode([2, "tracks.TITLE", ["key"], TRACK_ID.hex]), TrackOrder.ARTIST),
        (_encode([2, "albums.ARTIST", ["key"], TRACK_ID.hex]), TrackOrder.ARTIST),
        (_encode([2, "tracks.ARTIST", "key", TRACK_ID.hex]), TrackOrder.ARTIST),
        (_encode([2, "tracks.ARTIST", ["key", "more"], TRACK_ID.hex]), TrackOrder.ARTIST),
        (_encode([2, "tracks.ARTIST", [], TRACK_ID.hex]), TrackOrder.ARTIST),
        # a bare NaN in the JSON
        (
            base64.urlsafe_b64encode(b'[2,"tracks.DURATION",[NaN],"00"]').decode(),
            TrackOrder.DURATION,
        ),
        (_encode([2, "tracks.DURATION", [True], TRACK_ID.hex]), TrackOrder.DURATION),
        (_encode([2, "tracks.DURATION", ["1.5"], TRACK_ID.hex]), TrackOrder.DURATION),
        (
            _encode([2, "tracks.RECENTLY_ADDED", ["2026-01-01T00:00:00"], TRACK_ID.hex]),
            TrackOrder.RECENTLY_ADDED,
        ),
        (
            _encode([2, "tracks.RECENTLY_ADDED", ["yesterday"], TRACK_ID.hex]),
            TrackOrder.RECENTLY_ADDED,
        ),
        (_encode([2, "artist_albums.YEAR", [0.5, "k"], TRACK_ID.hex]), ArtistAlbumOrder.YEAR),
        (_encode([2, "artist_albums.YEAR", [False, "k"], TRACK_ID.hex]), ArtistAlbumOrder.YEAR),
        (_encode([2, "artist_albums.YEAR", [2**40, "k"], TRACK_ID.hex]), ArtistAlbumOrder.YEAR),
    ],
    ids=[
        "garbage",
        "empty",
        "too-long",
        "object",
        "short",
        "version",
        "key-type",
        "key-too-long",
        "uuid",
        "uuid-not-hex-form",
        "bytes",
        "foreign-order",
        "foreign-list",
        "keys-not-a-list",
        "too-many-keys",
        "no-keys",
        "nan",
        "bool-duration",
        "string-duration",
        "naive-datetime",
        "bad-datetime",
        "fraction-rank",
        "bool-rank",
        "huge-rank",
    ],
)
def test_bad_cursor_raises_invalid_cursor(cursor: str, order: Enum) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, order)


def test_tampered_cursor_raises_invalid_cursor() -> None:
    cursor = encode_cursor(TrackOrder.ARTIST, _record())
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor[:-4], TrackOrder.ARTIST)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"first": 101}, PageTooLarge, "first may be at most 100, got 101"),
        ({"last": 1000}, PageTooLarge, "last may be at most 100, got 1000"),
        ({"first": -1}, BadPageArgument, "first must not be negative"),
        ({"last": -5}, BadPageArgument, "last must not be negative"),
        ({"first": 1, "last": 1}, BadPageArgument, "give either first or last, not both"),
    ],
)
def test_bad_page_arguments(
    arguments: dict[str, int], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{message}$"):
        page_request(
            TrackOrder.ARTIST,
            first=arguments.get("first"),
            after=None,
            last=arguments.get("last"),
            before=None,
        )


@pytest.mark.parametrize(
    ("arguments", "size", "backward"),
    [
        ({}, 20, False),
        ({"first": 5}, 5, False),
        ({"last": 7}, 7, True),
        ({"before": "CURSOR"}, 20, True),
        ({"after": "CURSOR", "before": "CURSOR"}, 20, False),
    ],
)
def test_page_direction_and_size(arguments: dict[str, object], size: int, backward: bool) -> None:
    cursor = encode_cursor(TrackOrder.ARTIST, _record())
    values = {key: cursor if value == "CURSOR" else value for key, value in arguments.items()}
    request = page_request(
        TrackOrder.ARTIST, **{"first": None, "after": None, "last": None, "before": None, **values}
    )  # type: ignore[arg-type]
    assert (request.size, request.backward) == (size, backward)


def test_a_play_cursor_carries_its_bigint_row_id_and_refuses_what_is_not_one() -> None:
    from tonearm.catalog.pagination import PlayOrder
    from tonearm.db.models import PlayRecord

    moment = datetime(2026, 3, 4, tzinfo=UTC)
    played = PlayRecord(id=2**40, started_at=moment, track_id=TRACK_ID)
    cursor = decode_cursor(encode_cursor(PlayOrder.NEWEST, played), PlayOrder.NEWEST)
    assert (cursor.keys, cursor.id) == ((moment, 2**40), TRACK_ID)
    # Any 64-bit integer is a position to seek from (as playlist positions are); nothing else.
    for row_id in (2**63, -(2**63) - 1, 1.5, True, "7"):
        with pytest.raises(InvalidCursor):
            decode_cursor(
                _encode([2, "plays.NEWEST", [moment.isoformat(), row_id], TRACK_ID.hex]),
                PlayOrder.NEWEST,
            )
