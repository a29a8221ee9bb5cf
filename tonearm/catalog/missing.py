"""Reading the tracks whose files are gone, on purpose: the admins' missing files view.

Every other read hides missing tracks (``catalog.access``); this one lists only them, for
admins (the resolver checks), longest missing first, with the same keyset pagination as
every list (``pagination.MissingOrder``).
"""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import track_gone
from tonearm.catalog.pagination import (
    ORDERS,
    MissingOrder,
    Page,
    PageRequest,
    first_column,
    keyset_page,
)
from tonearm.catalog.states import TrackState
from tonearm.db.models import TrackRecord

_MISSING = and_(track_gone(), TrackRecord.state == TrackState.MISSING.value)


async def list_missing_tracks(session: AsyncSession, *, page: PageRequest) -> Page[TrackRecord]:
    """One page of the missing tracks, the longest missing first (ties by id)."""
    return await keyset_page(
        session,
        select(TrackRecord).where(_MISSING),
        spec=ORDERS[MissingOrder.OLDEST],
        page=page,
        convert=first_column,
    )


async def count_missing_tracks(session: AsyncSession) -> int:
    """How many tracks are missing (a range of the partial index ``ix_tracks_gone``)."""
    return int(await session.scalar(select(func.count()).where(_MISSING)) or 0)
