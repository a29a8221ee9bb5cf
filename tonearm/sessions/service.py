"""Every change of a listening session, each in the caller's one transaction.

A change first takes the session's row (a no-op UPDATE: the row lock on PostgreSQL, the
write lock on SQLite, so concurrent changes of one session serialize and every read after
it is current), applies the rules (``rules.py``), then appends its events: ``UPDATE
listening_sessions SET sequence = sequence + 1 … RETURNING sequence`` and a
``session_events`` row whose payload is the changed aspect rendered whole (``render.py``).
The caller commits, then publishes ``{"sequence": n}`` on the session's channel
(``hub.py``): the database is the truth, the bus only wakes subscribers.

Access: a caller who is not a current member of an active session gets ``NotFound`` with
the same message for every reason; a member without the right gets ``Forbidden``.
"""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from tonearm.catalog.access import Reader, track_available, track_visible
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import Offer, VariantKey, offers_for
from tonearm.db.models import (
    AlbumRecord,
    ListeningSessionRecord,
    SessionEventRecord,
    SessionMemberRecord,
    SessionQueueItemRecord,
    SessionRequestRecord,
    TrackRecord,
    UserRecord,
    utcnow,
)
from tonearm.playlists.positions import keys_between, renumber
from tonearm.sessions import render
from tonearm.sessions.errors import BadInput, Ended, Forbidden, Missing, NotFound, RateLimited
from tonearm.sessions.guests import new_guest_token
from tonearm.sessions.rules import (
    MAX_DISPLAY_NAME,
    MAX_ENQUEUE,
    MAX_INVITE_HOURS,
    MAX_NAME,
    MAX_NOTE,
    MAX_REQUEST_LIMIT,
    OFFLINE_AFTER,
    PREVIOUS_RESTARTS_AFTER,
    REQUEST_WINDOW,
    REQUESTS_PER_WINDOW,
    TAKEOVER_AFTER,
    EventKind,
    MemberRole,
    PlaybackAction,
    PlaybackStatus,
    RequestStatus,
    SessionStatus,
    SyncState,
    derived_position,
    end_of_track_ms,
    parse_playable,
    session_offer,
    start_lead_ms,
    store_playable,
)
from tonearm.shares.access import source_of

Session = ListeningSessionRecord
Member = SessionMemberRecord
Item = SessionQueueItemRecord
INVITE_CODE_LENGTH = 22  # secrets.token_urlsafe(16)
_INVITE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks: a signed-in user (``user_id``) or an anonymous guest (``guest_member_id``)."""

    user_id: uuid.UUID | None
    username: str | None = None
    reader: Reader | None = None
    guest_member_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Timing:
    """The two durations the settings give (``TONEARM_SESSION_*``)."""

    ready_timeout_ms: int = 4000
    idle_minutes: int = 60


@dataclass
class Changes:
    """The sequences a transaction appended, for the caller to publish after commit."""

    session_id: uuid.UUID
    sequences: list[int]

    @property
    def last(self) -> int | None:
        """The newest sequence appended (None: nothing changed)."""
        return self.sequences[-1] if self.sequences else None


def ms(moment: datetime) -> int:
    """A datetime as server milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def is_invite_code(code: str) -> bool:
    """Whether ``code`` has the shape of an invite code (checked before any read)."""
    return len(code) == INVITE_CODE_LENGTH and set(code) <= _INVITE_ALPHABET


# --- locking, access, events -------------------------------------------------------------


async def lock_session(db: AsyncSession, session_id: uuid.UUID) -> Session | None:
    """Take the session's row for this transaction and read it afresh (None: no such row)."""
    await db.execute(
        update(Session)
        .where(Session.id == session_id)
        .values(sequence=Session.sequence)
        .execution_options(synchronize_session=False)
    )
    return await db.get(Session, session_id, populate_existing=True)


async def membership(db: AsyncSession, record: Session, caller: Caller) -> Member | None:
    """The caller's current membership of ``record``."""
    statement = select(Member).where(Member.session_id == record.id, Member.left_at.is_(None))
    if caller.guest_member_id is not None:
        statement = statement.where(Member.id == caller.guest_member_id, Member.user_id.is_(None))
    elif caller.user_id is not None:
        statement = statement.where(Member.user_id == caller.user_id)
    else:
        return None
    return (await db.scalars(statement.execution_options(populate_existing=True))).first()


async def append_event(
    db: AsyncSession, record: Session, kind: EventKind, payload: dict[str, Any], changes: Changes
) -> int:
    """Take the next sequence and store the event in the same transaction."""
    now = utcnow()
    sequence = int(
        (
            await db.execute(
                update(Session)
                .where(Session.id == record.id)
                .values(sequence=Session.sequence + 1, last_activity_at=now)
                .returning(Session.sequence)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one()
    )
    set_committed_value(record, "sequence", sequence)
    set_committed_value(record, "last_activity_at", now)
    db.add(
        SessionEventRecord(
            session_id=record.id,
            sequence=sequence,
            kind=kind.value,
            payload=payload,
            created_at=now,
        )
    )
    await db.flush()
    changes.sequences.append(sequence)
    return sequence


async def emit_playback(db: AsyncSession, record: Session, changes: Changes) -> None:
    """A PLAYBACK event with the state as it is now."""
    await db.flush()
    await append_event(
        db, record, EventKind.PLAYBACK, await render.render_playback(db, record), changes
    )


async def emit_queue(db: AsyncSession, record: Session, changes: Changes) -> None:
    """A QUEUE event with the whole queue."""
    await db.flush()
    await append_event(
        db, record, EventKind.QUEUE, {"queue": await render.render_queue(db, record)}, changes
    )


async def emit_members(db: AsyncSession, record: Session, changes: Changes) -> None:
    """A MEMBERS event with every current member."""
    await db.flush()
    members = await render.render_members(db, record.id, utcnow())
    await append_event(db, record, EventKind.MEMBERS, {"members": members}, changes)


async def emit_request(
    db: AsyncSession, record: Session, request: SessionRequestRecord, changes: Changes
) -> None:
    """A REQUEST event with the request created or decided."""
    await db.flush()
    payload = {"request": await render.render_request(db, request)}
    await append_event(db, record, EventKind.REQUEST, payload, changes)


async def end_session(db: AsyncSession, record: Session, changes: Changes) -> None:
    """Mark the session ended and log the ENDED event (invite and guest tokens stop)."""
    now = utcnow()
    record.status = SessionStatus.ENDED.value
    record.ended_at = now
    record.playback_status = PlaybackStatus.PAUSED.value
    record.ready_deadline_ms = None
    await db.flush()
    await append_event(db, record, EventKind.ENDED, {}, changes)


def is_idle(record: Session, timing: Timing, now: datetime) -> bool:
    """Whether nothing happened in the session for ``idle_minutes``."""
    return record.last_activity_at <= now - timedelta(minutes=timing.idle_minutes)


async def access(
    db: AsyncSession,
    caller: Caller,
    session_id: uuid.UUID,
    timing: Timing,
    changes: Changes,
    *,
    lock: bool = True,
) -> tuple[Session, Member]:
    """The session and the caller's membership; ``NotFound``/``Ended`` otherwise.

    An active session found idle past the timeout ends here (the lazy half of the idle
    rule; the sweep is the other half) and answers ``Ended``.
    """
    record = await lock_session(db, session_id) if lock else await db.get(Session, session_id)
    if record is None:
        raise NotFound(Missing.SESSION)
    member = await membership(db, record, caller)
    if member is None:
        raise NotFound(Missing.SESSION)
    if record.status != SessionStatus.ACTIVE.value:
        raise Ended
    if is_idle(record, timing, utcnow()):
        await end_session(db, record, changes)
        raise Ended
    return record, member


def require_control(member: Member) -> None:
    """Host or co-host."""
    if not MemberRole(member.role).controls:
        raise Forbidden("Only the host or a co-host may do this.")


def require_host(member: Member) -> None:
    """The host only."""
    if member.role != MemberRole.HOST.value:
        raise Forbidden("Only the host may do this.")


# --- reading -----------------------------------------------------------------------------


async def find_for_caller(
    db: AsyncSession, caller: Caller, session_id: uuid.UUID
) -> tuple[Session, Member] | None:
    """The session (active or ended) and the caller's membership, or None."""
    record = await db.get(Session, session_id, populate_existing=True)
    if record is None:
        return None
    member = await membership(db, record, caller)
    return None if member is None else (record, member)


async def sessions_of(db: AsyncSession, caller: Caller) -> list[tuple[Session, Member]]:
    """The caller's active sessions, newest first."""
    statement = (
        select(Session, Member)
        .join(Member, Member.session_id == Session.id)
        .where(Session.status == SessionStatus.ACTIVE.value, Member.left_at.is_(None))
        .order_by(Session.created_at.desc(), Session.id)
    )
    if caller.guest_member_id is not None:
        statement = statement.where(Member.id == caller.guest_member_id)
    elif caller.user_id is not None:
        statement = statement.where(Member.user_id == caller.user_id)
    else:
        return []
    return [(row[0], row[1]) for row in await db.execute(statement)]


@dataclass(frozen=True, slots=True)
class InvitePreview:
    """What an invite shows before joining."""

    name: str
    host_name: str
    allows_anonymous_guests: bool
    expires_at: datetime


async def live_invite(db: AsyncSession, code: str) -> Session | None:
    """The active session whose unexpired invite is ``code`` (shape checked first)."""
    if not is_invite_code(code):
        return None
    return (
        await db.scalars(
            select(Session).where(
                Session.invite_code == code,
                Session.status == SessionStatus.ACTIVE.value,
                Session.invite_expires_at > utcnow(),
            )
        )
    ).first()


async def invite_preview(db: AsyncSession, code: str) -> InvitePreview | None:
    """The public preview of an invite; None for every way it is not valid."""
    record = await live_invite(db, code)
    if record is None:
        return None
    host = await _host_name(db, record)
    return InvitePreview(record.name, host, record.allow_anonymous_guests, record.invite_expires_at)


async def _host_name(db: AsyncSession, record: Session) -> str:
    name = await db.scalar(
        select(Member.display_name).where(
            Member.session_id == record.id,
            Member.role == MemberRole.HOST.value,
            Member.left_at.is_(None),
        )
    )
    return name or ""


async def events_after(
    db: AsyncSession, session_id: uuid.UUID, after: int, limit: int
) -> list[SessionEventRecord]:
    """The log after sequence ``after``, oldest first, at most ``limit``."""
    return list(
        (
            await db.scalars(
                select(SessionEventRecord)
                .where(
                    SessionEventRecord.session_id == session_id,
                    SessionEventRecord.sequence > after,
                )
                .order_by(SessionEventRecord.sequence)
                .limit(limit)
            )
        ).all()
    )


async def requests_of(
    db: AsyncSession, session_id: uuid.UUID, status: RequestStatus | None
) -> list[SessionRequestRecord]:
    """The session's requests, newest first (of one status, when given)."""
    statement = select(SessionRequestRecord).where(SessionRequestRecord.session_id == session_id)
    if status is not None:
        statement = statement.where(SessionRequestRecord.status == status.value)
    statement = statement.order_by(
        SessionRequestRecord.created_at.desc(), SessionRequestRecord.id.desc()
    )
    return list((await db.scalars(statement)).all())


# --- creating, joining, leaving ----------------------------------------------------------


def _name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise BadInput(f"name must be 1 to {MAX_NAME} characters.")
    return name


def _display_name(value: str | None, fallback: str | None) -> str:
    name = (value or "").strip() or (fallback or "")
    if not 1 <= len(name) <= MAX_DISPLAY_NAME:
        raise BadInput(f"displayName must be 1 to {MAX_DISPLAY_NAME} characters.")
    return name


def _request_limit(value: int) -> int:
    if not 0 <= value <= MAX_REQUEST_LIMIT:
        raise BadInput(f"requestLimit must be 0 to {MAX_REQUEST_LIMIT}.")
    return value


def _invite_hours(value: int) -> timedelta:
    if not 1 <= value <= MAX_INVITE_HOURS:
        raise BadInput(f"inviteExpiresInHours must be 1 to {MAX_INVITE_HOURS}.")
    return timedelta(hours=value)


def _offline_since(now: datetime) -> datetime:
    """A ``last_seen_at`` that reads as offline: a member is online only while subscribed."""
    return now - OFFLINE_AFTER - timedelta(seconds=1)


async def create(
    db: AsyncSession,
    caller: Caller,
    *,
    name: str,
    allow_anonymous_guests: bool,
    allow_takeover: bool,
    request_limit: int,
    invite_expires_in_hours: int,
    playable: Sequence[AudioFormat] | None,
) -> tuple[Session, Changes]:
    """A new session hosted by the caller (a signed-in user)."""
    if caller.user_id is None:
        raise Forbidden("Only a signed-in user with an account may host a listening session.")
    now = utcnow()
    record = Session(
        id=uuid.uuid4(),
        host_id=caller.user_id,
        name=_name(name),
        invite_code=secrets.token_urlsafe(16),
        invite_expires_at=now + _invite_hours(invite_expires_in_hours),
        allow_anonymous_guests=allow_anonymous_guests,
        allow_takeover=allow_takeover,
        request_limit=_request_limit(request_limit),
        status=SessionStatus.ACTIVE.value,
        playback_status=PlaybackStatus.PAUSED.value,
        position_seconds=0.0,
        position_at_ms=ms(now),
        epoch=0,
        sequence=0,
        created_at=now,
        last_activity_at=now,
    )
    db.add(record)
    db.add(
        Member(
            session_id=record.id,
            user_id=caller.user_id,
            display_name=_display_name(None, caller.username),
            role=MemberRole.HOST.value,
            playable=store_playable(playable),
            joined_at=now,
            last_seen_at=_offline_since(now),
        )
    )
    await db.flush()
    changes = Changes(record.id, [])
    await emit_members(db, record, changes)
    return record, changes


@dataclass(frozen=True, slots=True)
class Joined:
    """A join's outcome: the session, the membership, and an anonymous guest's token."""

    record: Session
    member: Member
    guest_token: str | None
    changes: Changes


async def join(
    db: AsyncSession,
    caller: Caller,
    *,
    invite_code: str,
    display_name: str | None,
    playable: Sequence[AudioFormat] | None,
) -> Joined:
    """Join with an invite: a signed-in user (their row back if they left) or, when the
    host allows it, an anonymous guest with a display name (who gets a guest token)."""
    found = await live_invite(db, invite_code)
    if found is None:
        raise NotFound(Missing.INVITE)
    record = await lock_session(db, found.id)
    assert record is not None
    changes = Changes(record.id, [])
    now = utcnow()
    token: str | None = None
    if caller.user_id is not None:
        member = (
            await db.scalars(
                select(Member).where(
                    Member.session_id == record.id, Member.user_id == caller.user_id
                )
            )
        ).first()
        name = _display_name(display_name, caller.username)
        if member is None:
            member = Member(
                session_id=record.id,
                user_id=caller.user_id,
                display_name=name,
                role=MemberRole.GUEST.value,
                joined_at=now,
                last_seen_at=_offline_since(now),
            )
            db.add(member)
        elif member.left_at is not None:
            member.left_at = None
            member.role = MemberRole.GUEST.value
            member.display_name = name
            member.joined_at = now
        member.playable = store_playable(playable)
    else:
        if not record.allow_anonymous_guests:
            raise Forbidden("This session is for signed-in members only: sign in to join.")
        token, token_hash = new_guest_token()
        member = Member(
            session_id=record.id,
            user_id=None,
            display_name=_display_name(display_name, None),
            role=MemberRole.GUEST.value,
            guest_token_hash=token_hash,
            playable=store_playable(playable),
            joined_at=now,
            last_seen_at=_offline_since(now),
        )
        db.add(member)
    await db.flush()
    await emit_members(db, record, changes)
    return Joined(record, member, token, changes)


async def leave(db: AsyncSession, caller: Caller, session_id: uuid.UUID, timing: Timing) -> Changes:
    """Leave a session (the host hands over or ends it instead)."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    if member.role == MemberRole.HOST.value:
        raise Forbidden("The host cannot leave: hand the session over or end it.")
    await _remove(db, record, member, changes)
    return changes


async def _remove(db: AsyncSession, record: Session, member: Member, changes: Changes) -> None:
    member.left_at = utcnow()
    member.guest_token_hash = None if member.user_id is None else member.guest_token_hash
    await db.execute(
        update(SessionRequestRecord)
        .where(
            SessionRequestRecord.member_id == member.id,
            SessionRequestRecord.status == RequestStatus.PENDING.value,
        )
        .values(status=RequestStatus.DECLINED.value, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await emit_members(db, record, changes)


async def end(
    db: AsyncSession, caller: Caller, session_id: uuid.UUID, timing: Timing
) -> tuple[Session, Changes]:
    """The host ends the session for everyone."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    require_host(member)
    await end_session(db, record, changes)
    return record, changes


async def update_settings(
    db: AsyncSession,
    caller: Caller,
    session_id: uuid.UUID,
    timing: Timing,
    *,
    name: str | None,
    allow_anonymous_guests: bool | None,
    allow_takeover: bool | None,
    request_limit: int | None,
) -> tuple[Session, Changes]:
    """The host changes the name or settings (omitted ones stay)."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    require_host(member)
    if name is not None:
        record.name = _name(name)
    if allow_anonymous_guests is not None:
        record.allow_anonymous_guests = allow_anonymous_guests
    if allow_takeover is not None:
        record.allow_takeover = allow_takeover
    if request_limit is not None:
        record.request_limit = _request_limit(request_limit)
    record.last_activity_at = utcnow()
    await db.flush()
    return record, changes


async def renew_invite(
    db: AsyncSession, caller: Caller, session_id: uuid.UUID, timing: Timing, *, hours: int = 24
) -> tuple[Session, Changes]:
    """A new invite code; the old one stops working at once."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    require_host(member)
    record.invite_code = secrets.token_urlsafe(16)
    record.invite_expires_at = utcnow() + _invite_hours(hours)
    await db.flush()
    return record, changes


async def _target_member(db: AsyncSession, record: Session, member_id: uuid.UUID) -> Member:
    target = (
        await db.scalars(
            select(Member)
            .where(Member.id == member_id, Member.session_id == record.id, Member.left_at.is_(None))
            .execution_options(populate_existing=True)
        )
    ).first()
    if target is None:
        raise NotFound(Missing.MEMBER)
    return target


async def hand_over(
    db: AsyncSession, caller: Caller, session_id: uuid.UUID, member_id: uuid.UUID, timing: Timing
) -> tuple[Session, Changes]:
    """The host makes a signed-in member the host; the old host becomes a co-host."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    require_host(member)
    target = await _target_member(db, record, member_id)
    if target.user_id is None:
        raise BadInput("Only a signed-in member can become the host.")
    if target.id != member.id:
        member.role = MemberRole.COHOST.value
        target.role = MemberRole.HOST.value
        record.host_id = target.user_id
        await emit_members(db, record, changes)
    return record, changes


async def take_over(
    db: AsyncSession, caller: Caller, session_id: uuid.UUID, timing: Timing
) -> tuple[Session, Changes]:
    """A signed-in member becomes the host when the host allows it and has been offline
    ``TAKEOVER_AFTER`` (or their account is gone)."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    if member.role == MemberRole.HOST.value:
        return record, changes
    if member.user_id is None:
        raise Forbidden("Only a signed-in member may take over a session.")
    if not record.allow_takeover:
        raise Forbidden("The host does not allow taking over this session.")
    host = (
        await db.scalars(
            select(Member).where(
                Member.session_id == record.id,
                Member.role == MemberRole.HOST.value,
                Member.left_at.is_(None),
            )
        )
    ).first()
    if host is not None and host.last_seen_at > utcnow() - TAKEOVER_AFTER:
        raise Forbidden("The host is still here: only a host offline for a minute can be replaced.")
    if host is not None:
        host.role = MemberRole.COHOST.value
    member.role = MemberRole.HOST.value
    record.host_id = member.user_id
    await emit_members(db, record, changes)
    return record, changes


async def set_role(
    db: AsyncSession,
    caller: Caller,
    session_id: uuid.UUID,
    *,
    member_id: uuid.UUID,
    role: MemberRole,
    timing: Timing,
) -> tuple[Member, Changes]:
    """The host appoints a co-host or makes one a guest again."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    require_host(member)
    target = await _target_member(db, record, member_id)
    if role is MemberRole.HOST:
        raise BadInput("Use handOverListeningSession to make someone the host.")
    if target.role == MemberRole.HOST.value:
        raise BadInput("The host's role changes only by handing the session over.")
    if target.role != role.value:
        target.role = role.value
        await emit_members(db, record, changes)
    return target, changes


async def remove_member(
    db: AsyncSession, caller: Caller, session_id: uuid.UUID, member_id: uuid.UUID, timing: Timing
) -> Changes:
    """The host or a co-host removes a member (never the host)."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    require_control(member)
    target = await _target_member(db, record, member_id)
    if target.role == MemberRole.HOST.value:
        raise Forbidden("Nobody may remove the host.")
    await _remove(db, record, target, changes)
    return changes


# --- the queue ---------------------------------------------------------------------------


async def _track_allowed(
    db: AsyncSession, record: Session, caller: Caller, track_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``track_ids`` the caller may put in the session: tracks they can see; for an
    anonymous guest, tracks already in the session (queue, played ones included)."""
    if not track_ids:
        return set()
    if caller.reader is not None and caller.guest_member_id is None:
        condition: ColumnElement[bool] = track_visible(caller.reader)
    else:
        condition = track_available() & exists().where(
            Item.session_id == record.id, Item.track_id == TrackRecord.id
        )
    found = await db.scalars(
        select(TrackRecord.id).where(TrackRecord.id.in_(set(track_ids)), condition)
    )
    return set(found)


async def _insert_items(
    db: AsyncSession,
    record: Session,
    track_ids: Sequence[uuid.UUID],
    *,
    position: int | None,
    added_by: uuid.UUID | None,
    request_id: uuid.UUID | None = None,
) -> list[Item]:
    items = await render.queue_items(db, record.id)
    if position is not None and not 0 <= position <= len(items):
        raise BadInput(f"position must be 0 to {len(items)} (null: the end).")
    index = len(items) if position is None else position
    before = items[index - 1].position if index > 0 else None
    after = items[index].position if index < len(items) else None
    keys = keys_between(before, after, len(track_ids))
    if keys is None:
        await renumber(db, record.id, item=Item, list_column="session_id")
        items = await render.queue_items(db, record.id)
        before = items[index - 1].position if index > 0 else None
        after = items[index].position if index < len(items) else None
        keys = keys_between(before, after, len(track_ids))
        assert keys is not None
    now = utcnow()
    new = [
        Item(
            session_id=record.id,
            track_id=track_id,
            position=key,
            added_by=added_by,
            request_id=request_id,
            added_at=now,
        )
        for track_id, key in zip(track_ids, keys, strict=True)
    ]
    db.add_all(new)
    await db.flush()
    return new


async def enqueue(
    db: AsyncSession,
    caller: Caller,
    session_id: uuid.UUID,
    *,
    track_ids: Sequence[uuid.UUID],
    position: int | None,
    timing: Timing,
) -> tuple[Session, Changes]:
    """Add tracks before the item at ``position`` (None: at the end)."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    require_control(member)
    if not 1 <= len(track_ids) <= MAX_ENQUEUE:
        raise BadInput(f"trackIds must name 1 to {MAX_ENQUEUE} tracks.")
    allowed = await _track_allowed(db, record, caller, track_ids)
    if any(track_id not in allowed for track_id in track_ids):
        raise BadInput("No track you can see has one of these IDs.")
    new = await _insert_items(db, record, track_ids, position=position, added_by=member.id)
    await emit_queue(db, record, changes)
    if record.current_item_id is None:
        await _set_current(db, record, new[0], changes, timing, start=False)
    return record, changes


async def dequeue(
    db: AsyncSession,
    caller: Caller,
    session_id: uuid.UUID,
    item_ids: Sequence[uuid.UUID],
    timing: Timing,
) -> tuple[Session, Changes]:
    """Remove items; removing the current one moves playback to the next."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    require_control(member)
    items = await render.queue_items(db, record.id)
    by_id = {item.id: item for item in items}
    if not item_ids or any(item_id not in by_id for item_id in item_ids):
        raise NotFound(Missing.ITEM)
    doomed = set(item_ids)
    successor: Item | None = None
    if record.current_item_id in doomed:
        index = next(i for i, item in enumerate(items) if item.id == record.current_item_id)
        successor = next((item for item in items[index + 1 :] if item.id not in doomed), None)
    for item_id in doomed:
        await db.delete(by_id[item_id])
    await db.flush()
    await emit_queue(db, record, changes)
    if record.current_item_id in doomed:
        playing = record.playback_status != PlaybackStatus.PAUSED.value
        await _set_current(db, record, successor, changes, timing, start=playing)
    return record, changes


async def move_item(
    db: AsyncSession,
    caller: Caller,
    session_id: uuid.UUID,
    *,
    item_id: uuid.UUID,
    to_position: int,
    timing: Timing,
) -> tuple[Session, Changes]:
    """Move an item so it ends at index ``to_position``."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    require_control(member)
    items = await render.queue_items(db, record.id)
    moving = next((item for item in items if item.id == item_id), None)
    if moving is None:
        raise NotFound(Missing.ITEM)
    if not 0 <= to_position < len(items):
        raise BadInput(f"toPosition must be 0 to {len(items) - 1}.")
    others = [item for item in items if item.id != item_id]
    before = others[to_position - 1].position if to_position > 0 else None
    after = others[to_position].position if to_position < len(others) else None
    keys = keys_between(before, after, 1)
    if keys is None:
        await renumber(db, record.id, item=Item, list_column="session_id")
        others = [item for item in await render.queue_items(db, record.id) if item.id != item_id]
        before = others[to_position - 1].position if to_position > 0 else None
        after = others[to_position].position if to_position < len(others) else None
        keys = keys_between(before, after, 1)
        assert keys is not None
    moving.position = keys[0]
    await db.flush()
    await emit_queue(db, record, changes)
    return record, changes


# --- requests ----------------------------------------------------------------------------


async def request_track(
    db: AsyncSession,
    caller: Caller,
    session_id: uuid.UUID,
    *,
    track_id: uuid.UUID,
    note: str | None,
    timing: Timing,
) -> tuple[SessionRequestRecord, Changes]:
    """A member asks for a track, within their open-request limit and 10 per 10 minutes."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE:
        raise BadInput(f"note must be at most {MAX_NOTE} characters.")
    if track_id not in await _track_allowed(db, record, caller, [track_id]):
        raise BadInput("No track you can request has this ID.")
    now = utcnow()
    pending = await db.scalar(
        select(func.count()).where(
            SessionRequestRecord.member_id == member.id,
            SessionRequestRecord.status == RequestStatus.PENDING.value,
        )
    )
    if (pending or 0) >= record.request_limit:
        raise RateLimited(
            f"You have {pending} open requests (at most {record.request_limit}): try again "
            "once the host has decided one.",
            None,
        )
    recent = list(
        (
            await db.scalars(
                select(SessionRequestRecord.created_at)
                .where(
                    SessionRequestRecord.member_id == member.id,
                    SessionRequestRecord.created_at > now - REQUEST_WINDOW,
                )
                .order_by(SessionRequestRecord.created_at.desc())
                .limit(REQUESTS_PER_WINDOW)
            )
        ).all()
    )
    if len(recent) >= REQUESTS_PER_WINDOW:
        wait = max(1, math.ceil((recent[-1] + REQUEST_WINDOW - now).total_seconds()))
        raise RateLimited(
            f"At most {REQUESTS_PER_WINDOW} requests in 10 minutes: try again in {wait} seconds.",
            wait,
        )
    request = SessionRequestRecord(
        session_id=record.id,
        member_id=member.id,
        track_id=track_id,
        note=text,
        status=RequestStatus.PENDING.value,
        created_at=now,
    )
    db.add(request)
    await db.flush()
    await emit_request(db, record, request, changes)
    return request, changes


async def decide(
    db: AsyncSession,
    caller: Caller,
    request_id: uuid.UUID,
    *,
    approve: bool,
    position: int | None,
    timing: Timing,
) -> tuple[SessionRequestRecord, Changes]:
    """The host or a co-host approves (into the queue at ``position``) or declines."""
    request = await db.get(SessionRequestRecord, request_id)
    if request is None:
        raise NotFound(Missing.REQUEST)
    changes = Changes(request.session_id, [])
    try:
        record, member = await access(db, caller, request.session_id, timing, changes)
    except NotFound:
        raise NotFound(Missing.REQUEST) from None
    require_control(member)
    await db.refresh(request)
    if request.status != RequestStatus.PENDING.value:
        raise BadInput("This request has already been decided.")
    request.status = (RequestStatus.APPROVED if approve else RequestStatus.DECLINED).value
    request.decided_at = utcnow()
    request.decided_by = member.id
    await db.flush()
    new: list[Item] = []
    if approve:
        new = await _insert_items(
            db,
            record,
            [request.track_id],
            position=position,
            added_by=request.member_id,
            request_id=request.id,
        )
    await emit_request(db, record, request, changes)
    if approve:
        await emit_queue(db, record, changes)
        if record.current_item_id is None:
            await _set_current(db, record, new[0], changes, timing, start=False)
    return request, changes


# --- playback ----------------------------------------------------------------------------


async def _online_members(db: AsyncSession, record: Session) -> list[Member]:
    now = utcnow()
    return [
        member
        for member in await render.current_members(db, record.id)
        if render.member_online(member, now)
    ]


async def choose_offer(db: AsyncSession, record: Session, track_id: uuid.UUID) -> Offer | None:
    """The version everyone plays of ``track_id`` now (online members; none online: all)."""
    row = (
        await db.execute(
            select(
                TrackRecord.format, TrackRecord.bitrate, TrackRecord.mime_type, TrackRecord.channels
            ).where(TrackRecord.id == track_id, track_available())
        )
    ).first()
    if row is None:
        return None
    members = await _online_members(db, record) or await render.current_members(db, record.id)
    return session_offer(source_of(row), [parse_playable(m.playable) for m in members])


async def _set_current(
    db: AsyncSession,
    record: Session,
    item: Item | None,
    changes: Changes,
    timing: Timing,
    *,
    start: bool,
    position: float = 0.0,
) -> None:
    """Make ``item`` current (None: nothing left) at ``position``; a start waits for ready."""
    record.epoch += 1
    record.current_item_id = item.id if item else None
    record.track_id = item.track_id if item else None
    record.position_seconds = position
    record.position_at_ms = ms(utcnow())
    offer = await choose_offer(db, record, item.track_id) if item else None
    record.variant = offer.key.slug if offer is not None and offer.key is not None else None
    if item is None or not start:
        record.playback_status = PlaybackStatus.PAUSED.value
        record.ready_deadline_ms = None
        await emit_playback(db, record, changes)
        return
    await _enter_waiting(db, record, changes, timing, bump=False)


async def _enter_waiting(
    db: AsyncSession, record: Session, changes: Changes, timing: Timing, *, bump: bool = True
) -> None:
    """WAITING for a new epoch; at once PLAYING when no online member has to report."""
    if bump:
        record.epoch += 1
    now = ms(utcnow())
    record.playback_status = PlaybackStatus.WAITING.value
    record.ready_deadline_ms = now + timing.ready_timeout_ms
    record.position_at_ms = now
    await db.flush()
    if not await _waiting_for_anyone(db, record):
        await _start(db, record, changes)
        return
    await emit_playback(db, record, changes)


async def _waiting_for_anyone(db: AsyncSession, record: Session) -> bool:
    return any(member.ready_epoch != record.epoch for member in await _online_members(db, record))


async def _start(db: AsyncSession, record: Session, changes: Changes) -> None:
    """WAITING → PLAYING, scheduled ahead by the slowest reported round trip."""
    members = await _online_members(db, record)
    lead = start_lead_ms(m.round_trip_ms for m in members if m.ready_epoch == record.epoch)
    record.playback_status = PlaybackStatus.PLAYING.value
    record.position_at_ms = ms(utcnow()) + lead
    record.ready_deadline_ms = None
    await emit_playback(db, record, changes)


async def _duration(db: AsyncSession, track_id: uuid.UUID | None) -> float | None:
    if track_id is None:
        return None
    value = await db.scalar(select(TrackRecord.duration_seconds).where(TrackRecord.id == track_id))
    return float(value) if value is not None else None


async def control(
    db: AsyncSession,
    caller: Caller,
    session_id: uuid.UUID,
    *,
    action: PlaybackAction,
    position_seconds: float | None,
    timing: Timing,
) -> tuple[Session, Changes]:
    """PLAY, PAUSE, SEEK, NEXT, PREVIOUS (host or co-host)."""
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    require_control(member)
    status = PlaybackStatus(record.playback_status)
    now = ms(utcnow())
    if action is PlaybackAction.PLAY:
        if record.current_item_id is None:
            raise BadInput("The queue is empty: enqueue a track first.")
        if status is PlaybackStatus.PAUSED:
            duration = await _duration(db, record.track_id) or 0.0
            if record.position_seconds >= duration > 0:
                record.position_seconds = 0.0
            await _enter_waiting(db, record, changes, timing)
    elif action is PlaybackAction.PAUSE:
        if status is not PlaybackStatus.PAUSED:
            record.position_seconds = derived_position(
                status.value, record.position_seconds, record.position_at_ms, now
            )
            record.position_at_ms = now
            record.playback_status = PlaybackStatus.PAUSED.value
            record.ready_deadline_ms = None
            await emit_playback(db, record, changes)
    elif action is PlaybackAction.SEEK:
        length = await _duration(db, record.track_id)
        if length is None:
            raise BadInput("Nothing is playing to seek in.")
        target = position_seconds if position_seconds is not None else math.nan
        if not 0 <= target <= length:  # NaN and infinities fail too
            raise BadInput(f"positionSeconds must be 0 to {length:g} for SEEK.")
        record.position_seconds = target
        record.position_at_ms = now
        if status is PlaybackStatus.PAUSED:
            await emit_playback(db, record, changes)
        else:
            await _enter_waiting(db, record, changes, timing)
    else:
        await _step(db, record, action, status=status, now=now, changes=changes, timing=timing)
    return record, changes


async def _step(
    db: AsyncSession,
    record: Session,
    action: PlaybackAction,
    *,
    status: PlaybackStatus,
    now: int,
    changes: Changes,
    timing: Timing,
) -> None:
    items = await render.queue_items(db, record.id)
    index = next((i for i, item in enumerate(items) if item.id == record.current_item_id), -1)
    running = status is not PlaybackStatus.PAUSED
    if action is PlaybackAction.NEXT:
        target = items[index + 1] if index + 1 < len(items) else None
        if target is None:
            raise BadInput("This is the last track of the queue.")
        await _set_current(db, record, target, changes, timing, start=running)
        return
    position = derived_position(status.value, record.position_seconds, record.position_at_ms, now)
    if index <= 0 or position > PREVIOUS_RESTARTS_AFTER:
        if index < 0:
            raise BadInput("The queue is empty.")
        await _set_current(db, record, items[index], changes, timing, start=running)
        return
    await _set_current(db, record, items[index - 1], changes, timing, start=running)


async def report_ready(
    db: AsyncSession,
    caller: Caller,
    session_id: uuid.UUID,
    *,
    epoch: int | None,
    round_trip_ms: float | None,
    timing: Timing,
) -> tuple[Session, Changes]:
    """A member has buffered for ``epoch`` (None: the current one); the last one to report
    starts playback."""
    if round_trip_ms is not None and not (
        0 <= round_trip_ms <= 60000 and math.isfinite(round_trip_ms)
    ):
        raise BadInput("roundTripMs must be 0 to 60000.")
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    if epoch is None:
        epoch = record.epoch
    elif epoch != record.epoch:
        return record, changes  # a stale report: harmless, the state says which epoch holds
    member.ready_epoch = epoch
    member.round_trip_ms = round_trip_ms
    await db.flush()
    if record.playback_status == PlaybackStatus.WAITING.value and not await _waiting_for_anyone(
        db, record
    ):
        await _start(db, record, changes)
    return record, changes


async def report_sync(
    db: AsyncSession,
    caller: Caller,
    session_id: uuid.UUID,
    *,
    state: SyncState,
    offset_ms: float | None,
    timing: Timing,
) -> Changes:
    """A member's player says how it follows; a MEMBERS event only when the state changes."""
    if state is SyncState.OFFLINE:
        raise BadInput("OFFLINE is the server's to say: report IN_SYNC or CATCHING_UP.")
    if offset_ms is not None and not math.isfinite(offset_ms):
        raise BadInput("offsetMs must be a finite number.")
    changes = Changes(session_id, [])
    record, member = await access(db, caller, session_id, timing, changes)
    changed = member.sync_state != state.value
    member.sync_state = state.value
    member.offset_ms = offset_ms
    await db.flush()
    if changed:
        await emit_members(db, record, changes)
    return changes


# --- timed transitions, presence, idle ---------------------------------------------------


async def advance_due(
    db: AsyncSession, session_id: uuid.UUID, epoch: int, status: PlaybackStatus, timing: Timing
) -> Changes:
    """Run a timed transition if it is still due: the ready deadline (WAITING → PLAYING)
    or the end of the track (the next item). The claim is a conditional UPDATE on the epoch
    and status, so of several workers racing exactly one moves the session."""
    changes = Changes(session_id, [])
    claimed = await db.execute(
        update(Session)
        .where(
            Session.id == session_id,
            Session.epoch == epoch,
            Session.playback_status == status.value,
            Session.status == SessionStatus.ACTIVE.value,
        )
        .values(sequence=Session.sequence)
        .returning(Session.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.first() is None:
        return changes
    record = await db.get(Session, session_id, populate_existing=True)
    assert record is not None
    now = ms(utcnow())
    if status is PlaybackStatus.WAITING:
        if record.ready_deadline_ms is not None and record.ready_deadline_ms <= now:
            await _start(db, record, changes)
        return changes
    duration = await _duration(db, record.track_id)
    if (
        duration is None
        or end_of_track_ms(record.position_seconds, record.position_at_ms, duration) > now
    ):
        return changes
    items = await render.queue_items(db, record.id)
    index = next((i for i, item in enumerate(items) if item.id == record.current_item_id), -1)
    if index + 1 < len(items):
        await _set_current(db, record, items[index + 1], changes, timing, start=True)
    else:
        record.playback_status = PlaybackStatus.PAUSED.value
        record.position_seconds = duration
        record.position_at_ms = now
        record.epoch += 1
        await emit_playback(db, record, changes)
    return changes


async def next_due(
    db: AsyncSession, session_id: uuid.UUID
) -> tuple[int, PlaybackStatus, int] | None:
    """The session's next timed transition: (server ms, the status it leaves, epoch)."""
    record = await db.get(Session, session_id, populate_existing=True)
    if record is None or record.status != SessionStatus.ACTIVE.value:
        return None
    if record.playback_status == PlaybackStatus.WAITING.value and record.ready_deadline_ms:
        return record.ready_deadline_ms, PlaybackStatus.WAITING, record.epoch
    if record.playback_status == PlaybackStatus.PLAYING.value:
        duration = await _duration(db, record.track_id)
        if duration is not None:
            at = end_of_track_ms(record.position_seconds, record.position_at_ms, duration)
            return at, PlaybackStatus.PLAYING, record.epoch
    return None


async def set_presence(
    db: AsyncSession, session_id: uuid.UUID, member_id: uuid.UUID, *, online: bool
) -> Changes:
    """A subscription opened (online) or closed cleanly (offline at once): MEMBERS when it
    changes what members see."""
    changes = Changes(session_id, [])
    record = await lock_session(db, session_id)
    if record is None or record.status != SessionStatus.ACTIVE.value:
        return changes
    member = await db.get(Member, member_id, populate_existing=True)
    if member is None or member.left_at is not None:
        return changes
    now = utcnow()
    was_online = render.member_online(member, now)
    member.last_seen_at = now if online else _offline_since(now)
    if not online:
        member.sync_state = None
    if online:
        record.last_activity_at = now
    await db.flush()
    if was_online != online:
        await emit_members(db, record, changes)
    return changes


async def heartbeat(db: AsyncSession, session_id: uuid.UUID, member_id: uuid.UUID) -> None:
    """The subscription is still there: refresh the member and the session's activity."""
    now = utcnow()
    await db.execute(
        update(Member)
        .where(Member.id == member_id, Member.left_at.is_(None))
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    await db.execute(
        update(Session)
        .where(Session.id == session_id, Session.status == SessionStatus.ACTIVE.value)
        .values(last_activity_at=now)
        .execution_options(synchronize_session=False)
    )


async def end_idle(db: AsyncSession, timing: Timing) -> list[Changes]:
    """End every active session idle past the timeout (the sweep's work)."""
    cutoff = utcnow() - timedelta(minutes=timing.idle_minutes)
    ids = list(
        (
            await db.scalars(
                select(Session.id).where(
                    Session.status == SessionStatus.ACTIVE.value, Session.last_activity_at <= cutoff
                )
            )
        ).all()
    )
    ended: list[Changes] = []
    for session_id in ids:
        record = await lock_session(db, session_id)
        if (
            record is None
            or record.status != SessionStatus.ACTIVE.value
            or not is_idle(record, timing, utcnow())
        ):
            continue
        changes = Changes(session_id, [])
        await end_session(db, record, changes)
        ended.append(changes)
    return ended


# --- streams -----------------------------------------------------------------------------


async def session_track_offer(
    db: AsyncSession, record: Session, track_id: uuid.UUID
) -> Offer | None:
    """The version a member streams of ``track_id``: the session's variant for the current
    track, the choice for everyone now for a queued one; None when it is neither."""
    if record.status != SessionStatus.ACTIVE.value:
        return None
    if track_id == record.track_id:
        row = (
            await db.execute(
                select(
                    TrackRecord.format,
                    TrackRecord.bitrate,
                    TrackRecord.mime_type,
                    TrackRecord.channels,
                ).where(TrackRecord.id == track_id, track_available())
            )
        ).first()
        if row is None:
            return None
        offers = offers_for(source_of(row))
        key = VariantKey.from_slug(record.variant) if record.variant else None
        return next((offer for offer in offers if offer.key == key), offers[0])
    queued = await db.scalar(
        select(exists().where(Item.session_id == record.id, Item.track_id == track_id))
    )
    return await choose_offer(db, record, track_id) if queued else None


async def member_stream_offer(
    db: AsyncSession, session_id: uuid.UUID, member_id: uuid.UUID, track_id: uuid.UUID
) -> Offer | None:
    """What a session-bound stream token may open now (None: nothing): the member has not
    left an active session and the track is its current one or in its queue."""
    record = await db.get(Session, session_id, populate_existing=True)
    if record is None:
        return None
    member = await db.get(Member, member_id, populate_existing=True)
    if member is None or member.session_id != session_id or member.left_at is not None:
        return None
    if member.user_id is not None:
        enabled = await db.scalar(
            select(UserRecord.is_active).where(UserRecord.id == member.user_id)
        )
        if not enabled:
            return None
    return await session_track_offer(db, record, track_id)


async def session_shows_cover(db: AsyncSession, session_id: uuid.UUID, artwork_hash: str) -> bool:
    """Whether an active session's queue (or request list) holds a track with this cover."""
    in_session = (
        select(Item.track_id)
        .where(Item.session_id == session_id)
        .union(
            select(SessionRequestRecord.track_id).where(
                SessionRequestRecord.session_id == session_id
            )
        )
    )
    found = await db.scalar(
        select(
            exists().where(
                Session.id == session_id,
                Session.status == SessionStatus.ACTIVE.value,
            )
        )
    )
    if not found:
        return False
    return bool(
        await db.scalar(
            select(
                exists().where(
                    TrackRecord.id.in_(in_session),
                    TrackRecord.album_id == AlbumRecord.id,
                    AlbumRecord.artwork_hash == artwork_hash,
                )
            )
        )
    )
