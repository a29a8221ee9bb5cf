"""Cursor and page-argument parsing (pure functions; the GraphQL tests cover the wiring)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest

from tonearm.catalog.pagination import (
    BadPageArgument,
    InvalidCursor,
    PageTooLarge,
    TrackOrder,
    decode_cursor,
    encode_cursor,
    page_request,
)
from tonearm.db.models import TrackRecord

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
    }[order]
    assert (cursor.order, cursor.key, cursor.track_id) == (order, expected_key, TRACK_ID)


def test_cursor_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor(TrackOrder.ARTIST, _record())
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    ("cursor", "order"),
    [
        ("not base64 at all!", TrackOrder.ARTIST),
        ("", TrackOrder.ARTIST),
        ("A" * 5000, TrackOrder.ARTIST),
        (_encode({"o": "ARTIST"}), TrackOrder.ARTIST),
        (_encode([1, "ARTIST", "key"]), TrackOrder.ARTIST),
        (_encode([2, "ARTIST", "key", TRACK_ID.hex]), TrackOrder.ARTIST),
        (_encode([1, "ARTIST", 5, TRACK_ID.hex]), TrackOrder.ARTIST),
        (_encode([1, "ARTIST", "x" * 1025, TRACK_ID.hex]), TrackOrder.ARTIST),
        (_encode([1, "ARTIST", "key", "not-a-uuid"]), TrackOrder.ARTIST),
        (_encode([1, "ARTIST", "key", str(TRACK_ID)]), TrackOrder.ARTIST),
        (base64.urlsafe_b64encode(b"\xff\xfe").decode(), TrackOrder.ARTIST),
        (_encode([1, "TITLE", "key", TRACK_ID.hex]), TrackOrder.ARTIST),
        ("WzEsIkRVUkFUSU9OIixOYU4sIjAwIl0", TrackOrder.DURATION),  # bare NaN in the JSON
        (_encode([1, "DURATION", True, TRACK_ID.hex]), TrackOrder.DURATION),
        (_encode([1, "DURATION", "1.5", TRACK_ID.hex]), TrackOrder.DURATION),
        (
            _encode([1, "RECENTLY_ADDED", "2026-01-01T00:00:00", TRACK_ID.hex]),
            TrackOrder.RECENTLY_ADDED,
        ),
        (_encode([1, "RECENTLY_ADDED", "yesterday", TRACK_ID.hex]), TrackOrder.RECENTLY_ADDED),
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
        "nan",
        "bool-duration",
        "string-duration",
        "naive-datetime",
        "bad-datetime",
    ],
)
def test_bad_cursor_raises_invalid_cursor(cursor: str, order: TrackOrder) -> None:
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
