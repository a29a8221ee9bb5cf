"""What follows registering an upload: eager variants, the published default."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser
from tests.support.audio import encoded_audio
from tests.uploads.conftest import ORIGIN, results, upload
from tonearm.app import create_app
from tonearm.catalog.variants import offered_variants
from tonearm.db import variants as registry
from tonearm.db.engine import create_session_factory
from tonearm.db.models import TrackRecord
from tonearm.settings import Settings
from tonearm.transcoding.making import source_audio
from tonearm.transcoding.queue import create_queue


async def client_for(settings: Settings, user: SignedInUser) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=ORIGIN, headers=user.bearer
        ) as client:
            yield client
    finally:
        await app.state.services.engine.dispose()


async def only_track(engine: AsyncEngine) -> TrackRecord:
    async with create_session_factory(engine)() as session:
        return (await session.scalars(select(TrackRecord))).one()


async def test_eager_variants_are_queued_for_an_upload(
    settings: Settings, uploader: SignedInUser, engine: AsyncEngine
) -> None:
    eager = settings.model_copy(update={"variants_on_upload": "eager"})
    async for client in client_for(eager, uploader):
        [result] = results(await upload(client, [("lossless.flac", encoded_audio("flac", 1.0))]))
    assert result["__typename"] == "UploadedTrack"

    track = await only_track(engine)
    source = await registry.source_file(engine, track.id)
    assert source is not None
    offered = offered_variants(source_audio(source))
    assert offered
    for key in offered:
        row = await registry.get_variant(engine, track.id, key)
        assert row is not None
        assert row.state == "pending"
    queue = create_queue(eager)
    try:
        assert queue.huey.pending_count() == len(offered)
    finally:
        queue.close()


async def test_on_demand_variants_queue_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    [result] = results(await upload(client, [("lossless.flac", encoded_audio("flac", 1.0))]))
    assert result["__typename"] == "UploadedTrack"
    track = await only_track(engine)
    async with engine.connect() as connection:
        assert await registry.variants_of_tracks(connection, [track.id]) == {}


@pytest.mark.parametrize("published", [True, False])
async def test_an_upload_is_published_as_the_setting_says(
    settings: Settings, uploader: SignedInUser, engine: AsyncEngine, published: bool
) -> None:
    chosen = settings.model_copy(update={"uploads_published": published})
    async for client in client_for(chosen, uploader):
        results(await upload(client, [("x.flac", encoded_audio("flac", 1.0, key=2))]))
    assert (await only_track(engine)).is_published is published
