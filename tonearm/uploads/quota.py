"""How much of their upload quota a user has used."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.origins import TrackOrigin
from tonearm.db.models import TrackRecord


async def used_bytes(session: AsyncSession, user_id: uuid.UUID) -> int:
    """The sum of ``size_bytes`` of the tracks ``user_id`` uploaded."""
    total = await session.scalar(
        select(func.coalesce(func.sum(TrackRecord.size_bytes), 0)).where(
            TrackRecord.origin == TrackOrigin.UPLOAD.value, TrackRecord.uploaded_by == user_id
        )
    )
    return int(total or 0)
