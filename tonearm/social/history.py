"""A user's listening: their history (newest play first) and their play counts per track."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader, track_visible
from tonearm.catalog.pagination import ORDERS, Page, PageRequest, PlayOrder, keyset_page
from tonearm.db.models import PlayCountRecord, PlayRecord, TrackRecord


def _history_statement(reader: Reader, user_id: uuid.UUID) -> Any:
    return (
        select(PlayRecord)
        .join(TrackRecord, TrackRecord.id == PlayRecord.track_id)
        .where(PlayRecord.user_id == user_id, track_visible(reader))
    )


async def list_history(
    session: AsyncSession, *, reader: Reader, user_id: uuid.UUID, page: PageRequest
) -> Page[PlayRecord]:
    """A page of ``user_id``'s plays of tracks ``reader`` sees, latest start first."""
    return await keyset_page(
        session,
        _history_statement(reader, user_id),
        spec=ORDERS[PlayOrder.NEWEST],
        page=page,
        convert=lambda row: row[0],
    )


async def count_history(session: AsyncSession, *, reader: Reader, user_id: uuid.UUID) -> int:
    """How many plays ``list_history`` walks through."""
    statement = _history_statement(reader, user_id).subquery()
    return int(await session.scalar(select(func.count()).select_from(statement)) or 0)


async def play_counts_of(
    session: AsyncSession, user_id: uuid.UUID, track_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, datetime]]:
    """``user_id``'s play count and latest play of each of ``track_ids`` (one query)."""
    if not track_ids:
        return {}
    rows = await session.execute(
        select(
            PlayCountRecord.track_id, PlayCountRecord.play_count, PlayCountRecord.last_played_at
        ).where(PlayCountRecord.user_id == user_id, PlayCountRecord.track_id.in_(set(track_ids)))
    )
    return {track_id: (count, last) for track_id, count, last in rows}
