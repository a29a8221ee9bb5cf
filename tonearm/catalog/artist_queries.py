"""Reading artists: keyset pages, counts, their albums, and batched lookups for DataLoaders.

An artist's albums are the albums they are an album artist of, then their *appearances*:
albums on whose tracks they are credited as a main or featured artist (a compilation, a
guest spot) without being an album artist. Both kinds are ordered by year.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader, album_visible, artist_visible, track_visible
from tonearm.catalog.artists import PERFORMING_ROLES, ArtistRole
from tonearm.catalog.pagination import (
    ORDERS,
    ArtistAlbumOrder,
    ArtistOrder,
    Page,
    PageRequest,
    first_column,
    keyset_page,
)
from tonearm.catalog.search import search_filters
from tonearm.db.models import (
    AlbumArtistRecord,
    AlbumRecord,
    ArtistRecord,
    TrackArtistRecord,
    TrackRecord,
)

_PERFORMING = [role.value for role in PERFORMING_ROLES]


@dataclass(frozen=True, slots=True)
class ArtistAlbum:
    """One album of an artist's albums, and whether it is an appearance."""

    album: AlbumRecord
    is_appearance: bool

    @property
    def appearance_rank(self) -> int:
        """The first sort key of ``ArtistAlbumOrder.YEAR``: own albums (0) come first."""
        return int(self.is_appearance)


async def list_artists(
    session: AsyncSession,
    *,
    reader: Reader,
    order: ArtistOrder,
    page: PageRequest,
    search: str | None,
) -> Page[ArtistRecord]:
    """A keyset page of the artists credited on a track or album ``reader`` may see."""
    filters = search_filters(session.get_bind().dialect, search, ArtistRecord)
    statement = select(ArtistRecord).where(artist_visible(reader), *filters)
    return await keyset_page(
        session, statement, spec=ORDERS[order], page=page, convert=first_column
    )


async def count_artists(session: AsyncSession, *, reader: Reader, search: str | None) -> int:
    """How many artists the list holds for ``reader``, with the same filters as its pages."""
    filters = search_filters(session.get_bind().dialect, search, ArtistRecord)
    statement = (
        select(func.count()).select_from(ArtistRecord).where(artist_visible(reader), *filters)
    )
    return int(await session.scalar(statement) or 0)


async def artists_by_ids(
    session: AsyncSession, artist_ids: Sequence[uuid.UUID], *, reader: Reader
) -> dict[uuid.UUID, ArtistRecord]:
    """The artists with these ids that ``reader`` may see, in one query (others are absent)."""
    if not artist_ids:
        return {}
    statement = select(ArtistRecord).where(
        ArtistRecord.id.in_(set(artist_ids)), artist_visible(reader)
    )
    return {record.id: record for record in (await session.scalars(statement)).all()}


async def artists_of_tracks(
    session: AsyncSession, track_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ArtistRecord]]:
    """The main, then featured artists of each track, in credit order (every id gets a list)."""
    found: dict[uuid.UUID, list[ArtistRecord]] = {track_id: [] for track_id in track_ids}
    if not track_ids:
        return found
    role_rank = case((TrackArtistRecord.role == ArtistRole.MAIN.value, 0), else_=1)
    statement = (
        select(TrackArtistRecord.track_id, ArtistRecord)
        .join(ArtistRecord, ArtistRecord.id == TrackArtistRecord.artist_id)
        .where(TrackArtistRecord.track_id.in_(set(track_ids)))
        .where(TrackArtistRecord.role.in_(_PERFORMING))
        .order_by(TrackArtistRecord.track_id, role_rank, TrackArtistRecord.position)
    )
    for track_id, artist in await session.execute(statement):
        artists = found[track_id]
        if all(known.id != artist.id for known in artists):
            artists.append(artist)
    return found


def _own_albums(artist_id: uuid.UUID) -> ColumnElement[bool]:
    own = select(AlbumArtistRecord.album_id).where(AlbumArtistRecord.artist_id == artist_id)
    return AlbumRecord.id.in_(own)


def _credited_albums(artist_id: uuid.UUID, reader: Reader) -> ColumnElement[bool]:
    credited = (
        select(TrackRecord.album_id)
        .join(TrackArtistRecord, TrackArtistRecord.track_id == TrackRecord.id)
        .where(
            TrackArtistRecord.artist_id == artist_id,
            TrackArtistRecord.role.in_(_PERFORMING),
            TrackRecord.album_id.is_not(None),
            track_visible(reader),
        )
    )
    return AlbumRecord.id.in_(credited)


async def artist_albums(
    session: AsyncSession, *, reader: Reader, artist_id: uuid.UUID, page: PageRequest
) -> Page[ArtistAlbum]:
    """A keyset page of an artist's albums ``reader`` may see: their own, then appearances,
    each by year."""
    own = _own_albums(artist_id)
    rank = case((own, 0), else_=1)
    spec = ORDERS[ArtistAlbumOrder.YEAR].with_columns(rank, AlbumRecord.sort_year)
    statement = select(AlbumRecord, rank).where(
        or_(own, _credited_albums(artist_id, reader)), album_visible(reader)
    )
    return await keyset_page(
        session,
        statement,
        spec=spec,
        page=page,
        convert=lambda row: ArtistAlbum(row[0], is_appearance=bool(row[1])),
    )


async def count_artist_albums(
    session: AsyncSession, *, reader: Reader, artist_id: uuid.UUID
) -> int:
    """How many albums ``artist_albums`` lists for this artist (appearances included)."""
    statement = (
        select(func.count())
        .select_from(AlbumRecord)
        .where(
            or_(_own_albums(artist_id), _credited_albums(artist_id, reader)),
            album_visible(reader),
        )
    )
    return int(await session.scalar(statement) or 0)


async def newest_album_artworks(
    session: AsyncSession, artist_ids: Sequence[uuid.UUID], *, reader: Reader
) -> dict[uuid.UUID, str]:
    """The cover of each artist's newest album ``reader`` may see that has one (by year,
    then when added).

    Only albums they are an album artist of count; an artist without any is absent.
    """
    if not artist_ids:
        return {}
    newest = (
        func.row_number()
        .over(
            partition_by=AlbumArtistRecord.artist_id,
            order_by=(
                func.coalesce(AlbumRecord.year, -1).desc(),
                AlbumRecord.created_at.desc(),
                AlbumRecord.id,
            ),
        )
        .label("newest")
    )
    ranked = (
        select(AlbumArtistRecord.artist_id, AlbumRecord.artwork_hash, newest)
        .join(AlbumRecord, AlbumRecord.id == AlbumArtistRecord.album_id)
        .where(
            AlbumArtistRecord.artist_id.in_(set(artist_ids)),
            AlbumRecord.artwork_hash.is_not(None),
            album_visible(reader),
        )
        .subquery()
    )
    statement = select(ranked.c.artist_id, ranked.c.artwork_hash).where(ranked.c.newest == 1)
    rows = await session.execute(statement)
    return {artist_id: str(artwork) for artist_id, artwork in rows}
