"""Accounts domain: users, passwords, sessions, API tokens, rate limits — on both databases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tonearm.accounts.api_tokens import (
    create_api_token,
    list_api_tokens,
    revoke_api_token,
    token_user,
)
from tonearm.accounts.passwords import WeakPassword, verify_password
from tonearm.accounts.secrets import secret_hash
from tonearm.accounts.sessions import end_session, session_user, start_session
from tonearm.accounts.users import (
    AccountError,
    Role,
    UnknownUser,
    UsernameTaken,
    authenticate,
    create_user,
    get_user,
    set_password,
    update_user,
)
from tonearm.db.engine import create_session_factory
from tonearm.db.models import ApiTokenRecord, UserRecord

PASSWORD = "correct horse battery"


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with create_session_factory(engine)() as session:
        yield session
        await session.commit()


async def test_passwords_are_stored_as_argon2id_hashes(session: AsyncSession) -> None:
    user = await create_user(session, username="Alice", password=PASSWORD, role=Role.ADMIN)

    stored = await session.scalar(select(UserRecord.password_hash).where(UserRecord.id == user.id))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)


async def test_usernames_are_unique_ignoring_case(session: AsyncSession) -> None:
    await create_user(session, username="Alice", password=PASSWORD)

    with pytest.raises(UsernameTaken, match="a user named 'ALICE' already exists"):
        await create_user(session, username="ALICE", password=PASSWORD)


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "semi;colon"])
async def test_odd_usernames_are_refused(session: AsyncSession, name: str) -> None:
    with pytest.raises(AccountError, match="usernames have 1 to 64"):
        await create_user(session, username=name, password=PASSWORD)


async def test_short_passwords_are_refused(session: AsyncSession) -> None:
    with pytest.raises(WeakPassword, match="at least 8 characters"):
        await create_user(session, username="bob", password="short")


async def test_authenticate_accepts_any_case_of_the_name(session: AsyncSession) -> None:
    created = await create_user(session, username="Alice", password=PASSWORD)

    user = await authenticate(session, username="aLICE", password=PASSWORD)

    assert user is not None
    assert user.id == created.id
    assert user.last_login_at is not None


@pytest.mark.parametrize(
    ("name", "password"),
    [("alice", "wrong password"), ("nobody", PASSWORD), ("bad name!", PASSWORD)],
)
async def test_authenticate_refuses_wrong_credentials(
    session: AsyncSession, name: str, password: str
) -> None:
    await create_user(session, username="alice", password=PASSWORD)

    assert await authenticate(session, username=name, password=password) is None


async def test_disabled_users_cannot_log_in_and_lose_their_sessions(
    session: AsyncSession,
) -> None:
    user = await create_user(session, username="alice", password=PASSWORD)
    cookie = await start_session(session, user)

    await update_user(session, user=user, active=False)

    assert await authenticate(session, username="alice", password=PASSWORD) is None
    assert await session_user(session, cookie) is None


async def test_sessions_resolve_until_logout(session: AsyncSession) -> None:
    user = await create_user(session, username="alice", password=PASSWORD)
    cookie = await start_session(session, user)

    resolved = await session_user(session, cookie)
    await end_session(session, cookie)

    assert resolved is not None
    assert resolved.id == user.id
    assert await session_user(session, cookie) is None
    assert await session_user(session, "made-up") is None


async def test_password_change_ends_sessions(session: AsyncSession) -> None:
    user = await create_user(session, username="alice", password=PASSWORD)
    cookie = await start_session(session, user)

    await set_password(session, user=user, password="another fine password")

    assert await session_user(session, cookie) is None
    assert await authenticate(session, username="alice", password="another fine password")


async def test_unknown_user_changes_are_errors(session: AsyncSession) -> None:
    with pytest.raises(UnknownUser, match="no user named 'ghost'"):
        await get_user(session, "ghost")


async def test_api_tokens_are_stored_hashed_and_resolve_to_their_user(
    session: AsyncSession,
) -> None:
    user = await create_user(session, username="alice", password=PASSWORD)

    record, secret = await create_api_token(session, user=user, name="laptop")

    stored = await session.scalar(select(ApiTokenRecord.secret_hash))
    assert secret.startswith("tnrm_")
    assert stored == secret_hash(secret)
    assert secret not in (stored or "")
    resolved = await token_user(session, secret)
    assert resolved is not None
    assert resolved.id == user.id
    assert [t.id for t in await list_api_tokens(session, user.id)] == [record.id]


async def test_revoked_and_malformed_tokens_resolve_to_nobody(session: AsyncSession) -> None:
    user = await create_user(session, username="alice", password=PASSWORD)
    record, secret = await create_api_token(session, user=user, name="laptop")

    assert await revoke_api_token(session, user_id=user.id, token_id=record.id)
    assert not await revoke_api_token(session, user_id=user.id, token_id=record.id)
    assert not await revoke_api_token(session, user_id=user.id, token_id=uuid.uuid4())

    assert await token_user(session, secret) is None
    assert await token_user(session, "tnrm_" + "x" * 43) is None
    assert await token_user(session, "Bearer nonsense") is None
    assert await list_api_tokens(session, user.id) == []


async def test_disabling_a_user_revokes_their_tokens_for_good(session: AsyncSession) -> None:
    user = await create_user(session, username="alice", password=PASSWORD)
    record, secret = await create_api_token(session, user=user, name="laptop")

    await update_user(session, user=user, active=False)
    await update_user(session, user=user, active=True)

    assert await token_user(session, secret) is None  # revoked, not just paused
    revoked_at = await session.scalar(
        select(ApiTokenRecord.revoked_at).where(ApiTokenRecord.id == record.id)
    )
    assert revoked_at is not None


async def test_first_start_creates_a_demo_admin_only_when_asked_and_only_once(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    from tonearm.accounts.bootstrap import ensure_first_admin

    assert await ensure_first_admin(engine, create_demo_admin=False) is None
    assert "tonearm user add NAME --admin" in caplog.text
    password = await ensure_first_admin(engine, create_demo_admin=True)
    again = await ensure_first_admin(engine, create_demo_admin=True)

    assert password is not None
    assert again is None
    assert password not in caplog.text
    async with create_session_factory(engine)() as session:
        admin = await authenticate(session, username="admin", password=password)
    assert admin is not None
    assert admin.role == "admin"
