"""A real HTTP server (uvicorn in a thread) over this test's database, and its users.

tus is HTTP behaviour through and through (status codes, headers, a body cut off halfway),
so these tests talk to a listening socket. The server runs in this process, so a test can
swap in a full disk (``tus_store.write_bytes``) the way it would be seen in production.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser, make_user
from tonearm.accounts.users import Role
from tonearm.app import create_app
from tonearm.db.engine import create_session_factory
from tonearm.db.models import UserRecord
from tonearm.settings import Settings

TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_STREAM = {"Content-Type": "application/offset+octet-stream"}


def metadata(**values: str) -> str:
    """An ``Upload-Metadata`` header value."""
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items()
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    """A listening tonearm app and what a test needs to reach it."""

    base_url: str
    settings: Settings

    @property
    def endpoint(self) -> str:
        """The tus creation URL."""
        return self.base_url + "/api/uploads"

    @property
    def tus_dir(self) -> Path:
        """Where the data files are."""
        return self.settings.resolved_uploads_dir / ".tus"


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port until the block ends."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> Settings:
    """Accounts on, a small size limit and quota, this test's database."""
    return make_settings(
        database_url=database_url_for_test,
        media_root=media_root,
        max_upload_bytes=8 * 1024 * 1024,
        upload_quota_bytes=4 * 1024 * 1024,
        variants_on_upload="on-demand",
    )


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveServer]:
    """The app for ``settings`` listening on loopback."""
    with serve(create_app(settings)) as base_url:
        yield LiveServer(base_url, settings)


async def _grant_upload(engine: AsyncEngine, user: SignedInUser) -> None:
    async with create_session_factory(engine).begin() as session:
        await session.execute(
            update(UserRecord).where(UserRecord.id == user.record.id).values(can_upload=True)
        )


@pytest.fixture
async def uploader(engine: AsyncEngine) -> SignedInUser:
    """A listener an admin allowed to upload."""
    user = await make_user(engine, "uploader")
    await _grant_upload(engine, user)
    return user


@pytest.fixture
async def other_uploader(engine: AsyncEngine) -> SignedInUser:
    """A second user allowed to upload."""
    user = await make_user(engine, "other")
    await _grant_upload(engine, user)
    return user


@pytest.fixture
async def listener(engine: AsyncEngine) -> SignedInUser:
    """A user without the upload permission."""
    return await make_user(engine, "listener")


@pytest.fixture
async def admin(engine: AsyncEngine) -> SignedInUser:
    """An admin (may always upload, no quota)."""
    return await make_user(engine, "admin", Role.ADMIN)


@pytest.fixture
async def http(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client for the live server."""
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        yield client
