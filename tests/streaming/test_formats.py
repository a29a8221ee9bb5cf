"""Every format streams with its own Content-Type through the same Range code (in process)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.streaming.test_http_semantics import parse_multipart
from tests.support.audio import AUDIO_KINDS, SUFFIXES, write_audio
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import scan_library
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url

CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "flac24": "audio/flac",
    "vorbis": "audio/ogg",
    "opus": "audio/ogg",
    "aac": "audio/mp4",
    "alac": "audio/mp4",
    "wav": "audio/wav",
    "wav24": "audio/wav",
}


def rel_path(kind: str) -> str:
    return f"Band/Record/{kind}{SUFFIXES[kind]}"


@pytest.fixture
async def track_ids(media_root: Path, engine: AsyncEngine) -> dict[str, uuid.UUID]:
    """One scanned track of each kind, by kind."""
    for number, kind in enumerate(AUDIO_KINDS):
        write_audio(
            media_root / rel_path(kind),
            kind,
            seconds=2.0,
            key=number,
            tags={"title": f"Song {kind}", "artist": "Band"},
        )
    summary = await scan_library(engine, media_root)
    assert summary.skipped == []
    async with engine.connect() as connection:
        result = await connection.execute(select(TrackRecord.path, TrackRecord.id))
        by_path = {row.path: row.id for row in result}
    return {kind: by_path[rel_path(kind)] for kind in AUDIO_KINDS}


def url(signer: StreamSigner, track_id: uuid.UUID) -> str:
    return stream_url(track_id, signer.mint(track_id).token)


@pytest.mark.parametrize("kind", AUDIO_KINDS)
async def test_each_format_streams_whole_with_its_content_type(
    client: httpx.AsyncClient,
    signer: StreamSigner,
    track_ids: dict[str, uuid.UUID],
    media_root: Path,
    kind: str,
) -> None:
    data = (media_root / rel_path(kind)).read_bytes()

    response = await client.get(url(signer, track_ids[kind]))

    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPES[kind]
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-disposition"] == (
        f'inline; filename="Band - Song {kind}{SUFFIXES[kind]}"'
    )
    assert response.content == data


@pytest.mark.parametrize("kind", ["flac", "opus", "alac", "wav"])
async def test_a_range_of_a_non_mp3_format_is_a_206_with_the_exact_bytes(
    client: httpx.AsyncClient,
    signer: StreamSigner,
    track_ids: dict[str, uuid.UUID],
    media_root: Path,
    kind: str,
) -> None:
    data = (media_root / rel_path(kind)).read_bytes()
    start, end = 1000, 5999

    response = await client.get(url(signer, track_ids[kind]), headers={"Range": "bytes=1000-5999"})

    assert response.status_code == 206
    assert response.headers["content-type"] == CONTENT_TYPES[kind]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.content == data[start : end + 1]


async def test_a_multipart_range_of_a_flac_names_its_content_type_in_each_part(
    client: httpx.AsyncClient,
    signer: StreamSigner,
    track_ids: dict[str, uuid.UUID],
    media_root: Path,
) -> None:
    data = (media_root / rel_path("flac")).read_bytes()
    size = len(data)

    response = await client.get(url(signer, track_ids["flac"]), headers={"Range": "bytes=0-3,-4"})

    assert response.status_code == 206
    assert parse_multipart(response) == [
        ({"Content-Type": "audio/flac", "Content-Range": f"bytes 0-3/{size}"}, b"fLaC"),
        (
            {"Content-Type": "audio/flac", "Content-Range": f"bytes {size - 4}-{size - 1}/{size}"},
            data[-4:],
        ),
    ]


async def test_head_of_an_m4a_has_its_content_type_and_no_body(
    client: httpx.AsyncClient,
    signer: StreamSigner,
    track_ids: dict[str, uuid.UUID],
    media_root: Path,
) -> None:
    response = await client.head(url(signer, track_ids["aac"]))

    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/mp4"
    assert response.headers["content-length"] == str((media_root / rel_path("aac")).stat().st_size)
    assert response.content == b""
