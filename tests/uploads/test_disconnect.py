"""A client that goes away mid-upload leaves nothing: a real HTTP server (uvicorn) and a
raw socket that stops halfway through a file."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser
from tests.support.audio import mp3_bytes
from tests.uploads.conftest import RAW_CONTENT_TYPE, raw_multipart, staged_files, stored_files
from tonearm.db.engine import create_session_factory
from tonearm.db.models import TrackRecord
from tonearm.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def live_port(app: FastAPI) -> AsyncIterator[int]:
    """The app behind uvicorn on a loopback port, in this test's event loop."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    yield port
    server.should_exit = True
    await serving


async def _until(condition: object, what: str, seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"timed out waiting until {what}")


async def test_a_disconnect_halfway_leaves_no_staged_file(
    live_port: int, uploader: SignedInUser, settings: Settings, engine: AsyncEngine
) -> None:
    first = mp3_bytes(1.0, key=95)
    body = raw_multipart([(b"done.mp3", first), (b"cut.mp3", b"\xff\xfb" * 2_000_000)])
    cut_at = len(body) - 2_000_000  # well inside the second file
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{live_port}\r\n"
        f"Authorization: Bearer {uploader.token}\r\n"
        f"Content-Type: {RAW_CONTENT_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", live_port)
    writer.write(head + body[:cut_at])
    await writer.drain()
    # The first file is staged whole and the second one is being written.
    await _until(lambda: len(staged_files(settings)) == 2, "both files are being staged")

    writer.close()
    await writer.wait_closed()
    await _until(lambda: staged_files(settings) == [], "the staging area is empty")

    async with create_session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(TrackRecord)) == 0
    assert stored_files(settings) == []
    del reader
