"""``tonearm worker`` and ``tonearm serve`` as real processes: killed, stopped, restarted."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.transcoding.conftest import (
    FLAC,
    SECONDS,
    TEST_POLICY,
    Library,
    until,
    write_encoder,
)
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.settings import Settings
from tonearm.transcoding import jobs
from tonearm.transcoding.queue import create_queue
from tonearm.transcoding.store import VariantStore, file_digest

OPUS_96 = VariantKey(AudioFormat.OPUS, 96)
OPUS_160 = VariantKey(AudioFormat.OPUS, 160)
TONEARM = [sys.executable, "-m", "tonearm.cli"]


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEARM_")}
    env.update(
        TONEARM_DATA_DIR=str(settings.data_dir),
        TONEARM_DATABASE_URL=settings.resolved_database_url,
        TONEARM_MEDIA_ROOT=str(settings.media_root),
        TONEARM_SECRET_KEY=settings.signing_keys()[0],
        TONEARM_FRONTEND_DIR=str(settings.frontend_dir),
        TONEARM_FFMPEG=settings.ffmpeg,
        TONEARM_WORKER_THREADS="1",
        TONEARM_LOG_LEVEL="info",
    )
    if settings.redis_url:
        env["TONEARM_REDIS_URL"] = settings.redis_url
    env.update(extra)
    return env


@contextlib.contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``tonearm worker``, once it says it is ready; killed at the end if still running."""
    process = start(["worker"], env, log)
    try:
        deadline = time.monotonic() + 90  # start-up on a loaded 2-core machine, not a figure
        while b"variant worker: 1 threads" not in log.read_bytes():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "tonearm worker did not start"
            time.sleep(0.02)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def wait_for_part(folder: Path, timeout: float = 20) -> Path:
    """The ``.part`` file an encode writes into, once it holds audio."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for part in folder.glob(".*.part"):
            with contextlib.suppress(FileNotFoundError):
                if part.stat().st_size > 0:
                    return part
        time.sleep(0.01)
    raise AssertionError("no encode started")


def processes_writing(part: Path) -> list[int]:
    """Processes whose command line names ``part`` (ffmpeg writing it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if str(part).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


async def queue_one(settings: Settings, engine: AsyncEngine, library: Library) -> None:
    queue = create_queue(settings, TEST_POLICY)
    try:
        assert await jobs.enqueue_variants(queue, engine, [library.ids[FLAC]], keys={OPUS_96})
    finally:
        queue.close()


async def test_a_worker_killed_mid_encode_leaves_no_half_written_variant_and_the_job_runs_again(
    queue_settings: Settings, engine: AsyncEngine, library: Library, tmp_path: Path
) -> None:
    track_id = library.ids[FLAC]
    final = VariantStore.in_data_dir(queue_settings.data_dir).path_for(track_id, OPUS_96)
    slow = write_encoder(tmp_path / "slow", realtime=True)
    await queue_one(queue_settings, engine, library)

    with worker(
        environment(queue_settings, TONEARM_FFMPEG=str(slow.program)), tmp_path / "1.log"
    ) as first:
        part = wait_for_part(final.parent)
        first.send_signal(signal.SIGKILL)
        first.wait()
    for pid in processes_writing(part):  # ffmpeg runs in a session of its own: it lives on
        os.kill(pid, signal.SIGKILL)
    assert part.exists()
    assert not final.exists()
    killed = await registry.get_variant(engine, track_id, OPUS_96)
    assert killed is not None
    assert killed.state == "pending"

    sizes_seen: set[int] = set()
    with worker(environment(queue_settings), tmp_path / "2.log") as second:

        async def made() -> bool:
            with contextlib.suppress(FileNotFoundError):
                sizes_seen.add(final.stat().st_size)
            row = await registry.get_variant(engine, track_id, OPUS_96)
            return row is not None and row.state == "ready"

        await until(made)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=10) == 0

    row = await registry.get_variant(engine, track_id, OPUS_96)
    assert row is not None
    assert file_digest(final) == (row.size_bytes, row.content_hash)
    assert sizes_seen <= {row.size_bytes}  # the final name never held anything partial
    assert not part.exists()  # swept by the second worker
    assert row.attempts == 2
    assert probed_seconds(final) == pytest.approx(SECONDS, abs=0.05)


async def test_sigterm_stops_a_worker_at_once_killing_its_encode_and_leaving_nothing(
    queue_settings: Settings, engine: AsyncEngine, library: Library, tmp_path: Path
) -> None:
    track_id = library.ids[FLAC]
    final = VariantStore.in_data_dir(queue_settings.data_dir).path_for(track_id, OPUS_96)
    slow = write_encoder(tmp_path / "slow", realtime=True)
    await queue_one(queue_settings, engine, library)

    env = environment(queue_settings, TONEARM_FFMPEG=str(slow.program))
    with worker(env, tmp_path / "worker.log") as process:
        part = wait_for_part(final.parent)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=10)
        elapsed = time.monotonic() - started

    assert status == 0
    # At once: before the realtime encode of SECONDS of audio could have ended on its own
    # (and the variant below was never finished), not after waiting for it.
    assert elapsed < SECONDS
    assert processes_writing(part) == []  # ffmpeg was killed with its job
    assert list(final.parent.glob(".*.part")) == []
    assert not final.exists()
    row = await registry.get_variant(engine, track_id, OPUS_96)
    assert row is not None
    assert row.state == "pending"  # the next start queues it again
    assert "variant worker stopped" in (tmp_path / "worker.log").read_text()


@pytest.mark.parametrize("queue_kind", ["embedded"])
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_serve_runs_an_embedded_worker_that_stops_with_it(
    queue_settings: Settings, engine: AsyncEngine, library: Library, tmp_path: Path
) -> None:
    track_id = library.ids[FLAC]
    await queue_one(queue_settings, engine, library)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    # Idle long enough that a loaded machine still sees the worker between "made" and the
    # check below (at 3 s it could already have gone).
    env = environment(
        queue_settings, TONEARM_AUTH="none", TONEARM_WORKERS="1", TONEARM_WORKER_IDLE_SECONDS="10"
    )
    server = start(["serve", "--port", str(port)], env, tmp_path / "serve.log")
    try:

        async def made(key: VariantKey) -> bool:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            row = await registry.get_variant(engine, track_id, key)
            return row is not None and row.state == "ready"

        await until(lambda: made(OPUS_96), within=60)
        assert healthz(port) == 200
        first = _workers(server.pid)
        assert len(first) == 1

        # Idle, it goes (the server keeps answering); the next job brings one back.
        async def gone() -> bool:
            return not _workers(server.pid)

        await until(gone, within=45)
        assert healthz(port) == 200
        queue = create_queue(queue_settings, TEST_POLICY)
        try:
            assert await jobs.enqueue_variants(queue, engine, [track_id], keys={OPUS_160})
        finally:
            queue.close()
        await until(lambda: made(OPUS_160), within=60)
        workers = _workers(server.pid)
        assert len(workers) == 1
        assert workers != first
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    assert b"tonearm.cli\x00worker" not in _cmdline(workers[0])  # gone with the server


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen([*TONEARM, *args], env=env, stdout=output, stderr=output)


def healthz(port: int) -> int:
    """``/healthz``'s status once the server's workers answer (they may start after ours)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def probed_seconds(path: Path) -> float:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    )
    return float(json.loads(probe.stdout)["format"]["duration"])


def _workers(pid: int) -> list[int]:
    return [child for child in _children(pid) if b"tonearm.cli\x00worker" in _cmdline(child)]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    # A thread may end while we look: it has no children to count then.
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
