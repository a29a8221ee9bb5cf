"""Files past 2 and 4 GiB: exact sizes in GraphQL (``Long``) and exact ranges on the stream.

Long hi-res FLACs, DJ mixes and audiobooks pass 2 GiB; a sparse file stands in for one here
(a real MP3 at the start, a hole after it), so the test costs no disk space.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.audio import write_mp3
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import scan_library
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url

SIZE = 5 * 2**30 + 123  # past 2^32: neither a 32-bit Int nor a 32-bit offset can carry it
FOUR_GIB = 2**32


@pytest.fixture
async def big_track(media_root: Path, engine: AsyncEngine) -> uuid.UUID:
    """A scanned MP3 whose file is ``SIZE`` bytes long."""
    path = media_root / "Mix/Five Hours.mp3"
    write_mp3(path, title="Five Hours", artist="DJ Long", seconds=2.0)
    os.truncate(path, SIZE)
    summary = await scan_library(engine, media_root)
    assert (summary.added, summary.skipped) == (1, [])
    async with engine.connect() as connection:
        return (await connection.execute(select(TrackRecord.id))).scalar_one()


async def test_size_bytes_carries_a_64_bit_size_exactly(
    client: httpx.AsyncClient, big_track: uuid.UUID
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ tracks { edges { node { title sizeBytes } } } }"}
    )

    assert response.json() == {
        "data": {"tracks": {"edges": [{"node": {"title": "Five Hours", "sizeBytes": SIZE}}]}}
    }
    assert f'"sizeBytes":{SIZE}'.encode() in response.content.replace(b" ", b"")


async def test_a_range_past_4_gib_is_exact(
    client: httpx.AsyncClient, big_track: uuid.UUID, signer: StreamSigner
) -> None:
    url = stream_url(big_track, signer.mint(big_track).token)

    response = await client.get(url, headers={"Range": f"bytes={FOUR_GIB + 5}-{FOUR_GIB + 14}"})

    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {FOUR_GIB + 5}-{FOUR_GIB + 14}/{SIZE}"
    assert response.headers["content-length"] == "10"
    assert response.content == bytes(10)


async def test_a_suffix_range_and_head_of_a_huge_file_are_exact(
    client: httpx.AsyncClient, big_track: uuid.UUID, signer: StreamSigner
) -> None:
    url = stream_url(big_track, signer.mint(big_track).token)

    tail = await client.get(url, headers={"Range": "bytes=-7"})
    head = await client.head(url)
    beyond = await client.get(url, headers={"Range": f"bytes={SIZE}-"})

    assert tail.status_code == 206
    assert tail.headers["content-range"] == f"bytes {SIZE - 7}-{SIZE - 1}/{SIZE}"
    assert tail.content == bytes(7)
    assert head.headers["content-length"] == str(SIZE)
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{SIZE}"
