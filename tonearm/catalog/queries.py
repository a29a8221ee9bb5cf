"""Reading the track registry: pages of tracks, lookups by id, library totals.

Keyword-only functions over an ``AsyncSession``; the GraphQL layer calls these and only
converts what they return.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import (
    Reader,
    album_hidden,
    artist_visible,
    track_hidden,
    track_visible,
)
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


@dataclass(frozen=True, slots=True)
class LibraryTotals:
    """Counts over the whole registry."""

    track_count: int
    artist_count: int
    album_count: int
    total_duration_seconds: float


async def list_tracks(
    session: AsyncSession,
    *,
    reader: Reader,
    order: TrackOrder,
    page: PageRequest,
    search: str | None,
) -> Page[TrackRecord]:
    """A keyset page of the tracks ``reader`` may see in ``order``, optionally searched."""
    statement = select(TrackRecord).where(
        track_visible(reader), *search_filters(session.get_bind().dialect, search)
    )
    return await keyset_page(
        session, statement, spec=ORDERS[order], page=page, convert=first_column
    )


async def count_tracks(session: AsyncSession, *, reader: Reader, search: str | None) -> int:
    """How many tracks the list holds for ``reader``, with the same filters as its pages.

    All of them minus the ones hidden from ``reader`` (``catalog.access.track_hidden``).
    """
    filters = search_filters(session.get_bind().dialect, search)
    total = select(func.count()).select_from(TrackRecord).where(*filters).scalar_subquery()
    hidden = track_hidden(reader)
    unseen = select(func.count()).select_from(TrackRecord).where(hidden, *filters).scalar_subquery()
    return int(await session.scalar(select(total - unseen)) or 0)


async def tracks_by_ids(
    session: AsyncSession, track_ids: Sequence[uuid.UUID], *, reader: Reader
) -> dict[uuid.UUID, TrackRecord]:
    """The tracks with these ids that ``reader`` may see, in one query (others are absent)."""
    if not track_ids:
        return {}
    statement = select(TrackRecord).where(TrackRecord.id.in_(set(track_ids)), track_visible(reader))
    return {record.id: record for record in (await session.scalars(statement)).all()}


async def track_exists(session: AsyncSession, track_id: uuid.UUID, *, reader: Reader) -> bool:
    """Whether a track with this id is registered and ``reader`` may see it."""
    statement = select(exists().where(TrackRecord.id == track_id, track_visible(reader)))
    return bool(await session.scalar(statement))


async def library_totals(session: AsyncSession, *, reader: Reader) -> LibraryTotals:
    """Track, artist and album counts and the total duration ``reader`` sees, in one query.

    Artists are those credited as a main, featured or album artist (a composer-only
    credit is not counted, as the artist list does not show them).
    """
    artists = (
        select(func.count())
        .select_from(ArtistRecord)
        .where(artist_visible(reader))
        .scalar_subquery()
    )
    albums: ColumnElement[int] = select(func.count()).select_from(AlbumRecord).scalar_subquery()
    albums = albums - (
        select(func.count()).select_from(AlbumRecord).where(album_hidden(reader)).scalar_subquery()
    )
    statement = select(
        func.count(TrackRecord.row_id),
        func.coalesce(func.sum(TrackRecord.duration_seconds), 0.0),
        artists,
        albums,
    )
    row = (await session.execute(statement)).one()
    track_count, duration = int(row[0]), float(row[1])
    # Minus the hidden tracks: ranges of the state and is_published indexes.
    unseen = select(
        func.count(TrackRecord.row_id),
        func.coalesce(func.sum(TrackRecord.duration_seconds), 0.0),
    ).where(track_hidden(reader))
    hidden_count, hidden_duration = (await session.execute(unseen)).one()
    track_count -= int(hidden_count)
    duration -= float(hidden_duration)
    return LibraryTotals(
        track_count=track_count,
        total_duration_seconds=round(duration, 6),
        artist_count=int(row[2]),
        album_count=int(row[3]),
    )
