"""Browser sessions: a random secret in an httpOnly cookie, its hash in ``user_sessions``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

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


async def end_sessions(
    session: AsyncSession, user_id: uuid.UUID, *, keep_secret: str | None = None
) -> None:
    """Log a user out everywhere, except the browser holding ``keep_secret`` if given."""
    statement = delete(SessionRecord).where(SessionRecord.user_id == user_id)
    if keep_secret is not None:
        statement = statement.where(SessionRecord.secret_hash != secret_hash(keep_secret))
    await session.execute(statement)


@dataclass(frozen=True, slots=True)
class BrowserSession:
    """A user's live session as its owner may see it: never the secret or its hash."""

    id: uuid.UUID
    created_at: datetime
    expires_at: datetime
    current: bool


async def list_sessions(
    session: AsyncSession, *, user_id: uuid.UUID, current_secret: str | None
) -> Sequence[BrowserSession]:
    """The user's sessions that have not expired, newest first; ``current`` marks the one
    whose cookie is ``current_secret``."""
    current_hash = secret_hash(current_secret) if current_secret else None
    records = (
        await session.scalars(
            select(SessionRecord)
            .where(SessionRecord.user_id == user_id, SessionRecord.expires_at > utcnow())
            .order_by(SessionRecord.created_at.desc(), SessionRecord.id)
        )
    ).all()
    return [
        BrowserSession(
            id=record.id,
            created_at=record.created_at,
            expires_at=record.expires_at,
            current=record.secret_hash == current_hash,
        )
        for record in records
    ]


async def end_user_session(
    session: AsyncSession, *, user_id: uuid.UUID, session_id: uuid.UUID
) -> bool:
    """End one of the user's sessions; False when the user has no such session (another
    user's session id is answered exactly like an unknown one)."""
    result = await session.execute(
        delete(SessionRecord).where(
            SessionRecord.id == session_id, SessionRecord.user_id == user_id
        )
    )
    return bool(getattr(result, "rowcount", 0))
