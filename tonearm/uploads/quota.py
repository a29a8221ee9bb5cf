"""How much of their upload quota a user has used, and what a new upload may reserve."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.origins import TrackOrigin
from tonearm.db.models import TrackRecord
from tonearm.db.uploads import unfinished_bytes


async def used_bytes(session: AsyncSession, user_id: uuid.UUID) -> int:
    """The sum of ``size_bytes`` of the tracks ``user_id`` uploaded."""
    total = await session.scalar(
        select(func.coalesce(func.sum(TrackRecord.size_bytes), 0)).where(
            TrackRecord.origin == TrackOrigin.UPLOAD.value, TrackRecord.uploaded_by == user_id
        )
    )
    return int(total or 0)


@dataclass(frozen=True, slots=True)
class OverQuota:
    """A new upload of ``length`` bytes would pass the quota: ``used`` counts stored
    uploads and the declared lengths of live unfinished ones."""

    used: int
    limit: int
    length: int


async def reservation_refusal(
    session: AsyncSession, user_id: uuid.UUID, *, length: int, limit: int | None, now: datetime
) -> OverQuota | None:
    """Whether starting an upload of ``length`` bytes (tus or direct) would pass ``limit``
    (None: unlimited), counting unfinished uploads as reserved."""
    if limit is None:
        return None
    used = await used_bytes(session, user_id) + await unfinished_bytes(session, user_id, now=now)
    return OverQuota(used, limit, length) if used + length > limit else None
