"""The failed sign-in limiter: counted in the database, shared by every session and worker."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tonearm.accounts.rate_limit import LoginLimiter, login_keys
from tonearm.db.engine import create_session_factory
from tonearm.db.models import LoginFailureRecord

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A settable clock for the limiter."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(clock: Clock) -> LoginLimiter:
    return LoginLimiter(limit=3, window=timedelta(seconds=60), clock=clock)


async def fail(engine: AsyncEngine, limiter: LoginLimiter, keys: list[str]) -> int:
    """One attempt that turns out wrong; returns its retry-after (0: it was checked)."""
    async with create_session_factory(engine)() as session:
        attempt = await limiter.begin(session, keys=keys)
        await session.rollback()
        return attempt.retry_after


async def succeed(engine: AsyncEngine, limiter: LoginLimiter, keys: list[str]) -> int:
    async with create_session_factory(engine)() as session:
        attempt = await limiter.begin(session, keys=keys)
        if attempt.allowed:
            await limiter.succeeded(session, attempt)
            await session.commit()
        return attempt.retry_after


async def stored_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            await connection.scalar(select(func.count()).select_from(LoginFailureRecord)) or 0
        )


async def test_a_key_is_refused_after_the_limit_until_the_window_passes(
    engine: AsyncEngine, limiter: LoginLimiter, clock: Clock
) -> None:
    keys = login_keys(username="alice", address="10.0.0.1")
    waits = []
    for _ in range(3):
        waits.append(await fail(engine, limiter, keys))
        clock.advance(1)

    assert waits == [0, 0, 0]
    assert await fail(engine, limiter, keys) == 57  # the first failure leaves at 60 s
    assert await fail(engine, limiter, login_keys(username="bob", address="10.0.0.2")) == 0
    clock.advance(57)
    assert await fail(engine, limiter, keys) == 0


async def test_refused_attempts_do_not_extend_the_wait(
    engine: AsyncEngine, limiter: LoginLimiter, clock: Clock
) -> None:
    keys = login_keys(username="alice", address="10.0.0.1")
    for _ in range(3):
        await fail(engine, limiter, keys)
    for _ in range(5):
        clock.advance(10)
        await fail(engine, limiter, keys)

    clock.advance(10.5)  # 60.5 s after the first three

    assert await fail(engine, limiter, keys) == 0


async def test_successes_are_not_counted(engine: AsyncEngine, limiter: LoginLimiter) -> None:
    keys = login_keys(username="alice", address="10.0.0.1")
    for _ in range(10):
        assert await succeed(engine, limiter, keys) == 0

    assert await stored_rows(engine) == 0


async def test_the_address_counts_separately_from_the_name(
    engine: AsyncEngine, limiter: LoginLimiter
) -> None:
    for name in ("a", "b", "c"):
        await fail(engine, limiter, login_keys(username=name, address="10.0.0.1"))

    assert await fail(engine, limiter, login_keys(username="d", address="10.0.0.1")) > 0
    assert await fail(engine, limiter, login_keys(username="d", address="10.0.0.2")) == 0


async def test_names_count_in_any_case(engine: AsyncEngine, limiter: LoginLimiter) -> None:
    for name in ("Alice", "ALICE", " alice "):
        await fail(engine, limiter, login_keys(username=name, address=f"10.0.0.{len(name)}"))

    assert await fail(engine, limiter, login_keys(username="aLiCe", address="10.9.9.9")) > 0


async def test_keys_are_stored_hashed_and_old_rows_are_pruned(
    engine: AsyncEngine, limiter: LoginLimiter, clock: Clock
) -> None:
    await fail(engine, limiter, login_keys(username="hunter2-typed-as-name", address="10.0.0.1"))
    async with engine.connect() as connection:
        stored = set((await connection.scalars(select(LoginFailureRecord.key_hash))).all())
    assert stored == {
        hashlib.sha256(b"user:hunter2-typed-as-name").hexdigest(),
        hashlib.sha256(b"addr:10.0.0.1").hexdigest(),
    }

    clock.advance(61)
    await fail(engine, limiter, login_keys(username="bob", address="10.0.0.2"))

    assert await stored_rows(engine) == 2  # only bob's


async def test_concurrent_attempts_never_slip_past_the_limit(
    engine: AsyncEngine, limiter: LoginLimiter
) -> None:
    keys = login_keys(username="alice", address="10.0.0.1")

    waits = await asyncio.gather(*(fail(engine, limiter, keys) for _ in range(12)))

    checked = sum(1 for wait in waits if wait == 0)
    assert checked <= 3
    # Each checked attempt stays counted (two keys each); the refused ones left nothing.
    assert await stored_rows(engine) == 2 * checked
