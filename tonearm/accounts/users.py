"""Users: creating, authenticating, changing and listing accounts.

These functions are the one implementation behind both the ``tonearm user …`` commands and
the GraphQL user management: each rule (valid names, unique names, keeping an active admin,
what a reset or a disabled account ends) lives here once. Argon2 hashing and verifying run
in a worker thread: they take tens of milliseconds of CPU on purpose.
"""

from __future__ import annotations

import asyncio
import enum
import re
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.accounts.api_tokens import revoke_api_tokens
from tonearm.accounts.passwords import (
    WeakPassword,
    hash_password,
    needs_rehash,
    new_one_time_password,
    verify_password,
)
from tonearm.accounts.sessions import end_sessions
from tonearm.db.models import UserRecord, utcnow

_USERNAME = re.compile(r"^[\w.@+-]{1,64}$")


class Role(enum.StrEnum):
    """What a user may do: admins also scan the library and manage users."""

    ADMIN = "admin"
    LISTENER = "listener"


class AccountError(Exception):
    """A user-management request that cannot be carried out; the message says why."""


class InvalidUsername(AccountError):
    """The name has characters (or a length) that usernames may not have."""


class UsernameTaken(AccountError):
    """Another account already has this name (names are case-insensitive)."""


class UnknownUser(AccountError):
    """No account has this name or id."""


class LastActiveAdmin(AccountError):
    """The change would leave no enabled administrator."""


class WrongPassword(AccountError):
    """The current password given to confirm a change is not the account's password."""


def username_key(username: str) -> str:
    """The case-insensitive form under which a username is unique."""
    return username.casefold()


def check_username(username: str) -> str:
    """The username trimmed, or ``InvalidUsername`` when it has characters we do not allow."""
    name = username.strip()
    if not _USERNAME.fullmatch(name):
        raise InvalidUsername("usernames have 1 to 64 letters, digits or the characters . _ @ + -")
    return name


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: Role = Role.LISTENER,
    must_change_password: bool = False,
    can_upload: bool = False,
) -> UserRecord:
    """Add an account; raises ``UsernameTaken``, ``InvalidUsername`` or ``WeakPassword``."""
    name = check_username(username)
    if await find_user(session, name) is not None:
        raise UsernameTaken(f"a user named {name!r} already exists")
    user = UserRecord(
        username=name,
        username_key=username_key(name),
        password_hash=await asyncio.to_thread(hash_password, password),
        role=role.value,
        is_active=True,
        must_change_password=must_change_password,
        can_upload=can_upload,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:  # created by someone else since the check above
        await session.rollback()
        raise UsernameTaken(f"a user named {name!r} already exists") from None
    return user


async def create_user_with_one_time_password(
    session: AsyncSession, *, username: str, role: Role = Role.LISTENER
) -> tuple[UserRecord, str]:
    """Add an account with a random password that must be changed at the first sign-in.

    Returns the user and the password, which is stored only as its hash: show it once.
    """
    password = new_one_time_password()
    user = await create_user(
        session, username=username, password=password, role=role, must_change_password=True
    )
    return user, password


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


async def get_user_by_id(session: AsyncSession, user_id: uuid.UUID) -> UserRecord:
    """The account with this id, or ``UnknownUser``."""
    user = await session.get(UserRecord, user_id)
    if user is None:
        raise UnknownUser("no user has this id")
    return user


async def authenticate(session: AsyncSession, *, username: str, password: str) -> UserRecord | None:
    """The active user with these credentials, or None; a miss costs what a hit costs."""
    user = await find_user(session, username) if _USERNAME.fullmatch(username.strip()) else None
    stored = user.password_hash if user else None
    valid = await asyncio.to_thread(verify_password, stored, password)
    if user is None or not valid or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    user.last_login_at = utcnow()
    return user


async def set_password(
    session: AsyncSession, *, user: UserRecord, password: str, keep_session: str | None = None
) -> UserRecord:
    """Give the user a password of their own and end their browser sessions (all of them,
    or all but the one whose cookie is ``keep_session``). Clears ``must_change_password``."""
    user.password_hash = await asyncio.to_thread(hash_password, password)
    user.must_change_password = False
    await end_sessions(session, user.id, keep_secret=keep_session)
    return user


async def change_password(
    session: AsyncSession,
    *,
    user: UserRecord,
    current_password: str,
    new_password: str,
    keep_session: str | None = None,
) -> UserRecord:
    """The user replaces their own password, proving they know the current one.

    Raises ``WrongPassword``, or ``WeakPassword`` for a new password that breaks the rules
    or is the current one again (which would keep a one-time password in use).
    """
    if not await asyncio.to_thread(verify_password, user.password_hash, current_password):
        raise WrongPassword("the current password is not right")
    if new_password == current_password:
        raise WeakPassword("the new password must differ from the current one")
    return await set_password(session, user=user, password=new_password, keep_session=keep_session)


async def reset_password(session: AsyncSession, *, user: UserRecord) -> str:
    """Replace the password with a one-time password and end every session and API token.

    Returns the password (stored only as its hash) for the admin to hand over once.
    """
    password = new_one_time_password()
    user.password_hash = await asyncio.to_thread(hash_password, password)
    user.must_change_password = True
    await end_sessions(session, user.id)
    await revoke_api_tokens(session, user_id=user.id)
    return password


async def update_user(
    session: AsyncSession,
    *,
    user: UserRecord,
    role: Role | None = None,
    active: bool | None = None,
    can_upload: bool | None = None,
) -> UserRecord:
    """Change the given attributes (None: leave as is).

    Disabling ends the user's sessions and API tokens (their stream URLs stop at the next
    check of the stream route). Raises ``LastActiveAdmin`` rather than leave the server
    without an enabled admin; the session is then rolled back.
    """
    removes_an_admin = _is_active_admin(user) and (role is Role.LISTENER or active is False)
    if removes_an_admin:
        # PostgreSQL: concurrent changes to admins wait for each other here.
        await _active_admin_ids(session, lock=True)
    if role is not None:
        user.role = role.value
    if active is not None:
        user.is_active = active
    if can_upload is not None:
        user.can_upload = can_upload
    if active is False:
        await end_sessions(session, user.id)
        await revoke_api_tokens(session, user_id=user.id)
    await session.flush()
    # Counted after the write: on SQLite that write holds the database's only write lock.
    if removes_an_admin and not await _active_admin_ids(session, lock=False):
        name = user.username
        await session.rollback()
        raise LastActiveAdmin(
            f"{name!r} is the only active admin; make another user an admin first"
        )
    return user


def may_upload(user: UserRecord) -> bool:
    """Whether ``user`` may upload music: enabled, and an admin or granted the permission."""
    return user.is_active and (user.role == Role.ADMIN.value or user.can_upload)


def _is_active_admin(user: UserRecord) -> bool:
    return user.is_active and user.role == Role.ADMIN.value


async def _active_admin_ids(session: AsyncSession, *, lock: bool) -> set[uuid.UUID]:
    statement = select(UserRecord.id).where(
        UserRecord.role == Role.ADMIN.value, UserRecord.is_active.is_(True)
    )
    if lock:
        statement = statement.with_for_update()
    return set((await session.scalars(statement)).all())


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
