"""Streaming a file whose name is not UTF-8: byte-exact bodies and a valid Content-Disposition."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.streaming.conftest import Library
from tests.support.audio import write_mp3
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import scan_library
from tonearm.streaming.responses import StreamResponse
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url

TAGGED = os.fsdecode(b"Alb\xfcm/caf\xe9.mp3")
UNTAGGED = os.fsdecode(b"Alb\xfcm/caf\xe9 au lait.mp3")


def is_file(path: bytes) -> bool:
    """Whether a regular file has exactly this name."""
    return os.path.isfile(path)


@pytest.fixture
async def latin1_ids(library: Library, engine: AsyncEngine) -> dict[str, uuid.UUID]:
    """Two Latin-1 named files added to the library and scanned."""
    write_mp3(library.path(TAGGED), title="Café", artist="Old Drive", seconds=24.0, key=7)
    write_mp3(library.path(UNTAGGED), id3_version=None, key=8)
    assert is_file(os.fsencode(library.root) + b"/Alb\xfcm/caf\xe9.mp3")
    summary = await scan_library(engine, library.root)
    assert (summary.added, summary.skipped) == (2, [])
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(TrackRecord.path, TrackRecord.id).where(TrackRecord.path.in_([TAGGED, UNTAGGED]))
        )
        return {row.path: row.id for row in rows}


def url(ids: dict[str, uuid.UUID], signer: StreamSigner, rel: str) -> str:
    return stream_url(ids[rel], signer.mint(ids[rel]).token)


async def test_the_whole_file_is_byte_exact(
    client: httpx.AsyncClient,
    latin1_ids: dict[str, uuid.UUID],
    signer: StreamSigner,
    library: Library,
) -> None:
    response = await client.get(url(latin1_ids, signer, TAGGED))

    assert response.status_code == 200
    assert response.content == library.data(TAGGED)
    assert response.headers["content-length"] == str(len(library.data(TAGGED)))
    assert response.headers["content-disposition"] == (
        'inline; filename="Old Drive - Cafe.mp3"; '
        "filename*=UTF-8''Old%20Drive%20-%20Caf%C3%A9.mp3"
    )


async def test_ranges_are_byte_exact(
    client: httpx.AsyncClient,
    latin1_ids: dict[str, uuid.UUID],
    signer: StreamSigner,
    library: Library,
) -> None:
    data = library.data(TAGGED)
    assert len(data) - 100 > StreamResponse.chunk_size  # the open-ended range is streamed
    stream = url(latin1_ids, signer, TAGGED)

    seek = await client.get(stream, headers={"Range": "bytes=1000-1999"})
    rest = await client.get(stream, headers={"Range": "bytes=100-"})

    assert (seek.status_code, seek.content) == (206, data[1000:2000])
    assert seek.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    assert (rest.status_code, rest.content) == (206, data[100:])


async def test_an_untagged_file_is_offered_under_its_readable_name(
    client: httpx.AsyncClient,
    latin1_ids: dict[str, uuid.UUID],
    signer: StreamSigner,
    library: Library,
) -> None:
    response = await client.get(url(latin1_ids, signer, UNTAGGED))

    assert response.status_code == 200
    assert response.content == library.data(UNTAGGED)
    # Header values are Latin-1 on the wire; decoding back must give the exact text.
    assert response.headers["content-disposition"] == (
        "inline; filename=\"caf au lait.mp3\"; filename*=UTF-8''caf%EF%BF%BD%20au%20lait.mp3"
    )
