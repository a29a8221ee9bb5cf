"""Resolvers for reading tracks: the paginated list, and lookups by global ID."""

from __future__ import annotations

import uuid
from functools import partial

import strawberry
from strawberry import relay
from strawberry.types.unset import UNSET

from tonearm.catalog.pagination import TrackOrder, encode_cursor
from tonearm.catalog.queries import count_tracks, list_tracks
from tonearm.resolvers.loading import node_selection, prefetch_tracks, selection_of
from tonearm.resolvers.pages import checked_page, checked_search, page_info
from tonearm.schema.context import Context
from tonearm.schema.ids import TRACK_TYPE_NAME, id_argument
from tonearm.schema.types import Track, TrackConnection

Info = strawberry.Info[Context, None]


async def resolve_tracks(  # noqa: PLR0917 - Relay's argument list
    info: Info,
    first: int | None = UNSET,
    after: str | None = UNSET,
    last: int | None = UNSET,
    before: str | None = UNSET,
    search: str | None = UNSET,
    order_by: TrackOrder = TrackOrder.ARTIST,
) -> TrackConnection:
    """A keyset-paginated page of tracks (omitted arguments arrive as ``UNSET``)."""
    page = checked_page(order_by, first=first, after=after, last=last, before=before)
    text = checked_search(search)
    context = info.context
    async with context.db() as session:
        result = await list_tracks(
            session, reader=context.reader, order=order_by, page=page, search=text
        )
    await prefetch_tracks(context, result.records, node_selection(info))
    edges = [
        relay.Edge(cursor=encode_cursor(order_by, record), node=Track.from_record(record))
        for record in result.records
    ]
    return TrackConnection(
        edges=edges,
        page_info=page_info(result, [edge.cursor for edge in edges]),
        total_count_loader=partial(_count, context, text),
    )


async def _count(context: Context, search: str | None) -> int:
    async with context.db() as session:
        return await count_tracks(session, reader=context.reader, search=search)


def track_uuid(global_id: str) -> uuid.UUID:
    """Parse a track's global ID or raise the API's ``INVALID_ID`` error."""
    return id_argument(global_id, TRACK_TYPE_NAME, "track")


async def resolve_track(info: Info, id: strawberry.ID) -> Track | None:
    """The track with this global ID, or null when there is none."""
    record = await info.context.track_loader.load(track_uuid(id))
    if record is None:
        return None
    await prefetch_tracks(info.context, [record], selection_of(info))
    return Track.from_record(record)
