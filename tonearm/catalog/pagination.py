"""Keyset pagination for every list: orders, opaque cursors, page arguments, the page query.

Each order of each list (tracks, albums, artists, an artist's albums) is an ``OrderSpec``:
its name, its key columns, the id column that breaks ties, and its direction. One mechanism
serves them all: a cursor is ``base64url(JSON [version, order name, [key values], uuid-hex])``,
the sort key and id of the row it points at, and a page seeks past that key with an index
range scan, so a page deep in the list costs the same as the first one and rows added or
removed between requests never shift a page (as OFFSET would). Cursors are not signed: they
only name a position, so a hand-made one can do no more than start a page somewhere else.
Anything that does not decode to a well-formed position for the requested order (including
a cursor of another list, since the order name says which list it belongs to) raises
``InvalidCursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from operator import attrgetter
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from tonearm.db.models import (
    AlbumRecord,
    ArtistRecord,
    CommentRecord,
    LikeRecord,
    PlaylistItemRecord,
    PlaylistRecord,
    PlayRecord,
    ShareRecord,
    TrackRecord,
    TrashRecord,
)

CURSOR_VERSION = 2
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_MAX_CURSOR_LENGTH = 4096
_MAX_KEY_LENGTH = 1024

T = TypeVar("T")
# What an order sorts by: a mapped column, or an expression a query computes.
SortColumn = ColumnElement[Any] | InstrumentedAttribute[Any]


class TrackOrder(Enum):
    """The orders the track list can be read in; each is unique thanks to the id tiebreak."""

    ARTIST = "artist"
    TITLE = "title"
    RECENTLY_ADDED = "recently_added"
    DURATION = "duration"
    POPULAR = "popular"


class AlbumOrder(Enum):
    """The orders the album list can be read in (keys precomputed by the grouping phase)."""

    TITLE = "title"
    ARTIST = "artist"
    YEAR = "year"
    RECENTLY_ADDED = "recently_added"


class ArtistOrder(Enum):
    """The orders the artist list can be read in."""

    NAME = "name"


class ArtistAlbumOrder(Enum):
    """The one order of an artist's albums: their own albums, then appearances, by year."""

    YEAR = "year"


class PlaylistOrder(Enum):
    """The one order of playlist lists: by name (folded), then id."""

    NAME = "name"


class PlaylistItemOrder(Enum):
    """The one order of a static playlist's items: their position key."""

    POSITION = "position"


class SmartOrder(Enum):
    """The orders of a smart playlist's computed items (``playlists.rules``)."""

    ARTIST = "ARTIST"
    TITLE = "TITLE"
    RECENTLY_ADDED = "RECENTLY_ADDED"
    YEAR = "YEAR"
    MOST_PLAYED = "MOST_PLAYED"
    RECENTLY_PLAYED = "RECENTLY_PLAYED"
    POPULAR = "POPULAR"


class LikeOrder(Enum):
    """The one order of a viewer's likes: newest first."""

    NEWEST = "newest"


class PlayOrder(Enum):
    """The one order of a viewer's history: latest play first."""

    NEWEST = "newest"


class ShareOrder(Enum):
    """The one order of a user's shares: newest first."""

    NEWEST = "newest"


class CommentOrder(Enum):
    """The one order of comments on a track or album: newest first."""

    NEWEST = "newest"


class MissingOrder(Enum):
    """The one order of the admins' missing tracks: longest missing first."""

    OLDEST = "oldest"


class TrashOrder(Enum):
    """The one order of the trash: most recently deleted first."""

    NEWEST = "newest"


class PaginationError(Exception):
    """Base class: the page arguments cannot be honoured."""


class InvalidCursor(PaginationError):
    """The cursor is malformed, tampered with, or belongs to another list or order."""


class PageTooLarge(PaginationError):
    """More rows were asked for than one page may hold."""


class BadPageArgument(PaginationError):
    """A negative page size, or first and last together."""


class KeyKind(Enum):
    """What a sort key holds, so a cursor's value can be checked before it reaches SQL."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    LONG = "long"  # a 64-bit key (playlist positions, row ids)
    MOMENT = "moment"


@dataclass(frozen=True, slots=True)
class SortKey:
    """One key column of an order and where a fetched row carries its value."""

    column: SortColumn
    kind: KeyKind
    attribute: str  # dotted path on the rows the page returns

    def read(self, row: object) -> KeyValue:
        """The value ``row`` has for this key."""
        value: KeyValue = attrgetter(self.attribute)(row)
        return value


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """An order of one list: the key columns, the id tiebreak and the direction.

    ``name`` is what cursors carry ("<list>.<ORDER>"), so a cursor of one list or order is
    refused by every other.
    """

    name: str
    keys: tuple[SortKey, ...]
    id_column: SortColumn
    id_attribute: str
    descending: bool = False

    def with_columns(self, *columns: SortColumn) -> OrderSpec:
        """The same order over other key columns (an order whose key a query computes)."""
        keys = tuple(
            SortKey(column, key.kind, key.attribute)
            for column, key in zip(columns, self.keys, strict=True)
        )
        return OrderSpec(self.name, keys, self.id_column, self.id_attribute, self.descending)


def _entity_order(
    name: str, column: Any, kind: KeyKind, id_column: Any, *, descending: bool = False
) -> OrderSpec:
    return OrderSpec(name, (SortKey(column, kind, column.key),), id_column, "id", descending)


ORDERS: dict[Enum, OrderSpec] = {
    TrackOrder.ARTIST: _entity_order(
        "tracks.ARTIST", TrackRecord.sort_library, KeyKind.TEXT, TrackRecord.id
    ),
    TrackOrder.TITLE: _entity_order(
        "tracks.TITLE", TrackRecord.sort_title, KeyKind.TEXT, TrackRecord.id
    ),
    TrackOrder.RECENTLY_ADDED: _entity_order(
        "tracks.RECENTLY_ADDED",
        TrackRecord.created_at,
        KeyKind.MOMENT,
        TrackRecord.id,
        descending=True,
    ),
    TrackOrder.DURATION: _entity_order(
        "tracks.DURATION", TrackRecord.duration_seconds, KeyKind.NUMBER, TrackRecord.id
    ),
    TrackOrder.POPULAR: _entity_order(
        "tracks.POPULAR",
        TrackRecord.popularity,
        KeyKind.NUMBER,
        TrackRecord.id,
        descending=True,
    ),
    AlbumOrder.TITLE: _entity_order(
        "albums.TITLE", AlbumRecord.sort_title, KeyKind.TEXT, AlbumRecord.id
    ),
    AlbumOrder.ARTIST: _entity_order(
        "albums.ARTIST", AlbumRecord.sort_artist, KeyKind.TEXT, AlbumRecord.id
    ),
    AlbumOrder.YEAR: _entity_order(
        "albums.YEAR", AlbumRecord.sort_year, KeyKind.TEXT, AlbumRecord.id
    ),
    AlbumOrder.RECENTLY_ADDED: _entity_order(
        "albums.RECENTLY_ADDED",
        AlbumRecord.created_at,
        KeyKind.MOMENT,
        AlbumRecord.id,
        descending=True,
    ),
    ArtistOrder.NAME: _entity_order(
        "artists.NAME", ArtistRecord.sort_name, KeyKind.TEXT, ArtistRecord.id
    ),
    LikeOrder.NEWEST: OrderSpec(
        "likes.NEWEST",
        (SortKey(LikeRecord.created_at, KeyKind.MOMENT, "created_at"),),
        LikeRecord.target_id,
        "target_id",
        descending=True,
    ),
    # A play's key is its start and its integer row id; the track id after them only fills
    # the uuid slot every cursor carries (the row id alone already makes the order unique).
    PlayOrder.NEWEST: OrderSpec(
        "plays.NEWEST",
        (
            SortKey(PlayRecord.started_at, KeyKind.MOMENT, "started_at"),
            SortKey(PlayRecord.id, KeyKind.LONG, "id"),
        ),
        PlayRecord.track_id,
        "track_id",
        descending=True,
    ),
    ShareOrder.NEWEST: OrderSpec(
        "shares.NEWEST",
        (SortKey(ShareRecord.created_at, KeyKind.MOMENT, "created_at"),),
        ShareRecord.id,
        "id",
        descending=True,
    ),
    CommentOrder.NEWEST: OrderSpec(
        "comments.NEWEST",
        (SortKey(CommentRecord.created_at, KeyKind.MOMENT, "created_at"),),
        CommentRecord.id,
        "id",
        descending=True,
    ),
    TrashOrder.NEWEST: OrderSpec(
        "trash.NEWEST",
        (SortKey(TrashRecord.deleted_at, KeyKind.MOMENT, "deleted_at"),),
        TrashRecord.id,
        "id",
        descending=True,
    ),
    # The first key (0 for an album artist's album, 1 for an appearance) depends on the
    # artist, so the query supplies its column (``OrderSpec.with_columns``).
    ArtistAlbumOrder.YEAR: OrderSpec(
        "artist_albums.YEAR",
        (
            SortKey(literal(0), KeyKind.INTEGER, "appearance_rank"),
            SortKey(AlbumRecord.sort_year, KeyKind.TEXT, "album.sort_year"),
        ),
        AlbumRecord.id,
        "album.id",
    ),
    MissingOrder.OLDEST: _entity_order(
        "missing.OLDEST", TrackRecord.state_changed_at, KeyKind.MOMENT, TrackRecord.id
    ),
    PlaylistOrder.NAME: _entity_order(
        "playlists.NAME", PlaylistRecord.sort_name, KeyKind.TEXT, PlaylistRecord.id
    ),
    PlaylistItemOrder.POSITION: _entity_order(
        "playlist_items.POSITION", PlaylistItemRecord.position, KeyKind.LONG, PlaylistItemRecord.id
    ),
    # A smart playlist's keys are columns of the query its rules compile to
    # (``playlists.rules``), which supplies them with ``OrderSpec.with_columns``.
    **{
        order: OrderSpec(
            f"smart.{order.name}",
            tuple(SortKey(literal(0), kind, f"k{index}") for index, kind in enumerate(kinds)),
            TrackRecord.id,
            "track_id",
            descending,
        )
        for order, kinds, descending in (
            (SmartOrder.ARTIST, (KeyKind.TEXT,), False),
            (SmartOrder.TITLE, (KeyKind.TEXT,), False),
            (SmartOrder.RECENTLY_ADDED, (KeyKind.MOMENT,), True),
            (SmartOrder.YEAR, (KeyKind.INTEGER, KeyKind.TEXT), False),
            (SmartOrder.MOST_PLAYED, (KeyKind.INTEGER,), True),
            (SmartOrder.RECENTLY_PLAYED, (KeyKind.MOMENT,), True),
            (SmartOrder.POPULAR, (KeyKind.NUMBER,), True),
        )
    },
}

KeyValue = str | float | int | datetime


@dataclass(frozen=True, slots=True)
class Cursor:
    """A decoded position in one order: the key values and id of a row."""

    order: Enum
    keys: tuple[KeyValue, ...]
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Validated page arguments: how many rows, which way, and the bounds."""

    size: int
    backward: bool
    after: Cursor | None
    before: Cursor | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of rows in display order, and whether more lie either side of it."""

    records: list[T]
    has_next_page: bool
    has_previous_page: bool


def first_column(row: Any) -> Any:
    """A result row's first column: the record of a ``select(Model)``."""
    return row[0]


def keys_of(order: Enum, row: object) -> tuple[KeyValue, ...]:
    """The sort key values ``row`` has in ``order``."""
    return tuple(key.read(row) for key in ORDERS[order].keys)


def encode_cursor(order: Enum, row: object) -> str:
    """The opaque cursor of ``row``'s position in ``order``."""
    spec = ORDERS[order]
    keys = [
        value.isoformat() if isinstance(value, datetime) else value for value in keys_of(order, row)
    ]
    row_id: uuid.UUID = attrgetter(spec.id_attribute)(row)
    payload = json.dumps(
        [CURSOR_VERSION, spec.name, keys, row_id.hex], separators=(",", ":"), ensure_ascii=False
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: Enum) -> Cursor:
    """Parse a cursor made by ``encode_cursor`` for ``order``; ``InvalidCursor`` otherwise."""
    spec = ORDERS[order]
    if not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        raise InvalidCursor
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw.decode(), parse_constant=_reject_constant)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor from None
    if not (isinstance(payload, list) and len(payload) == 4):
        raise InvalidCursor
    version, name, keys, row_hex = payload
    if (
        version != CURSOR_VERSION
        or name != spec.name
        or not isinstance(keys, list)
        or len(keys) != len(spec.keys)
        or not isinstance(row_hex, str)
    ):
        raise InvalidCursor
    try:
        row_id = uuid.UUID(hex=row_hex)
    except ValueError:
        raise InvalidCursor from None
    if row_id.hex != row_hex:
        raise InvalidCursor
    values = tuple(_parse_key(key.kind, value) for key, value in zip(spec.keys, keys, strict=True))
    return Cursor(order, values, row_id)


def _reject_constant(name: str) -> None:
    raise ValueError(name)


def _parse_key(kind: KeyKind, value: object) -> KeyValue:
    if isinstance(value, bool):
        raise InvalidCursor
    if kind is KeyKind.NUMBER:
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidCursor
        return float(value)
    if kind is KeyKind.INTEGER:
        if not isinstance(value, int) or abs(value) > 2**31:
            raise InvalidCursor
        return value
    if kind is KeyKind.LONG:
        if type(value) is not int or not -(2**63) <= value < 2**63:
            raise InvalidCursor
        return value
    if not isinstance(value, str) or len(value) > _MAX_KEY_LENGTH:
        raise InvalidCursor
    if kind is KeyKind.MOMENT:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidCursor from None
        if moment.tzinfo is None:
            raise InvalidCursor
        return moment
    return value


def page_request(
    order: Enum,
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


def relative_to(spec: OrderSpec, cursor: Cursor, *, later: bool) -> ColumnElement[bool]:
    """Rows that come ``later`` (or earlier) than ``cursor`` in ``spec``'s order.

    Written as a row-value comparison on the order's index columns so both databases seek
    the index instead of filtering.
    """
    columns = tuple_(*(key.column for key in spec.keys), spec.id_column)
    bound = tuple_(
        *(
            literal(value, key.column.type)
            for key, value in zip(spec.keys, cursor.keys, strict=True)
        ),
        literal(cursor.id, spec.id_column.type),
    )
    return columns > bound if later != spec.descending else columns < bound


def keyset_statement(
    statement: Select[*tuple[Any, ...]], *, spec: OrderSpec, page: PageRequest
) -> Select[*tuple[Any, ...]]:
    """``statement`` (filters applied) bounded, ordered and limited to one page and one row
    more, which tells whether the page continues."""
    bounds = [
        *([relative_to(spec, page.after, later=True)] if page.after else []),
        *([relative_to(spec, page.before, later=False)] if page.before else []),
    ]
    return statement.where(*bounds).order_by(*read_order(spec, page)).limit(page.size + 1)


def read_order(
    spec: OrderSpec, page: PageRequest, columns: Sequence[SortColumn] | None = None
) -> list[ColumnElement[Any]]:
    """ORDER BY terms reading ``spec``'s order the way ``page`` walks it.

    ``columns`` stand in for the order's key and id columns (the same columns of a subquery).
    Walking backward reads the order reversed from the ``before`` side; ``page_of`` flips it.
    """
    descending = spec.descending != page.backward
    if columns is None:
        columns = [*(key.column for key in spec.keys), spec.id_column]
    return [column.desc() if descending else column.asc() for column in columns]


def page_of(records: list[T], page: PageRequest) -> Page[T]:
    """The page among ``records``, read as ``keyset_statement`` reads them (one extra)."""
    has_more = len(records) > page.size
    del records[page.size :]
    if page.backward:
        records.reverse()
    # Relay lets the side a page was not walked toward be approximated: a cursor there means
    # its row (and so something) lies behind the page. An extra query per page to cover a
    # cursor whose row was deleted since is not worth its cost on every page.
    if page.backward:
        return Page(records, has_next_page=page.before is not None, has_previous_page=has_more)
    return Page(records, has_next_page=has_more, has_previous_page=page.after is not None)


async def keyset_page(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    *,
    spec: OrderSpec,
    page: PageRequest,
    convert: Callable[[Any], T],
) -> Page[T]:
    """One page of ``statement``'s rows in ``spec``'s order (filters already applied).

    One query fetches ``size + 1`` rows; ``convert`` turns each result row into what the
    page holds.
    """
    result = await session.execute(keyset_statement(statement, spec=spec, page=page))
    return page_of([convert(row) for row in result], page)
