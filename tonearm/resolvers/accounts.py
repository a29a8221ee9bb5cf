"""Resolvers for signing in and out, the viewer, and personal API tokens."""

from __future__ import annotations

import strawberry

from tonearm.accounts import api_tokens, sessions, users
from tonearm.accounts.rate_limit import login_keys
from tonearm.accounts.viewer import AuthMethod, Viewer
from tonearm.db.models import UserRecord
from tonearm.schema.account_types import (
    ApiToken,
    AuthMode,
    CreatedApiToken,
    LoginFailed,
    LoginRateLimited,
    User,
)
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.ids import API_TOKEN_TYPE_NAME, id_argument
from tonearm.web.credentials import clear_session_cookie, session_cookie, set_session_cookie

Info = strawberry.Info[Context, None]
LOGIN_FAILED = "Wrong username or password."


def resolve_viewer(info: Info) -> User | None:
    """The signed-in user, or null."""
    viewer = info.context.viewer
    return User.from_viewer(viewer) if viewer else None


def resolve_auth_mode(info: Info) -> AuthMode:
    """Whether this server requires signing in."""
    return AuthMode(info.context.services.settings.auth)


def client_address(info: Info) -> str | None:
    """The address of the connection's peer, as the ASGI server reports it."""
    client = info.context.http_request.client
    return client.host if client else None


def rate_limited(retry_after: int) -> LoginRateLimited:
    """The answer to a sign-in (or password check) while its keys are used up."""
    return LoginRateLimited(
        message=f"Too many sign-in attempts. Try again in {retry_after} seconds.",
        retry_after_seconds=retry_after,
    )


async def resolve_login(
    info: Info, username: str, password: str
) -> User | LoginFailed | LoginRateLimited:
    """Check the credentials and start a browser session (an httpOnly cookie).

    Failures count per username and per client address, in the database (all workers).
    A wrong name costs what a wrong password costs: the limiter's queries and one argon2
    verification either way.
    """
    context = info.context
    request = context.http_request
    limiter = context.services.login_limiter
    keys = login_keys(username=username, address=client_address(info))
    async with context.db() as session:
        attempt = await limiter.begin(session, keys=keys)
        if not attempt.allowed:
            return rate_limited(attempt.retry_after)
        user = await users.authenticate(session, username=username, password=password)
        if user is None:
            await session.rollback()  # the failure itself is already counted
            return LoginFailed(message=LOGIN_FAILED)
        await limiter.succeeded(session, attempt)
        previous = session_cookie(request)
        if previous:  # never keep a session id chosen before the login
            await sessions.end_session(session, previous)
        secret = await sessions.start_session(session, user)
        viewer = Viewer.of(user, AuthMethod.SESSION)
        await session.commit()
    assert context.response is not None
    set_session_cookie(context.response, request, secret)
    return User.from_viewer(viewer)


async def resolve_logout(info: Info) -> bool:
    """End this browser's session and clear its cookie."""
    context = info.context
    request = context.http_request
    secret = session_cookie(request)
    if secret:
        async with context.db() as session:
            await sessions.end_session(session, secret)
            await session.commit()
    assert context.response is not None
    clear_session_cookie(context.response, request)
    return secret is not None


def account_viewer(info: Info, what: str = "API tokens") -> Viewer:
    """The viewer, who must be an account (not the local admin of TONEARM_AUTH=none)."""
    viewer = info.context.viewer
    if viewer is None or viewer.user_id is None:
        raise api_error(ErrorCode.BAD_USER_INPUT, f"{what} need accounts (TONEARM_AUTH).")
    return viewer


async def resolve_api_tokens(info: Info) -> list[ApiToken]:
    """The viewer's live API tokens, newest first."""
    viewer = info.context.viewer
    if viewer is None or viewer.user_id is None:
        return []
    async with info.context.db() as session:
        records = await api_tokens.list_api_tokens(session, viewer.user_id)
    return [ApiToken.from_record(record) for record in records]


async def resolve_create_api_token(info: Info, name: str) -> CreatedApiToken:
    """A new token for the viewer; its secret is in this response and nowhere else."""
    viewer = account_viewer(info)
    async with info.context.db() as session:
        user = await session.get(UserRecord, viewer.user_id)
        if user is None:
            raise api_error(ErrorCode.UNAUTHENTICATED, "Sign in first.")
        try:
            record, secret = await api_tokens.create_api_token(session, user=user, name=name)
        except ValueError as exc:
            raise api_error(ErrorCode.BAD_USER_INPUT, str(exc)) from None
        await session.commit()
    return CreatedApiToken(token=secret, api_token=ApiToken.from_record(record))


async def resolve_revoke_api_token(info: Info, id: strawberry.ID) -> bool:
    """Revoke one of the viewer's tokens; false when there is no such live token."""
    viewer = account_viewer(info)
    assert viewer.user_id is not None
    token_id = id_argument(id, API_TOKEN_TYPE_NAME, "API token")
    async with info.context.db() as session:
        revoked = await api_tokens.revoke_api_token(
            session, user_id=viewer.user_id, token_id=token_id
        )
        await session.commit()
    return revoked
