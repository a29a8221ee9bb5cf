"""The popularity score of tracks: plays and likes, each decayed over time.

A play or like at time ``t`` adds ``w · 2^((t − EPOCH) / HALF_LIFE)`` to the track's
``popularity`` (a play weighs 1, a like 3; an unlike subtracts its like's own term). The
decayed score at any moment ``now`` is ``popularity · 2^(−(now − EPOCH) / HALF_LIFE)``: the
factor is common to every track, so ordering by the stored value orders by the decayed
score, and each event is one atomic ``UPDATE … SET popularity = popularity + :w``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Update, update

from tonearm.db.models import TrackRecord

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
HALF_LIFE = timedelta(days=30)
PLAY_WEIGHT = 1.0
LIKE_WEIGHT = 3.0


def term(weight: float, at: datetime) -> float:
    """What one event of ``weight`` at ``at`` adds to a track's popularity."""
    exponent: float = (at - EPOCH) / HALF_LIFE
    return float(weight * 2.0**exponent)


def add_popularity(track_id: uuid.UUID, amount: float) -> Update:
    """The one statement that moves a track's popularity by ``amount``.

    ``updated_at`` says when the track's own data last changed, so it is kept as it was
    (its ``onupdate`` would otherwise stamp every play).
    """
    return (
        update(TrackRecord)
        .where(TrackRecord.id == track_id)
        .values(popularity=TrackRecord.popularity + amount, updated_at=TrackRecord.updated_at)
    )
