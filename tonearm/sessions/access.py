"""The stream route's check of a session-bound token, remembered per worker ≤ 5 s.

A token minted by ``createSessionStreamUrl`` names a session and a member. It opens a
track while the session is active, the member has not left (a signed-in member's account
is still enabled), the track is the session's current one or in its queue, and the version
is the one the session plays. Only a yes is remembered, at most ``GRANT_TTL`` seconds, so
leaving, removal and the session's end stop playback within that bound.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tonearm.catalog.variants import Offer
from tonearm.memo import TTLMemo
from tonearm.sessions.service import member_stream_offer, session_shows_cover

GRANT_TTL = 5.0  # the same bound as a share's grant (``shares.access.GRANT_TTL``)

GrantKey = tuple[uuid.UUID, uuid.UUID, uuid.UUID]  # session, member, track


async def _grant(engine: AsyncEngine, key: GrantKey) -> Offer | None:
    session_id, member_id, track_id = key
    async with AsyncSession(engine) as session:
        return await member_stream_offer(session, session_id, member_id, track_id)


class SessionGrantCache:
    """Per-worker memo of "may this member stream this track of this session now"."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        ttl = GRANT_TTL if ttl is None else min(ttl, GRANT_TTL)
        self._engine = engine
        self._memo: TTLMemo[GrantKey, Offer] = TTLMemo(ttl=ttl, max_entries=4096, clock=clock)
        self._art: TTLMemo[tuple[uuid.UUID, str], bool] = TTLMemo(
            ttl=ttl, max_entries=4096, clock=clock
        )

    async def track(
        self, session_id: uuid.UUID, member_id: uuid.UUID, track_id: uuid.UUID
    ) -> Offer | None:
        """The version the member may stream of the track now (None: nothing)."""
        return await self._memo.get(
            (session_id, member_id, track_id), partial(_grant, self._engine)
        )

    async def artwork(self, session_id: uuid.UUID, artwork_hash: str) -> bool:
        """Whether the active session shows this cover (one of its tracks' albums')."""
        return bool(await self._art.get((session_id, artwork_hash), partial(_cover, self._engine)))


async def _cover(engine: AsyncEngine, key: tuple[uuid.UUID, str]) -> bool | None:
    session_id, artwork_hash = key
    async with AsyncSession(engine) as session:
        return True if await session_shows_cover(session, session_id, artwork_hash) else None
