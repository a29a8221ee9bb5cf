"""Most played tracks over a rolling period, the viewer's own or everyone's.

Only tracks the viewer can see are ranked; ties go to the smaller track id. The whole
history (``ALL``) is read from the counters kept with each play (``tracks.play_count`` for
everyone, ``play_counts`` for one user); a period counts ``plays`` rows in it.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader, track_visible
from tonearm.db.models import PlayCountRecord, PlayRecord, TrackRecord, utcnow


class PlayPeriod(enum.Enum):
    """A rolling period ending now (ALL: every play ever counted)."""

    WEEK = 7
    MONTH = 30
    YEAR = 365
    ALL = 0


class PlayScope(enum.Enum):
    """Whose plays count: the viewer's or everyone's."""

    MINE = "mine"
    EVERYONE = "everyone"


@dataclass(frozen=True, slots=True)
class TopTrackRow:
    """A ranked track and its plays in the period."""

    track: TrackRecord
    play_count: int


async def top_tracks(
    session: AsyncSession,
    *,
    reader: Reader,
    user_id: uuid.UUID | None,
    period: PlayPeriod,
    scope: PlayScope,
    limit: int,
    now: datetime | None = None,
) -> list[TopTrackRow]:
    """The ``limit`` most played tracks ``reader`` sees (MINE needs ``user_id``)."""
    if scope is PlayScope.MINE and user_id is None:
        return []
    statement: Any
    if period is PlayPeriod.ALL and scope is PlayScope.EVERYONE:
        count: Any = TrackRecord.play_count
        statement = select(TrackRecord, count).where(count > 0, track_visible(reader))
    elif period is PlayPeriod.ALL:
        count = PlayCountRecord.play_count
        statement = (
            select(TrackRecord, count)
            .join(PlayCountRecord, PlayCountRecord.track_id == TrackRecord.id)
            .where(PlayCountRecord.user_id == user_id, track_visible(reader))
        )
    else:
        until = now or utcnow()
        since = until - timedelta(days=period.value)
        # Bounded on both sides (no play starts after now): SQLite then expects a small
        # range and reads the (started_at, track_id) index, instead of walking every play
        # in track order to skip the sort (measured: 220 ms → a few ms over 50,000 plays).
        grouped = select(PlayRecord.track_id, func.count().label("plays")).where(
            PlayRecord.started_at >= since, PlayRecord.started_at <= until
        )
        if scope is PlayScope.MINE:
            grouped = grouped.where(PlayRecord.user_id == user_id)
        counted = grouped.group_by(PlayRecord.track_id).subquery("counted")
        count = counted.c.plays
        statement = (
            select(TrackRecord, count)
            .join(counted, counted.c.track_id == TrackRecord.id)
            .where(track_visible(reader))
        )
    rows = await session.execute(statement.order_by(count.desc(), TrackRecord.id).limit(limit))
    return [TopTrackRow(track, int(plays)) for track, plays in rows]
