"""First-play encodes: who keeps one going, and when it stops."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.transcoding.conftest import FLAC, Library, write_encoder
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.transcoding.limits import EncoderSlots
from tonearm.transcoding.live import GRACE_SECONDS, LiveEncodes
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


async def test_a_time_offset_stream_of_the_variant_keeps_its_first_play_encode_going(
    engine: AsyncEngine, library: Library, store: VariantStore, tmp_path: Path
) -> None:
    live = live_encodes(engine, library, store, tmp_path)
    source = await live.maker.source(library.ids[FLAC], OPUS_96)
    first = await live.stream(source, OPUS_96, None)
    assert first is not None
    assert await anext(first)
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
    first = await live.stream(source, OPUS_96, None)
    assert first is not None
    assert await anext(first)
    await first.aclose()
    again = await live.stream(source, OPUS_96, None)  # the browser's second connection
    assert again is not None
    chunks = [chunk async for chunk in again]  # joins the same encode and reads to its end

    assert live.running() == 0
    stored = store.path_for(library.ids[FLAC], OPUS_96)
    assert b"".join(chunks) == stored.read_bytes()
    row = await registry.get_variant(engine, library.ids[FLAC], OPUS_96)
    assert row is not None
    assert row.state == "ready"
