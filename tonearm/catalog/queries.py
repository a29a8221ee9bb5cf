"""Reading the track registry: pages of tracks, lookups by id, library totals.

Keyword-only functions over an ``AsyncSession``; the GraphQL layer calls these and only
converts what they return.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, distinct, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.pagination import ORDERS, PageRequest, TrackOrder, relative_to
from tonearm.catalog.search import search_condition, search_terms
from tonearm.db.models import TrackRecord


@dataclass(frozen=True, slots=True)
class TrackPage:
    """One page of tracks in display order, and whether more lie either side of it."""

    records: list[TrackRecord]
    has_next_page: bool
    has_previous_page: bool


@dataclass(frozen=True, slots=True)
class LibraryTotals:
    """Counts over the whole registry."""

    track_count: int
    artist_count: int
    album_count: int
    total_duration_seconds: float


def _search_filters(session: AsyncSession, search: str | None) -> list[ColumnElement[bool]]:
    words = search_terms(search)
    return [search_condition(words, session.get_bind().dialect)] if words else []


async def list_tracks(
    session: AsyncSession, *, order: TrackOrder, page: PageRequest, search: str | None
) -> TrackPage:
    """A keyset page of tracks in ``order``, optionally limited to a search.

    One query fetches ``size + 1`` rows to learn whether the page continues.
    """
    spec = ORDERS[order]
    searched = _search_filters(session, search)
    bounds = [
        *([relative_to(page.after, later=True)] if page.after else []),
        *([relative_to(page.before, later=False)] if page.before else []),
    ]
    # Walking backward reads the order reversed from the ``before`` side, then flips.
    descending = spec.descending != page.backward
    ordering = (
        (spec.key.desc(), TrackRecord.id.desc())
        if descending
        else (spec.key.asc(), TrackRecord.id.asc())
    )
    statement = (
        select(TrackRecord).where(*searched, *bounds).order_by(*ordering).limit(page.size + 1)
    )
    records = list((await session.scalars(statement)).all())
    has_more = len(records) > page.size
    del records[page.size :]
    if page.backward:
        records.reverse()
    # Relay lets the side a page was not walked toward be approximated: a cursor there means
    # its row (and so something) lies behind the page. An extra query per page to cover a
    # cursor whose row was deleted since is not worth its cost on every page.
    if page.backward:
        return TrackPage(records, has_next_page=page.before is not None, has_previous_page=has_more)
    return TrackPage(records, has_next_page=has_more, has_previous_page=page.after is not None)


async def count_tracks(session: AsyncSession, *, search: str | None) -> int:
    """How many tracks the list holds, with the same search filter as its pages."""
    statement = (
        select(func.count()).select_from(TrackRecord).where(*_search_filters(session, search))
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

    An artist is the album artist, else the artist; an album is an (artist, album) pair, so
    two artists' albums called "Greatest Hits" count twice.
    """
    artist = func.coalesce(TrackRecord.album_artist, TrackRecord.artist)
    artists = select(func.count(distinct(artist))).scalar_subquery()
    albums = (
        select(func.count())
        .select_from(
            select(artist.label("artist"), TrackRecord.album)
            .where(TrackRecord.album.is_not(None))
            .distinct()
            .subquery()
        )
        .scalar_subquery()
    )
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
