"""Resolvers for managing accounts (admins) and for a user's own password and sessions.

Every rule lives in ``tonearm.accounts.users``/``sessions`` (the ``tonearm user`` commands
call the same functions); these turn arguments into calls and domain errors into members of
the result unions.
"""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types.unset import UnsetType

from tonearm.accounts import sessions, users
from tonearm.accounts.announce import announce_access_lost
from tonearm.accounts.passwords import WeakPassword, check_password_rules
from tonearm.accounts.rate_limit import login_keys
from tonearm.accounts.viewer import AuthMethod, Viewer
from tonearm.resolvers.accounts import account_viewer, client_address, rate_limited
from tonearm.schema.account_types import LoginRateLimited, User
from tonearm.schema.context import Context
from tonearm.schema.ids import SESSION_TYPE_NAME, USER_TYPE_NAME, id_argument
from tonearm.schema.users import (
    BrowserSession,
    CreatedUser,
    CreateUserInput,
    InvalidUsernameError,
    LastActiveAdminError,
    PasswordRejectedError,
    PasswordReset,
    UpdateUserInput,
    UsernameTakenError,
    UserNotFoundError,
    WrongPasswordError,
)
from tonearm.web.credentials import session_cookie

Info = strawberry.Info[Context, None]
USER_NOT_FOUND = "No user has this ID."


def sentence(message: str) -> str:
    """A domain message ("a user named 'x' already exists") as a sentence for people."""
    text = message[:1].upper() + message[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _user_id(id: strawberry.ID) -> uuid.UUID:
    return id_argument(id, USER_TYPE_NAME, "user")


def _own_cookie(info: Info, viewer: Viewer) -> str | None:
    """The session cookie of this request, when the viewer signed in with it."""
    if viewer.method is not AuthMethod.SESSION:
        return None
    return session_cookie(info.context.http_request)


async def resolve_users(info: Info) -> list[User]:
    """Every account, by name (admins only)."""
    async with info.context.db() as session:
        records = await users.list_users(session)
    return [User.from_record(record) for record in records]


async def resolve_create_user(
    info: Info, input: CreateUserInput
) -> CreatedUser | UsernameTakenError | InvalidUsernameError:
    """A new account with a one-time password (admins only)."""
    async with info.context.db() as session:
        try:
            record, password = await users.create_user_with_one_time_password(
                session, username=input.username, role=input.role
            )
        except users.UsernameTaken as exc:
            return UsernameTakenError(message=sentence(str(exc)), username=input.username)
        except users.InvalidUsername as exc:
            return InvalidUsernameError(message=sentence(str(exc)))
        await session.commit()
    return CreatedUser(user=User.from_record(record), one_time_password=password)


async def resolve_update_user(
    info: Info, id: strawberry.ID, input: UpdateUserInput
) -> User | UserNotFoundError | LastActiveAdminError:
    """Change a user's role, upload permission, or disable/enable them (admins only)."""
    user_id = _user_id(id)
    role = None if isinstance(input.role, UnsetType) else input.role
    disabled = None if isinstance(input.disabled, UnsetType) else input.disabled
    can_upload = None if isinstance(input.can_upload, UnsetType) else input.can_upload
    async with info.context.db() as session:
        try:
            record = await users.get_user_by_id(session, user_id)
            await users.update_user(
                session,
                user=record,
                role=role,
                active=None if disabled is None else not disabled,
                can_upload=can_upload,
            )
        except users.UnknownUser:
            return UserNotFoundError(message=USER_NOT_FOUND, user_id=id)
        except users.LastActiveAdmin as exc:
            return LastActiveAdminError(message=sentence(str(exc)))
        await session.commit()
    if disabled:
        await announce_access_lost(info.context.services.bus, record.id)
    return User.from_record(record)


async def resolve_reset_user_password(
    info: Info, id: strawberry.ID
) -> PasswordReset | UserNotFoundError:
    """A new one-time password; the user's sessions and API tokens end (admins only)."""
    user_id = _user_id(id)
    async with info.context.db() as session:
        try:
            record = await users.get_user_by_id(session, user_id)
        except users.UnknownUser:
            return UserNotFoundError(message=USER_NOT_FOUND, user_id=id)
        password = await users.reset_password(session, user=record)
        await session.commit()
    await announce_access_lost(info.context.services.bus, record.id)
    return PasswordReset(user=User.from_record(record), one_time_password=password)


async def resolve_change_password(
    info: Info, current_password: str, new_password: str
) -> User | WrongPasswordError | PasswordRejectedError | LoginRateLimited:
    """The viewer's own new password; their other browser sessions end.

    Wrong current passwords count toward the sign-in limit of the viewer's name and
    address, so a stolen session cannot be used to guess the password.
    """
    viewer = account_viewer(info, "Passwords")
    assert viewer.user_id is not None
    try:
        check_password_rules(new_password)
    except WeakPassword as exc:
        return PasswordRejectedError(message=sentence(str(exc)))
    context = info.context
    limiter = context.services.login_limiter
    keys = login_keys(username=viewer.username, address=client_address(info))
    async with context.db() as session:
        attempt = await limiter.begin(session, keys=keys)
        if not attempt.allowed:
            return rate_limited(attempt.retry_after)
        record = await users.get_user_by_id(session, viewer.user_id)
        try:
            await users.change_password(
                session,
                user=record,
                current_password=current_password,
                new_password=new_password,
                keep_session=_own_cookie(info, viewer),
            )
        except users.WrongPassword as exc:
            await session.rollback()  # the failure stays counted
            return WrongPasswordError(message=sentence(str(exc)))
        except WeakPassword as exc:
            await limiter.succeeded(session, attempt)
            await session.commit()
            return PasswordRejectedError(message=sentence(str(exc)))
        await limiter.succeeded(session, attempt)
        await session.commit()
    return User.from_record(record)


async def resolve_sessions(info: Info) -> list[BrowserSession]:
    """The viewer's browser sessions, newest first; ``current`` marks this browser's."""
    viewer = info.context.viewer
    if viewer is None or viewer.user_id is None:
        return []
    async with info.context.db() as session:
        found = await sessions.list_sessions(
            session, user_id=viewer.user_id, current_secret=_own_cookie(info, viewer)
        )
    return [BrowserSession.from_info(item) for item in found]


async def resolve_end_session(info: Info, id: strawberry.ID) -> bool:
    """End one of the viewer's sessions; false when they have no such session."""
    viewer = account_viewer(info, "Sessions")
    assert viewer.user_id is not None
    session_id = id_argument(id, SESSION_TYPE_NAME, "session")
    async with info.context.db() as session:
        ended = await sessions.end_user_session(
            session, user_id=viewer.user_id, session_id=session_id
        )
        await session.commit()
    return ended
