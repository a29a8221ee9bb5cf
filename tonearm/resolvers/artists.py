"""Resolvers for artists: the paginated list, lookups by global ID, and an artist's fields."""

from __future__ import annotations

import uuid
from functools import partial
from typing import TYPE_CHECKING

import strawberry
from graphql.pyutils import AwaitableOrValue
from strawberry import relay
from strawberry.types.unset import UNSET, UnsetType

from tonearm.catalog.artist_queries import (
    artist_albums,
    count_artist_albums,
    count_artists,
    list_artists,
)
from tonearm.catalog.pagination import ArtistAlbumOrder, ArtistOrder, encode_cursor
from tonearm.resolvers.albums import album_of
from tonearm.resolvers.covers import resolve_cover
from tonearm.resolvers.loading import (
    load_then,
    node_selection,
    prefetch_albums,
    prefetch_artists,
    selection_of,
    settled,
)
from tonearm.resolvers.pages import checked_page, checked_search, page_info
from tonearm.schema.context import Context
from tonearm.schema.ids import ARTIST_TYPE_NAME, id_argument
from tonearm.schema.library_types import (
    AlbumConnection,
    AlbumEdge,
    Artist,
    ArtistConnection,
    CoverArt,
)

if TYPE_CHECKING:
    from tonearm.db.models import ArtistRecord

Info = strawberry.Info[Context, None]


async def resolve_artists(  # noqa: PLR0917 - Relay's argument list
    info: Info,
    first: int | None = UNSET,
    after: str | None = UNSET,
    last: int | None = UNSET,
    before: str | None = UNSET,
    search: str | None = UNSET,
    order_by: ArtistOrder = ArtistOrder.NAME,
) -> ArtistConnection:
    """A keyset-paginated page of artists (omitted arguments arrive as ``UNSET``)."""
    page = checked_page(order_by, first=first, after=after, last=last, before=before)
    text = checked_search(search)
    context = info.context
    async with context.db() as session:
        result = await list_artists(
            session, reader=context.reader, order=order_by, page=page, search=text
        )
    await prefetch_artists(context, result.records, node_selection(info))
    edges = [
        relay.Edge(cursor=encode_cursor(order_by, record), node=_artist_of(context, record))
        for record in result.records
    ]
    return ArtistConnection(
        edges=edges,
        page_info=page_info(result, [edge.cursor for edge in edges]),
        total_count_loader=partial(_count, context, text),
    )


async def _count(context: Context, search: str | None) -> int:
    async with context.db() as session:
        return await count_artists(session, reader=context.reader, search=search)


def _artist_of(context: Context, record: ArtistRecord) -> Artist:
    context.artist_loader.prime(record.id, record)
    return Artist.from_record(record)


def artist_uuid(global_id: str) -> uuid.UUID:
    """Parse an artist's global ID or raise the API's ``INVALID_ID`` error."""
    return id_argument(global_id, ARTIST_TYPE_NAME, "artist")


async def load_artist(info: Info, artist_id: uuid.UUID) -> Artist | None:
    """The artist with this id, or None."""
    record = await info.context.artist_loader.load(artist_id)
    return Artist.from_record(record) if record else None


async def resolve_artist(info: Info, id: strawberry.ID) -> Artist | None:
    """The artist with this global ID, or null when there is none."""
    record = await info.context.artist_loader.load(artist_uuid(id))
    if record is None:
        return None
    await prefetch_artists(info.context, [record], selection_of(info))
    return Artist.from_record(record)


def _artists(records: list[ArtistRecord] | None) -> list[Artist]:
    return [Artist.from_record(record) for record in records or []]


def resolve_track_artists(info: Info, track_id: uuid.UUID) -> AwaitableOrValue[list[Artist]]:
    """``Track.artists``: main, then featured artists (batched over the response)."""
    return load_then(info.context.track_artists_loader, track_id, _artists)


async def resolve_artist_albums(
    info: Info,
    artist: Artist,
    *,
    first: int | UnsetType | None,
    after: str | UnsetType | None,
) -> AlbumConnection:
    """``Artist.albums``: their albums, then appearances, each by year (one query a page)."""
    order = ArtistAlbumOrder.YEAR
    page = checked_page(order, first=first, after=after)
    context = info.context
    async with context.db() as session:
        result = await artist_albums(
            session, reader=context.reader, artist_id=artist.artist_id, page=page
        )
    edges = [
        AlbumEdge(
            cursor=encode_cursor(order, entry),
            node=album_of(context, entry.album),
            is_appearance=entry.is_appearance,
        )
        for entry in result.records
    ]
    await prefetch_albums(context, [entry.album for entry in result.records], node_selection(info))
    return AlbumConnection(
        edges=edges,
        page_info=page_info(result, [edge.cursor for edge in edges]),
        total_count_loader=partial(_count_albums, context, artist.artist_id),
    )


async def _count_albums(context: Context, artist_id: uuid.UUID) -> int:
    async with context.db() as session:
        return await count_artist_albums(session, reader=context.reader, artist_id=artist_id)


def resolve_artist_cover(info: Info, artist: Artist) -> AwaitableOrValue[CoverArt | None]:
    """``Artist.coverArt``: their own image, else their newest album's cover."""
    if artist.artwork_hash is not None:
        return resolve_cover(info, artist.artwork_hash)
    done = info.context.artist_cover_loader.answered(artist.artist_id)
    if done is not None:
        return resolve_cover(info, done.result())
    return _newest_cover_later(info, artist.artist_id)


async def _newest_cover_later(info: Info, artist_id: uuid.UUID) -> CoverArt | None:
    artwork_hash = await info.context.artist_cover_loader.load(artist_id)
    return await settled(resolve_cover(info, artwork_hash))
