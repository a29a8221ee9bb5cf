"""Users: creating, authenticating, changing and listing accounts."""

from __future__ import annotations

import asyncio
import enum
import re
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.accounts.passwords import hash_password, needs_rehash, verify_password
from tonearm.db.models import SessionRecord, UserRecord, utcnow

_USERNAME = re.compile(r"^[\w.@+-]{1,64}$")


class Role(enum.StrEnum):
    """What a user may do: admins also scan the library and manage users."""

    ADMIN = "admin"
    LISTENER = "listener"


class AccountError(Exception):
    """A user-management request that cannot be carried out; the message says why."""


class UsernameTaken(AccountError):
    """Another account already has this name (names are case-insensitive)."""


class UnknownUser(AccountError):
    """No account has this name."""


def username_key(username: str) -> str:
    """The case-insensitive form under which a username is unique."""
    return username.casefold()


def check_username(username: str) -> str:
    """The username trimmed, or ``AccountError`` when it has characters we do not allow."""
    name = username.strip()
    if not _USERNAME.fullmatch(name):
        raise AccountError("usernames have 1 to 64 letters, digits or the characters . _ @ + -")
    return name


async def create_user(
    session: AsyncSession, *, username: str, password: str, role: Role = Role.LISTENER
) -> UserRecord:
    """Add an account; raises ``UsernameTaken``, ``AccountError`` or ``WeakPassword``."""
    name = check_username(username)
    user = UserRecord(
        username=name,
        username_key=username_key(name),
        password_hash=hash_password(password),
        role=role.value,
        is_active=True,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise UsernameTaken(f"a user named {name!r} already exists") from None
    return user


async def find_user(session: AsyncSession, username: str) -> UserRecord | None:
    """The account with this name (any case), or None."""
    return await session.scalar(
        select(UserRecord).where(UserRecord.username_key == username_key(username.strip()))
    )


async def get_user(session: AsyncSession, username: str) -> UserRecord:
    """The account with this name, or ``UnknownUser``."""
    user = await find_user(session, username)
    if user is None:
        raise UnknownUser(f"no user named {username!r}")
    return user


async def authenticate(session: AsyncSession, *, username: str, password: str) -> UserRecord | None:
    """The active user with these credentials, or None; a miss costs what a hit costs.

    Hashing runs in a worker thread: argon2 takes tens of milliseconds of CPU on purpose.
    """
    user = await find_user(session, username) if _USERNAME.fullmatch(username.strip()) else None
    stored = user.password_hash if user else None
    valid = await asyncio.to_thread(verify_password, stored, password)
    if user is None or not valid or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    user.last_login_at = utcnow()
    return user


async def set_password(session: AsyncSession, *, username: str, password: str) -> UserRecord:
    """Change a password and end the user's browser sessions."""
    user = await get_user(session, username)
    user.password_hash = hash_password(password)
    await end_sessions(session, user.id)
    return user


async def set_active(session: AsyncSession, *, username: str, active: bool) -> UserRecord:
    """Enable or disable an account; disabling ends its sessions at once."""
    user = await get_user(session, username)
    user.is_active = active
    if not active:
        await end_sessions(session, user.id)
    return user


async def end_sessions(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Log a user out everywhere."""
    await session.execute(delete(SessionRecord).where(SessionRecord.user_id == user_id))


async def list_users(session: AsyncSession) -> Sequence[UserRecord]:
    """Every account, by name."""
    return (await session.scalars(select(UserRecord).order_by(UserRecord.username_key))).all()


async def count_users(session: AsyncSession) -> int:
    """How many accounts exist."""
    return int(await session.scalar(select(func.count()).select_from(UserRecord)) or 0)


async def active_user(session: AsyncSession, user_id: uuid.UUID) -> UserRecord | None:
    """The user with this id if the account exists and is enabled."""
    user = await session.get(UserRecord, user_id)
    return user if user is not None and user.is_active else None
