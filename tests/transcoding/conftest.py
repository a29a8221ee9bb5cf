"""Fixtures for variants: a scanned media root of real files in several formats, a Maker."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from huey.consumer import Consumer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.audio import Picture, write_audio
from tests.support.redis import flush, temporary_redis
from tests.support.run_services import shared_service, worker_number
from tonearm.app import create_app
from tonearm.catalog.variants import VariantKey
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import scan_library
from tonearm.settings import Settings
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url
from tonearm.transcoding.making import Maker
from tonearm.transcoding.queue import JobPolicy, VariantQueue, create_queue
from tonearm.transcoding.store import VariantStore

# A 1×1 PNG: embedded cover art is a video stream to ffmpeg, which variants must not carry.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
FLAC = "Artist/Album/01 Lossless.flac"
MP3 = "Artist/Album/02 Lossy.mp3"
SECONDS = 6.0


@dataclass
class Library:
    """A scanned media root and its track ids by relative path."""

    root: Path
    ids: dict[str, uuid.UUID]


@pytest.fixture
async def library(media_root: Path, engine: AsyncEngine) -> Library:
    """A tagged FLAC with a cover picture and a 128 kbps MP3, scanned."""
    tags = {"title": "Lossless", "artist": "Artist", "album": "Album", "tracknumber": "1"}
    write_audio(media_root / FLAC, "flac", seconds=SECONDS, tags=tags, pictures=[Picture(PNG)])
    write_audio(media_root / MP3, "mp3", seconds=SECONDS, key=2, tags={"title": "Lossy"})
    await scan_library(engine, media_root)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(TrackRecord.path, TrackRecord.id))).all()
    return Library(media_root, {row.path: row.id for row in rows})


@pytest.fixture
def store(tmp_path: Path) -> VariantStore:
    """An empty variant store."""
    return VariantStore.in_data_dir(tmp_path / "data")


@pytest.fixture
def maker(engine: AsyncEngine, store: VariantStore, library: Library) -> Maker:
    """A Maker over the library, the store and Debian's ffmpeg."""
    return Maker(engine=engine, store=store, media_root=library.root.resolve())


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], library: Library, database_url_for_test: str
) -> Settings:
    """Settings over the library (accounts off: tokens carry no user unless minted so)."""
    return make_settings(media_root=library.root, database_url=database_url_for_test, auth="none")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The full tonearm app."""
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as c:
        yield c


@pytest.fixture
def variant_url(library: Library, settings: Settings) -> Callable[..., str]:
    """A signed stream URL for a variant (or the original) of a library track."""
    signer = StreamSigner(settings.signing_keys(), settings.stream_url_ttl)

    def build(rel: str, key: VariantKey | None, **mint: Any) -> str:
        track_id = library.ids[rel]
        return stream_url(track_id, signer.mint(track_id, variant=key, **mint).token)

    return build


# --- the job queue: every queue test runs on the embedded queue and on a real Redis -------

QUEUE_KINDS = ["embedded", "redis"]
TEST_POLICY = JobPolicy(
    retries=2,
    retry_delay=1.0,
    retry_backoff=2.0,
    locked_delay=0.3,
    poll_delay=0.02,
    max_poll_delay=0.1,
    redis_read_timeout=0.2,
    shutdown_grace=5.0,
)


@pytest.fixture(scope="session")
def redis_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """This run's redis-server (one per run, on a Unix socket in a temp folder).

    Under xdist every worker has a Redis database of its own on the one server.
    """
    shared = shared_service(pytestconfig, "redis_url")
    if shared is not None:
        yield f"{shared}?db={worker_number(pytestconfig)}"
        return
    with temporary_redis() as url:
        yield url


@pytest.fixture(params=QUEUE_KINDS)
def queue_kind(request: pytest.FixtureRequest) -> str:
    """Which queue storage this test runs on."""
    return str(request.param)


@pytest.fixture
def queue_redis_url(queue_kind: str, request: pytest.FixtureRequest) -> str | None:
    """The Redis URL of this test's queue (emptied first), or None for the embedded queue."""
    if queue_kind == "embedded":
        return None
    url: str = request.getfixturevalue("redis_url")
    flush(url)
    return url


@dataclass
class Encoder:
    """A real ffmpeg behind a small shell script that counts encodes (and may fail some)."""

    program: Path
    log: Path

    @property
    def encodes(self) -> int:
        """How many encodes were started."""
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0


def write_encoder(folder: Path, *, fail_first: int = 0, realtime: bool = False) -> Encoder:
    """``ffmpeg`` that logs each encode, fails the first ``fail_first`` of them like a
    crashed encoder (exit 1, a message on stderr), and with ``realtime`` reads its input at
    the speed of playback (``-re``), so an encode of a few seconds of audio takes seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "encodes.log"
    program = folder / ("ffmpeg-realtime" if realtime else "ffmpeg-counting")
    program.write_text(
        "#!/bin/sh\n"
        'case " $* " in\n'
        '*" -map_metadata "*)\n'
        f'  echo encode >> "{log}"\n'
        f'  if [ "$(wc -l < "{log}")" -le {fail_first} ]; then\n'
        '    echo "simulated encoder crash" >&2; exit 1\n'
        "  fi\n"
        f'  exec ffmpeg {"-re " if realtime else ""}"$@";;\n'
        "esac\n"
        'exec ffmpeg "$@"\n'
    )
    program.chmod(0o755)
    return Encoder(program, log)


@pytest.fixture
def encoder(tmp_path: Path) -> Encoder:
    """A counting ffmpeg that never fails."""
    return write_encoder(tmp_path / "encoder")


@pytest.fixture
def queue_settings(
    make_settings: Callable[..., Settings],
    library: Library,
    database_url_for_test: str,
    queue_redis_url: str | None,
    encoder: Encoder,
) -> Settings:
    """Settings of the library, this test's database and queue, and the counting ffmpeg."""
    return make_settings(
        media_root=library.root,
        database_url=database_url_for_test,
        redis_url=queue_redis_url,
        ffmpeg=str(encoder.program),
        worker_threads=2,
    )


@pytest.fixture
def queue(queue_settings: Settings) -> Iterator[VariantQueue]:
    """This test's queue (closed at the end)."""
    created = create_queue(queue_settings, TEST_POLICY)
    yield created
    created.close()


@contextmanager
def running_consumer(queue: VariantQueue, *, threads: int = 2) -> Iterator[Consumer]:
    """huey's consumer on ``queue`` in this process, like ``tonearm worker`` runs it."""
    saved = {
        number: signal.getsignal(number)
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    consumer = queue.consumer(threads=threads)
    consumer.start()
    for number, handler in saved.items():  # the consumer took them: give them back to pytest
        signal.signal(number, handler)
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        queue.close()


async def until(condition: Callable[[], Awaitable[bool]], *, within: float = 20.0) -> None:
    """Wait for ``condition`` to hold (at most ``within`` seconds), checking every 20 ms."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)
