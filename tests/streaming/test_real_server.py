"""The stream route over real HTTP: ``tonearm serve`` (granian) in a subprocess.

In-process tests use httpx's ASGITransport, which neither offers ``http.response.pathsend``
nor applies backpressure; this module checks what only a real server shows: whole files via
pathsend, byte-exact ranges on the wire, and memory that stays flat under load.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.streaming.test_http_semantics import parse_multipart
from tonearm.streaming.responses import StreamResponse
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url

LONG_DRIVE = "Aurora Fields/First Light/03 Long Drive.mp3"
MiB = 1024 * 1024
# Measured: granian accepts ~4–6 body messages per connection before ``send`` waits.
PIECES_PER_CONNECTION = 8


@dataclass(frozen=True)
class RunningServer:
    """A ``tonearm serve`` process, its base URL and the library it serves."""

    process: subprocess.Popen[bytes]
    base_url: str
    root: Path
    track_id: uuid.UUID

    def url(self) -> str:
        token = StreamSigner([TEST_SECRET], 3600).mint(self.track_id).token
        return self.base_url + stream_url(self.track_id, token)

    def rss_bytes(self) -> int:
        """Resident memory of the server and all its worker processes."""
        return sum(_rss(pid) for pid in _tree(self.process.pid))


def _tree(pid: int) -> list[int]:
    pids = [pid]
    # Threads (and processes) may end while we look: what is gone has no children to count.
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    pids.extend(_tree(int(child)))
    return pids


def _rss(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo_library: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """``tonearm serve --scan`` over the demo library on a free loopback port."""
    workdir = tmp_path_factory.mktemp("real-server")
    port = _free_port()
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(workdir / "data"),
        "TONEARM_SECRET_KEY": TEST_SECRET,
        "TONEARM_MEDIA_ROOT": str(demo_library),
        "TONEARM_FRONTEND_DIR": str(workdir / "no-frontend"),
        "TONEARM_LOG_LEVEL": "warning",
        # HTTP behaviour only: tokens without a user (accounts are covered in-process).
        "TONEARM_AUTH": "none",
        # The memory measured is the stream's: no variant worker coming and going meanwhile.
        "TONEARM_WORKERS_EMBEDDED": "false",
    }
    env.pop("TONEARM_DATABASE_URL", None)
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tonearm.cli",
            "serve",
            "--scan",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, base_url, workdir / "server.log")
        with sqlite3.connect(workdir / "data" / "tonearm.db") as db:
            (raw_id,) = db.execute(
                "SELECT id FROM tracks WHERE path = ?", (os.fsencode(LONG_DRIVE),)
            ).fetchone()
        yield RunningServer(process, base_url, demo_library, uuid.UUID(raw_id))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 120  # start-up on a loaded 2-core machine, not a figure
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"tonearm serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"tonearm serve did not become healthy: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def long_drive(server: RunningServer) -> bytes:
    """The bytes of the ~7 MB demo track."""
    return (server.root / LONG_DRIVE).read_bytes()


def test_full_file_over_http_is_byte_exact(server: RunningServer, long_drive: bytes) -> None:
    response = httpx.get(server.url())

    assert response.status_code == 200
    assert response.content == long_drive
    assert response.headers["content-length"] == str(len(long_drive))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "audio/mpeg"


def test_range_over_http(server: RunningServer, long_drive: bytes) -> None:
    response = httpx.get(server.url(), headers={"Range": "bytes=1000000-1065535"})

    assert response.status_code == 206
    assert response.content == long_drive[1000000:1065536]
    assert response.headers["content-range"] == f"bytes 1000000-1065535/{len(long_drive)}"


def test_open_ended_range_over_http(server: RunningServer, long_drive: bytes) -> None:
    response = httpx.get(server.url(), headers={"Range": "bytes=0-"})

    assert response.status_code == 206
    assert response.content == long_drive


def test_multipart_over_http(server: RunningServer, long_drive: bytes) -> None:
    response = httpx.get(server.url(), headers={"Range": "bytes=0-99,5000000-5999999"})

    assert response.status_code == 206
    assert [content for _, content in parse_multipart(response)] == [
        long_drive[:100],
        long_drive[5000000:6000000],
    ]


def test_head_over_http(server: RunningServer, long_drive: bytes) -> None:
    response = httpx.head(server.url())

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(long_drive))


def test_unsatisfiable_over_http(server: RunningServer, long_drive: bytes) -> None:
    response = httpx.get(server.url(), headers={"Range": f"bytes={len(long_drive)}-"})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(long_drive)}"


async def _download(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> int:
    received = 0
    async with client.stream("GET", url, headers=headers) as response:
        async for chunk in response.aiter_raw(256 * 1024):
            received += len(chunk)
    return received


async def _concurrent_downloads(
    server: RunningServer, headers: dict[str, str], count: int = 50
) -> tuple[list[int], int]:
    """``count`` simultaneous whole downloads; returns their sizes and the server's peak RSS."""
    peak = 0
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=count), timeout=60) as c:
        tasks = [asyncio.create_task(_download(c, server.url(), headers)) for _ in range(count)]
        while not all(task.done() for task in tasks):
            peak = max(peak, server.rss_bytes())
            await asyncio.sleep(0.02)
        return [task.result() for task in tasks], peak


@pytest.fixture(scope="module")
def warmed_up(server: RunningServer) -> RunningServer:
    """Two rounds of the same load first: thread pools, allocator arenas and granian's
    per-connection buffers grow once (~20–40 MB, bounded); later rounds must not grow. Two,
    because the server runs one worker per CPU and one round may not reach them all alike."""
    for _ in range(2):
        for headers in ({}, {"Range": "bytes=0-"}):
            asyncio.run(_concurrent_downloads(server, headers))
    return server


@pytest.mark.parametrize("headers", [{}, {"Range": "bytes=0-"}], ids=["pathsend", "range"])
def test_fifty_concurrent_downloads_keep_memory_flat(
    warmed_up: RunningServer, long_drive: bytes, headers: dict[str, str]
) -> None:
    before = warmed_up.rss_bytes()
    sizes, peak = asyncio.run(_concurrent_downloads(warmed_up, headers))
    after = warmed_up.rss_bytes()

    assert sizes == [len(long_drive)] * 50
    # 50 buffered copies would be 350 MB, five of them 35 MB. pathsend keeps nothing in
    # Python, but 50 connections at once cost granian and the worker threads some memory of
    # their own (up to ~20 MiB seen on a loaded machine). A range body also holds a few read
    # pieces per connection (ours in hand, granian's send queue), and glibc's per-thread
    # arenas keep some freed pieces: bounded, but noisier.
    budget = (
        32 * MiB
        if not headers
        else 32 * MiB + 50 * PIECES_PER_CONNECTION * (StreamResponse.chunk_size)
    )
    assert peak - before < budget, (before, peak, after)
    assert after - before < budget, (before, peak, after)


def test_slow_readers_do_not_make_the_server_buffer_whole_files(
    warmed_up: RunningServer, long_drive: bytes
) -> None:
    server = warmed_up
    url = httpx.URL(server.url())
    request = (
        f"GET {url.raw_path.decode()} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n"
    ).encode()
    before = server.rss_bytes()
    readers = []
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", url.port or 80))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(request)
        sock.recv(64 * 1024)  # headers and a first piece, then stop reading
        readers.append(sock)
    try:
        time.sleep(1.5)  # a server without backpressure would read everything meanwhile
        stalled = server.rss_bytes()
    finally:
        for sock in readers:
            sock.close()

    # 20 whole files would be 20 × 7 MB = 140 MB; backpressure stops at a few pieces each.
    budget = 8 * MiB + 20 * PIECES_PER_CONNECTION * StreamResponse.chunk_size
    assert stalled - before < budget, (before, stalled)
