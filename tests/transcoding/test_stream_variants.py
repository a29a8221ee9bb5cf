"""The stream route for variants: first play while encoding, stored ones like originals."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import stat
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.transcoding.conftest import FLAC, MP3, SECONDS, Library
from tonearm.app import create_app
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.settings import Settings
from tonearm.transcoding.limits import EncoderSlots
from tonearm.transcoding.store import VariantStore

OPUS_96 = VariantKey(AudioFormat.OPUS, 96)
MP3_320 = VariantKey(AudioFormat.MP3, 320)


def decoded_seconds(data: bytes) -> float:
    """How long the audio in ``data`` is, decoded completely by ffmpeg."""
    out = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-xerror",
            "-i",
            "pipe:0",
            "-f",
            "null",
            "-progress",
            "pipe:1",
            "-",
        ],
        input=data,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return int(re.findall(r"out_time_us=(\d+)", out)[-1]) / 1e6


@pytest.fixture
def store(settings: Settings) -> VariantStore:
    """The app's variant store."""
    return VariantStore.in_data_dir(settings.data_dir)


async def test_the_first_play_streams_the_encoding_at_once_and_leaves_the_verified_variant(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    engine: AsyncEngine,
    store: VariantStore,
) -> None:
    response = await client.get(variant_url(FLAC, OPUS_96))

    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/ogg"
    assert response.headers["accept-ranges"] == "none"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-tonearm-variant"] == "encoding"
    assert "content-length" not in response.headers
    stored = store.path_for(library.ids[FLAC], OPUS_96)
    assert response.content == stored.read_bytes()  # Ogg is written front to back
    assert decoded_seconds(response.content) == pytest.approx(SECONDS, abs=0.05)
    row = await registry.get_variant(engine, library.ids[FLAC], OPUS_96)
    assert row is not None
    assert row.state == "ready"


async def test_a_made_variant_is_served_with_ranges_like_an_original(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    store: VariantStore,
) -> None:
    url = variant_url(FLAC, MP3_320)
    await client.get(url)  # the first play makes it
    data = store.path_for(library.ids[FLAC], MP3_320).read_bytes()

    ranged = await client.get(url, headers={"Range": "bytes=100-1099"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    assert ranged.headers["content-type"] == "audio/mpeg"
    assert ranged.headers["accept-ranges"] == "bytes"
    assert ranged.content == data[100:1100]
    etag = ranged.headers["etag"]
    assert ranged.headers["content-disposition"] == 'inline; filename="Artist - Lossless.mp3"'

    head = await client.head(url)
    assert (head.status_code, head.headers["content-length"]) == (200, str(len(data)))
    stale = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert (stale.status_code, len(stale.content)) == (200, len(data))
    fresh = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert (fresh.status_code, fresh.content) == (206, data[:10])


async def test_the_first_play_of_an_mp3_variant_differs_from_the_file_only_in_its_header_frame(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    store: VariantStore,
) -> None:
    response = await client.get(variant_url(FLAC, MP3_320))

    data = store.path_for(library.ids[FLAC], MP3_320).read_bytes()
    assert len(response.content) == len(data)
    # The Xing/Info frame is completed once the last frame is written; the audio is the same.
    first_frame_end = data.index(b"\xff\xfb", data.index(b"Info") if b"Info" in data else 0)
    assert response.content[first_frame_end:] == data[first_frame_end:]


@pytest.mark.parametrize("probe", ["bytes=0-1", "bytes=1000-1999", "bytes=-500"])
async def test_a_range_other_than_from_zero_waits_for_the_made_file_and_gets_its_206(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    store: VariantStore,
    probe: str,
) -> None:
    # Safari probes with bytes=0-1 and plays only after a 206: it gets one, once made.
    response = await client.get(variant_url(FLAC, OPUS_96), headers={"Range": probe})

    data = store.path_for(library.ids[FLAC], OPUS_96).read_bytes()
    first, _, last = probe.removeprefix("bytes=").partition("-")
    start, end = (len(data) - int(last), len(data) - 1) if not first else (int(first), int(last))
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
    assert response.content == data[start : end + 1]


async def test_head_on_a_variant_not_made_answers_without_starting_an_encode(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    engine: AsyncEngine,
    store: VariantStore,
) -> None:
    response = await client.head(variant_url(FLAC, OPUS_96))

    assert response.status_code == 200
    assert response.headers["x-tonearm-variant"] == "encoding"
    assert response.headers["accept-ranges"] == "none"
    assert response.content == b""
    assert await registry.get_variant(engine, library.ids[FLAC], OPUS_96) is None
    assert not store.path_for(library.ids[FLAC], OPUS_96).parent.exists()


async def test_a_time_offset_streams_the_audio_from_there_and_stores_nothing(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    engine: AsyncEngine,
) -> None:
    response = await client.get(variant_url(FLAC, OPUS_96) + "&start=2.5")

    assert response.status_code == 200
    assert "content-length" not in response.headers
    assert decoded_seconds(response.content) == pytest.approx(SECONDS - 2.5, abs=0.05)
    assert await registry.get_variant(engine, library.ids[FLAC], OPUS_96) is None


@pytest.mark.parametrize("start", ["-1", "abc", "nan", "inf", "6.0", "1e9", ""])
async def test_a_start_that_is_not_inside_the_track_is_a_clear_400(
    client: httpx.AsyncClient, variant_url: Callable[..., str], start: str
) -> None:
    response = await client.get(variant_url(FLAC, OPUS_96) + f"&start={start}")
    assert (response.status_code, response.json()) == (400, {"error": "bad_start"})


async def test_a_failed_variant_answers_503_and_the_original_still_plays(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    engine: AsyncEngine,
) -> None:
    source = await registry.source_file(engine, library.ids[FLAC])
    assert source is not None
    await registry.mark_failed(engine, source, OPUS_96, "the encoder failed: boom")

    failed = await client.get(variant_url(FLAC, OPUS_96))
    assert (failed.status_code, failed.json()) == (503, {"error": "variant_failed"})
    original = await client.get(variant_url(FLAC, None))
    assert original.status_code == 200
    assert original.content == (library.root / FLAC).read_bytes()


async def test_a_variant_deleted_behind_the_registry_is_made_again(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    store: VariantStore,
) -> None:
    url = variant_url(FLAC, OPUS_96)
    await client.get(url)
    stored = store.path_for(library.ids[FLAC], OPUS_96)
    stored.unlink()

    again = await client.get(url, headers={"Range": "bytes=0-"})

    assert again.status_code == 200  # not made: the first-play answer, whole from byte 0
    assert again.headers["x-tonearm-variant"] == "encoding"
    assert again.content == stored.read_bytes()


async def test_a_variant_of_a_changed_source_is_made_again(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    engine: AsyncEngine,
    settings: Settings,
) -> None:
    url = variant_url(FLAC, OPUS_96)
    await client.get(url)
    source = await registry.source_file(engine, library.ids[FLAC])
    assert source is not None
    older = dataclasses.replace(source, size_bytes=source.size_bytes - 1)
    await registry.mark_ready(
        engine, older, OPUS_96, size_bytes=1, duration_seconds=1.0, content_hash="0" * 64
    )

    transport = httpx.ASGITransport(app=create_app(settings))  # no memo of the old row
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as fresh:
        again = await fresh.get(url)
    assert again.status_code == 200
    assert again.headers["x-tonearm-variant"] == "encoding"


async def test_no_encoder_slot_free_answers_429_with_retry_after(
    client: httpx.AsyncClient, variant_url: Callable[..., str], settings: Settings
) -> None:
    slots = EncoderSlots(
        VariantStore.in_data_dir(settings.data_dir).root,
        total=settings.transcode_max_concurrent,
        per_user=settings.transcode_max_per_user,
    )
    held = [await slots.acquire(None) for _ in range(settings.transcode_max_concurrent)]
    assert all(held)
    try:
        for url in (variant_url(FLAC, OPUS_96), variant_url(FLAC, OPUS_96) + "&start=1"):
            response = await client.get(url)
            assert response.status_code == 429
            assert response.headers["retry-after"] == "2"
            assert response.json() == {"error": "busy"}
    finally:
        for lease in held:
            assert lease is not None
            lease.release()
    assert (await client.get(variant_url(FLAC, OPUS_96))).status_code == 200


async def test_per_user_slots_cap_one_user_and_not_another(settings: Settings) -> None:
    slots = EncoderSlots(VariantStore.in_data_dir(settings.data_dir).root, total=8, per_user=2)
    alice, bob = uuid.uuid4(), uuid.uuid4()
    first, second = await slots.acquire(alice), await slots.acquire(alice)
    assert first
    assert second
    assert await slots.acquire(alice) is None
    other = await slots.acquire(bob)
    assert other is not None
    first.release()
    third = await slots.acquire(alice)
    assert third is not None
    for lease in (second, other, third):
        lease.release()


async def test_two_first_plays_at_once_share_one_encode(
    make_settings: Callable[..., Settings],
    library: Library,
    database_url_for_test: str,
    tmp_path: Path,
    variant_url: Callable[..., str],
) -> None:
    log = tmp_path / "ffmpeg-runs"
    wrapper = tmp_path / "ffmpeg-logged"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec ffmpeg "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    app = create_app(
        make_settings(
            media_root=library.root,
            database_url=database_url_for_test,
            auth="none",
            ffmpeg=str(wrapper),
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        url = variant_url(FLAC, OPUS_96)
        first, second = await asyncio.gather(client.get(url), client.get(url))

    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    encodes = [line for line in log.read_text().splitlines() if "libopus" in line]
    assert len(encodes) == 1


async def test_a_token_for_a_variant_the_track_does_not_offer_is_not_found(
    client: httpx.AsyncClient, variant_url: Callable[..., str]
) -> None:
    response = await client.get(variant_url(MP3, VariantKey(AudioFormat.OPUS, 320)))
    assert (response.status_code, response.json()) == (404, {"error": "not_found"})


async def test_a_range_request_that_waited_for_an_encode_that_failed_gets_503(
    client: httpx.AsyncClient, variant_url: Callable[..., str], library: Library
) -> None:
    source = library.root / FLAC
    source.write_bytes(source.read_bytes()[: source.stat().st_size // 2])  # cut after the scan

    response = await client.get(variant_url(FLAC, OPUS_96), headers={"Range": "bytes=0-1"})

    assert (response.status_code, response.json()) == (503, {"error": "variant_failed"})
