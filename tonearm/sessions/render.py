"""A session's state as plain JSON: what events store and what queries answer from.

Each ``render_*`` reads one aspect (playback, queue, members, a request) and returns the
dict an event's ``payload`` keeps, keyed by the GraphQL field names (ids as UUID hex: the
schema layer turns them into global IDs; a track's cover as its artwork hash and sizes:
the schema layer signs a session-bound URL). The GraphQL types are built from these dicts
only, so a subscriber delivers an event without touching the database, and a query and an
event can never show the same state two ways.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey, original_offer
from tonearm.db.models import (
    AlbumRecord,
    ArtworkRecord,
    ListeningSessionRecord,
    SessionMemberRecord,
    SessionQueueItemRecord,
    SessionRequestRecord,
    TrackRecord,
    utcnow,
)
from tonearm.sessions.rules import OFFLINE_AFTER, MemberRole, PlaybackStatus, SyncState
from tonearm.shares.access import source_of

Payload = dict[str, Any]
_ROLE_ORDER = {MemberRole.HOST.value: 0, MemberRole.COHOST.value: 1, MemberRole.GUEST.value: 2}


def iso(moment: datetime | None) -> str | None:
    """A timestamp as stored in payloads."""
    return moment.isoformat() if moment is not None else None


async def track_snapshots(
    session: AsyncSession, track_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Payload]:
    """The trimmed view of tracks: title, credits, duration, cover (one query)."""
    wanted = set(track_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            TrackRecord.id,
            TrackRecord.title,
            TrackRecord.artist,
            TrackRecord.album,
            TrackRecord.duration_seconds,
            AlbumRecord.artwork_hash,
            ArtworkRecord.sizes,
        )
        .outerjoin(AlbumRecord, AlbumRecord.id == TrackRecord.album_id)
        .outerjoin(ArtworkRecord, ArtworkRecord.hash == AlbumRecord.artwork_hash)
        .where(TrackRecord.id.in_(wanted))
    )
    return {
        row.id: {
            "id": row.id.hex,
            "title": row.title,
            "artistName": row.artist,
            "albumTitle": row.album,
            "durationSeconds": row.duration_seconds,
            "artwork": row.artwork_hash if row.sizes else None,
            "artworkSizes": list(row.sizes or []),
        }
        for row in rows
    }


def member_online(member: SessionMemberRecord, now: datetime) -> bool:
    """Whether a member holds a live subscription (a heartbeat within ``OFFLINE_AFTER``)."""
    return member.left_at is None and member.last_seen_at > now - OFFLINE_AFTER


def render_member(member: SessionMemberRecord, now: datetime) -> Payload:
    """One member as ``SessionMember`` shows them."""
    online = member_online(member, now)
    state = member.sync_state if online and member.sync_state else None
    return {
        "id": member.id.hex,
        "displayName": member.display_name,
        "role": member.role,
        "isAnonymous": member.user_id is None,
        "isOnline": online,
        "syncState": state or (SyncState.IN_SYNC.value if online else SyncState.OFFLINE.value),
        "offsetMs": member.offset_ms if online else None,
        "joinedAt": iso(member.joined_at),
    }


async def current_members(
    session: AsyncSession, session_id: uuid.UUID
) -> list[SessionMemberRecord]:
    """The members who have not left: host first, then co-hosts, then guests, by joining."""
    members = list(
        (
            await session.scalars(
                select(SessionMemberRecord)
                .where(
                    SessionMemberRecord.session_id == session_id,
                    SessionMemberRecord.left_at.is_(None),
                )
                .order_by(SessionMemberRecord.joined_at, SessionMemberRecord.id)
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    members.sort(key=lambda member: _ROLE_ORDER.get(member.role, 3))
    return members


async def render_members(
    session: AsyncSession, session_id: uuid.UUID, now: datetime
) -> list[Payload]:
    """Every current member (a MEMBERS event, ``ListeningSession.members``)."""
    return [render_member(member, now) for member in await current_members(session, session_id)]


async def queue_items(session: AsyncSession, session_id: uuid.UUID) -> list[SessionQueueItemRecord]:
    """The queue in order."""
    return list(
        (
            await session.scalars(
                select(SessionQueueItemRecord)
                .where(SessionQueueItemRecord.session_id == session_id)
                .order_by(SessionQueueItemRecord.position)
                .execution_options(populate_existing=True)
            )
        ).all()
    )


async def render_queue(session: AsyncSession, record: ListeningSessionRecord) -> list[Payload]:
    """The whole queue (a QUEUE event, ``ListeningSession.queue``).

    Items before the current one are played; with no current item, none is.
    """
    items = await queue_items(session, record.id)
    tracks = await track_snapshots(session, (item.track_id for item in items))
    members = await _members_by_id(session, {item.added_by for item in items if item.added_by})
    current_index = next(
        (index for index, item in enumerate(items) if item.id == record.current_item_id), -1
    )
    return [
        {
            "id": item.id.hex,
            "track": tracks.get(item.track_id) or _gone_track(item.track_id),
            "position": index,
            "addedBy": members.get(item.added_by) if item.added_by else None,
            "isCurrent": index == current_index,
            "isPlayed": index < current_index,
            "requestId": item.request_id.hex if item.request_id else None,
        }
        for index, item in enumerate(items)
    ]


async def _members_by_id(
    session: AsyncSession, member_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Payload]:
    """Members (left ones too) rendered by id, for who added or asked what."""
    if not member_ids:
        return {}
    now = utcnow()
    found = await session.scalars(
        select(SessionMemberRecord).where(SessionMemberRecord.id.in_(member_ids))
    )
    return {member.id: render_member(member, now) for member in found}


def _gone_track(track_id: uuid.UUID) -> Payload:
    return {
        "id": track_id.hex,
        "title": "",
        "artistName": None,
        "albumTitle": None,
        "durationSeconds": None,
        "artwork": None,
        "artworkSizes": [],
    }


async def render_playback(session: AsyncSession, record: ListeningSessionRecord) -> Payload:
    """The playback state (a PLAYBACK event, ``ListeningSession.playback``)."""
    track: Payload | None = None
    audio_format: str | None = None
    bitrate: int | None = None
    if record.track_id is not None:
        track = (await track_snapshots(session, [record.track_id])).get(record.track_id)
        key = VariantKey.from_slug(record.variant) if record.variant else None
        if key is not None:
            audio_format, bitrate = key.format.value, key.bitrate_kbps
        else:
            source = (
                await session.execute(
                    select(
                        TrackRecord.format,
                        TrackRecord.bitrate,
                        TrackRecord.mime_type,
                        TrackRecord.channels,
                    ).where(TrackRecord.id == record.track_id)
                )
            ).first()
            if source is not None:
                offer = original_offer(source_of(source))
                audio_format, bitrate = offer.format.value, offer.bitrate_kbps
    status = record.playback_status
    return {
        "trackId": record.track_id.hex if record.track_id else None,
        "itemId": record.current_item_id.hex if record.current_item_id else None,
        "track": track,
        "positionSeconds": record.position_seconds,
        "updatedAt": float(record.position_at_ms),
        "isPlaying": status == PlaybackStatus.PLAYING.value,
        "status": status,
        "epoch": record.epoch,
        "readyDeadline": (
            float(record.ready_deadline_ms)
            if status == PlaybackStatus.WAITING.value and record.ready_deadline_ms is not None
            else None
        ),
        "format": audio_format,
        "bitrateKbps": bitrate,
    }


async def render_request(session: AsyncSession, request: SessionRequestRecord) -> Payload:
    """One request and its decision (a REQUEST event, ``ListeningSession.requests``)."""
    return (await render_requests(session, [request]))[0]


async def render_requests(
    session: AsyncSession, requests: Sequence[SessionRequestRecord]
) -> list[Payload]:
    """Requests with their tracks and the members who asked and decided (two queries)."""
    tracks = await track_snapshots(session, (request.track_id for request in requests))
    member_ids = {r.member_id for r in requests} | {r.decided_by for r in requests if r.decided_by}
    members = await _members_by_id(session, member_ids)

    def member(member_id: uuid.UUID | None) -> Payload | None:
        return members.get(member_id) if member_id else None

    return [
        {
            "id": request.id.hex,
            "track": tracks.get(request.track_id) or _gone_track(request.track_id),
            "note": request.note,
            "status": request.status,
            "requestedBy": member(request.member_id),
            "createdAt": iso(request.created_at),
            "decidedAt": iso(request.decided_at),
            "decidedBy": member(request.decided_by),
        }
        for request in requests
    ]


def audio_format_of(value: str | None) -> AudioFormat | None:
    """A payload's format value as the enum."""
    return AudioFormat(value) if value else None
