"""Uploads with ``TONEARM_STORAGE=s3`` (a real moto server): the original goes into the
bucket under the key layout and the row records the key; a worker's variant goes there too
and is streamed from there; a purge deletes both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser
from tests.support.audio import encoded_audio
from tests.uploads.conftest import results, upload
from tonearm.catalog.variants import offered_variants
from tonearm.db import variants as registry
from tonearm.db.models import TrackRecord
from tonearm.settings import Settings
from tonearm.storage.s3 import S3Config, S3Storage
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url
from tonearm.transcoding.jobs import JobOutcome, run_job
from tonearm.transcoding.making import Maker, source_audio
from tonearm.transcoding.store import VariantStore


@pytest.fixture
def settings(
    s3_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> Settings:
    """Uploads into this test's bucket, proxied; no queue."""
    return s3_settings(
        database_url=database_url_for_test,
        media_root=media_root,
        variants_on_upload="on-demand",
        s3_delivery="proxy",
    )


@pytest.fixture
async def bucket(s3_endpoint: str, s3_bucket: str) -> AsyncIterator[S3Storage]:
    """The test's bucket, read directly."""
    storage = S3Storage(S3Config(bucket=s3_bucket, endpoint_url=s3_endpoint))
    yield storage
    await storage.close()


async def test_an_upload_is_stored_in_the_bucket_under_its_key(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    uploader: SignedInUser,
    settings: Settings,
    bucket: S3Storage,
) -> None:
    data = encoded_audio("mp3", 1.0)
    [result] = results(await upload(client, [("../../evil name.mp3", data)]))
    assert result["__typename"] == "UploadedTrack"
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(TrackRecord.id, TrackRecord.storage_key, TrackRecord.path)
            )
        ).one()
    user = uploader.record.id
    assert row.storage_key is not None
    assert row.storage_key.startswith(f"originals/{user}/")
    assert row.storage_key.endswith(f"/{row.id}.mp3")
    assert row.storage_key == f"originals/{row.path}"
    assert await bucket.read_all(row.storage_key) == data
    uploads = settings.resolved_uploads_dir
    left = [p for p in uploads.rglob("*") if p.is_file() and not p.name.endswith(".quota")]
    assert left == []  # nothing of it stays on this disk


async def test_a_workers_variant_goes_to_the_bucket_and_streams_from_there(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    uploader: SignedInUser,
    settings: Settings,
    bucket: S3Storage,
) -> None:
    data = encoded_audio("flac", 1.0)
    [result] = results(await upload(client, [("lossless.flac", data)]))
    assert result["__typename"] == "UploadedTrack"
    async with engine.connect() as connection:
        track_id = (await connection.execute(select(TrackRecord.id))).scalar_one()
    source = await registry.source_file(engine, track_id)
    assert source is not None
    key = offered_variants(source_audio(source))[0]
    # A worker process (here: on this loop) with its own storage client, as on another machine.
    worker_storage = S3Storage(
        S3Config(bucket=settings.s3_bucket or "", endpoint_url=settings.s3_endpoint_url)
    )
    maker = Maker(
        engine=engine,
        store=VariantStore(settings.data_dir.resolve() / "worker-variants"),
        media_root=settings.require_media_root(),
        uploads_root=settings.resolved_uploads_dir,
        ffmpeg_program=settings.ffmpeg,
        storage=worker_storage,
    )
    try:
        outcome = await run_job(maker, track_id, key)
    finally:
        await worker_storage.close()
    assert outcome.outcome is JobOutcome.MADE, outcome
    object_key = f"variants/{track_id}/{key.slug}.{key.container}"
    made = await bucket.read_all(object_key)
    row = await registry.get_variant(engine, track_id, key)
    assert row is not None
    assert row.state == registry.READY
    assert row.size_bytes == len(made)
    local = list((settings.data_dir.resolve() / "worker-variants").rglob(f"{key.slug}.*"))
    assert [p for p in local if p.suffix == f".{key.container}"] == []
    signer = StreamSigner(settings.signing_keys(), settings.stream_url_ttl)
    token = signer.mint(track_id, user_id=uploader.record.id, variant=key).token
    streamed = await client.get(stream_url(track_id, token))
    assert streamed.status_code == 200
    assert streamed.content == made
    assert streamed.headers["content-type"] == key.target.mime_type
    ranged = await client.get(stream_url(track_id, token), headers={"Range": "bytes=4-11"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 4-11/{len(made)}"
    assert ranged.content == made[4:12]
    original = await client.get(
        stream_url(track_id, signer.mint(track_id, user_id=uploader.record.id).token)
    )
    assert original.status_code == 200
    assert original.content == data


async def test_a_purge_deletes_the_original_and_the_variants_from_the_bucket(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    uploader: SignedInUser,
    app: FastAPI,
    bucket: S3Storage,
) -> None:
    from tonearm.catalog.access import Reader
    from tonearm.trash.purge import purge
    from tonearm.trash.queries import TrashKind
    from tonearm.trash.service import delete_track

    [result] = results(await upload(client, [("gone.mp3", encoded_audio("mp3", 1.0))]))
    assert result["__typename"] == "UploadedTrack"
    async with engine.connect() as connection:
        track_id, key = (
            await connection.execute(select(TrackRecord.id, TrackRecord.storage_key))
        ).one()
    variant = f"variants/{track_id}/mp3-128.mp3"
    await bucket.put_bytes(variant, b"a made variant", content_type="audio/mpeg")
    services = app.state.services
    reader = Reader(uploader.record.id, False)
    await delete_track(services, reader, track_id)
    assert await bucket.exists(key)  # the trash keeps everything
    await purge(services, reader, TrashKind.TRACK, track_id)
    assert not await bucket.exists(key)
    assert await bucket.list_keys(f"variants/{track_id}/") == []
