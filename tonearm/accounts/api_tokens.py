"""Personal API tokens for scripts and GraphQL clients (``Authorization: Bearer …``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.accounts.secrets import API_TOKEN_PREFIX, new_secret, secret_hash
from tonearm.db.models import ApiTokenRecord, UserRecord, utcnow

MAX_NAME_LENGTH = 100
LAST_USED_RESOLUTION = timedelta(minutes=1)


async def create_api_token(
    session: AsyncSession, *, user: UserRecord, name: str
) -> tuple[ApiTokenRecord, str]:
    """A new token for ``user``; returns the record and the secret, which is never stored."""
    label = name.strip()
    if not label or len(label) > MAX_NAME_LENGTH:
        raise ValueError(f"token names have 1 to {MAX_NAME_LENGTH} characters")
    secret = new_secret(API_TOKEN_PREFIX)
    record = ApiTokenRecord(user_id=user.id, name=label, secret_hash=secret_hash(secret))
    session.add(record)
    await session.flush()
    return record, secret


async def list_api_tokens(session: AsyncSession, user_id: uuid.UUID) -> Sequence[ApiTokenRecord]:
    """The user's tokens that are not revoked, newest first."""
    return (
        await session.scalars(
            select(ApiTokenRecord)
            .where(ApiTokenRecord.user_id == user_id, ApiTokenRecord.revoked_at.is_(None))
            .order_by(ApiTokenRecord.created_at.desc())
        )
    ).all()


async def revoke_api_token(
    session: AsyncSession, *, user_id: uuid.UUID, token_id: uuid.UUID
) -> bool:
    """Revoke one of the user's tokens; False when the user has no such live token."""
    result = await session.execute(
        update(ApiTokenRecord)
        .where(
            ApiTokenRecord.id == token_id,
            ApiTokenRecord.user_id == user_id,
            ApiTokenRecord.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


async def revoke_api_tokens(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """Revoke every live token of the user (disabled account, password reset)."""
    await session.execute(
        update(ApiTokenRecord)
        .where(ApiTokenRecord.user_id == user_id, ApiTokenRecord.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def token_user(session: AsyncSession, secret: str) -> UserRecord | None:
    """The active user a bearer token belongs to, or None (unknown, revoked, disabled)."""
    if not secret.startswith(API_TOKEN_PREFIX):
        return None
    row = (
        await session.execute(
            select(UserRecord, ApiTokenRecord.id, ApiTokenRecord.last_used_at)
            .join(ApiTokenRecord, ApiTokenRecord.user_id == UserRecord.id)
            .where(
                ApiTokenRecord.secret_hash == secret_hash(secret),
                ApiTokenRecord.revoked_at.is_(None),
                UserRecord.is_active.is_(True),
            )
        )
    ).first()
    if row is None:
        return None
    user, token_id, last_used_at = row
    now = utcnow()
    # One write a minute at most, not one per request.
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        await session.execute(
            update(ApiTokenRecord).where(ApiTokenRecord.id == token_id).values(last_used_at=now)
        )
    return user
