"""The failed sign-in limit, counted in the database so that every worker shares it.

Each attempt first *reserves* a failure row per key and commits it, then counts the other
failures in the window: an attempt goes ahead only while fewer than ``limit`` others are
there. Because the reservation is visible to every worker before the count, concurrent
attempts can never all slip under the limit (at most ``limit`` failures per key and
window, however many workers there are). A successful sign-in deletes its reservation, so
only failures count; a refused attempt deletes it too, so waiting is never extended by
knocking. Keys are stored as SHA-256 digests: a mistyped username (or a password typed into
the username field) is never written down.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.accounts.users import username_key
from tonearm.db.models import LoginFailureRecord, utcnow


def limiter_key(kind: str, value: str) -> str:
    """The stored form of a key such as ``user:<casefolded name>`` or ``addr:<ip>``."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


@dataclass(slots=True)
class Attempt:
    """A reserved attempt: its failure rows, and how long to wait when it was refused."""

    retry_after: int
    row_ids: list[int] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        """Whether the attempt may check the credentials."""
        return self.retry_after == 0


@dataclass(frozen=True, slots=True)
class LoginLimiter:
    """At most ``limit`` failures per key within ``window``; shared through the database."""

    limit: int
    window: timedelta
    clock: Callable[[], datetime] = utcnow

    async def begin(self, session: AsyncSession, *, keys: Sequence[str]) -> Attempt:
        """Reserve a failure for each key and commit it; refuse when a key is used up.

        A refused attempt leaves nothing behind. An allowed one stays counted as a failure
        unless ``succeeded`` is called.
        """
        now = self.clock()
        cutoff = now - self.window
        # Pruning old rows on every reservation keeps the table at a minute's worth.
        await session.execute(
            delete(LoginFailureRecord).where(LoginFailureRecord.failed_at <= cutoff)
        )
        rows = [LoginFailureRecord(key_hash=key, failed_at=now) for key in keys]
        session.add_all(rows)
        await session.commit()
        attempt = Attempt(retry_after=0, row_ids=[row.id for row in rows])
        for key in keys:
            attempt.retry_after = max(
                attempt.retry_after, await self._wait(session, key, now, attempt.row_ids)
            )
        if not attempt.allowed:
            await self._forget(session, attempt)
        return attempt

    async def succeeded(self, session: AsyncSession, attempt: Attempt) -> None:
        """The credentials were right: the reservation does not count (caller commits)."""
        await session.execute(
            delete(LoginFailureRecord).where(LoginFailureRecord.id.in_(attempt.row_ids))
        )
        attempt.row_ids = []

    async def _forget(self, session: AsyncSession, attempt: Attempt) -> None:
        await self.succeeded(session, attempt)
        await session.commit()

    async def _wait(
        self, session: AsyncSession, key: str, now: datetime, own: Sequence[int]
    ) -> int:
        """Seconds until ``key`` has fewer than ``limit`` other failures in the window."""
        oldest_that_counts = await session.scalar(
            select(LoginFailureRecord.failed_at)
            .where(
                LoginFailureRecord.key_hash == key,
                LoginFailureRecord.failed_at > now - self.window,
                LoginFailureRecord.id.not_in(own),
            )
            .order_by(LoginFailureRecord.failed_at.desc())
            .offset(self.limit - 1)
            .limit(1)
        )
        if oldest_that_counts is None:
            return 0
        return max(1, math.ceil((oldest_that_counts + self.window - now).total_seconds()))


def login_keys(*, username: str, address: str | None) -> list[str]:
    """The keys one sign-in counts against: its username (any case) and client address."""
    return [
        limiter_key("user", username_key(username.strip())),
        limiter_key("addr", address or "-"),
    ]


def share_password_keys(*, share_id: str, address: str | None) -> list[str]:
    """The keys one wrong share password counts against: the share and the client address
    (its own namespace: guessing share passwords never locks anyone out of signing in)."""
    return [limiter_key("share", share_id), limiter_key("share-addr", address or "-")]
