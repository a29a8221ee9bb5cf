"""Managing accounts in the domain: one-time passwords, roles, disabling, own sessions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tonearm.accounts.api_tokens import create_api_token, token_user
from tonearm.accounts.passwords import WeakPassword, verify_password
from tonearm.accounts.sessions import (
    end_user_session,
    list_sessions,
    session_user,
    start_session,
)
from tonearm.accounts.users import (
    AccountError,
    InvalidUsername,
    LastActiveAdmin,
    Role,
    UnknownUser,
    WrongPassword,
    authenticate,
    change_password,
    create_user,
    create_user_with_one_time_password,
    get_user_by_id,
    reset_password,
    update_user,
)
from tonearm.db.engine import create_session_factory
from tonearm.db.models import UserRecord

PASSWORD = "correct horse battery"


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with create_session_factory(engine)() as session:
        yield session
        await session.commit()


async def test_a_new_user_gets_a_one_time_password_stored_only_as_a_hash(
    session: AsyncSession,
) -> None:
    user, password = await create_user_with_one_time_password(
        session, username="Carol", role=Role.ADMIN
    )

    stored = await session.scalar(select(UserRecord.password_hash).where(UserRecord.id == user.id))
    assert len(password) == 16
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert password not in stored
    assert verify_password(stored, password)
    assert user.must_change_password is True
    assert user.role == "admin"
    assert await authenticate(session, username="carol", password=password) is not None


async def test_one_time_passwords_differ(session: AsyncSession) -> None:
    _, first = await create_user_with_one_time_password(session, username="a")
    _, second = await create_user_with_one_time_password(session, username="b")

    assert first != second


async def test_invalid_usernames_are_their_own_account_error(session: AsyncSession) -> None:
    with pytest.raises(InvalidUsername, match="usernames have 1 to 64") as raised:
        await create_user_with_one_time_password(session, username="no spaces")

    assert isinstance(raised.value, AccountError)


async def test_changing_the_password_needs_the_current_one(session: AsyncSession) -> None:
    user, password = await create_user_with_one_time_password(session, username="carol")

    with pytest.raises(WrongPassword, match="the current password is not right"):
        await change_password(
            session, user=user, current_password="guess-guess", new_password="mine-and-only-mine"
        )
    with pytest.raises(WeakPassword, match="must differ from the current one"):
        await change_password(session, user=user, current_password=password, new_password=password)
    with pytest.raises(WeakPassword, match="at least 8"):
        await change_password(session, user=user, current_password=password, new_password="short")

    assert user.must_change_password is True


async def test_a_changed_password_clears_the_flag_and_ends_the_other_sessions(
    session: AsyncSession,
) -> None:
    user, password = await create_user_with_one_time_password(session, username="carol")
    here = await start_session(session, user)
    elsewhere = await start_session(session, user)
    _, token = await create_api_token(session, user=user, name="script")

    await change_password(
        session,
        user=user,
        current_password=password,
        new_password="mine-and-only-mine",
        keep_session=here,
    )

    assert user.must_change_password is False
    assert await session_user(session, here) is not None
    assert await session_user(session, elsewhere) is None
    assert await token_user(session, token) is not None
    assert await authenticate(session, username="carol", password=password) is None
    assert await authenticate(session, username="carol", password="mine-and-only-mine")


async def test_a_reset_ends_sessions_and_tokens_and_flags_the_account(
    session: AsyncSession,
) -> None:
    user = await create_user(session, username="dave", password=PASSWORD)
    cookie = await start_session(session, user)
    _, token = await create_api_token(session, user=user, name="script")

    password = await reset_password(session, user=user)

    assert user.must_change_password is True
    assert await session_user(session, cookie) is None
    assert await token_user(session, token) is None
    assert await authenticate(session, username="dave", password=PASSWORD) is None
    assert await authenticate(session, username="dave", password=password) is not None


@pytest.mark.parametrize("change", [{"active": False}, {"role": Role.LISTENER}])
async def test_the_last_active_admin_cannot_be_disabled_or_demoted(
    session: AsyncSession, change: dict[str, object]
) -> None:
    admin = await create_user(session, username="root", password=PASSWORD, role=Role.ADMIN)
    await create_user(session, username="listener", password=PASSWORD)
    other = await create_user(session, username="former", password=PASSWORD, role=Role.ADMIN)
    await update_user(session, user=other, active=False)  # a disabled admin does not count
    await session.commit()
    admin_id = admin.id

    with pytest.raises(LastActiveAdmin, match="'root' is the only active admin"):
        await update_user(session, user=admin, **change)  # type: ignore[arg-type]

    reloaded = await get_user_by_id(session, admin_id)
    assert (reloaded.role, reloaded.is_active) == ("admin", True)


async def test_with_another_active_admin_one_may_step_down(session: AsyncSession) -> None:
    first = await create_user(session, username="root", password=PASSWORD, role=Role.ADMIN)
    await create_user(session, username="second", password=PASSWORD, role=Role.ADMIN)

    await update_user(session, user=first, role=Role.LISTENER)

    assert first.role == "listener"


async def test_disabling_ends_sessions_and_tokens_and_enabling_does_not_revive_them(
    session: AsyncSession,
) -> None:
    user = await create_user(session, username="eve", password=PASSWORD)
    cookie = await start_session(session, user)
    _, token = await create_api_token(session, user=user, name="script")

    await update_user(session, user=user, active=False)
    await update_user(session, user=user, active=True)

    assert await session_user(session, cookie) is None
    assert await token_user(session, token) is None
    assert await authenticate(session, username="eve", password=PASSWORD) is not None


async def test_unknown_ids_are_unknown_users(session: AsyncSession) -> None:
    with pytest.raises(UnknownUser):
        await get_user_by_id(session, uuid.uuid4())


async def test_sessions_are_listed_for_their_owner_with_the_current_one_marked(
    session: AsyncSession,
) -> None:
    alice = await create_user(session, username="alice", password=PASSWORD)
    bob = await create_user(session, username="bob", password=PASSWORD)
    older = await start_session(session, alice)
    newer = await start_session(session, alice)
    await start_session(session, bob)

    listed = await list_sessions(session, user_id=alice.id, current_secret=older)

    assert len(listed) == 2
    assert [item.current for item in listed].count(True) == 1
    current = next(item for item in listed if item.current)
    assert await end_user_session(session, user_id=alice.id, session_id=current.id)
    assert await session_user(session, older) is None
    assert await session_user(session, newer) is not None


async def test_another_users_session_cannot_be_ended(session: AsyncSession) -> None:
    alice = await create_user(session, username="alice", password=PASSWORD)
    bob = await create_user(session, username="bob", password=PASSWORD)
    cookie = await start_session(session, bob)
    (bobs,) = await list_sessions(session, user_id=bob.id, current_secret=None)

    assert not await end_user_session(session, user_id=alice.id, session_id=bobs.id)
    assert not await end_user_session(session, user_id=alice.id, session_id=uuid.uuid4())
    assert await session_user(session, cookie) is not None
