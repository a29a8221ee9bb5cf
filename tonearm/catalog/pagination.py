"""Keyset pagination over the track list: orders, opaque cursors, page arguments.

A cursor is ``base64url(JSON [version, order, key, uuid-hex])``: the sort key and id of the
row it points at. Paging seeks past that key with an index range scan, so a page deep in
the library costs the same as the first one, and rows added or removed between requests
never shift a page (as OFFSET would). Cursors are not signed: they only name a position,
so a hand-made one can do no more than start a page somewhere else. Anything that does not
decode to a well-formed position for the requested order raises ``InvalidCursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from tonearm.db.models import TrackRecord

CURSOR_VERSION = 1
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_MAX_CURSOR_LENGTH = 4096
_MAX_KEY_LENGTH = 1024


class TrackOrder(Enum):
    """The orders the track list can be read in; each is unique thanks to the id tiebreak."""

    ARTIST = "artist"
    TITLE = "title"
    RECENTLY_ADDED = "recently_added"
    DURATION = "duration"


class PaginationError(Exception):
    """Base class: the page arguments cannot be honoured."""


class InvalidCursor(PaginationError):
    """The cursor is malformed, tampered with, or belongs to another order."""


class PageTooLarge(PaginationError):
    """More rows were asked for than one page may hold."""


class BadPageArgument(PaginationError):
    """A negative page size, or first and last together."""


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """The key column of an order and its direction (the id breaks ties the same way)."""

    key: InstrumentedAttribute[Any]
    descending: bool


ORDERS: dict[TrackOrder, OrderSpec] = {
    TrackOrder.ARTIST: OrderSpec(TrackRecord.sort_library, descending=False),
    TrackOrder.TITLE: OrderSpec(TrackRecord.sort_title, descending=False),
    TrackOrder.RECENTLY_ADDED: OrderSpec(TrackRecord.created_at, descending=True),
    TrackOrder.DURATION: OrderSpec(TrackRecord.duration_seconds, descending=False),
}

KeyValue = str | float | datetime


@dataclass(frozen=True, slots=True)
class Cursor:
    """A decoded position in one order: the key value and id of a row."""

    order: TrackOrder
    key: KeyValue
    track_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Validated page arguments: how many rows, which way, and the bounds."""

    size: int
    backward: bool
    after: Cursor | None
    before: Cursor | None


def key_of(order: TrackOrder, record: TrackRecord) -> KeyValue:
    """The sort key value ``record`` has in ``order``."""
    value: KeyValue = getattr(record, ORDERS[order].key.key)
    return value


def encode_cursor(order: TrackOrder, record: TrackRecord) -> str:
    """The opaque cursor of ``record``'s position in ``order``."""
    key = key_of(order, record)
    encoded_key = key.isoformat() if isinstance(key, datetime) else key
    payload = json.dumps(
        [CURSOR_VERSION, order.name, encoded_key, record.id.hex],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: TrackOrder) -> Cursor:
    """Parse a cursor made by ``encode_cursor`` for ``order``; ``InvalidCursor`` otherwise."""
    if not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        raise InvalidCursor
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw.decode(), parse_constant=_reject_constant)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor from None
    if not (isinstance(payload, list) and len(payload) == 4):
        raise InvalidCursor
    version, order_name, key, track_hex = payload
    if version != CURSOR_VERSION or order_name != order.name or not isinstance(track_hex, str):
        raise InvalidCursor
    try:
        track_id = uuid.UUID(hex=track_hex)
    except ValueError:
        raise InvalidCursor from None
    if track_id.hex != track_hex:
        raise InvalidCursor
    return Cursor(order, _parse_key(order, key), track_id)


def _reject_constant(name: str) -> None:
    raise ValueError(name)


def _parse_key(order: TrackOrder, key: object) -> KeyValue:
    if order is TrackOrder.DURATION:
        if isinstance(key, bool) or not isinstance(key, int | float) or not math.isfinite(key):
            raise InvalidCursor
        return float(key)
    if not isinstance(key, str) or len(key) > _MAX_KEY_LENGTH:
        raise InvalidCursor
    if order is TrackOrder.RECENTLY_ADDED:
        try:
            moment = datetime.fromisoformat(key)
        except ValueError:
            raise InvalidCursor from None
        if moment.tzinfo is None:
            raise InvalidCursor
        return moment
    return key


def page_request(
    order: TrackOrder,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> PageRequest:
    """Check Relay page arguments; never clamps a page that is too large."""
    if first is not None and last is not None:
        raise BadPageArgument("give either first or last, not both")
    for name, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            raise BadPageArgument(f"{name} must not be negative")
        if value is not None and value > MAX_PAGE_SIZE:
            raise PageTooLarge(f"{name} may be at most {MAX_PAGE_SIZE}, got {value}")
    backward = last is not None or (first is None and before is not None and after is None)
    size = last if backward else first
    return PageRequest(
        size=DEFAULT_PAGE_SIZE if size is None else size,
        backward=backward,
        after=decode_cursor(after, order) if after is not None else None,
        before=decode_cursor(before, order) if before is not None else None,
    )


def relative_to(cursor: Cursor, *, later: bool) -> ColumnElement[bool]:
    """Rows that come ``later`` (or earlier) than ``cursor`` in its order.

    Written as a row-value comparison on the order's index columns so both databases seek
    the index instead of filtering.
    """
    spec = ORDERS[cursor.order]
    columns = tuple_(spec.key, TrackRecord.id)
    bound = tuple_(
        literal(cursor.key, spec.key.type), literal(cursor.track_id, TrackRecord.id.type)
    )
    return columns > bound if later != spec.descending else columns < bound
