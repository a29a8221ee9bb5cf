"""Reading the track registry: pages of tracks, lookups by id, library totals.

Keyword-only functions over an ``AsyncSession``; the GraphQL layer calls these and only
converts what they return.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.pagination import (
    ORDERS,
    Page,
    PageRequest,
    TrackOrder,
    first_column,
    keyset_page,
)
from tonearm.catalog.search import search_filters
from tonearm.db.models import AlbumRecord, ArtistRecord, TrackRecord

# Artists the artist list shows and the totals count: credited as a main, featured or
# album artist (the scan keeps composer-only artists with zero counts).
LISTED_ARTIST: ColumnElement[bool] = or_(ArtistRecord.album_count > 0, ArtistRecord.track_count > 0)


@dataclass(frozen=True, slots=True)
class LibraryTotals:
    """Counts over the whole registry."""

    track_count: int
    artist_count: int
    album_count: int
    total_duration_seconds: float


async def list_tracks(
    session: AsyncSession, *, order: TrackOrder, page: PageRequest, search: str | None
) -> Page[TrackRecord]:
    """A keyset page of tracks in ``order``, optionally limited to a search."""
    statement = select(TrackRecord).where(*search_filters(session.get_bind().dialect, search))
    return await keyset_page(
        session, statement, spec=ORDERS[order], page=page, convert=first_column
    )


async def count_tracks(session: AsyncSession, *, search: str | None) -> int:
    """How many tracks the list holds, with the same search filter as its pages."""
    statement = (
        select(func.count())
        .select_from(TrackRecord)
        .where(*search_filters(session.get_bind().dialect, search))
    )
    return int(await session.scalar(statement) or 0)


async def tracks_by_ids(
    session: AsyncSession, track_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, TrackRecord]:
    """The tracks with these ids, in one query (unknown ids are simply absent)."""
    if not track_ids:
        return {}
    statement = select(TrackRecord).where(TrackRecord.id.in_(set(track_ids)))
    return {record.id: record for record in (await session.scalars(statement)).all()}


async def track_exists(session: AsyncSession, track_id: uuid.UUID) -> bool:
    """Whether a track with this id is registered."""
    statement = select(exists().where(TrackRecord.id == track_id))
    return bool(await session.scalar(statement))


async def library_totals(session: AsyncSession) -> LibraryTotals:
    """Track, artist and album counts and the total duration, in one query.

    Artists are those credited as a main, featured or album artist (a composer-only
    credit is not counted, as the artist list does not show them).
    """
    artists = select(func.count()).select_from(ArtistRecord).where(LISTED_ARTIST).scalar_subquery()
    albums = select(func.count()).select_from(AlbumRecord).scalar_subquery()
    statement = select(
        func.count(TrackRecord.row_id),
        func.coalesce(func.sum(TrackRecord.duration_seconds), 0.0),
        artists,
        albums,
    )
    row = (await session.execute(statement)).one()
    return LibraryTotals(
        track_count=int(row[0]),
        total_duration_seconds=float(row[1]),
        artist_count=int(row[2]),
        album_count=int(row[3]),
    )
