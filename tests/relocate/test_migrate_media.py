"""``tonearm storage migrate`` with variants and cover thumbnails, against the real moto
server: variants made for real by ffmpeg from a scanned FLAC, thumbnails made by the
artwork pipeline. Both directions byte-exact (SHA-256), served afterwards by the real
routes, resumable after a target that fails part-way, ``--dry-run`` touching nothing, a
target's object with other bytes copied again, a lost source reported by the command."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.artwork.images import jpeg
from tests.support.audio import write_audio
from tests.support.throttled_proxy import ThrottledProxy
from tonearm.app import create_app
from tonearm.artwork.make import bytes_loader, make_artworks
from tonearm.artwork.results import Artwork
from tonearm.artwork.store import ArtworkStore
from tonearm.artwork.urls import artwork_url
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db.engine import create_session_factory
from tonearm.db.models import ArtworkRecord, TrackRecord, VariantRecord
from tonearm.library.scanner import scan_library
from tonearm.relocate.migrate import backend, migrate
from tonearm.settings import Settings
from tonearm.storage.base import ObjectInfo, StorageUnavailable
from tonearm.storage.local import LocalStorage
from tonearm.storage.s3 import S3Storage
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url
from tonearm.transcoding.making import Maker
from tonearm.transcoding.store import VariantStore

OPUS_96 = VariantKey(AudioFormat.OPUS, 96)
OPUS_160 = VariantKey(AudioFormat.OPUS, 160)
FLAC = "Artist/Album/01 Lossless.flac"
BASE = "http://tonearm.test"


@dataclass
class Stored:
    """What the local backend held before any migration: every key's SHA-256."""

    track_id: uuid.UUID
    artworks: list[Artwork]
    digests: dict[str, str]
    media_types: dict[str, str]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def delivery() -> str:
    """TONEARM_S3_DELIVERY (tests parametrize it)."""
    return "redirect"


@pytest.fixture
def on(
    s3_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    delivery: str,
) -> Callable[[str], Settings]:
    """The settings of one installation with ``TONEARM_STORAGE`` set to the argument."""

    def build(storage: str) -> Settings:
        return s3_settings(
            database_url=database_url_for_test,
            media_root=media_root,
            storage=storage,
            auth="none",
            s3_delivery=delivery,
        )

    return build


@pytest.fixture
async def bucket(on: Callable[[str], Settings]) -> AsyncIterator[S3Storage]:
    """The S3 backend as the command builds it."""
    storage = backend(on("s3"), "s3")
    assert isinstance(storage, S3Storage)
    yield storage
    await storage.close()


@pytest.fixture
def local(on: Callable[[str], Settings]) -> LocalStorage:
    """The local backend as the command builds it."""
    storage = backend(on("local"), "local")
    assert isinstance(storage, LocalStorage)
    return storage


@pytest.fixture
async def stored(
    on: Callable[[str], Settings], media_root: Path, engine: AsyncEngine, local: LocalStorage
) -> Stored:
    """A scanned FLAC with two variants made by ffmpeg and two covers' thumbnails, all on
    local storage and in the registry."""
    settings = on("local")
    write_audio(media_root / FLAC, "flac", seconds=4.0, tags={"title": "Lossless"})
    await scan_library(engine, media_root)
    async with engine.connect() as connection:
        track_id = (await connection.execute(select(TrackRecord.id))).scalar_one()
    maker = Maker(
        engine=engine,
        store=VariantStore.in_data_dir(settings.data_dir),
        media_root=await asyncio.to_thread(media_root.resolve),
    )
    source = await maker.source(track_id, OPUS_96)
    for key in (OPUS_96, OPUS_160):
        lock = await maker.try_lock(track_id, key)
        assert lock is not None
        try:
            await maker.make(source, key, lock)
        finally:
            lock.release()
    art_store = ArtworkStore.in_data_dir(settings.data_dir)
    artworks: list[Artwork] = []
    async for _, result in make_artworks(
        [("a", bytes_loader(jpeg(700, 700, seed=1))), ("b", bytes_loader(jpeg(640, 480, seed=2)))],
        art_store,
    ):
        assert isinstance(result, Artwork)
        artworks.append(result)
    async with create_session_factory(engine).begin() as session:
        session.add_all(
            ArtworkRecord(
                hash=a.hash, width=a.width, height=a.height, sizes=list(a.sizes), color=a.color
            )
            for a in artworks
        )
    digests: dict[str, str] = {}
    media_types: dict[str, str] = {}
    for key in (OPUS_96, OPUS_160):
        name = f"variants/{track_id}/{key.slug}.{key.container}"
        digests[name] = sha(await local.read_all(name))
        media_types[name] = key.target.mime_type
    for artwork in artworks:
        assert len(artwork.sizes) > 1
        for size in artwork.sizes:
            name = f"art/{artwork.hash}/{size}.jpg"
            digests[name] = sha(await local.read_all(name))
            media_types[name] = "image/jpeg"
    return Stored(track_id, artworks, digests, media_types)


class PutsFailAfter:
    """Makes a backend's ``put_file`` refuse (storage down) after ``allowed`` objects."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed

    def around(self, storage: Any) -> Any:
        real = storage.put_file

        async def put_file(key: str, path: Path, *, content_type: str) -> ObjectInfo:
            if self.allowed <= 0:
                raise StorageUnavailable("the S3 endpoint cannot be reached: ConnectTimeoutError")
            self.allowed -= 1
            info: ObjectInfo = await real(key, path, content_type=content_type)
            return info

        storage.put_file = put_file
        return storage


async def all_digests(storage: S3Storage | LocalStorage, keys: list[str]) -> dict[str, str]:
    return {key: sha(await storage.read_all(key)) for key in keys}


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: its size and mtime."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            info = path.stat()
            found[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return found


async def registry_rows(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        tracks = (await connection.execute(select(TrackRecord.id, TrackRecord.storage_key))).all()
        variants = (
            await connection.execute(
                select(
                    VariantRecord.track_id,
                    VariantRecord.format,
                    VariantRecord.bitrate_kbps,
                    VariantRecord.state,
                    VariantRecord.content_hash,
                )
            )
        ).all()
    return sorted(map(tuple, tracks), key=str) + sorted(map(tuple, variants), key=str)


async def serve(
    settings: Settings, stored: Stored, key: VariantKey, size_of: Callable[[Artwork], int]
) -> tuple[httpx.Response, list[httpx.Response]]:
    """A stream of the variant ``key`` and one thumbnail of each cover, from the app."""
    signer = StreamSigner(settings.signing_keys(), settings.stream_url_ttl)
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        token = signer.mint(stored.track_id, variant=key).token
        variant = await client.get(stream_url(stored.track_id, token))
        art = [await client.get(artwork_url(a.hash, size_of(a))) for a in stored.artworks]
    await app.state.services.engine.dispose()
    return variant, art


async def delivered(response: httpx.Response, delivery: str, endpoint: str) -> bytes:
    """The bytes a client ends up with: through the 302 to the bucket, or proxied."""
    if delivery == "redirect":
        assert response.status_code == 302, response.text
        assert response.headers["location"].startswith(endpoint)
        async with httpx.AsyncClient() as plain:
            followed = await plain.get(response.headers["location"])
        assert followed.status_code == 200
        return followed.content
    assert response.status_code == 200, response.text
    return response.content


@pytest.mark.parametrize("delivery", ["redirect", "proxy"])
async def test_variants_and_thumbnails_to_s3_resumed_served_and_back(  # noqa: PLR0917
    on: Callable[[str], Settings],
    stored: Stored,
    bucket: S3Storage,
    local: LocalStorage,
    engine: AsyncEngine,
    delivery: str,
    s3_endpoint: str,
) -> None:
    sessions = create_session_factory(engine)
    data_dir = on("local").data_dir
    keys = sorted(stored.digests)
    total = len(keys)
    assert total == 2 + sum(len(a.sizes) for a in stored.artworks)
    rows_before = await registry_rows(engine)

    # Stopped part-way: the bucket refuses after 3 objects; each failure is reported.
    flaky = PutsFailAfter(3).around(backend(on("s3"), "s3"))
    try:
        first = await migrate(sessions, source=local, target=flaky, scratch_dir=data_dir)
    finally:
        await flaky.close()
    assert first.counts == {"copied": 3, "failed": total - 3}
    assert len(first.failures) == total - 3
    assert all("cannot be reached" in line for line in first.failures)
    copied_first = [
        key for prefix in ("art/", "variants/") for key in await bucket.list_keys(prefix)
    ]
    assert len(copied_first) == 3

    # Run again: only what is missing is copied, and every object is the source's bytes.
    resumed = await migrate(sessions, source=local, target=bucket, scratch_dir=data_dir)
    assert resumed.counts == {"skipped": 3, "copied": total - 3}
    assert resumed.ok
    assert await all_digests(bucket, keys) == stored.digests
    for key in keys:
        assert (await bucket.head(key)).content_type == stored.media_types[key]
    assert sorted(await bucket.list_keys("art/") + await bucket.list_keys("variants/")) == keys
    again = await migrate(sessions, source=local, target=bucket, scratch_dir=data_dir)
    assert again.counts == {"skipped": total}
    assert await registry_rows(engine) == rows_before  # variants and art have no key column
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".migrate-")] == []

    # Served from the bucket by the real routes (every size of the first cover, one of the other).
    local_bytes = await local.read_all(f"variants/{stored.track_id}/opus-96.ogg")
    s3 = on("s3")
    variant, art = await serve(s3, stored, OPUS_96, lambda a: a.sizes[0])
    assert "x-tonearm-variant" not in variant.headers  # no new encode: the migrated one
    assert await delivered(variant, delivery, s3_endpoint) == local_bytes
    if delivery == "redirect":
        path = urlsplit(variant.headers["location"]).path
        assert path == f"/{bucket.bucket}/variants/{stored.track_id}/opus-96.ogg"
    for response, artwork in zip(art, stored.artworks, strict=True):
        expected = stored.digests[f"art/{artwork.hash}/{artwork.sizes[0]}.jpg"]
        assert sha(await delivered(response, delivery, s3_endpoint)) == expected

    # The admin removes the local copies; back to local, resumed after a failing disk.
    shutil.rmtree(data_dir / "variants" / str(stored.track_id)[:2] / str(stored.track_id))
    shutil.rmtree(data_dir / "art")
    failing_local = PutsFailAfter(2).around(backend(on("local"), "local"))
    down = await migrate(sessions, source=bucket, target=failing_local, scratch_dir=data_dir)
    assert down.counts == {"copied": 2, "failed": total - 2}
    back = await migrate(sessions, source=bucket, target=local, scratch_dir=data_dir)
    assert back.counts == {"skipped": 2, "copied": total - 2}
    assert back.ok
    assert await all_digests(local, keys) == stored.digests
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".migrate-")] == []

    # Served from this disk: the stored variant (206 on a range too), every thumbnail size.
    home = on("local")
    variant, art = await serve(home, stored, OPUS_160, lambda a: a.sizes[-1])
    assert variant.status_code == 200
    assert "x-tonearm-variant" not in variant.headers
    assert sha(variant.content) == stored.digests[f"variants/{stored.track_id}/opus-160.ogg"]
    for response, artwork in zip(art, stored.artworks, strict=True):
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert (
            sha(response.content) == stored.digests[f"art/{artwork.hash}/{artwork.sizes[-1]}.jpg"]
        )
    assert await registry_rows(engine) == rows_before


async def test_dry_run_changes_nothing_either_way(
    on: Callable[[str], Settings],
    stored: Stored,
    bucket: S3Storage,
    local: LocalStorage,
    engine: AsyncEngine,
) -> None:
    sessions = create_session_factory(engine)
    data_dir = on("local").data_dir
    total = len(stored.digests)
    files = files_under(data_dir)
    rows = await registry_rows(engine)

    dry = await migrate(sessions, source=local, target=bucket, scratch_dir=data_dir, dry_run=True)
    assert dry.counts == {"would copy": total}
    assert await bucket.list_keys("art/") == []
    assert await bucket.list_keys("variants/") == []
    # Only the lock file a run holds (empty) is new.
    assert files_under(data_dir) == {
        **files,
        ".migrate.lock": files_under(data_dir)[".migrate.lock"],
    }
    assert (data_dir / ".migrate.lock").stat().st_size == 0
    assert await registry_rows(engine) == rows

    await migrate(sessions, source=local, target=bucket, scratch_dir=data_dir)
    for key in stored.digests:  # the local copies go: a dry run back would copy them all
        (local.path_of(key)).unlink()
    files = files_under(data_dir)
    dry_back = await migrate(
        sessions, source=bucket, target=local, scratch_dir=data_dir, dry_run=True
    )
    assert dry_back.counts == {"would copy": total}
    assert files_under(data_dir) == files
    assert await registry_rows(engine) == rows


async def test_an_object_with_other_bytes_on_the_target_is_copied_again(
    on: Callable[[str], Settings],
    stored: Stored,
    bucket: S3Storage,
    local: LocalStorage,
    engine: AsyncEngine,
) -> None:
    sessions = create_session_factory(engine)
    data_dir = on("local").data_dir
    total = len(stored.digests)
    await migrate(sessions, source=local, target=bucket, scratch_dir=data_dir)
    artwork = stored.artworks[0]
    thumbnail = f"art/{artwork.hash}/{artwork.sizes[0]}.jpg"
    variant = f"variants/{stored.track_id}/opus-96.ogg"
    good = await bucket.read_all(thumbnail)
    # Same name, same size, one byte different: only a hash tells.
    flipped = good[:-1] + bytes([good[-1] ^ 0xFF])
    await bucket.put_bytes(thumbnail, flipped, content_type="image/jpeg")
    await bucket.put_bytes(variant, b"OggS truncated", content_type="audio/ogg")

    fixed = await migrate(sessions, source=local, target=bucket, scratch_dir=data_dir)
    assert fixed.counts == {"copied": 2, "skipped": total - 2}
    assert await all_digests(bucket, sorted(stored.digests)) == stored.digests

    # And on the local side.
    path = local.path_of(thumbnail)
    path.write_bytes(flipped)
    fixed_back = await migrate(sessions, source=bucket, target=local, scratch_dir=data_dir)
    assert fixed_back.counts == {"copied": 1, "skipped": total - 1}
    assert sha(path.read_bytes()) == stored.digests[thumbnail]


def command_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEARM_")}
    env.update(
        TONEARM_DATA_DIR=str(settings.data_dir),
        TONEARM_DATABASE_URL=settings.resolved_database_url,
        TONEARM_MEDIA_ROOT=str(settings.media_root),
        TONEARM_SECRET_KEY=settings.signing_keys()[0],
        TONEARM_STORAGE=settings.storage,
        TONEARM_S3_BUCKET=str(settings.s3_bucket),
        TONEARM_S3_ENDPOINT_URL=str(settings.s3_endpoint_url),
        TONEARM_S3_MAX_ATTEMPTS="1",
    )
    return env


async def test_the_command_reports_lost_sources_and_exits_1_without_a_traceback(
    on: Callable[[str], Settings], stored: Stored, bucket: S3Storage, local: LocalStorage
) -> None:
    settings = on("local")
    artwork = stored.artworks[1]
    lost_thumbnail = f"art/{artwork.hash}/{artwork.sizes[-1]}.jpg"
    lost_variant = f"variants/{stored.track_id}/opus-160.ogg"
    local.path_of(lost_thumbnail).unlink()
    local.path_of(lost_variant).unlink()
    total = len(stored.digests)

    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tonearm.cli", "storage", "migrate", "--to", "s3"],
        env=command_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    lines = run.stdout.splitlines()
    lost = {lost_thumbnail, lost_variant}
    progress = {line.split("] missing: ")[1] for line in lines if "] missing: " in line}
    assert progress == lost
    assert {line for line in lines if line.endswith(": missing")} == {
        f"  {k}: missing" for k in lost
    }
    assert lines[-1] == (
        f"{total} objects: {total - 2} copied, 2 missing. Run it again to retry the failed "
        "ones; sources kept."
    )
    present = sorted(set(stored.digests) - {lost_thumbnail, lost_variant})
    assert await all_digests(bucket, present) == {k: stored.digests[k] for k in present}
    assert not await bucket.exists(lost_thumbnail)


async def test_the_command_killed_part_way_then_run_again_copies_only_what_is_missing(  # noqa: PLR0917 - fixtures
    on: Callable[[str], Settings],
    stored: Stored,
    bucket: S3Storage,
    local: LocalStorage,
    engine: AsyncEngine,
    s3_endpoint: str,
) -> None:
    settings = on("s3")
    data_dir = settings.data_dir
    sessions = create_session_factory(engine)
    await migrate(sessions, source=local, target=bucket, scratch_dir=data_dir)
    for key in stored.digests:  # now on S3 only
        local.path_of(key).unlink()
    total = len(stored.digests)
    command = [sys.executable, "-m", "tonearm.cli", "storage", "migrate", "--to", "local"]

    # Through a slow link, killed while it downloads an object into its scratch folder.
    with ThrottledProxy(s3_endpoint, chunk=8 * 1024) as slow_link:
        env = {**command_env(settings), "TONEARM_S3_ENDPOINT_URL": slow_link.url}
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size > 0 for p in data_dir.glob(".migrate-*/*")):
            assert process.returncode is None, await process.communicate()
            assert time.monotonic() < deadline, "no download started"
            await asyncio.sleep(0.005)
        process.kill()
        await process.wait()
    assert [p.name for p in data_dir.glob(".migrate-*/*")] != []  # what the kill left
    done_before = {key for key in stored.digests if local.path_of(key).exists()}
    assert len(done_before) < total
    for key in done_before:  # whatever is at a final name is whole
        assert sha(local.path_of(key).read_bytes()) == stored.digests[key]

    again = await asyncio.create_subprocess_exec(
        *command,
        env=command_env(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await again.communicate()
    assert again.returncode == 0, out + err
    counts = f"{total - len(done_before)} copied"
    if done_before:
        counts += f", {len(done_before)} skipped"
    assert out.decode().splitlines()[-1] == (
        f"{total} objects: {counts}. Sources kept. Now set TONEARM_STORAGE=local and restart "
        "tonearm."
    )
    assert await all_digests(local, sorted(stored.digests)) == stored.digests
    assert list(data_dir.glob(".migrate-*")) == []  # the killed run's scratch went too
