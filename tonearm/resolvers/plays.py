"""Resolvers of plays: ``recordPlay``, ``history``, ``topTracks``, and a track's
``viewerPlayCount``/``lastPlayedAt`` through one loader per page."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

import strawberry
from graphql.pyutils import AwaitableOrValue
from strawberry.types.unset import UNSET

from tonearm.catalog.pagination import MAX_PAGE_SIZE, Page, PlayOrder, encode_cursor
from tonearm.db.models import PlayRecord
from tonearm.resolvers.likes import account_of
from tonearm.resolvers.loading import load_then
from tonearm.resolvers.pages import checked_page, page_info
from tonearm.resolvers.tracks import track_uuid
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.social_types import (
    ImplausiblePlayError,
    Play,
    PlayConnection,
    PlayEdge,
    RecordedPlay,
    RecordPlayResult,
    TopTrack,
)
from tonearm.schema.types import Track, TrackNotFoundError
from tonearm.social.history import count_history, list_history
from tonearm.social.plays import ImplausiblePlay, PlayTrackNotFound, record_play
from tonearm.social.top import PlayPeriod, PlayScope, top_tracks

Info = strawberry.Info[Context, None]


async def resolve_record_play(
    info: Info,
    track_id: strawberry.ID,
    played_seconds: float,
    started_at: datetime | None = None,
) -> RecordPlayResult:
    """Record a play the client reports; below the play rule nothing is stored."""
    user_id = account_of(info)
    track = track_uuid(track_id)
    if started_at is not None and started_at.tzinfo is None:
        raise api_error(ErrorCode.BAD_USER_INPUT, "startedAt needs a time zone offset.")
    context = info.context
    try:
        async with context.db() as session:
            recorded = await record_play(
                session,
                reader=context.reader,
                user_id=user_id,
                track_id=track,
                played_seconds=played_seconds,
                started_at=started_at,
            )
    except PlayTrackNotFound:
        return TrackNotFoundError(message="No track has this ID.", track_id=track_id)
    except ImplausiblePlay as refused:
        return ImplausiblePlayError(message=str(refused), reason=refused.reason)
    return RecordedPlay(
        counted=recorded.counted,
        play=Play.from_record(recorded.play) if recorded.play is not None else None,
        track=Track.from_record(recorded.track),
    )


async def resolve_history(
    info: Info, first: int | None = UNSET, after: str | None = UNSET
) -> PlayConnection:
    """A page of the viewer's plays, latest first (empty without an account)."""
    page = checked_page(PlayOrder.NEWEST, first=first, after=after)
    context = info.context
    user_id = context.reader.user_id
    result: Page[PlayRecord] = Page([], has_next_page=False, has_previous_page=False)
    if user_id is not None:
        async with context.db() as session:
            result = await list_history(session, reader=context.reader, user_id=user_id, page=page)
    edges = [
        PlayEdge(cursor=encode_cursor(PlayOrder.NEWEST, record), node=Play.from_record(record))
        for record in result.records
    ]
    return PlayConnection(
        edges=edges,
        page_info=page_info(result, [edge.cursor for edge in edges]),
        total_count_loader=partial(_count, context, user_id),
    )


async def _count(context: Context, user_id: uuid.UUID | None) -> int:
    if user_id is None:
        return 0
    async with context.db() as session:
        return await count_history(session, reader=context.reader, user_id=user_id)


async def resolve_top_tracks(
    info: Info,
    period: PlayPeriod = PlayPeriod.MONTH,
    first: int | None = 20,
    scope: PlayScope = PlayScope.MINE,
) -> list[TopTrack]:
    """The most played tracks the viewer can see in a rolling period (null first: 20)."""
    first = 20 if first is None else first
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise api_error(
            ErrorCode.BAD_USER_INPUT if first < 0 else ErrorCode.PAGE_TOO_LARGE,
            f"first must be between 0 and {MAX_PAGE_SIZE}, got {first}",
        )
    context = info.context
    async with context.db() as session:
        rows = await top_tracks(
            session,
            reader=context.reader,
            user_id=context.reader.user_id,
            period=period,
            scope=scope,
            limit=first,
        )
    return [TopTrack(track=Track.from_record(row.track), play_count=row.play_count) for row in rows]


async def resolve_play_track(info: Info, play: Play) -> Track:
    """A history entry's track (the history only lists plays of visible tracks)."""
    record = await info.context.track_loader.load(play.track_id)
    if record is None:
        raise api_error(ErrorCode.INTERNAL_SERVER_ERROR, "The played track is gone.")
    return Track.from_record(record)


def resolve_viewer_play_count(info: Info, track_id: uuid.UUID) -> AwaitableOrValue[int]:
    """``Track.viewerPlayCount``: 0 without an account, else one query per page."""
    if info.context.reader.user_id is None:
        return 0
    return load_then(info.context.viewer_plays_loader, track_id, lambda row: row[0] if row else 0)


def resolve_last_played_at(info: Info, track_id: uuid.UUID) -> AwaitableOrValue[datetime | None]:
    """``Track.lastPlayedAt``: the viewer's latest play of it (shares the play-count query)."""
    if info.context.reader.user_id is None:
        return None
    return load_then(
        info.context.viewer_plays_loader, track_id, lambda row: row[1] if row else None
    )
