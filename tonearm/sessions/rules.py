"""The pure rules of listening sessions: roles, states, the start lead, the derived position,
the variant everyone plays. No I/O: ``service.py`` applies them inside its transactions.

All times are the server's: milliseconds since the epoch from ``time.time()``. A client's
clock is never read; members report only durations (a round trip, an offset).
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Iterable
from datetime import timedelta

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import (
    Offer,
    SourceAudio,
    VariantChoiceError,
    choose_variant,
    offers_for,
)

HEARTBEAT_SECONDS = 20.0  # a subscription refreshes its member's last_seen_at this often
OFFLINE_AFTER = timedelta(seconds=45)  # no heartbeat for this long: offline
TAKEOVER_AFTER = timedelta(seconds=60)  # the host offline this long: a member may take over
PREVIOUS_RESTARTS_AFTER = 3.0  # PREVIOUS past this many seconds restarts the track
LEAD_MIN_MS, LEAD_MAX_MS = 250, 2000
MAX_NAME = 200
MAX_DISPLAY_NAME = 64
MAX_NOTE = 500
MAX_ENQUEUE = 100
MAX_REQUEST_LIMIT = 50
MAX_INVITE_HOURS = 168
REQUEST_WINDOW = timedelta(minutes=10)
REQUESTS_PER_WINDOW = 10
MAX_EVENTS_PAGE = 500
SESSION_OPUS_KBPS = 160
SESSION_MP3_KBPS = 320


class MemberRole(enum.StrEnum):
    """A member's role; the value is what ``session_members.role`` stores."""

    HOST = "host"
    COHOST = "cohost"
    GUEST = "guest"

    @property
    def controls(self) -> bool:
        """Whether the role may control playback, the queue and requests."""
        return self is not MemberRole.GUEST


class SessionStatus(enum.StrEnum):
    """Whether a session still runs."""

    ACTIVE = "active"
    ENDED = "ended"


class PlaybackStatus(enum.StrEnum):
    """The server's playback state (``listening_sessions.playback_status``)."""

    PAUSED = "paused"
    WAITING = "waiting"
    PLAYING = "playing"


class SyncState(enum.StrEnum):
    """How a member's player says it follows (OFFLINE is derived, never reported)."""

    IN_SYNC = "in_sync"
    CATCHING_UP = "catching_up"
    OFFLINE = "offline"


class RequestStatus(enum.StrEnum):
    """A request's state (``session_requests.status``)."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class EventKind(enum.StrEnum):
    """What an event of the session log carries (``session_events.kind``)."""

    PLAYBACK = "PLAYBACK"
    QUEUE = "QUEUE"
    REQUEST = "REQUEST"
    MEMBERS = "MEMBERS"
    ENDED = "ENDED"


class PlaybackAction(enum.StrEnum):
    """What a host or co-host asks of the playback."""

    PLAY = "PLAY"
    PAUSE = "PAUSE"
    SEEK = "SEEK"
    NEXT = "NEXT"
    PREVIOUS = "PREVIOUS"


def now_ms() -> int:
    """The server's clock in milliseconds since the epoch."""
    return int(time.time() * 1000)


def start_lead_ms(round_trips_ms: Iterable[float | None]) -> int:
    """How far ahead a start is scheduled: the slowest round trip × 1.5 + 150 ms, clamped."""
    slowest = max((rtt for rtt in round_trips_ms if rtt is not None), default=0.0)
    lead = slowest * 1.5 + 150
    return int(min(max(lead, LEAD_MIN_MS), LEAD_MAX_MS))


def derived_position(
    status: str, position_seconds: float, position_at_ms: int, at_ms: int
) -> float:
    """Where playback is at server time ``at_ms`` (never before ``position_seconds``).

    While playing it moves from ``position_seconds`` at ``position_at_ms`` (which may lie
    ahead: the scheduled start, before which the position holds); otherwise it holds.
    """
    if status != PlaybackStatus.PLAYING.value or at_ms <= position_at_ms:
        return position_seconds
    return position_seconds + (at_ms - position_at_ms) / 1000


def end_of_track_ms(position_seconds: float, position_at_ms: int, duration: float) -> int:
    """The server time a playing track reaches its end."""
    return position_at_ms + math.ceil(max(duration - position_seconds, 0.0) * 1000)


def parse_playable(stored: str | None) -> frozenset[AudioFormat] | None:
    """The formats a member declared (None: declared nothing, accepts everything)."""
    if not stored:
        return None
    formats = set()
    for value in stored.split(","):
        try:
            formats.add(AudioFormat(value))
        except ValueError:
            continue
    return frozenset(formats)


def store_playable(formats: Iterable[AudioFormat] | None) -> str | None:
    """What ``session_members.playable`` stores for declared formats (None: nothing said)."""
    if formats is None:
        return None
    return ",".join(sorted({f.value for f in formats})) or None


def session_offer(source: SourceAudio, playables: Iterable[frozenset[AudioFormat] | None]) -> Offer:
    """The one version every member plays of a track.

    The original when its format is playable by everyone (a member who declared nothing
    accepts everything), else Opus at 160 kbps (or the best Opus under it) when everyone
    can play Opus, else MP3 at up to 320 kbps; when no one format suits all, the original.
    """
    declared = [formats for formats in playables if formats is not None]
    offers = offers_for(source)

    def everyone(audio_format: AudioFormat) -> bool:
        return all(audio_format in formats for formats in declared)

    if everyone(source.format):
        return offers[0]
    for audio_format, kbps in (
        (AudioFormat.OPUS, SESSION_OPUS_KBPS),
        (AudioFormat.MP3, SESSION_MP3_KBPS),
    ):
        if not everyone(audio_format):
            continue
        try:
            return choose_variant(offers, audio_format=audio_format, max_bitrate_kbps=kbps)
        except VariantChoiceError:
            continue
    return offers[0]
