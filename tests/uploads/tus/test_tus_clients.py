"""tus as real clients speak it: ``tusclient`` (tuspy) against the live server."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
from tusclient.client import TusClient

from tests.support.accounts import SignedInUser
from tests.uploads.tus.conftest import LiveServer
from tests.uploads.tus.test_tus_protocol import (
    _cut_off_patch,
    data_file,
    new_upload,
    wait_for_offset,
)

CHUNK = 64 * 1024


def tus_client(live: LiveServer, user: SignedInUser) -> TusClient:
    """tuspy's client, signed in with the user's bearer token."""
    return TusClient(live.endpoint, headers=user.bearer)


def upload_in_chunks(
    live: LiveServer, user: SignedInUser, path: Path, url: str | None = None
) -> tuple[str, int]:
    """Upload ``path`` one PATCH of ``CHUNK`` bytes at a time; its URL and the PATCH count."""
    # tusclient leaves a file it opened itself unclosed: hand it a stream we close.
    with path.open("rb") as stream:
        uploader = tus_client(live, user).uploader(
            file_stream=stream, chunk_size=CHUNK, metadata={"filename": path.name}, url=url
        )
        patches = 0
        while uploader.offset < uploader.get_file_size():
            uploader.upload_chunk()
            patches += 1
    assert uploader.url is not None
    return uploader.url, patches


async def test_tusclient_uploads_a_file_in_many_patches(
    live: LiveServer, uploader: SignedInUser, tmp_path: Path
) -> None:
    data = os.urandom(20 * CHUNK + 123)
    source = tmp_path / "song.mp3"
    source.write_bytes(data)

    url, patches = await asyncio.to_thread(upload_in_chunks, live, uploader, source)

    assert patches == 21
    assert url.startswith(live.endpoint + "/")
    assert data_file(live, url.removeprefix(live.base_url)) == data


async def test_tusclient_resumes_after_an_interrupted_patch(
    live: LiveServer, uploader: SignedInUser, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    data = os.urandom(40 * CHUNK)
    source = tmp_path / "long.flac"
    source.write_bytes(data)
    path = await new_upload(http, uploader, len(data))
    _cut_off_patch(live, uploader, path, len(data), data[: len(data) // 2])
    offset = await wait_for_offset(http, uploader, path)

    url, patches = await asyncio.to_thread(
        upload_in_chunks, live, uploader, source, live.base_url + path
    )

    assert url == live.base_url + path
    assert patches == -(-(len(data) - offset) // CHUNK)  # only what was missing
    assert data_file(live, path) == data
