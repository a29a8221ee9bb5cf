"""First-play encodes: who keeps one going, and when it stops."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.transcoding.conftest import FLAC, Library, write_encoder
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.db.variants import SourceFile
from tonearm.transcoding.limits import EncoderSlots
from tonearm.transcoding.live import GRACE_SECONDS, Held, LiveEncodes
from tonearm.transcoding.making import Maker
from tonearm.transcoding.store import VariantStore

OPUS_96 = VariantKey(AudioFormat.OPUS, 96)


def live_encodes(
    engine: AsyncEngine, library: Library, store: VariantStore, tmp: Path
) -> LiveEncodes:
    # An encoder at playback speed (-re): a 6-second track takes 6 seconds to encode.
    encoder = write_encoder(tmp / "encoder", realtime=True)
    maker = Maker(
        engine=engine,
        store=store,
        media_root=library.root.resolve(),
        ffmpeg_program=str(encoder.program),
    )
    return LiveEncodes(maker, EncoderSlots(store.root, total=8, per_user=3))


async def playing(live: LiveEncodes, source: SourceFile) -> Held:
    """A first play of the variant that has started and sent its first bytes."""
    first = await live.stream(source, OPUS_96, None)
    assert first is not None
    assert await anext(first)
    return first


async def assert_made(
    engine: AsyncEngine, store: VariantStore, track_id: uuid.UUID, body: bytes
) -> None:
    """``body`` is the whole stored variant, and the registry says it is ready."""
    assert body == store.path_for(track_id, OPUS_96).read_bytes()
    row = await registry.get_variant(engine, track_id, OPUS_96)
    assert row is not None
    assert row.state == "ready"


async def test_a_time_offset_stream_of_the_variant_keeps_its_first_play_encode_going(
    engine: AsyncEngine, library: Library, store: VariantStore, tmp_path: Path
) -> None:
    live = live_encodes(engine, library, store, tmp_path)
    source = await live.maker.source(library.ids[FLAC], OPUS_96)
    first = await playing(live, source)
    seek = await live.offset_stream(source, OPUS_96, None, 3.0)
    assert await anext(seek)

    await first.aclose()  # the player left the first-play stream for a time offset
    await asyncio.sleep(GRACE_SECONDS + 0.5)
    assert live.running() == 1  # still wanted: the offset stream holds interest

    await seek.aclose()
    await asyncio.sleep(GRACE_SECONDS + 0.5)
    assert live.running() == 0  # nobody wants it: stopped, nothing left behind
    assert await registry.get_variant(engine, library.ids[FLAC], OPUS_96) is None
    assert list(store.path_for(library.ids[FLAC], OPUS_96).parent.glob(".*.part")) == []


async def test_a_listener_that_returns_within_the_grace_keeps_the_encode(
    engine: AsyncEngine, library: Library, store: VariantStore, tmp_path: Path
) -> None:
    live = live_encodes(engine, library, store, tmp_path)
    source = await live.maker.source(library.ids[FLAC], OPUS_96)
    first = await playing(live, source)
    await first.aclose()
    again = await live.stream(source, OPUS_96, None)  # the browser's second connection
    assert again is not None
    chunks = [chunk async for chunk in again]  # joins the same encode and reads to its end

    assert live.running() == 0
    await assert_made(engine, store, library.ids[FLAC], b"".join(chunks))


async def test_a_request_that_has_not_read_yet_keeps_the_encode_it_joined(
    engine: AsyncEngine, library: Library, store: VariantStore, tmp_path: Path
) -> None:
    live = live_encodes(engine, library, store, tmp_path)
    source = await live.maker.source(library.ids[FLAC], OPUS_96)
    first = await playing(live, source)
    second = await live.stream(source, OPUS_96, None)  # joined; its response not sent yet
    assert second is not None
    await first.aclose()
    await asyncio.sleep(GRACE_SECONDS + 0.5)
    assert live.running() == 1  # the second request counts from the moment it joined

    chunks = [chunk async for chunk in second]
    await assert_made(engine, store, library.ids[FLAC], b"".join(chunks))


async def test_a_request_never_follows_an_encode_that_is_being_stopped(
    engine: AsyncEngine, library: Library, store: VariantStore, tmp_path: Path
) -> None:
    live = live_encodes(engine, library, store, tmp_path)
    track_id = library.ids[FLAC]
    source = await live.maker.source(track_id, OPUS_96)
    # Another worker's encode of the variant, which that worker is stopping right now.
    other = store.try_lock(track_id, OPUS_96)
    assert other is not None
    other.part_path.write_bytes(b"the start of an encode that is being stopped")
    claim = store.claim_unwanted(track_id, OPUS_96)
    assert claim is not None
    assert store.hold_interest(track_id, OPUS_96) is None

    request = asyncio.create_task(live.stream(source, OPUS_96, None))
    await asyncio.sleep(0.5)
    assert not request.done()  # it waits for the stop instead of following a dying encode
    other.part_path.unlink()
    os.close(claim)
    other.release()

    chunks = await request
    assert chunks is not None
    body = b"".join([chunk async for chunk in chunks])
    await assert_made(engine, store, track_id, body)  # its own encode, whole


async def test_what_an_unread_stream_holds_is_given_back_when_it_is_closed(
    engine: AsyncEngine, library: Library, store: VariantStore, tmp_path: Path
) -> None:
    live = live_encodes(engine, library, store, tmp_path)
    source = await live.maker.source(library.ids[FLAC], OPUS_96)
    user = uuid.uuid4()
    for _ in range(5):  # more than the user's three slots, if a closed stream kept one
        seek = await live.offset_stream(source, OPUS_96, user, 3.0)
        await seek.aclose()  # the client went before the response started
        first = await live.stream(source, OPUS_96, user)
        assert first is not None
        await first.aclose()
    await asyncio.sleep(GRACE_SECONDS + 0.5)
    assert live.running() == 0  # the unread first plays did not keep the encode either
    claim = store.claim_unwanted(library.ids[FLAC], OPUS_96)
    assert claim is not None  # and the offset streams' interest is gone
    os.close(claim)
