"""Recording plays: the rule that makes a report a play, the plausibility checks, counters.

A report counts as a play when ``played_seconds ≥ min(duration / 2, 240)`` (the rule
Last.fm and ListenBrainz use). A report nobody could have made is refused with a reason
(``PlayRejection``) before anything is stored; a plausible one below the rule stores
nothing. A counted play writes its ``plays`` row, the user's ``play_counts`` row, the
track's ``play_count`` and its popularity term in one transaction.
"""

from __future__ import annotations

import enum
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader, track_visible
from tonearm.db.models import PlayCountRecord, PlayRecord, TrackRecord, UserRecord, utcnow
from tonearm.social.popularity import PLAY_WEIGHT, add_popularity, term
from tonearm.social.top import forget_charts
from tonearm.social.upserts import dialect_insert

HALF_RULE_CAP_SECONDS = 240.0
LENGTH_SLACK_SECONDS = 2.0
FUTURE_SLACK = timedelta(seconds=60)
MAX_AGE = timedelta(days=14)
# How far back an earlier play may start and still overlap a new one: longer plays than a
# day are not looked for (no track is that long in practice).
OVERLAP_HORIZON = timedelta(days=1)


class PlayRejection(enum.Enum):
    """Why a report cannot be true (the names are the API's ``ImplausiblePlayReason``)."""

    LONGER_THAN_TRACK = "longer_than_track"
    IN_THE_FUTURE = "in_the_future"
    TOO_OLD = "too_old"
    OVERLAPS_PLAYS = "overlaps_plays"
    NEGATIVE = "negative"


_MESSAGES = {
    PlayRejection.LONGER_THAN_TRACK: "More seconds were reported than the track has.",
    PlayRejection.IN_THE_FUTURE: "The play would start or end in the future.",
    PlayRejection.TOO_OLD: "Plays older than 14 days are not recorded.",
    PlayRejection.OVERLAPS_PLAYS: "You cannot have listened to this many plays at once.",
    PlayRejection.NEGATIVE: "Played seconds must be a number of at least zero.",
}


class ImplausiblePlay(Exception):
    """A report refused for ``reason``."""

    def __init__(self, reason: PlayRejection) -> None:
        super().__init__(_MESSAGES[reason])
        self.reason = reason


class PlayTrackNotFound(Exception):
    """No track the reader may see has this id."""


@dataclass(frozen=True, slots=True)
class RecordedPlay:
    """What ``record_play`` did: the stored play (None when it did not count), the track."""

    counted: bool
    play: PlayRecord | None
    track: TrackRecord


def counts_as_play(duration_seconds: float, played_seconds: float) -> bool:
    """Whether ``played_seconds`` of a track this long is a play: half of it or 4 minutes."""
    return played_seconds >= min(duration_seconds / 2, HALF_RULE_CAP_SECONDS)


def check_report(
    *, duration_seconds: float, played_seconds: float, started_at: datetime, now: datetime
) -> None:
    """Refuse a report no listener could have made (``ImplausiblePlay``); the pure checks."""
    if math.isnan(played_seconds) or played_seconds < 0:
        raise ImplausiblePlay(PlayRejection.NEGATIVE)
    if played_seconds > duration_seconds + LENGTH_SLACK_SECONDS:
        raise ImplausiblePlay(PlayRejection.LONGER_THAN_TRACK)
    ends_at = started_at + timedelta(seconds=played_seconds)
    if started_at > now or ends_at > now + FUTURE_SLACK:
        raise ImplausiblePlay(PlayRejection.IN_THE_FUTURE)
    if started_at < now - MAX_AGE:
        raise ImplausiblePlay(PlayRejection.TOO_OLD)


def leaves_room(
    earlier: list[tuple[datetime, float]], started_at: datetime, played_seconds: float
) -> bool:
    """Whether wall time allows a new play beside the plays it intersects.

    The plays whose ``[start, start + played]`` intersects the new one's, and the new one,
    must together fit into the time they span, each allowed the same slack as its length.
    """
    ends_at = started_at + timedelta(seconds=played_seconds)
    overlapping = [
        (start, played)
        for start, played in earlier
        if start < ends_at and start + timedelta(seconds=played) > started_at
    ]
    if not overlapping:
        return True
    first = min(started_at, *(start for start, _ in overlapping))
    last = max(ends_at, *(start + timedelta(seconds=played) for start, played in overlapping))
    span = (last - first).total_seconds()
    listened = played_seconds + sum(played for _, played in overlapping)
    return listened <= span + LENGTH_SLACK_SECONDS * (len(overlapping) + 1)


async def record_play(
    session: AsyncSession,
    *,
    reader: Reader,
    user_id: uuid.UUID,
    track_id: uuid.UUID,
    played_seconds: float,
    started_at: datetime | None,
    now: datetime | None = None,
) -> RecordedPlay:
    """Check and record a client's report of a play, committing when it counted.

    Raises ``PlayTrackNotFound`` or ``ImplausiblePlay``.
    """
    now = now or utcnow()
    track = await session.scalar(
        select(TrackRecord).where(TrackRecord.id == track_id, track_visible(reader))
    )
    if track is None:
        raise PlayTrackNotFound(str(track_id))
    if math.isnan(played_seconds) or played_seconds < 0:
        raise ImplausiblePlay(PlayRejection.NEGATIVE)
    if math.isinf(played_seconds):
        raise ImplausiblePlay(PlayRejection.LONGER_THAN_TRACK)
    start = started_at or now - timedelta(seconds=played_seconds)
    check_report(
        duration_seconds=track.duration_seconds,
        played_seconds=played_seconds,
        started_at=start,
        now=now,
    )
    if not counts_as_play(track.duration_seconds, played_seconds):
        return RecordedPlay(counted=False, play=None, track=track)
    # One report at a time per user on PostgreSQL, so two racing reports cannot both fit
    # into the same wall time (SQLite runs one writer at a time anyway).
    await session.execute(select(UserRecord.id).where(UserRecord.id == user_id).with_for_update())
    earlier = await session.execute(
        select(PlayRecord.started_at, PlayRecord.played_seconds).where(
            PlayRecord.user_id == user_id,
            PlayRecord.started_at > start - OVERLAP_HORIZON,
            PlayRecord.started_at < start + timedelta(seconds=played_seconds),
        )
    )
    if not leaves_room(list(earlier), start, played_seconds):
        raise ImplausiblePlay(PlayRejection.OVERLAPS_PLAYS)
    play = PlayRecord(
        user_id=user_id,
        track_id=track_id,
        started_at=start,
        played_seconds=played_seconds,
        recorded_at=now,
    )
    session.add(play)
    await session.flush()
    counts = dialect_insert(session, PlayCountRecord).values(
        user_id=user_id, track_id=track_id, play_count=1, last_played_at=start
    )
    await session.execute(
        counts.on_conflict_do_update(
            index_elements=[PlayCountRecord.user_id, PlayCountRecord.track_id],
            set_={
                "play_count": PlayCountRecord.play_count + 1,
                "last_played_at": case(
                    (
                        counts.excluded.last_played_at > PlayCountRecord.last_played_at,
                        counts.excluded.last_played_at,
                    ),
                    else_=PlayCountRecord.last_played_at,
                ),
            },
        )
    )
    await session.execute(
        add_popularity(track_id, term(PLAY_WEIGHT, start)).values(
            play_count=TrackRecord.play_count + 1
        )
    )
    await session.commit()
    forget_charts(session)
    await session.refresh(track)
    return RecordedPlay(counted=True, play=play, track=track)
