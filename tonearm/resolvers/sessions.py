"""Resolvers of listening sessions: thin functions over ``tonearm.sessions.service``.

Each mutation runs in the request's session: the service changes and logs, the resolver
commits, then the worker's ``SessionHub`` publishes the new sequence and arms timers.
Domain refusals map to one error code each (``_refusals``); every id argument that names
nothing the caller may see — malformed, unknown, someone else's — is the same NOT_FOUND.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.formats import AudioFormat
from tonearm.db.models import ListeningSessionRecord, SessionMemberRecord
from tonearm.pubsub.bus import Bus
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.ids import TRACK_TYPE_NAME, InvalidGlobalId, parse_global_id
from tonearm.schema.session_types import (
    LISTENING_SESSION_TYPE_NAME,
    SESSION_MEMBER_TYPE_NAME,
    SESSION_QUEUE_ITEM_TYPE_NAME,
    SESSION_REQUEST_TYPE_NAME,
    ListeningSession,
    Rendering,
    SessionEvent,
    SessionInvite,
    SessionMember,
    SessionPlayback,
    SessionQueueItem,
    SessionRequest,
)
from tonearm.schema.types import StreamUrl
from tonearm.services import Services
from tonearm.sessions import render, service
from tonearm.sessions.covers import SessionCoverSigner
from tonearm.sessions.errors import (
    BadInput,
    Ended,
    Forbidden,
    Missing,
    NotFound,
    RateLimited,
    SessionError,
)
from tonearm.sessions.hub import SessionHub
from tonearm.sessions.rules import (
    MAX_EVENTS_PAGE,
    MemberRole,
    PlaybackAction,
    RequestStatus,
    SessionStatus,
    SyncState,
)
from tonearm.sessions.service import Caller, Changes, Timing
from tonearm.streaming.urls import stream_url

Info = strawberry.Info[Context, None]
_CODES: dict[type[SessionError], ErrorCode] = {
    NotFound: ErrorCode.NOT_FOUND,
    Forbidden: ErrorCode.FORBIDDEN,
    Ended: ErrorCode.SESSION_ENDED,
    BadInput: ErrorCode.BAD_USER_INPUT,
    RateLimited: ErrorCode.RATE_LIMITED,
}


@dataclass(frozen=True, slots=True)
class SessionRuntime:
    """What one app's workers keep for sessions: the hub and the cover signer."""

    hub: SessionHub
    covers: SessionCoverSigner
    timing: Timing


_RUNTIMES: weakref.WeakKeyDictionary[Bus, SessionRuntime] = weakref.WeakKeyDictionary()


def session_runtime(services: Services) -> SessionRuntime:
    """The app's session runtime (one per app, keyed by its bus: ``Services`` is frozen)."""
    runtime = _RUNTIMES.get(services.bus)
    if runtime is None:
        settings = services.settings
        timing = Timing(settings.session_ready_timeout_ms, settings.session_idle_minutes)
        runtime = SessionRuntime(
            hub=SessionHub(services.sessions, services.bus, timing),
            covers=SessionCoverSigner(settings.signing_keys()),
            timing=timing,
        )
        _RUNTIMES[services.bus] = runtime
    return runtime


def caller_of(context: Context) -> Caller:
    """The service's view of who asks."""
    viewer = context.viewer
    if viewer is not None:
        return Caller(user_id=viewer.user_id, username=viewer.username, reader=context.reader)
    if context.guest is not None:
        return Caller(user_id=None, guest_member_id=context.guest.member_id)
    return Caller(user_id=None)


@contextmanager
def _refusals() -> Iterator[None]:
    """Domain refusals → the API's coded errors."""
    try:
        yield
    except SessionError as refused:
        code = next(c for kind, c in _CODES.items() if isinstance(refused, kind))
        raise api_error(code, refused.message) from None


def _id(value: str, type_name: str, missing: Missing) -> uuid.UUID:
    try:
        return parse_global_id(str(value), type_name)
    except InvalidGlobalId:
        raise api_error(ErrorCode.NOT_FOUND, missing.value) from None


def session_id_argument(value: str) -> uuid.UUID:
    """A session id argument; anything that is not one answers NOT_FOUND."""
    return _id(value, LISTENING_SESSION_TYPE_NAME, Missing.SESSION)


def _timing(info: Info) -> Timing:
    return session_runtime(info.context.services).timing


async def _commit(info: Info, db: AsyncSession, *changes: Changes) -> None:
    await db.commit()
    hub = session_runtime(info.context.services).hub
    for change in changes:
        await hub.committed(change)


def rendering(info: Info, session_id: uuid.UUID) -> Rendering:
    """How this app turns a session's payloads into types."""
    return Rendering(session_id, session_runtime(info.context.services).covers)


def listening_session(
    record: ListeningSessionRecord, member: SessionMemberRecord, *, guest_token: str | None = None
) -> ListeningSession:
    """The type of a session as ``member`` sees it."""
    controls = MemberRole(member.role).controls
    return ListeningSession(
        id=str(record.id),
        name=record.name,
        invite_code=record.invite_code if controls else None,
        invite_url=f"/listen/{record.invite_code}" if controls else None,
        invite_expires_at=record.invite_expires_at if controls else None,
        allow_anonymous_guests=record.allow_anonymous_guests,
        allow_takeover=record.allow_takeover,
        request_limit=record.request_limit,
        status=SessionStatus(record.status),
        created_at=record.created_at,
        ended_at=record.ended_at,
        guest_token=guest_token,
        sequence=int(record.sequence),
        viewer_member_id=member.id,
        state={"record": record},
    )


def _record(root: ListeningSession) -> ListeningSessionRecord:
    record: ListeningSessionRecord = root.state["record"]
    return record


# --- lazy fields of ListeningSession -----------------------------------------------------


async def session_members(root: ListeningSession, info: Info) -> list[SessionMember]:
    """``members`` (also ``host``, ``viewerMember``): read once per object."""
    cached = root.state.get("members")
    if cached is None:
        async with info.context.db() as db:
            payload = await render.render_members(db, _record(root).id, datetime.now(UTC))
        cached = [SessionMember.from_payload(member) for member in payload]
        root.state["members"] = cached
    members: list[SessionMember] = cached
    return members


async def session_queue(root: ListeningSession, info: Info) -> list[SessionQueueItem]:
    """``queue``."""
    record = _record(root)
    async with info.context.db() as db:
        payload = await render.render_queue(db, record)
    shown = rendering(info, record.id)
    return [SessionQueueItem.from_payload(item, shown) for item in payload]


async def session_playback(root: ListeningSession, info: Info) -> SessionPlayback:
    """``playback``."""
    record = _record(root)
    async with info.context.db() as db:
        payload = await render.render_playback(db, record)
    return SessionPlayback.from_payload(payload, rendering(info, record.id))


async def session_requests(
    root: ListeningSession, info: Info, status: RequestStatus | None
) -> list[SessionRequest]:
    """``requests(status:)``, newest first."""
    record = _record(root)
    async with info.context.db() as db:
        rows = await service.requests_of(db, record.id, status)
        payload = await render.render_requests(db, rows)
    shown = rendering(info, record.id)
    return [SessionRequest.from_payload(request, shown) for request in payload]


async def session_log(
    root: ListeningSession, info: Info, after_sequence: int, first: int | None
) -> list[SessionEvent]:
    """``events(afterSequence:, first:)``."""
    limit = 100 if first is None else first
    if not 0 <= limit <= MAX_EVENTS_PAGE:
        raise api_error(ErrorCode.BAD_USER_INPUT, f"first must be 0 to {MAX_EVENTS_PAGE}.")
    if after_sequence < 0:
        raise api_error(ErrorCode.BAD_USER_INPUT, "afterSequence must be at least 0.")
    record = _record(root)
    async with info.context.db() as db:
        rows = await service.events_after(db, record.id, after_sequence, limit)
    shown = rendering(info, record.id)
    return [
        SessionEvent.from_log(
            int(row.sequence), row.kind, row.created_at.timestamp() * 1000, row.payload, shown
        )
        for row in rows
    ]


# --- queries ---------------------------------------------------------------------------


async def resolve_listening_session(info: Info, id: strawberry.ID) -> ListeningSession | None:
    """A session the caller is a member of (ended ones too), else null."""
    try:
        session_id = parse_global_id(str(id), LISTENING_SESSION_TYPE_NAME)
    except InvalidGlobalId:
        return None
    caller = caller_of(info.context)
    timing = _timing(info)
    async with info.context.db() as db:
        found = await service.find_for_caller(db, caller, session_id)
        if found is None:
            return None
        record, member = found
        if record.status == SessionStatus.ACTIVE.value and service.is_idle(
            record, timing, datetime.now(UTC)
        ):
            changes = Changes(record.id, [])
            locked = await service.lock_session(db, record.id)
            if locked is not None and locked.status == SessionStatus.ACTIVE.value:
                await service.end_session(db, locked, changes)
            await _commit(info, db, changes)
    return listening_session(record, member)


async def resolve_listening_sessions(info: Info) -> list[ListeningSession]:
    """The caller's active sessions (a guest: theirs), newest first."""
    caller = caller_of(info.context)
    async with info.context.db() as db:
        found = await service.sessions_of(db, caller)
    return [listening_session(record, member) for record, member in found]


async def resolve_listening_session_invite(info: Info, invite_code: str) -> SessionInvite | None:
    """The public preview of an invite; null for every way it is not valid."""
    async with info.context.db() as db:
        preview = await service.invite_preview(db, invite_code)
    if preview is None:
        return None
    return SessionInvite(
        name=preview.name,
        host_name=preview.host_name,
        allows_anonymous_guests=preview.allows_anonymous_guests,
        expires_at=preview.expires_at,
    )


# --- mutations -------------------------------------------------------------------------


@strawberry.input(description="A new listening session.")
class CreateListeningSessionInput:
    """The name and settings of a new session."""

    name: str = strawberry.field(description="1 to 200 characters after trimming.")
    allow_anonymous_guests: bool = strawberry.field(
        default=False, description="Whether someone without an account may join."
    )
    allow_takeover: bool = strawberry.field(
        default=False,
        description="Whether a signed-in member may take over when the host is gone a minute.",
    )
    request_limit: int = strawberry.field(
        default=3, description="Open (pending) requests per member, 0 to 50."
    )
    invite_expires_in_hours: int = strawberry.field(
        default=24, description="How long the invite works, 1 to 168 hours."
    )
    playable: list[AudioFormat] | None = strawberry.field(
        default=None, description="The formats the host's player can play (canPlayType)."
    )


@strawberry.input(description="Changes to a session's settings; omitted fields stay.")
class UpdateListeningSessionInput:
    """The host's changes."""

    name: str | None = strawberry.field(default=None, description="1 to 200 characters.")
    allow_anonymous_guests: bool | None = strawberry.field(
        default=None, description="Whether someone without an account may join."
    )
    allow_takeover: bool | None = strawberry.field(
        default=None, description="Whether a signed-in member may take over a gone host."
    )
    request_limit: int | None = strawberry.field(
        default=None, description="Open (pending) requests per member, 0 to 50."
    )


async def _member(db: AsyncSession, caller: Caller, record: ListeningSessionRecord) -> Any:
    member = await service.membership(db, record, caller)
    assert member is not None
    return member


async def resolve_create_listening_session(
    info: Info, input: CreateListeningSessionInput
) -> ListeningSession:
    """Start a session hosted by the viewer."""
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            record, changes = await service.create(
                db,
                caller,
                name=input.name,
                allow_anonymous_guests=input.allow_anonymous_guests,
                allow_takeover=input.allow_takeover,
                request_limit=input.request_limit,
                invite_expires_in_hours=input.invite_expires_in_hours,
                playable=input.playable,
            )
        member = await _member(db, caller, record)
        await _commit(info, db, changes)
    return listening_session(record, member)


async def resolve_join_listening_session(
    info: Info,
    invite_code: str,
    display_name: str | None = None,
    playable: list[AudioFormat] | None = None,
) -> ListeningSession:
    """Join with an invite code (anonymous guests get their guestToken once, here)."""
    caller = caller_of(info.context)
    if caller.guest_member_id is not None:
        caller = Caller(user_id=None)  # a guest token joins nothing else: a fresh guest
    async with info.context.db() as db:
        with _refusals():
            joined = await service.join(
                db, caller, invite_code=invite_code, display_name=display_name, playable=playable
            )
        await _commit(info, db, joined.changes)
    return listening_session(joined.record, joined.member, guest_token=joined.guest_token)


async def resolve_leave_listening_session(info: Info, id: strawberry.ID) -> bool:
    """Leave a session."""
    session_id = session_id_argument(id)
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            found = await service.find_for_caller(db, caller, session_id)
            changes = await service.leave(db, caller, session_id, _timing(info))
        await _commit(info, db, changes)
    if found is not None:
        await session_runtime(info.context.services).hub.member_gone(found[1].id)
    return True


async def _host_change(
    info: Info, id: strawberry.ID, action: Any, **kwargs: Any
) -> ListeningSession:
    session_id = session_id_argument(id)
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            record, changes = await action(db, caller, session_id, timing=_timing(info), **kwargs)
        member = await service.membership(db, record, caller)
        await _commit(info, db, changes)
    if member is None:  # the former host after a hand-over is still a member; never here
        raise api_error(ErrorCode.NOT_FOUND, Missing.SESSION.value)
    return listening_session(record, member)


async def resolve_end_listening_session(info: Info, id: strawberry.ID) -> ListeningSession:
    """End the session for everyone (host)."""
    return await _host_change(info, id, service.end)


async def resolve_update_listening_session(
    info: Info, id: strawberry.ID, input: UpdateListeningSessionInput
) -> ListeningSession:
    """Change the name or settings (host)."""
    return await _host_change(
        info,
        id,
        service.update_settings,
        name=input.name,
        allow_anonymous_guests=input.allow_anonymous_guests,
        allow_takeover=input.allow_takeover,
        request_limit=input.request_limit,
    )


async def resolve_renew_invite_code(info: Info, id: strawberry.ID) -> ListeningSession:
    """A new invite code; the old one stops working (host)."""
    return await _host_change(info, id, service.renew_invite)


async def resolve_hand_over_listening_session(
    info: Info, id: strawberry.ID, member_id: strawberry.ID
) -> ListeningSession:
    """Make a signed-in member the host; the old host becomes a co-host."""
    target = _id(member_id, SESSION_MEMBER_TYPE_NAME, Missing.MEMBER)
    return await _host_change(info, id, service.hand_over, member_id=target)


async def resolve_take_over_listening_session(info: Info, id: strawberry.ID) -> ListeningSession:
    """Become the host of a session whose host is gone (when the host allowed it)."""
    return await _host_change(info, id, service.take_over)


async def resolve_set_session_member_role(
    info: Info, session_id: strawberry.ID, member_id: strawberry.ID, role: MemberRole
) -> SessionMember:
    """Appoint a co-host or make one a guest again (host)."""
    sid = session_id_argument(session_id)
    target = _id(member_id, SESSION_MEMBER_TYPE_NAME, Missing.MEMBER)
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            member, changes = await service.set_role(
                db, caller, sid, member_id=target, role=role, timing=_timing(info)
            )
        await _commit(info, db, changes)
    return SessionMember.from_payload(render.render_member(member, datetime.now(UTC)))


async def resolve_remove_session_member(
    info: Info, session_id: strawberry.ID, member_id: strawberry.ID
) -> bool:
    """Remove a member (host or co-host; never the host)."""
    sid = session_id_argument(session_id)
    target = _id(member_id, SESSION_MEMBER_TYPE_NAME, Missing.MEMBER)
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            changes = await service.remove_member(db, caller, sid, target, _timing(info))
        await _commit(info, db, changes)
    await session_runtime(info.context.services).hub.member_gone(target)
    return True


async def resolve_control_playback(
    info: Info,
    session_id: strawberry.ID,
    action: PlaybackAction,
    position_seconds: float | None = None,
) -> SessionPlayback:
    """PLAY, PAUSE, SEEK (positionSeconds), NEXT, PREVIOUS (host or co-host)."""
    sid = session_id_argument(session_id)
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            record, changes = await service.control(
                db,
                caller,
                sid,
                action=action,
                position_seconds=position_seconds,
                timing=_timing(info),
            )
        payload = await render.render_playback(db, record)
        await _commit(info, db, changes)
    return SessionPlayback.from_payload(payload, rendering(info, sid))


def _track_ids(values: Sequence[strawberry.ID]) -> list[uuid.UUID]:
    try:
        return [parse_global_id(str(value), TRACK_TYPE_NAME) for value in values]
    except InvalidGlobalId:
        raise api_error(
            ErrorCode.BAD_USER_INPUT, "No track you can see has one of these IDs."
        ) from None


async def _queue_change(
    info: Info, session_id: strawberry.ID, action: Any, **kwargs: Any
) -> ListeningSession:
    sid = session_id_argument(session_id)
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            record, changes = await action(db, caller, sid, timing=_timing(info), **kwargs)
        member = await _member(db, caller, record)
        await _commit(info, db, changes)
    return listening_session(record, member)


async def resolve_enqueue(
    info: Info,
    session_id: strawberry.ID,
    track_ids: list[strawberry.ID],
    position: int | None = None,
) -> ListeningSession:
    """Add tracks before the item at position (null: the end; at most 100)."""
    return await _queue_change(
        info, session_id, service.enqueue, track_ids=_track_ids(track_ids), position=position
    )


async def resolve_dequeue(
    info: Info, session_id: strawberry.ID, item_ids: list[strawberry.ID]
) -> ListeningSession:
    """Remove items from the queue."""
    items = [_id(value, SESSION_QUEUE_ITEM_TYPE_NAME, Missing.ITEM) for value in item_ids]
    return await _queue_change(info, session_id, service.dequeue, item_ids=items)


async def resolve_move_queue_item(
    info: Info, session_id: strawberry.ID, item_id: strawberry.ID, to_position: int
) -> ListeningSession:
    """Move an item so it ends at index toPosition."""
    item = _id(item_id, SESSION_QUEUE_ITEM_TYPE_NAME, Missing.ITEM)
    return await _queue_change(
        info, session_id, service.move_item, item_id=item, to_position=to_position
    )


async def _request_type(
    info: Info, db: AsyncSession, request: Any, session_id: uuid.UUID
) -> SessionRequest:
    payload = await render.render_request(db, request)
    return SessionRequest.from_payload(payload, rendering(info, session_id))


async def resolve_request_track(
    info: Info, session_id: strawberry.ID, track_id: strawberry.ID, note: str | None = None
) -> SessionRequest:
    """Ask the host for a track (any member; within the request limits)."""
    sid = session_id_argument(session_id)
    try:
        track = parse_global_id(str(track_id), TRACK_TYPE_NAME)
    except InvalidGlobalId:
        raise api_error(ErrorCode.BAD_USER_INPUT, "No track you can request has this ID.") from None
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            request, changes = await service.request_track(
                db, caller, sid, track_id=track, note=note, timing=_timing(info)
            )
        answer = await _request_type(info, db, request, sid)
        await _commit(info, db, changes)
    return answer


async def resolve_decide_request(
    info: Info, request_id: strawberry.ID, approve: bool, position: int | None = None
) -> SessionRequest:
    """Approve a request into the queue at position (null: the end) or decline it."""
    rid = _id(request_id, SESSION_REQUEST_TYPE_NAME, Missing.REQUEST)
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            request, changes = await service.decide(
                db, caller, rid, approve=approve, position=position, timing=_timing(info)
            )
        answer = await _request_type(info, db, request, request.session_id)
        await _commit(info, db, changes)
    return answer


async def resolve_report_ready(
    info: Info,
    session_id: strawberry.ID,
    epoch: int | None = None,
    round_trip_ms: float | None = None,
) -> SessionPlayback:
    """Say the player has buffered for this epoch (null: the current one), with its
    measured round trip."""
    sid = session_id_argument(session_id)
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            record, changes = await service.report_ready(
                db, caller, sid, epoch=epoch, round_trip_ms=round_trip_ms, timing=_timing(info)
            )
        payload = await render.render_playback(db, record)
        await _commit(info, db, changes)
    return SessionPlayback.from_payload(payload, rendering(info, sid))


async def resolve_report_sync_state(
    info: Info, session_id: strawberry.ID, state: SyncState, offset_ms: float | None = None
) -> bool:
    """Say how the player follows (a MEMBERS event only when the state changes)."""
    sid = session_id_argument(session_id)
    caller = caller_of(info.context)
    async with info.context.db() as db:
        with _refusals():
            changes = await service.report_sync(
                db, caller, sid, state=state, offset_ms=offset_ms, timing=_timing(info)
            )
        await _commit(info, db, changes)
    return True


async def resolve_create_session_stream_url(
    info: Info, session_id: strawberry.ID, track_id: strawberry.ID
) -> StreamUrl:
    """A stream URL of the session's current or queued track, in the session's variant,
    bound to the session and the member (it stops within 5 s of leaving or the end)."""
    sid = session_id_argument(session_id)
    not_there = api_error(ErrorCode.NOT_FOUND, "This session has no such track.")
    try:
        track = parse_global_id(str(track_id), TRACK_TYPE_NAME)
    except InvalidGlobalId:
        raise not_there from None
    caller = caller_of(info.context)
    async with info.context.db() as db:
        changes = Changes(sid, [])
        with _refusals():
            record, member = await service.access(
                db, caller, sid, _timing(info), changes, lock=False
            )
        offer = await service.session_track_offer(db, record, track)
        member_id, user_id = member.id, member.user_id
        await _commit(info, db, changes)
    if offer is None:
        raise not_there
    minted = info.context.services.signer.mint(
        track, user_id=user_id, variant=offer.key, session_id=sid, member_id=member_id
    )
    return StreamUrl(
        url=stream_url(track, minted.token),
        expires_at=datetime.fromtimestamp(minted.grant.expires_at, UTC),
        format=offer.format,
        bitrate_kbps=offer.bitrate_kbps,
        mime_type=offer.mime_type,
    )
