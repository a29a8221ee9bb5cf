"""Browser sessions: a random secret in an httpOnly cookie, its hash in ``user_sessions``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.accounts.secrets import new_secret, secret_hash
from tonearm.db.models import SessionRecord, UserRecord, utcnow

SESSION_COOKIE = "tonearm_session"
SESSION_LIFETIME = timedelta(days=30)


async def start_session(session: AsyncSession, user: UserRecord) -> str:
    """Create a session for ``user``; returns the cookie value (shown to nobody else)."""
    secret = new_secret()
    session.add(
        SessionRecord(
            user_id=user.id, secret_hash=secret_hash(secret), expires_at=utcnow() + SESSION_LIFETIME
        )
    )
    await session.flush()
    return secret


async def session_user(session: AsyncSession, secret: str) -> UserRecord | None:
    """The active user a cookie belongs to, or None when it is unknown or expired."""
    return await session.scalar(
        select(UserRecord)
        .join(SessionRecord, SessionRecord.user_id == UserRecord.id)
        .where(
            SessionRecord.secret_hash == secret_hash(secret),
            SessionRecord.expires_at > utcnow(),
            UserRecord.is_active.is_(True),
        )
    )


async def end_session(session: AsyncSession, secret: str) -> None:
    """Forget one session (logout)."""
    await session.execute(
        delete(SessionRecord).where(SessionRecord.secret_hash == secret_hash(secret))
    )
