"""Creating, revoking and opening shares, and counting their visits and plays.

Keyword-only functions over an ``AsyncSession``; the caller commits unless a function says
otherwise. Argon2 work runs in a worker thread. A password longer than
``MAX_PASSWORD_LENGTH`` is refused without being hashed (creating) or checked (opening):
hashing 10 KB on every guess would be a cheap way to spend the server's CPU.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.accounts.passwords import MAX_PASSWORD_LENGTH, hash_share_password, verify_password
from tonearm.accounts.rate_limit import LoginLimiter, share_password_keys
from tonearm.catalog.access import Reader
from tonearm.db.models import PlaylistRecord, ShareRecord, utcnow
from tonearm.playlists.access import playlist_visible
from tonearm.shares.access import (
    SHAREABLE_PLAYLISTS,
    LiveShare,
    ShareKind,
    find_live_share,
    target_visible,
)
from tonearm.shares.keys import new_key
from tonearm.shares.quality import ShareQuality

DEFAULT_LIFETIME = timedelta(days=7)
MAX_DESCRIPTION_LENGTH = 500
MAX_PLAYS_LIMIT = 1_000_000


class ShareInputError(ValueError):
    """A share request the rules refuse; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ShareTargetNotFound(LookupError):
    """The target does not exist or the viewer cannot see it (the same answer)."""


@dataclass(frozen=True, slots=True)
class ShareRequest:
    """What ``createShare`` asks for (the target already parsed from its global ID)."""

    kind: ShareKind
    target_id: uuid.UUID
    expires_at: datetime | None = None
    password: str | None = None
    max_plays: int | None = None
    allow_download: bool = False
    quality: ShareQuality = ShareQuality.ORIGINAL
    description: str | None = None


def checked_expiry(expires_at: datetime | None, *, now: datetime, max_days: int) -> datetime:
    """The share's expiry: 7 days by default (never beyond the maximum), in the future,
    at most ``max_days`` away."""
    latest = now + timedelta(days=max_days)
    if expires_at is None:
        return min(now + DEFAULT_LIFETIME, latest)
    if expires_at.tzinfo is None:
        raise ShareInputError("expiresAt", "expiresAt needs a time zone (e.g. Z).")
    if expires_at <= now:
        raise ShareInputError("expiresAt", "expiresAt must be in the future.")
    if expires_at > latest:
        raise ShareInputError("expiresAt", f"A share may last at most {max_days} days.")
    return expires_at


def check_request(request: ShareRequest) -> None:
    """Refuse a bad password, play limit or description before anything is written."""
    password = request.password
    if password is not None and not password:
        raise ShareInputError("password", "The password is empty: leave it out for none.")
    if password is not None and len(password) > MAX_PASSWORD_LENGTH:
        raise ShareInputError(
            "password", f"A share password has at most {MAX_PASSWORD_LENGTH} characters."
        )
    if request.max_plays is not None and not 1 <= request.max_plays <= MAX_PLAYS_LIMIT:
        raise ShareInputError("maxPlays", f"maxPlays must be between 1 and {MAX_PLAYS_LIMIT}.")
    description = request.description
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        raise ShareInputError(
            "description", f"A description has at most {MAX_DESCRIPTION_LENGTH} characters."
        )


async def create_share(
    session: AsyncSession,
    *,
    reader: Reader,
    request: ShareRequest,
    max_days: int,
    now: datetime | None = None,
) -> ShareRecord:
    """A new share of a target ``reader`` can see, owned by ``reader`` (flushed, not
    committed). Raises ``ShareInputError`` or ``ShareTargetNotFound``."""
    moment = now or utcnow()
    if reader.user_id is None:
        raise ShareInputError("targetId", "Shares belong to an account: sign in to share.")
    check_request(request)
    expires_at = checked_expiry(request.expires_at, now=moment, max_days=max_days)
    if not await session.scalar(select(target_visible(request.kind, request.target_id, reader))):
        if request.kind is ShareKind.PLAYLIST and await _other_playlist(session, request, reader):
            raise ShareInputError("targetId", "Smart playlists cannot be shared.")
        raise ShareTargetNotFound
    password_hash = (
        await asyncio.to_thread(hash_share_password, request.password) if request.password else None
    )
    record = ShareRecord(
        key=new_key(),
        owner_id=reader.user_id,
        kind=request.kind.value,
        target_id=request.target_id,
        description=request.description or None,
        password_hash=password_hash,
        expires_at=expires_at,
        max_plays=request.max_plays,
        allow_download=request.allow_download,
        quality=request.quality.stored,
        created_at=moment,
    )
    session.add(record)
    await session.flush()
    return record


async def _other_playlist(session: AsyncSession, request: ShareRequest, reader: Reader) -> bool:
    """Whether the target is a playlist the reader sees that is not shareable (smart)."""
    kind = await session.scalar(
        select(PlaylistRecord.kind).where(
            PlaylistRecord.id == request.target_id, playlist_visible(reader)
        )
    )
    return kind is not None and kind not in SHAREABLE_PLAYLISTS


def may_manage(reader: Reader) -> ColumnElement[bool]:
    """The shares ``reader`` revokes: their own; admins everyone's."""
    if reader.is_admin:
        return true()
    mine: ColumnElement[bool] = ShareRecord.owner_id == reader.user_id
    return mine


async def revoke_share(
    session: AsyncSession, *, reader: Reader, share_id: uuid.UUID, now: datetime | None = None
) -> ShareRecord | None:
    """Revoke one of ``reader``'s shares (admins: anyone's); idempotent; None when the
    reader has no such share. The caller commits."""
    if reader.user_id is None and not reader.is_admin:
        return None
    record: ShareRecord | None = await session.scalar(
        select(ShareRecord).where(ShareRecord.id == share_id, may_manage(reader))
    )
    if record is None:
        return None
    if record.revoked_at is None:
        record.revoked_at = now or utcnow()
        await session.flush()
    return record


@dataclass(frozen=True, slots=True)
class PasswordNeeded:
    """The share has a password and this request did not unlock it."""

    wrong_password: bool
    retry_after_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Unlocked:
    """The share answers this request; ``by_password``: a password was just checked (the
    caller hands the browser its unlock cookie)."""

    share: LiveShare
    by_password: bool


async def unlock_share(
    session: AsyncSession,
    *,
    key: str,
    password: str | None,
    has_cookie: Callable[[LiveShare], bool],
    limiter: LoginLimiter,
    address: str | None,
) -> Unlocked | PasswordNeeded | None:
    """Open the live share with ``key``: None when there is none (for any reason), else
    whether this request may see it. Wrong passwords count per share and per address in
    the shared limiter (``accounts.rate_limit``); commits the limiter's rows."""
    share = await find_live_share(session, key=key)
    if share is None:
        return None
    if share.password_hash is None or has_cookie(share):
        return Unlocked(share, by_password=False)
    if password is None:
        return PasswordNeeded(wrong_password=False)
    attempt = await limiter.begin(
        session, keys=share_password_keys(share_id=share.id.hex, address=address)
    )
    if not attempt.allowed:
        return PasswordNeeded(wrong_password=True, retry_after_seconds=attempt.retry_after)
    right = len(password) <= MAX_PASSWORD_LENGTH and await asyncio.to_thread(
        verify_password, share.password_hash, password
    )
    if not right:
        return PasswordNeeded(wrong_password=True)
    await limiter.succeeded(session, attempt)
    await session.commit()
    return Unlocked(share, by_password=True)


async def record_visit(session: AsyncSession, share_id: uuid.UUID) -> None:
    """Count one answered visit of the share (the caller commits)."""
    await session.execute(
        update(ShareRecord)
        .where(ShareRecord.id == share_id)
        .values(visit_count=ShareRecord.visit_count + 1, last_visited_at=utcnow())
    )


async def claim_play(session: AsyncSession, share_id: uuid.UUID) -> bool:
    """Count one play if the share has plays left; False when they are used up.

    One conditional UPDATE, so concurrent mints can never exceed ``max_plays`` (the
    caller commits).
    """
    result = await session.execute(
        update(ShareRecord)
        .where(
            ShareRecord.id == share_id,
            or_(ShareRecord.max_plays.is_(None), ShareRecord.play_count < ShareRecord.max_plays),
        )
        .values(play_count=ShareRecord.play_count + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
