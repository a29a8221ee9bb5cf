"""Making a variant: a verified, tagged, audio-only file with exact length information."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
import subprocess
from pathlib import Path

import mutagen
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.mp3_frames import count_mp3_frames, xing_frame_count
from tests.support.ogg_pages import opus_pages
from tests.transcoding.conftest import FLAC, MP3, SECONDS, Library
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.db.models import TrackRecord
from tonearm.transcoding.making import Maker, NotOffered, VariantError
from tonearm.transcoding.store import VariantStore

MP3_320 = VariantKey(AudioFormat.MP3, 320)
OPUS_96 = VariantKey(AudioFormat.OPUS, 96)


async def make(maker: Maker, library: Library, rel: str, key: VariantKey) -> Path:
    track_id = library.ids[rel]
    source = await maker.source(track_id, key)
    lock = await maker.try_lock(track_id, key)
    assert lock is not None
    try:
        await maker.make(source, key, lock)
    finally:
        lock.release()
    return maker.store.path_for(track_id, key)


def probe_streams(path: Path) -> list[dict[str, object]]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        check=True,
        capture_output=True,
    ).stdout
    streams: list[dict[str, object]] = json.loads(out)["streams"]
    return streams


async def test_an_mp3_variant_is_verified_tagged_audio_only_with_an_exact_xing_header(
    maker: Maker, library: Library, engine: AsyncEngine
) -> None:
    path = await make(maker, library, FLAC, MP3_320)

    data = path.read_bytes()
    row = await registry.get_variant(engine, library.ids[FLAC], MP3_320)
    assert row is not None
    assert (row.state, row.container, row.size_bytes) == ("ready", "mp3", len(data))
    assert row.content_hash == hashlib.sha256(data).hexdigest()
    assert row.duration_seconds == pytest.approx(SECONDS, abs=0.05)
    assert [s["codec_type"] for s in probe_streams(path)] == ["audio"]  # the cover is not mapped
    assert mutagen.File(path)["TIT2"].text == ["Lossless"]  # tags kept
    assert xing_frame_count(data) == count_mp3_frames(data)  # written after the last frame
    assert list(path.parent.glob(".*.part")) == []


async def test_an_opus_variant_carries_granule_positions_to_its_exact_length(
    maker: Maker, library: Library
) -> None:
    path = await make(maker, library, FLAC, OPUS_96)

    pages = opus_pages(path.read_bytes())
    granules = [page.granule for page in pages if page.granule >= 0]
    assert granules == sorted(granules)
    pre_skip = pages[0].pre_skip
    assert (granules[-1] - pre_skip) / 48_000 == pytest.approx(SECONDS, abs=0.02)
    assert [s["codec_name"] for s in probe_streams(path)] == ["opus"]
    assert mutagen.File(path)["title"] == ["Lossless"]


async def test_a_variant_the_track_does_not_offer_is_refused(
    maker: Maker, library: Library
) -> None:
    with pytest.raises(NotOffered):  # the MP3 source is 128 kbps: no Opus 160, no MP3 at all
        await maker.source(library.ids[MP3], VariantKey(AudioFormat.OPUS, 160))
    with pytest.raises(NotOffered):
        await maker.source(library.ids[MP3], MP3_320)


async def test_a_second_claim_on_a_variant_being_made_is_refused(
    maker: Maker, library: Library
) -> None:
    first = await maker.try_lock(library.ids[FLAC], OPUS_96)
    assert first is not None
    assert await maker.try_lock(library.ids[FLAC], OPUS_96) is None
    assert maker.store.following_part(library.ids[FLAC], OPUS_96) == first.part_path
    first.release()
    second = await maker.try_lock(library.ids[FLAC], OPUS_96)
    assert second is not None
    second.release()


async def failed_reason(engine: AsyncEngine, library: Library, rel: str, key: VariantKey) -> str:
    row = await registry.get_variant(engine, library.ids[rel], key)
    assert row is not None
    assert row.state == "failed"
    assert row.failure_reason
    return row.failure_reason


async def test_a_source_truncated_after_the_scan_fails_with_its_reason_and_leaves_nothing(
    maker: Maker, library: Library, engine: AsyncEngine, store: VariantStore
) -> None:
    source = library.root / FLAC
    data = source.read_bytes()
    source.write_bytes(data[: len(data) // 2])

    with pytest.raises(VariantError) as failure:
        await make(maker, library, FLAC, OPUS_96)

    reason = await failed_reason(engine, library, FLAC, OPUS_96)
    assert reason == failure.value.reason
    assert reason.startswith("the encoder failed: ")
    assert "/" not in reason.removeprefix("the encoder failed: ").replace("…", "")
    assert not store.path_for(library.ids[FLAC], OPUS_96).exists()
    assert list(store.path_for(library.ids[FLAC], OPUS_96).parent.glob(".*.part")) == []


async def test_a_zero_length_source_fails(
    maker: Maker, library: Library, engine: AsyncEngine
) -> None:
    (library.root / FLAC).write_bytes(b"")
    with pytest.raises(VariantError):
        await make(maker, library, FLAC, OPUS_96)
    assert (await failed_reason(engine, library, FLAC, OPUS_96)).startswith("the encoder failed")


async def test_a_missing_source_fails_permanently(
    maker: Maker, library: Library, engine: AsyncEngine
) -> None:
    (library.root / FLAC).unlink()
    with pytest.raises(VariantError) as failure:
        await make(maker, library, FLAC, OPUS_96)
    assert failure.value.permanent
    assert await failed_reason(engine, library, FLAC, OPUS_96) == "the original file is missing"


async def test_a_source_whose_duration_tag_lies_gets_its_registry_duration_corrected(
    maker: Maker, library: Library, engine: AsyncEngine
) -> None:
    track_id = library.ids[FLAC]
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord).where(TrackRecord.id == track_id).values(duration_seconds=60.0)
        )

    await make(maker, library, FLAC, OPUS_96)

    async with engine.connect() as connection:
        duration = await connection.scalar(
            select(TrackRecord.duration_seconds).where(TrackRecord.id == track_id)
        )
    assert duration == pytest.approx(SECONDS, abs=0.05)
    row = await registry.get_variant(engine, track_id, OPUS_96)
    assert row is not None
    assert row.state == "ready"


async def test_a_disk_that_fills_up_fails_the_variant_and_leaves_no_partial_file(
    engine: AsyncEngine, library: Library, tmp_path: Path
) -> None:
    class FullDisk(VariantStore):
        """A store whose every ``.part`` file is the kernel's /dev/full (ENOSPC on write)."""

        def try_lock(self, track_id, key):  # type: ignore[no-untyped-def]
            lock = super().try_lock(track_id, key)
            assert lock is not None
            lock.part_path.symlink_to("/dev/full")
            return lock

    store = FullDisk(tmp_path / "full" / "variants")
    maker = Maker(engine=engine, store=store, media_root=library.root.resolve())

    with pytest.raises(VariantError):
        await make(maker, library, FLAC, OPUS_96)

    reason = await failed_reason(engine, library, FLAC, OPUS_96)
    assert "No space left on device" in reason
    folder = store.path_for(library.ids[FLAC], OPUS_96).parent
    assert sorted(p.name for p in folder.iterdir()) == [".opus-96.lock"]


async def test_an_encoder_that_crashes_fails_the_variant(
    engine: AsyncEngine, library: Library, store: VariantStore, tmp_path: Path
) -> None:
    crashing = tmp_path / "ffmpeg-crashes"
    crashing.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crashing.chmod(crashing.stat().st_mode | stat.S_IXUSR)
    maker = Maker(
        engine=engine, store=store, media_root=library.root.resolve(), ffmpeg_program=str(crashing)
    )

    with pytest.raises(VariantError):
        await make(maker, library, FLAC, OPUS_96)

    assert await failed_reason(engine, library, FLAC, OPUS_96) == (
        "the encoder failed: exit status -11"
    )
    assert not store.path_for(library.ids[FLAC], OPUS_96).exists()


async def test_a_made_variant_is_made_again_when_its_source_changes(
    maker: Maker, library: Library, engine: AsyncEngine
) -> None:
    await make(maker, library, FLAC, OPUS_96)
    source = await registry.source_file(engine, library.ids[FLAC])
    assert source is not None
    assert not await registry.claim_pending(engine, source, OPUS_96)  # same source: stays

    changed = dataclasses.replace(source, mtime_ns=source.mtime_ns + 1)
    assert await registry.claim_pending(engine, changed, OPUS_96)
    row = await registry.get_variant(engine, library.ids[FLAC], OPUS_96)
    assert row is not None
    assert row.state == "pending"


async def test_the_store_keeps_to_its_cap_evicting_the_least_recently_played(
    engine: AsyncEngine, library: Library, store: VariantStore
) -> None:
    maker = Maker(engine=engine, store=store, media_root=library.root.resolve())
    first = await make(maker, library, FLAC, OPUS_96)
    maker.store_max_bytes = os.stat(first).st_size + 10  # room for about one variant

    second = await make(maker, library, FLAC, MP3_320)

    assert not first.exists()
    assert second.exists()
    assert await registry.get_variant(engine, library.ids[FLAC], OPUS_96) is None
    assert await registry.ready_bytes(engine) == os.stat(second).st_size
