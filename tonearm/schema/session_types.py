"""Listening session types (``tonearm.sessions``), built from the session's rendered state.

Every type here is made from the plain dicts ``sessions.render`` produces — the same dicts
the event log stores — so a query and an event show one state one way, and a subscriber
delivers an event without the database. Ids in those dicts are UUID hex; here they become
global IDs. Covers become session-bound URLs (``sessions.covers``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from tonearm.catalog.formats import AudioFormat
from tonearm.schema.bound_covers import BoundCover
from tonearm.schema.ids import TRACK_TYPE_NAME, global_id
from tonearm.schema.types import StreamUrl  # noqa: F401 - registers AudioFormat first
from tonearm.sessions.covers import SESSION_ART_PARAM, SessionCoverSigner
from tonearm.sessions.rules import (
    EventKind,
    MemberRole,
    PlaybackAction,
    PlaybackStatus,
    RequestStatus,
    SessionStatus,
    SyncState,
)

LISTENING_SESSION_TYPE_NAME = "ListeningSession"
SESSION_MEMBER_TYPE_NAME = "SessionMember"
SESSION_QUEUE_ITEM_TYPE_NAME = "SessionQueueItem"
SESSION_REQUEST_TYPE_NAME = "SessionRequest"

strawberry.enum(PlaybackAction, name="PlaybackAction", description="What controlPlayback does.")
strawberry.enum(EventKind, name="SessionEventKind", description="What a session event carries.")
strawberry.enum(MemberRole, name="SessionMemberRole", description="A member's role.")
strawberry.enum(
    PlaybackStatus,
    name="SessionPlaybackStatus",
    description="PAUSED, WAITING for members to buffer (until readyDeadline), or PLAYING.",
)
strawberry.enum(RequestStatus, name="SessionRequestStatus", description="A request's state.")
strawberry.enum(
    SyncState,
    name="MemberSyncState",
    description="How a member's player follows (OFFLINE: no live subscription).",
)
strawberry.enum(SessionStatus, name="ListeningSessionStatus", description="ACTIVE or ENDED.")


def _gid(type_name: str, hex_id: str | None) -> strawberry.ID | None:
    return strawberry.ID(global_id(type_name, uuid.UUID(hex=hex_id))) if hex_id else None


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Rendering:
    """What turning a session's payloads into types needs: the session and the cover signer."""

    session_id: uuid.UUID
    signer: SessionCoverSigner


@strawberry.type(description="A track as a session shows it: nothing else of the library.")
class SessionTrack:
    """Title, credits, duration and a session-bound cover."""

    id: strawberry.ID = strawberry.field(description="The track's global ID.")
    title: str = strawberry.field(description="Its title.")
    artist_name: str | None = strawberry.field(description="Its artist credit.")
    album_title: str | None = strawberry.field(description="Its album's title.")
    duration_seconds: float | None = strawberry.field(description="Its length in seconds.")
    cover: strawberry.Private[BoundCover]

    @strawberry.field(description="Its album's cover at the nearest size (null: none).")  # type: ignore[untyped-decorator]
    def cover_url(self, size: int = 300) -> str | None:
        """A session-bound URL of the cover."""
        return self.cover.url(size)

    @classmethod
    def from_payload(cls, data: dict[str, Any], rendering: Rendering) -> SessionTrack:
        """The type of a rendered track."""
        sizes = tuple(data.get("artworkSizes") or ())
        return cls(
            id=strawberry.ID(global_id(TRACK_TYPE_NAME, uuid.UUID(hex=data["id"]))),
            title=data["title"],
            artist_name=data.get("artistName"),
            album_title=data.get("albumTitle"),
            duration_seconds=data.get("durationSeconds"),
            cover=BoundCover(
                rendering.signer,
                SESSION_ART_PARAM,
                rendering.session_id,
                data.get("artwork"),
                sizes,
            ),
        )


@strawberry.type(description="Someone in a listening session.")
class SessionMember(relay.Node):
    """A signed-in member or an anonymous guest, with presence and sync state."""

    id: relay.NodeID[str]
    display_name: str = strawberry.field(description="The name others see.")
    role: MemberRole = strawberry.field(description="HOST, COHOST or GUEST.")
    is_anonymous: bool = strawberry.field(description="An anonymous guest (no account).")
    is_online: bool = strawberry.field(description="Holds a live sessionEvents subscription.")
    sync_state: SyncState = strawberry.field(description="What the member's player reported.")
    offset_ms: float | None = strawberry.field(
        description="The member's last reported playback error in ms (while online)."
    )
    joined_at: datetime = strawberry.field(description="When they joined.")

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> SessionMember:
        """The type of a rendered member."""
        joined = _when(data["joinedAt"])
        assert joined is not None
        return cls(
            id=str(uuid.UUID(hex=data["id"])),
            display_name=data["displayName"],
            role=MemberRole(data["role"]),
            is_anonymous=data["isAnonymous"],
            is_online=data["isOnline"],
            sync_state=SyncState(data["syncState"]),
            offset_ms=data.get("offsetMs"),
            joined_at=joined,
        )


@strawberry.type(description="One entry of a session's queue.")
class SessionQueueItem(relay.Node):
    """A track in the queue, where it is and whether it is current or played."""

    id: relay.NodeID[str]
    track: SessionTrack = strawberry.field(description="The track.")
    position: int = strawberry.field(description="0-based index in the queue.")
    added_by: SessionMember | None = strawberry.field(description="Who added it.")
    is_current: bool = strawberry.field(description="The item playing (or paused) now.")
    is_played: bool = strawberry.field(description="Before the current item.")
    request_id: strawberry.ID | None = strawberry.field(
        description="The approved request it came from."
    )

    @classmethod
    def from_payload(cls, data: dict[str, Any], rendering: Rendering) -> SessionQueueItem:
        """The type of a rendered queue item."""
        added = data.get("addedBy")
        return cls(
            id=str(uuid.UUID(hex=data["id"])),
            track=SessionTrack.from_payload(data["track"], rendering),
            position=data["position"],
            added_by=SessionMember.from_payload(added) if added else None,
            is_current=data["isCurrent"],
            is_played=data["isPlayed"],
            request_id=_gid(SESSION_REQUEST_TYPE_NAME, data.get("requestId")),
        )


@strawberry.type(description="A member's request for a track, and the decision.")
class SessionRequest(relay.Node):
    """A request: the track, the note, who asked, and who decided when."""

    id: relay.NodeID[str]
    track: SessionTrack = strawberry.field(description="The track asked for.")
    note: str | None = strawberry.field(description="The requester's note.")
    status: RequestStatus = strawberry.field(description="PENDING, APPROVED or DECLINED.")
    requested_by: SessionMember | None = strawberry.field(description="Who asked.")
    created_at: datetime = strawberry.field(description="When they asked.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    decided_by: SessionMember | None = strawberry.field(description="Who decided.")

    @classmethod
    def from_payload(cls, data: dict[str, Any], rendering: Rendering) -> SessionRequest:
        """The type of a rendered request."""
        created = _when(data["createdAt"])
        assert created is not None
        requested, decided = data.get("requestedBy"), data.get("decidedBy")
        return cls(
            id=str(uuid.UUID(hex=data["id"])),
            track=SessionTrack.from_payload(data["track"], rendering),
            note=data.get("note"),
            status=RequestStatus(data["status"]),
            requested_by=SessionMember.from_payload(requested) if requested else None,
            created_at=created,
            decided_at=_when(data.get("decidedAt")),
            decided_by=SessionMember.from_payload(decided) if decided else None,
        )


@strawberry.type(
    description=(
        "The server's playback state. While PLAYING a player's position at server time t "
        "(ms) is positionSeconds + (t - updatedAt) / 1000 (negative before the scheduled "
        "start: wait); while PAUSED or WAITING it is positionSeconds."
    )
)
class SessionPlayback:
    """Which track, where, since when (server ms), and the variant everyone plays."""

    track_id: strawberry.ID | None = strawberry.field(description="The current track's ID.")
    item_id: strawberry.ID | None = strawberry.field(description="The current queue item.")
    track: SessionTrack | None = strawberry.field(description="The current track.")
    position_seconds: float = strawberry.field(description="The position at updatedAt.")
    updated_at: float = strawberry.field(
        description="Server ms since the epoch at which positionSeconds holds (may lie "
        "ahead: the scheduled start)."
    )
    is_playing: bool = strawberry.field(description="status == PLAYING.")
    status: PlaybackStatus = strawberry.field(description="PAUSED, WAITING or PLAYING.")
    epoch: int = strawberry.field(description="Counts track changes and starts (reportReady).")
    ready_deadline: float | None = strawberry.field(
        description="Server ms when WAITING gives up on laggards."
    )
    format: AudioFormat | None = strawberry.field(description="The format everyone plays.")
    bitrate_kbps: int | None = strawberry.field(description="Its bitrate in kbps.")

    @classmethod
    def from_payload(cls, data: dict[str, Any], rendering: Rendering) -> SessionPlayback:
        """The type of a rendered playback state."""
        track = data.get("track")
        return cls(
            track_id=_gid(TRACK_TYPE_NAME, data.get("trackId")),
            item_id=_gid(SESSION_QUEUE_ITEM_TYPE_NAME, data.get("itemId")),
            track=SessionTrack.from_payload(track, rendering) if track else None,
            position_seconds=data["positionSeconds"],
            updated_at=data["updatedAt"],
            is_playing=data["isPlaying"],
            status=PlaybackStatus(data["status"]),
            epoch=data["epoch"],
            ready_deadline=data.get("readyDeadline"),
            format=AudioFormat(data["format"]) if data.get("format") else None,
            bitrate_kbps=data.get("bitrateKbps"),
        )


@strawberry.type(description="One event of a session's log (sequence: consecutive from 1).")
class SessionEvent:
    """The changed aspect of the session, whole."""

    sequence: int = strawberry.field(description="Consecutive per session, from 1.")
    kind: EventKind = strawberry.field(description="Which aspect changed.")
    at: float = strawberry.field(description="Server ms since the epoch.")
    session_id: strawberry.ID = strawberry.field(description="The session's global ID.")
    playback: SessionPlayback | None = strawberry.field(description="PLAYBACK: the state.")
    queue: list[SessionQueueItem] | None = strawberry.field(description="QUEUE: the whole queue.")
    request: SessionRequest | None = strawberry.field(
        description="REQUEST: the request created or decided."
    )
    members: list[SessionMember] | None = strawberry.field(
        description="MEMBERS: every current member."
    )

    @classmethod
    def from_log(
        cls, sequence: int, kind: str, at_ms: float, payload: dict[str, Any], rendering: Rendering
    ) -> SessionEvent:
        """The type of a logged event."""
        event_kind = EventKind(kind)
        return cls(
            sequence=sequence,
            kind=event_kind,
            at=at_ms,
            session_id=strawberry.ID(global_id(LISTENING_SESSION_TYPE_NAME, rendering.session_id)),
            playback=(
                SessionPlayback.from_payload(payload, rendering)
                if event_kind is EventKind.PLAYBACK
                else None
            ),
            queue=(
                [SessionQueueItem.from_payload(item, rendering) for item in payload["queue"]]
                if event_kind is EventKind.QUEUE
                else None
            ),
            request=(
                SessionRequest.from_payload(payload["request"], rendering)
                if event_kind is EventKind.REQUEST
                else None
            ),
            members=(
                [SessionMember.from_payload(member) for member in payload["members"]]
                if event_kind is EventKind.MEMBERS
                else None
            ),
        )


@strawberry.type(description="What an invite shows before joining (public).")
class SessionInvite:
    """The session's name, its host, whether guests without an account may join."""

    name: str = strawberry.field(description="The session's name.")
    host_name: str = strawberry.field(description="The host's display name.")
    allows_anonymous_guests: bool = strawberry.field(
        description="Whether someone without an account may join with a display name."
    )
    expires_at: datetime = strawberry.field(description="When the invite stops working.")


def _resolvers() -> Any:
    from tonearm.resolvers import sessions

    return sessions


Info = strawberry.Info


@strawberry.type(description="A listening session: a host plays, members listen in step.")
class ListeningSession(relay.Node):
    """A session as one of its members sees it (invites: host and co-hosts only)."""

    id: relay.NodeID[str]
    name: str = strawberry.field(description="Its name.")
    invite_code: str | None = strawberry.field(description="Host and co-hosts; null for guests.")
    invite_url: str | None = strawberry.field(
        description='"/listen/<inviteCode>", same visibility.'
    )
    invite_expires_at: datetime | None = strawberry.field(description="When the invite expires.")
    allow_anonymous_guests: bool = strawberry.field(description="Guests without an account.")
    allow_takeover: bool = strawberry.field(
        description="A signed-in member may take over when the host is gone for a minute."
    )
    request_limit: int = strawberry.field(description="Open (pending) requests per member.")
    status: SessionStatus = strawberry.field(description="ACTIVE or ENDED.")
    created_at: datetime = strawberry.field(description="When it started.")
    ended_at: datetime | None = strawberry.field(description="When it ended.")
    guest_token: str | None = strawberry.field(
        description="Only in joinListeningSession's answer to an anonymous guest: send it as "
        "Authorization: Bearer <token> (HTTP) or in connection_init (WebSocket)."
    )
    sequence: int = strawberry.field(
        description="The last event's sequence: subscribe with afterSequence = this."
    )
    viewer_member_id: strawberry.Private[uuid.UUID]
    state: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The host; null only if the host's account was removed.")  # type: ignore[untyped-decorator]
    async def host(self, info: Info) -> SessionMember | None:
        """The member whose role is HOST."""
        members = await _resolvers().session_members(self, info)
        return next((m for m in members if m.role is MemberRole.HOST), None)

    @strawberry.field(description="Current members (not left), host first.")  # type: ignore[untyped-decorator]
    async def members(self, info: Info) -> list[SessionMember]:
        """Every current member."""
        members: list[SessionMember] = await _resolvers().session_members(self, info)
        return members

    @strawberry.field(description="The caller's own membership.")  # type: ignore[untyped-decorator]
    async def viewer_member(self, info: Info) -> SessionMember | None:
        """The caller as a member."""
        members = await _resolvers().session_members(self, info)
        own = str(self.viewer_member_id)
        return next((m for m in members if m.id == own), None)

    @strawberry.field(description="Every item in order; played ones have isPlayed.")  # type: ignore[untyped-decorator]
    async def queue(self, info: Info) -> list[SessionQueueItem]:
        """The whole queue."""
        queue: list[SessionQueueItem] = await _resolvers().session_queue(self, info)
        return queue

    @strawberry.field(description="The server's playback state.")  # type: ignore[untyped-decorator]
    async def playback(self, info: Info) -> SessionPlayback:
        """The playback state now."""
        playback: SessionPlayback = await _resolvers().session_playback(self, info)
        return playback

    @strawberry.field(description="Requests, newest first (status: only those).")  # type: ignore[untyped-decorator]
    async def requests(
        self, info: Info, status: RequestStatus | None = None
    ) -> list[SessionRequest]:
        """The session's requests."""
        requests: list[SessionRequest] = await _resolvers().session_requests(self, info, status)
        return requests

    @strawberry.field(description="The session log after afterSequence (first: at most 500).")  # type: ignore[untyped-decorator]
    async def events(
        self, info: Info, after_sequence: int | None = 0, first: int | None = 100
    ) -> list[SessionEvent]:
        """A page of the log."""
        events: list[SessionEvent] = await _resolvers().session_log(
            self, info, after_sequence or 0, first
        )
        return events
