"""Resolvers for albums: the paginated list, lookups by global ID, and an album's fields."""

from __future__ import annotations

import uuid
from functools import partial
from typing import TYPE_CHECKING

import strawberry
from graphql.pyutils import AwaitableOrValue
from strawberry.types.unset import UNSET

from tonearm.catalog.album_queries import count_albums, list_albums
from tonearm.catalog.pagination import AlbumOrder, encode_cursor
from tonearm.resolvers.loading import load_then, node_selection, prefetch_albums, selection_of
from tonearm.resolvers.pages import checked_page, checked_search, page_info
from tonearm.schema.context import Context
from tonearm.schema.ids import ALBUM_TYPE_NAME, id_argument
from tonearm.schema.library_types import Album, AlbumConnection, AlbumEdge, Artist
from tonearm.schema.types import Track

if TYPE_CHECKING:
    from tonearm.db.models import AlbumRecord, ArtistRecord, TrackRecord

Info = strawberry.Info[Context, None]


async def resolve_albums(  # noqa: PLR0917 - Relay's argument list
    info: Info,
    first: int | None = UNSET,
    after: str | None = UNSET,
    last: int | None = UNSET,
    before: str | None = UNSET,
    search: str | None = UNSET,
    order_by: AlbumOrder = AlbumOrder.ARTIST,
) -> AlbumConnection:
    """A keyset-paginated page of albums (omitted arguments arrive as ``UNSET``)."""
    page = checked_page(order_by, first=first, after=after, last=last, before=before)
    text = checked_search(search)
    context = info.context
    wanted = node_selection(info)
    async with context.db() as session:
        found = await list_albums(
            session,
            reader=context.reader,
            order=order_by,
            page=page,
            search=text,
            with_artists="artists" in wanted,
            with_artworks="coverArt" in wanted,
        )
    context.artwork_loader.prime_many(found.artworks)
    context.album_artists_loader.prime_many(found.artists)
    result = found.albums
    edges = [
        AlbumEdge(cursor=encode_cursor(order_by, record), node=album_of(context, record))
        for record in result.records
    ]
    await prefetch_albums(context, result.records, wanted)
    return AlbumConnection(
        edges=edges,
        page_info=page_info(result, [edge.cursor for edge in edges]),
        total_count_loader=partial(_count, context, text),
    )


async def _count(context: Context, search: str | None) -> int:
    async with context.db() as session:
        return await count_albums(session, reader=context.reader, search=search)


def album_of(context: Context, record: AlbumRecord) -> Album:
    """The GraphQL album of a row, remembered by the request's album loader.

    A track of this album asking for its album later in the same response then costs
    no query.
    """
    context.album_loader.prime(record.id, record)
    return Album.from_record(record)


def album_uuid(global_id: str) -> uuid.UUID:
    """Parse an album's global ID or raise the API's ``INVALID_ID`` error."""
    return id_argument(global_id, ALBUM_TYPE_NAME, "album")


async def load_album(info: Info, album_id: uuid.UUID) -> Album | None:
    """The album with this id, or None."""
    record = await info.context.album_loader.load(album_id)
    return Album.from_record(record) if record else None


async def resolve_album(info: Info, id: strawberry.ID) -> Album | None:
    """The album with this global ID, or null when there is none."""
    record = await info.context.album_loader.load(album_uuid(id))
    if record is None:
        return None
    album = album_of(info.context, record)
    await prefetch_albums(info.context, [record], selection_of(info))
    return album


def _album_or_none(record: AlbumRecord | None) -> Album | None:
    return Album.from_record(record) if record else None


def _artists(records: list[ArtistRecord] | None) -> list[Artist]:
    return [Artist.from_record(record) for record in records or []]


def _tracks(records: list[TrackRecord] | None) -> list[Track]:
    return [Track.from_record(record) for record in records or []]


def resolve_track_album(info: Info, album_id: uuid.UUID | None) -> AwaitableOrValue[Album | None]:
    """``Track.album``: the track's album (None for a track without one)."""
    if album_id is None:
        return None
    return load_then(info.context.album_loader, album_id, _album_or_none)


def resolve_album_artists(info: Info, album: Album) -> AwaitableOrValue[list[Artist]]:
    """``Album.artists``: its album artists in credit order (batched over the response)."""
    return load_then(info.context.album_artists_loader, album.album_id, _artists)


def resolve_album_tracks(info: Info, album: Album) -> AwaitableOrValue[list[Track]]:
    """``Album.tracks``: by disc, then track number, then title (batched over the response)."""
    return load_then(info.context.album_tracks_loader, album.album_id, _tracks)
