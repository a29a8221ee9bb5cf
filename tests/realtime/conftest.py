"""A real ``tonearm serve`` (granian, two workers) per database backend, users made
through the accounts domain, and a raw ``graphql-transport-ws`` client."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, TEST_SECRET, _admin
from tests.streaming.test_real_server import _free_port, _wait_healthy
from tests.support.accounts import SignedInUser, make_user
from tests.support.postgres import database_url
from tonearm.accounts.users import Role
from tonearm.db.engine import create_engine


@dataclass(frozen=True)
class RealServer:
    """A running server: its URLs, its database, its log, two accounts."""

    base_url: str
    database_url: str
    data_dir: Path
    log: Path
    pid: int
    admin: SignedInUser
    listener: SignedInUser

    @property
    def ws_url(self) -> str:
        """The GraphQL endpoint as a WebSocket URL."""
        return self.base_url.replace("http://", "ws://") + "/graphql"


async def _users(url: str) -> tuple[SignedInUser, SignedInUser]:
    engine = create_engine(url)
    try:
        return (
            await make_user(engine, "boss", Role.ADMIN),
            await make_user(engine, "listener", Role.LISTENER),
        )
    finally:
        await engine.dispose()


def start_server(
    workdir: Path, media_root: Path, url: str | None, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``tonearm serve --scan`` with two workers; returns the process, base URL, log."""
    port = _free_port()
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(workdir / "data"),
        "TONEARM_SECRET_KEY": TEST_SECRET,
        "TONEARM_MEDIA_ROOT": str(media_root),
        "TONEARM_FRONTEND_DIR": str(workdir / "no-frontend"),
        "TONEARM_LOG_LEVEL": "warning",
        "TONEARM_AUTH": "required",
        "TONEARM_WORKERS": "2",
        "TONEARM_WORKERS_EMBEDDED": "0",
        **(extra_env or {}),
    }
    env.pop("TONEARM_DATABASE_URL", None)
    env.pop("TONEARM_REDIS_URL", None)
    if url is not None:
        env["TONEARM_DATABASE_URL"] = url
    log_path = workdir / "server.log"
    log = log_path.open("ab")
    command = [sys.executable, "-m", "tonearm.cli", "serve", "--scan"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    base_url = f"http://127.0.0.1:{port}"
    _wait_healthy(process, base_url, log_path)
    return process, base_url, log_path


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server and wait for it."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module", params=BACKENDS)
def real_server(
    request: pytest.FixtureRequest, demo_library: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RealServer]:
    """``tonearm serve`` (2 workers) over the demo library on SQLite or PostgreSQL."""
    backend = str(request.param)
    workdir = tmp_path_factory.mktemp(f"realtime-{backend}")
    url: str | None = None
    name = f"tonearm_realtime_{os.getpid()}_{workdir.name}"
    socket_dir = ""
    if backend == "postgresql":
        socket_dir = request.getfixturevalue("postgres_socket")
        asyncio.run(_admin(socket_dir, f'CREATE DATABASE "{name}"'))
        url = database_url(socket_dir, name)
    process, base_url, log = start_server(workdir, demo_library, url)
    effective = url or f"sqlite+aiosqlite:///{workdir / 'data' / 'tonearm.db'}"
    admin, listener = asyncio.run(_users(effective))
    try:
        yield RealServer(base_url, effective, workdir / "data", log, process.pid, admin, listener)
    finally:
        stop_server(process)
        if backend == "postgresql":
            asyncio.run(_admin(socket_dir, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
