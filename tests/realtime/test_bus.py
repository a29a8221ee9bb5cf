"""The cross-process buses (local Unix datagrams, PostgreSQL LISTEN/NOTIFY, Redis): a
subscriber in this process receives what another process published; listeners start only
on a subscribe and reconnect after their connection drops; oversized messages are refused."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis

from tests.conftest import _admin
from tests.support.postgres import database_url
from tests.support.redis import temporary_redis
from tests.support.run_services import shared_service
from tonearm.db.engine import create_engine
from tonearm.pubsub.backends import (
    LocalBus,
    PostgresBus,
    RedisBus,
    build_bus,
    socket_dir_for,
)
from tonearm.pubsub.bus import Bus, MessageTooLarge

WAIT = 20.0


@pytest.fixture(scope="module")
def redis_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """This run's Redis (shared under xdist), else one for this module."""
    shared = shared_service(pytestconfig, "redis_url")
    if shared is not None:
        yield shared
        return
    with temporary_redis() as url:
        yield url


@dataclass
class Backend:
    """How to build one kind of bus, here and in another process."""

    kind: str
    database_url: str
    redis_url: str
    data_dir: Path

    def build(self) -> tuple[Bus, Any]:
        engine = create_engine(self.database_url)
        bus = build_bus(
            self.kind,
            engine=engine,
            database_url=self.database_url,
            redis_url=self.redis_url or None,
            data_dir=self.data_dir,
        )
        return bus, engine

    def publish_elsewhere(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        """Publish from a separate Python process; what it reports."""
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.realtime.publish_once",
                self.kind,
                self.database_url,
                self.redis_url,
                str(self.data_dir),
                channel,
                json.dumps(message),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
        assert completed.returncode == 0, completed.stderr
        report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
        return report


@pytest.fixture(params=["local", "postgres", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, redis_server: str) -> Iterator[Backend]:
    """One bus backend, with the database it needs."""
    kind = str(request.param)
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    if kind != "postgres":
        yield Backend(kind, sqlite_url, redis_server if kind == "redis" else "", tmp_path)
        return
    socket_dir: str = request.getfixturevalue("postgres_socket")
    name = f"tonearm_bus_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(socket_dir, f'CREATE DATABASE "{name}"'))
    try:
        yield Backend(kind, database_url(socket_dir, name), "", tmp_path)
    finally:
        asyncio.run(_admin(socket_dir, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def bus(backend: Backend) -> AsyncIterator[Bus]:
    """A bus of the backend in this process (the subscriber's side)."""
    built, engine = backend.build()
    try:
        yield built
    finally:
        await built.close()
        await engine.dispose()


async def _next(messages: Any) -> dict[str, Any]:
    message: dict[str, Any] = await asyncio.wait_for(messages.get(), WAIT)
    return message


async def test_a_subscriber_receives_what_another_process_published(
    backend: Backend, bus: Bus
) -> None:
    channel = f"test:{uuid.uuid4().hex}"
    async with bus.subscribe(channel) as messages:
        report = await asyncio.to_thread(backend.publish_elsewhere, channel, {"sequence": 7})
        assert await _next(messages) == {"sequence": 7}
    assert report == {"listening": False}  # a publisher starts no listener


async def test_the_publishing_process_delivers_to_its_own_subscribers_once(bus: Bus) -> None:
    async with bus.subscribe("mine") as messages:
        await bus.publish("mine", {"n": 1})
        await bus.publish("mine", {"n": 2})
        assert [await _next(messages), await _next(messages)] == [{"n": 1}, {"n": 2}]
        # Its own envelopes come back over the wire and are dropped: nothing else arrives.
        await bus.publish("other", {"n": 3})
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(messages.get(), 0.5)


async def test_a_message_over_the_limit_is_refused(bus: Bus) -> None:
    async with bus.subscribe("big") as messages:
        with pytest.raises(MessageTooLarge):
            await bus.publish("big", {"blob": "x" * 4000})
        assert messages._queue.empty()


async def test_an_idle_bus_opens_no_listener(backend: Backend, bus: Bus) -> None:
    await bus.publish("nobody-listens", {"n": 1})
    assert getattr(bus, "listening", False) is False
    if isinstance(bus, LocalBus):
        assert not bus.socket_dir.exists() or list(bus.socket_dir.iterdir()) == []


async def test_the_listener_stops_when_the_bus_closes(backend: Backend) -> None:
    built, engine = backend.build()
    try:
        async with built.subscribe("x"):
            assert getattr(built, "listening", False) is True
        await built.close()
        assert getattr(built, "listening", False) is False
        if isinstance(built, LocalBus):
            assert list(built.socket_dir.iterdir()) == []  # its socket is gone
    finally:
        await engine.dispose()


async def _drop_connection(bus: Bus, backend: Backend) -> None:
    if isinstance(bus, PostgresBus):
        assert bus.connection is not None
        pid = bus.connection.get_server_pid()
        admin = await asyncpg.connect(backend.database_url.replace("+asyncpg", ""))
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
    elif isinstance(bus, RedisBus):
        client = redis.Redis.from_url(backend.redis_url)
        try:
            assert client.client_kill_filter(_type="pubsub") >= 1
        finally:
            client.close()


async def test_the_listener_reconnects_after_its_connection_drops(
    backend: Backend, bus: Bus
) -> None:
    if backend.kind == "local":
        pytest.skip("the local bus has no connection to lose")
    channel = f"test:{uuid.uuid4().hex}"
    async with bus.subscribe(channel) as messages:
        assert getattr(bus, "connections_opened", 0) == 1
        await _drop_connection(bus, backend)
        async with asyncio.timeout(WAIT):
            while getattr(bus, "connections_opened", 0) < 2:  # noqa: ASYNC110 - a counter
                await asyncio.sleep(0.05)
        await asyncio.to_thread(backend.publish_elsewhere, channel, {"after": "drop"})
        assert await _next(messages) == {"after": "drop"}


async def test_the_local_bus_unlinks_the_socket_of_a_dead_process(tmp_path: Path) -> None:
    bus = LocalBus(tmp_path / "bus")
    (tmp_path / "bus").mkdir()
    stale = tmp_path / "bus" / "999999-dead.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(stale))
    dead.close()  # the file stays, nobody receives: sendto says ECONNREFUSED
    await bus.publish("any", {"n": 1})
    assert not stale.exists()


def test_a_data_dir_too_deep_for_sun_path_uses_a_short_temp_folder(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    chosen = socket_dir_for(deep)
    assert chosen.name.startswith("tonearm-bus-")
    assert chosen == socket_dir_for(deep)  # every process of that data dir agrees
    assert socket_dir_for(Path("/srv/tonearm")) == Path("/srv/tonearm/bus")


@pytest.mark.parametrize(
    ("kind", "database", "redis_url", "expected"),
    [
        ("auto", "sqlite+aiosqlite:///x.db", None, LocalBus),
        ("auto", "postgresql+asyncpg://u@/d?host=/tmp", None, PostgresBus),
        ("auto", "postgresql+asyncpg://u@/d?host=/tmp", "redis://localhost", RedisBus),
        ("local", "postgresql+asyncpg://u@/d?host=/tmp", None, LocalBus),
    ],
)
def test_auto_picks_redis_then_postgres_then_local(
    kind: str, database: str, redis_url: str | None, expected: type[Bus], tmp_path: Path
) -> None:
    bus = build_bus(
        kind, engine=None, database_url=database, redis_url=redis_url, data_dir=tmp_path
    )
    assert type(bus) is expected


@pytest.mark.parametrize(
    ("kind", "database", "message"),
    [
        ("redis", "sqlite+aiosqlite:///x.db", "TONEARM_PUBSUB=redis needs TONEARM_REDIS_URL"),
        ("postgres", "sqlite+aiosqlite:///x.db", "needs a PostgreSQL TONEARM_DATABASE_URL"),
        ("carrier-pigeon", "sqlite+aiosqlite:///x.db", "unknown TONEARM_PUBSUB"),
    ],
)
def test_a_backend_that_cannot_work_is_refused_at_start(
    kind: str, database: str, message: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=message):
        build_bus(kind, engine=None, database_url=database, redis_url=None, data_dir=tmp_path)
