"""Resolvers for reading tracks: the paginated list, and lookups by global ID."""

from __future__ import annotations

import uuid
from functools import partial
from typing import TypeVar

import strawberry
from strawberry import relay
from strawberry.types.unset import UNSET, UnsetType

from tonearm.catalog.pagination import (
    BadPageArgument,
    InvalidCursor,
    PageTooLarge,
    PaginationError,
    TrackOrder,
    encode_cursor,
    page_request,
)
from tonearm.catalog.queries import count_tracks, list_tracks
from tonearm.catalog.search import MAX_SEARCH_LENGTH
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.ids import InvalidGlobalId, parse_track_id
from tonearm.schema.types import Track, TrackConnection

Info = strawberry.Info[Context, None]
T = TypeVar("T")

_PAGINATION_CODES: dict[type[PaginationError], ErrorCode] = {
    InvalidCursor: ErrorCode.INVALID_CURSOR,
    PageTooLarge: ErrorCode.PAGE_TOO_LARGE,
    BadPageArgument: ErrorCode.BAD_USER_INPUT,
}
_PAGINATION_MESSAGES: dict[type[PaginationError], str] = {
    InvalidCursor: "The cursor is not valid for this list and order.",
}


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
    try:
        page = page_request(
            order_by,
            first=_given(first),
            after=_given(after),
            last=_given(last),
            before=_given(before),
        )
    except PaginationError as exc:
        kind = type(exc)
        raise api_error(
            _PAGINATION_CODES[kind], _PAGINATION_MESSAGES.get(kind) or str(exc)
        ) from None
    if len(_given(search) or "") > MAX_SEARCH_LENGTH:
        raise api_error(
            ErrorCode.BAD_USER_INPUT,
            f"Search text is limited to {MAX_SEARCH_LENGTH} characters.",
        )
    context = info.context
    async with context.db() as session:
        result = await list_tracks(session, order=order_by, page=page, search=_given(search))
    edges = [
        relay.Edge(cursor=encode_cursor(order_by, record), node=Track.from_record(record))
        for record in result.records
    ]
    return TrackConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=result.has_next_page,
            has_previous_page=result.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count_loader=partial(_count, context, _given(search)),
    )


def _given(value: T | UnsetType | None) -> T | None:
    return None if isinstance(value, UnsetType) else value


async def _count(context: Context, search: str | None) -> int:
    async with context.db() as session:
        return await count_tracks(session, search=search)


def track_uuid(global_id: str) -> uuid.UUID:
    """Parse a track's global ID or raise the API's ``INVALID_ID`` error."""
    try:
        return parse_track_id(global_id)
    except InvalidGlobalId:
        raise api_error(ErrorCode.INVALID_ID, "Not a valid track ID.") from None


async def resolve_track(info: Info, id: strawberry.ID) -> Track | None:
    """The track with this global ID, or null when there is none."""
    record = await info.context.track_loader.load(track_uuid(id))
    return Track.from_record(record) if record else None


async def resolve_node(info: Info, id: strawberry.ID) -> relay.Node | None:
    """Relay's refetch entry point; tracks are the only nodes so far."""
    return await resolve_track(info, id)
