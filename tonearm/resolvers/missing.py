"""Resolvers for missing files: ``Track.state``/``missingSince`` and the admins' list.

A track's state is the admins' and its owners' business (an owner sees their own track
gone missing, or in the trash); everyone else reads null. ``missingTracks`` is for admins
only (the field's permission), and reads missing tracks on purpose (``catalog.missing``).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

import strawberry
from graphql.pyutils import AwaitableOrValue
from strawberry import relay
from strawberry.types.unset import UNSET

from tonearm.catalog.access import CollaboratorRole
from tonearm.catalog.missing import count_missing_tracks, list_missing_tracks
from tonearm.catalog.pagination import MissingOrder, encode_cursor
from tonearm.catalog.states import TrackState
from tonearm.resolvers.collaborators import resolve_track_viewer_role
from tonearm.resolvers.loading import node_selection, prefetch_tracks, settled
from tonearm.resolvers.pages import checked_page, page_info
from tonearm.schema.context import Context
from tonearm.schema.types import Track, TrackConnection

Info = strawberry.Info[Context, None]
# ``missingTracks``' page size when ``first`` is not given (the SDL's default).
MISSING_PAGE_SIZE = 50


def _owner_only(
    info: Info, track: Track, value: TrackState | datetime | None
) -> AwaitableOrValue[TrackState | datetime | None]:
    role = resolve_track_viewer_role(info, track)
    if role is None or isinstance(role, CollaboratorRole):
        return value if role is CollaboratorRole.OWNER else None
    return _later(role, value)


async def _later(
    role: AwaitableOrValue[CollaboratorRole | None], value: TrackState | datetime | None
) -> TrackState | datetime | None:
    return value if await settled(role) is CollaboratorRole.OWNER else None


def resolve_track_state(info: Info, track: Track) -> AwaitableOrValue[TrackState | None]:
    """``Track.state``: for admins and the track's owners (its own or its album's), else null."""
    result: AwaitableOrValue[TrackState | None] = _owner_only(  # type: ignore[assignment]
        info, track, TrackState(track.state_value)
    )
    return result


def resolve_track_missing_since(info: Info, track: Track) -> AwaitableOrValue[datetime | None]:
    """``Track.missingSince``: when a missing track went missing (admins and owners)."""
    if track.state_value != TrackState.MISSING.value:
        return None
    result: AwaitableOrValue[datetime | None] = _owner_only(  # type: ignore[assignment]
        info, track, track.state_changed_at
    )
    return result


async def resolve_missing_tracks(
    info: Info, first: int | None = MISSING_PAGE_SIZE, after: str | None = None
) -> TrackConnection:
    """Tracks whose files are gone, the longest missing first (admins only)."""
    page = checked_page(
        MissingOrder.OLDEST,
        first=MISSING_PAGE_SIZE if first is None or first is UNSET else first,
        after=after,
    )
    context = info.context
    async with context.db() as session:
        result = await list_missing_tracks(session, page=page)
    await prefetch_tracks(context, result.records, node_selection(info))
    edges = [
        relay.Edge(
            cursor=encode_cursor(MissingOrder.OLDEST, record), node=Track.from_record(record)
        )
        for record in result.records
    ]
    return TrackConnection(
        edges=edges,
        page_info=page_info(result, [edge.cursor for edge in edges]),
        total_count_loader=partial(_count, context),
    )


async def _count(context: Context) -> int:
    async with context.db() as session:
        return await count_missing_tracks(session)
