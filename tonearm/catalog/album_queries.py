"""Reading albums: keyset pages, counts, and batched lookups for the GraphQL DataLoaders.

Keyword-only functions over an ``AsyncSession``. Every lookup takes many ids and answers
in one query, so a page of albums costs the same few statements whatever its size.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.pagination import (
    ORDERS,
    AlbumOrder,
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
    ArtworkRecord,
    TrackRecord,
)


@dataclass(frozen=True, slots=True)
class AlbumPage:
    """A page of albums and, when asked for, the artworks of their covers."""

    albums: Page[AlbumRecord]
    artworks: dict[str, ArtworkRecord]


async def list_albums(
    session: AsyncSession,
    *,
    order: AlbumOrder,
    page: PageRequest,
    search: str | None,
    with_artworks: bool = False,
) -> AlbumPage:
    """A keyset page of albums in ``order``, optionally limited to a search.

    ``with_artworks`` reads the covers' artworks in the same query (a join on the key the
    album holds), for a page that shows them: one statement fewer than a lookup after.
    """
    filters = search_filters(session.get_bind().dialect, search, AlbumRecord)
    spec = ORDERS[order]
    if not with_artworks:
        statement = select(AlbumRecord).where(*filters)
        albums = await keyset_page(session, statement, spec=spec, page=page, convert=first_column)
        return AlbumPage(albums, {})
    joined = (
        select(AlbumRecord, ArtworkRecord)
        .outerjoin(ArtworkRecord, ArtworkRecord.hash == AlbumRecord.artwork_hash)
        .where(*filters)
    )
    rows: Page[Any] = await keyset_page(session, joined, spec=spec, page=page, convert=tuple)
    artworks = {artwork.hash: artwork for _, artwork in rows.records if artwork is not None}
    albums = Page(
        [album for album, _ in rows.records],
        has_next_page=rows.has_next_page,
        has_previous_page=rows.has_previous_page,
    )
    return AlbumPage(albums, artworks)


async def count_albums(session: AsyncSession, *, search: str | None) -> int:
    """How many albums the list holds, with the same search filter as its pages."""
    filters = search_filters(session.get_bind().dialect, search, AlbumRecord)
    statement = select(func.count()).select_from(AlbumRecord).where(*filters)
    return int(await session.scalar(statement) or 0)


async def albums_by_ids(
    session: AsyncSession, album_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AlbumRecord]:
    """The albums with these ids, in one query (unknown ids are simply absent)."""
    if not album_ids:
        return {}
    statement = select(AlbumRecord).where(AlbumRecord.id.in_(set(album_ids)))
    return {record.id: record for record in (await session.scalars(statement)).all()}


async def album_artists_of(
    session: AsyncSession, album_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ArtistRecord]]:
    """The album artists of each album, in credit order (every id gets a list)."""
    found: dict[uuid.UUID, list[ArtistRecord]] = {album_id: [] for album_id in album_ids}
    if not album_ids:
        return found
    statement = (
        select(AlbumArtistRecord.album_id, ArtistRecord)
        .join(ArtistRecord, ArtistRecord.id == AlbumArtistRecord.artist_id)
        .where(AlbumArtistRecord.album_id.in_(set(album_ids)))
        .order_by(AlbumArtistRecord.album_id, AlbumArtistRecord.position)
    )
    for album_id, artist in await session.execute(statement):
        artists = found[album_id]
        if all(known.id != artist.id for known in artists):
            artists.append(artist)
    return found


async def tracks_of_albums(
    session: AsyncSession, album_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[TrackRecord]]:
    """The tracks of each album by disc, then track number, then title (every id gets a list).

    A track without a disc number sits on disc 1 (as the grouping phase counts discs); one
    without a track number comes first on its disc, as in the track list's library order.
    """
    found: dict[uuid.UUID, list[TrackRecord]] = {album_id: [] for album_id in album_ids}
    if not album_ids:
        return found
    statement = (
        select(TrackRecord)
        .where(TrackRecord.album_id.in_(set(album_ids)))
        .order_by(
            func.coalesce(TrackRecord.disc_number, 1),
            func.coalesce(TrackRecord.track_number, 0),
            TrackRecord.sort_title,
            TrackRecord.id,
        )
    )
    for record in (await session.scalars(statement)).all():
        if record.album_id is not None:
            found[record.album_id].append(record)
    return found


async def artworks_by_hashes(
    session: AsyncSession, hashes: Sequence[str]
) -> dict[str, ArtworkRecord]:
    """The artworks with these content hashes, in one query."""
    if not hashes:
        return {}
    statement = select(ArtworkRecord).where(ArtworkRecord.hash.in_(set(hashes)))
    return {record.hash: record for record in (await session.scalars(statement)).all()}
