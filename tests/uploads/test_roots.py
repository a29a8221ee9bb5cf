"""An upload's file lives under the uploads root: streams, variants and covers find it there,
and scans of the media root never touch it."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.audio import encoded_audio, id3_tags, mp3_bytes, write_mp3
from tests.uploads.conftest import results, upload
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db.engine import create_session_factory
from tonearm.db.models import AlbumRecord, TrackRecord
from tonearm.library.scanner import UPLOAD_HOLDS_PATH, ScanOptions, scan_library
from tonearm.schema.ids import parse_global_id
from tonearm.settings import Settings
from tonearm.transcoding.making import Maker
from tonearm.transcoding.store import VariantStore

STREAM = """mutation($id: ID!, $format: AudioFormat) {
  createStreamUrl(trackId: $id, format: $format) { __typename ... on StreamUrl { url } }
}"""
OPUS_96 = VariantKey(AudioFormat.OPUS, 96)


async def uploaded(client: httpx.AsyncClient, name: str, data: bytes) -> uuid.UUID:
    [result] = results(await upload(client, [(name, data)]))
    assert result["__typename"] == "UploadedTrack", result
    return parse_global_id(result["track"]["id"], "Track")


async def stored_record(engine: AsyncEngine, track_id: uuid.UUID) -> TrackRecord:
    async with create_session_factory(engine)() as session:
        record = await session.scalar(select(TrackRecord).where(TrackRecord.id == track_id))
    assert record is not None
    return record


async def stream_url(client: httpx.AsyncClient, track_id: uuid.UUID) -> str:
    from tonearm.schema.ids import track_global_id

    response = await client.post(
        "/graphql", json={"query": STREAM, "variables": {"id": track_global_id(track_id)}}
    )
    url: str = response.json()["data"]["createStreamUrl"]["url"]
    return url


async def test_an_uploaded_track_streams_byte_exact_with_ranges(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    data = mp3_bytes(6.0, key=80)
    track_id = await uploaded(client, "long.mp3", data)
    url = await stream_url(client, track_id)

    whole = await client.get(url)
    part = await client.get(url, headers={"Range": "bytes=1000-1999"})
    tail = await client.get(url, headers={"Range": f"bytes=-{len(data) // 3}"})

    assert (whole.status_code, whole.content) == (200, data)
    assert whole.headers["content-type"] == "audio/mpeg"
    assert (part.status_code, part.content) == (206, data[1000:2000])
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    assert (tail.status_code, tail.content) == (206, data[-(len(data) // 3) :])
    # The file is under the uploads root, not the media root.
    record = await stored_record(engine, track_id)
    assert (settings.resolved_uploads_dir / record.path).read_bytes() == data
    assert not (settings.require_media_root() / record.path).exists()


async def test_a_variant_of_an_uploaded_track_can_be_made(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    track_id = await uploaded(client, "take.flac", encoded_audio("flac", 2.0, key=81))
    store = VariantStore.in_data_dir(settings.data_dir)
    maker = Maker(
        engine=engine,
        store=store,
        media_root=settings.require_media_root(),
        uploads_root=settings.resolved_uploads_dir,
    )
    source = await maker.source(track_id, OPUS_96)
    assert source.origin == "upload"
    lock = await maker.try_lock(track_id, OPUS_96)
    assert lock is not None
    try:
        made = await maker.make(source, OPUS_96, lock)
    finally:
        lock.release()

    assert made.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert store.path_for(track_id, OPUS_96).read_bytes()[:4] == b"OggS"


async def test_without_an_uploads_root_the_maker_reports_the_original_missing(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    from tonearm.transcoding.making import VariantError

    track_id = await uploaded(client, "take.flac", encoded_audio("flac", 1.0, key=82))
    maker = Maker(
        engine=engine,
        store=VariantStore.in_data_dir(settings.data_dir),
        media_root=settings.require_media_root(),
    )
    source = await maker.source(track_id, OPUS_96)
    with pytest.raises(VariantError, match="the original file is missing"):
        await maker.open_source(source)


async def test_rescans_keep_uploads(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    track_id = await uploaded(client, "mine.mp3", mp3_bytes(1.0, key=83))
    media_root = settings.require_media_root()

    empty = await scan_library(engine, media_root)  # mounted but empty
    write_mp3(media_root / "Band/Album/01 Song.mp3", title="Song", seconds=1.0, key=84)
    first = await scan_library(engine, media_root)
    (media_root / "Band/Album/01 Song.mp3").unlink()
    again = await scan_library(engine, media_root, allow_empty=True)

    assert (empty.added, empty.removed, empty.warnings) == (0, 0, [])
    assert (first.added, first.removed) == (1, 0)
    assert (again.added, again.removed) == (0, 1)
    record = await stored_record(engine, track_id)
    assert (record.origin, record.original_name) == ("upload", "mine.mp3")


async def test_a_media_file_at_an_uploads_stored_path_is_skipped(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    data = mp3_bytes(1.0, key=85)
    track_id = await uploaded(client, "mine.mp3", data)
    record = await stored_record(engine, track_id)
    media_root = settings.require_media_root()
    write_mp3(media_root / record.path, title="Impostor", seconds=1.0, key=86)

    summary = await scan_library(engine, media_root)

    assert summary.added == 0
    assert [(s.path, s.reason) for s in summary.skipped] == [(record.path, UPLOAD_HOLDS_PATH)]
    after = await stored_record(engine, track_id)
    assert (after.title, after.origin, after.size_bytes) == ("mine", "upload", len(data))


async def test_an_uploads_embedded_picture_becomes_its_albums_cover(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    from tests.artwork.images import jpeg
    from tests.support.audio import Picture

    buffer = io.BytesIO(mp3_bytes(1.0, key=87))
    tags = {"title": "Pictured", "album": "With Art", "artist": "Painter"}
    id3_tags(tags, [Picture(jpeg(400, 400, seed=3), mime="image/jpeg")]).save(buffer)
    track_id = await uploaded(client, "art.mp3", buffer.getvalue())

    record = await stored_record(engine, track_id)
    async with create_session_factory(engine)() as session:
        album = await session.scalar(select(AlbumRecord).where(AlbumRecord.id == record.album_id))
    assert album is not None
    assert album.artwork_hash is not None
    assert album.artwork_source == record.path

    # A scan that knows the uploads root finds the same candidates: nothing to redo.
    options = ScanOptions.from_settings(
        artist_split_exceptions=[],
        data_dir=settings.data_dir,
        uploads_root=settings.resolved_uploads_dir,
    )
    await scan_library(engine, settings.require_media_root(), options=options)
    async with create_session_factory(engine)() as session:
        kept = await session.scalar(select(AlbumRecord).where(AlbumRecord.id == record.album_id))
    assert kept is not None
    assert (kept.artwork_hash, kept.artwork_stamp) == (album.artwork_hash, album.artwork_stamp)
