"""Originals of S3 uploads fetched into ``<store>/.sources`` to be encoded (a real moto
server, real ffmpeg): the file is gone after the encode whatever its outcome (made, the
encoder failed, the original was gone, cancelled mid-encode); stale ones are swept by the
worker's recovery; a worker killed while it fetches one leaves a file the next worker's
start-up sweep removes."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import make_user
from tests.support.audio import encoded_audio
from tests.support.throttled_proxy import ThrottledProxy
from tests.transcoding.conftest import TEST_POLICY, until, write_encoder
from tests.transcoding.test_worker_process import environment, start
from tests.uploads.conftest import ORIGIN, grant_upload, results, upload
from tonearm.accounts.users import Role
from tonearm.app import create_app
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.db.models import TrackRecord
from tonearm.settings import Settings
from tonearm.storage.s3 import S3Config, S3Storage
from tonearm.transcoding import jobs
from tonearm.transcoding.jobs import JobOutcome, run_job
from tonearm.transcoding.making import Maker
from tonearm.transcoding.queue import create_queue
from tonearm.transcoding.store import STALE_SOURCE_SECONDS, VariantStore

OPUS_96 = VariantKey(AudioFormat.OPUS, 96)


@dataclass
class Uploaded:
    """An upload whose original is only in the bucket."""

    track_id: uuid.UUID
    storage_key: str
    size: int


@pytest.fixture
def settings(
    s3_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> Settings:
    """Uploads into this test's bucket; variants only when asked for."""
    return s3_settings(
        database_url=database_url_for_test, media_root=media_root, variants_on_upload="on-demand"
    )


@pytest.fixture
async def bucket(settings: Settings) -> AsyncIterator[S3Storage]:
    """The test's bucket, for a worker-like Maker and for reading it directly."""
    storage = S3Storage(
        S3Config(bucket=settings.s3_bucket or "", endpoint_url=settings.s3_endpoint_url)
    )
    yield storage
    await storage.close()


async def upload_flac(settings: Settings, engine: AsyncEngine, seconds: float) -> Uploaded:
    user = await make_user(engine, "uploader", Role.LISTENER)
    await grant_upload(engine, user)
    data = encoded_audio("flac", seconds)
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=ORIGIN, headers=user.bearer, timeout=60
    ) as client:
        [result] = results(await upload(client, [("lossless.flac", data)]))
    await app.state.services.engine.dispose()
    assert result["__typename"] == "UploadedTrack"
    async with engine.connect() as connection:
        row = (await connection.execute(select(TrackRecord.id, TrackRecord.storage_key))).one()
    assert row.storage_key is not None
    return Uploaded(row.id, row.storage_key, len(data))


@pytest.fixture
async def uploaded(settings: Settings, engine: AsyncEngine) -> Uploaded:
    """A 3-second FLAC uploaded to the bucket."""
    return await upload_flac(settings, engine, 3.0)


def store_of(settings: Settings) -> VariantStore:
    return VariantStore.in_data_dir(settings.data_dir)


def sources_left(settings: Settings) -> list[str]:
    folder = store_of(settings).sources_dir
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def maker_for(engine: AsyncEngine, settings: Settings, storage: S3Storage, ffmpeg: str) -> Maker:
    """A worker's Maker with its own storage client, as on another machine."""
    return Maker(
        engine=engine,
        store=store_of(settings),
        media_root=settings.require_media_root(),
        uploads_root=settings.resolved_uploads_dir,
        ffmpeg_program=ffmpeg,
        storage=storage,
    )


@pytest.mark.parametrize("outcome", ["made", "encoder_fails", "original_gone"])
async def test_the_fetched_original_is_gone_after_the_encode(  # noqa: PLR0917 - fixtures
    settings: Settings,
    uploaded: Uploaded,
    bucket: S3Storage,
    engine: AsyncEngine,
    tmp_path: Path,
    outcome: str,
) -> None:
    ffmpeg = settings.ffmpeg
    if outcome == "encoder_fails":
        ffmpeg = str(write_encoder(tmp_path / "failing", fail_first=99).program)
    if outcome == "original_gone":
        await bucket.delete(uploaded.storage_key)
    result = await run_job(maker_for(engine, settings, bucket, ffmpeg), uploaded.track_id, OPUS_96)
    expected = {
        "made": JobOutcome.MADE,
        "encoder_fails": JobOutcome.FAILED,
        "original_gone": JobOutcome.FAILED,
    }[outcome]
    assert result.outcome is expected, result
    assert sources_left(settings) == []
    row = await registry.get_variant(engine, uploaded.track_id, OPUS_96)
    assert row is not None
    if outcome == "made":
        assert row.state == "ready"
        assert await bucket.exists(f"variants/{uploaded.track_id}/opus-96.ogg")
    else:
        assert row.failure_reason in {
            "the original file is missing",
            "the encoder failed: simulated encoder crash",
        }


async def test_a_cancelled_encode_leaves_no_fetched_original(
    settings: Settings, uploaded: Uploaded, bucket: S3Storage, engine: AsyncEngine, tmp_path: Path
) -> None:
    slow = write_encoder(tmp_path / "slow", realtime=True)
    maker = maker_for(engine, settings, bucket, str(slow.program))
    job = asyncio.create_task(run_job(maker, uploaded.track_id, OPUS_96))
    folder = store_of(settings).path_for(uploaded.track_id, OPUS_96).parent

    async def encoding() -> bool:
        return any(p.stat().st_size > 0 for p in folder.glob(".*.part"))

    await until(encoding)
    # Mid-encode the name is gone already: ffmpeg reads a descriptor of it.
    assert sources_left(settings) == []
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert sources_left(settings) == []
    assert list(folder.glob(".*.part")) == []


async def test_recovery_sweeps_stale_fetched_originals_and_keeps_fresh_ones(
    settings: Settings, engine: AsyncEngine
) -> None:
    store = store_of(settings)
    stale = store.new_source_path()
    stale.write_bytes(b"fLaC half of it")
    hours_ago = time.time() - STALE_SOURCE_SECONDS - 60
    os.utime(stale, (hours_ago, hours_ago))
    fresh = store.new_source_path()
    fresh.write_bytes(b"fLaC being fetched now")
    queue = create_queue(settings, TEST_POLICY)
    try:
        done = await jobs.recover(queue, engine, store, older_than=0)
    finally:
        queue.close()
    assert done.sources_removed == 1
    assert sources_left(settings) == [fresh.name]


async def test_a_worker_killed_while_fetching_an_original_leaves_a_file_the_next_one_sweeps(
    settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    # 40 s of FLAC through a link of 320 KiB/s: the fetch takes seconds.
    uploaded = await upload_flac(settings, engine, 40.0)
    queue = create_queue(settings, TEST_POLICY)
    try:
        assert await jobs.enqueue_variants(queue, engine, [uploaded.track_id], keys={OPUS_96})
    finally:
        queue.close()
    store = store_of(settings)
    s3_env = {
        "TONEARM_STORAGE": "s3",
        "TONEARM_S3_BUCKET": settings.s3_bucket or "",
        "TONEARM_S3_REGION": "us-east-1",
    }
    with ThrottledProxy(settings.s3_endpoint_url or "") as slow_link:
        env = environment(settings, **s3_env, TONEARM_S3_ENDPOINT_URL=slow_link.url)
        # Not ``worker()``: its 30 s for the ready line is too short on a loaded machine
        # for a worker that loads aiobotocore; the fetch starting is what counts here.
        first = start(["worker"], env, tmp_path / "1.log")
        try:
            deadline = time.monotonic() + 120
            while not [p for p in store.sources_dir.glob("*") if p.stat().st_size > 0]:
                assert first.poll() is None, (tmp_path / "1.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "1.log").read_text()
                await asyncio.sleep(0.01)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
    [left] = store.sources_dir.iterdir()
    assert 0 < left.stat().st_size < uploaded.size  # killed half-way through the fetch

    # Fresh, it could be another process's fetch: left alone.
    queue = create_queue(settings, TEST_POLICY)
    try:
        assert (await jobs.recover(queue, engine, store, older_than=0)).sources_removed == 0
    finally:
        queue.close()
    assert left.exists()

    # Hours later the next worker starts: its sweep removes it, and the variant is made.
    hours_ago = time.time() - STALE_SOURCE_SECONDS - 60
    os.utime(left, (hours_ago, hours_ago))
    env = environment(settings, **s3_env, TONEARM_S3_ENDPOINT_URL=settings.s3_endpoint_url or "")
    second = start(["worker"], env, tmp_path / "2.log")
    try:

        async def made() -> bool:
            assert second.poll() is None, (tmp_path / "2.log").read_text()
            row = await registry.get_variant(engine, uploaded.track_id, OPUS_96)
            return row is not None and row.state == "ready"

        await until(made, within=120)
        second.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(second.wait, 30) == 0
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
    assert not left.exists()
    assert sources_left(settings) == []
    assert "removed 1 stale downloaded originals" in (tmp_path / "2.log").read_text()
