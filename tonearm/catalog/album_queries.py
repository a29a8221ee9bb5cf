"""Reading albums: keyset pages, counts, and batched lookups for the GraphQL DataLoaders.

Keyword-only functions over an ``AsyncSession``. Every lookup takes many ids and answers
in one query, so a page of albums costs the same few statements whatever its size.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tonearm.catalog.access import Reader, album_hidden, album_visible, track_visible
from tonearm.catalog.pagination import (
    ORDERS,
    AlbumOrder,
    Page,
    PageRequest,
    first_column,
    keyset_page,
    keyset_statement,
    page_of,
    read_order,
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
    """A page of albums and, when asked for, what they link to, read in the same query."""

    albums: Page[AlbumRecord]
    artists: dict[uuid.UUID, list[ArtistRecord]]
    artworks: dict[str, ArtworkRecord]


async def list_albums(
    session: AsyncSession,
    *,
    reader: Reader,
    order: AlbumOrder,
    page: PageRequest,
    search: str | None,
    with_artists: bool = False,
    with_artworks: bool = False,
) -> AlbumPage:
    """A keyset page of the albums ``reader`` may see in ``order``, optionally searched.

    ``with_artists`` and ``with_artworks`` read the album artists and the covers' artworks
    in the same statement, for a page that shows them: the page is a subquery, joined to
    its links. Each statement costs a round trip, most of what a page's lookups cost.
    """
    filters = search_filters(session.get_bind().dialect, search, AlbumRecord)
    spec = ORDERS[order]
    statement = select(AlbumRecord).where(album_visible(reader), *filters)
    if not (with_artists or with_artworks):
        albums = await keyset_page(session, statement, spec=spec, page=page, convert=first_column)
        return AlbumPage(albums, {}, {})
    inner = keyset_statement(statement, spec=spec, page=page).subquery("page")
    album = aliased(AlbumRecord, inner)
    ordering = read_order(spec, page, [inner.c[key.attribute] for key in spec.keys] + [inner.c.id])
    linked = select(album)
    if with_artworks:
        linked = linked.add_columns(ArtworkRecord).outerjoin(
            ArtworkRecord, ArtworkRecord.hash == album.artwork_hash
        )
    if with_artists:
        linked = (
            linked.add_columns(ArtistRecord)
            .outerjoin(AlbumArtistRecord, AlbumArtistRecord.album_id == album.id)
            .outerjoin(ArtistRecord, ArtistRecord.id == AlbumArtistRecord.artist_id)
        )
        ordering.append(AlbumArtistRecord.position.asc())
    records: dict[uuid.UUID, AlbumRecord] = {}
    artists: dict[uuid.UUID, list[ArtistRecord]] = {}
    artworks: dict[str, ArtworkRecord] = {}
    for row in await session.execute(linked.order_by(*ordering)):
        record: AlbumRecord = row[0]
        records.setdefault(record.id, record)
        credited = artists.setdefault(record.id, [])
        links: tuple[object, ...] = tuple(row[1:])
        for link in links:
            if isinstance(link, ArtworkRecord):
                artworks[link.hash] = link
            elif isinstance(link, ArtistRecord) and link not in credited:
                credited.append(link)
    albums = page_of(list(records.values()), page)
    return AlbumPage(albums, artists if with_artists else {}, artworks)


async def count_albums(session: AsyncSession, *, reader: Reader, search: str | None) -> int:
    """How many albums the list holds for ``reader``, with the same filters as its pages:
    all of them minus the ones hidden from ``reader``."""
    filters = search_filters(session.get_bind().dialect, search, AlbumRecord)
    total = select(func.count()).select_from(AlbumRecord).where(*filters).scalar_subquery()
    hidden = album_hidden(reader)
    unseen = select(func.count()).select_from(AlbumRecord).where(hidden, *filters).scalar_subquery()
    return int(await session.scalar(select(total - unseen)) or 0)


async def albums_by_ids(
    session: AsyncSession, album_ids: Sequence[uuid.UUID], *, reader: Reader
) -> dict[uuid.UUID, AlbumRecord]:
    """The albums with these ids that ``reader`` may see, in one query (others are absent)."""
    if not album_ids:
        return {}
    statement = select(AlbumRecord).where(AlbumRecord.id.in_(set(album_ids)), album_visible(reader))
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
    session: AsyncSession, album_ids: Sequence[uuid.UUID], *, reader: Reader
) -> dict[uuid.UUID, list[TrackRecord]]:
    """The tracks ``reader`` may see of each album by disc, then track number, then title
    (every id gets a list).

    A track without a disc number sits on disc 1 (as the grouping phase counts discs); one
    without a track number comes first on its disc, as in the track list's library order.
    """
    found: dict[uuid.UUID, list[TrackRecord]] = {album_id: [] for album_id in album_ids}
    if not album_ids:
        return found
    statement = (
        select(TrackRecord)
        .where(TrackRecord.album_id.in_(set(album_ids)), track_visible(reader))
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
