"""The idle end: a sweep in one worker at a time, and a lazy check on read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.sessions.conftest import GET, create_session, data, gql, only_error
from tonearm.db.locks import SESSION_SWEEP_LOCK_KEY, try_registry_lock
from tonearm.db.models import ListeningSessionRecord
from tonearm.resolvers.sessions import session_runtime

LEAVE = "mutation($id: ID!) { leaveListeningSession(id: $id) }"
EVENTS = "query($id: ID!) { listeningSession(id: $id) { status events { sequence kind } } }"


async def _age(engine: AsyncEngine, minutes: float) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            update(ListeningSessionRecord).values(
                last_activity_at=datetime.now(UTC) - timedelta(minutes=minutes)
            )
        )


async def test_the_sweep_ends_only_sessions_idle_past_the_timeout(
    app: FastAPI, host: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    hub = session_runtime(app.state.services).hub
    fresh = await create_session(host)
    assert await hub.sweep_idle() == 0
    await _age(engine, 61)
    late = await create_session(host)  # created after the aging: fresh
    assert await hub.sweep_idle() == 1
    assert (await data(host, GET, id=fresh["id"]))["listeningSession"]["status"] == "ENDED"
    assert (await data(host, GET, id=late["id"]))["listeningSession"]["status"] == "ACTIVE"
    log = (await data(host, EVENTS, id=fresh["id"]))["listeningSession"]["events"]
    assert [e["kind"] for e in log] == ["MEMBERS", "ENDED"]


async def test_the_sweep_runs_in_one_worker_at_a_time(engine: AsyncEngine) -> None:
    async with (
        try_registry_lock(engine, key=SESSION_SWEEP_LOCK_KEY, name="session-sweep-lock") as a,
        try_registry_lock(engine, key=SESSION_SWEEP_LOCK_KEY, name="session-sweep-lock") as b,
    ):
        assert (a, b) == (True, False)


async def test_an_idle_session_ends_when_read_or_changed(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    session = await create_session(host)
    other = await create_session(host)
    await _age(engine, 59)
    assert (await data(host, GET, id=session["id"]))["listeningSession"]["status"] == "ACTIVE"
    await _age(engine, 60)
    assert (await data(host, GET, id=session["id"]))["listeningSession"]["status"] == "ENDED"
    assert only_error(await gql(host, LEAVE, id=other["id"])) == (
        "SESSION_ENDED",
        "This listening session has ended.",
    )
