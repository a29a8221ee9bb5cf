"""The stream route never waits on the file system on the event loop.

Music often lives on NFS, SMB or a USB disk that spins down: one stalled ``stat`` on the
event loop would freeze every request of the worker, GraphQL included.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.streaming.conftest import LONG, SHORT, Library
from tonearm.streaming.responses import etag_for

FS_CALLS = ("stat", "lstat", "open", "fstat", "pread", "preadv", "close")


@pytest.fixture
def loop_file_calls(library: Library, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every media-file system call made on the event loop's thread."""
    loop_thread = threading.get_ident()
    root = os.fsencode(library.root)
    media_fds: set[int] = set()
    on_loop: list[str] = []

    def is_media(target: Any) -> bool:
        if isinstance(target, int):
            return target in media_fds
        try:
            return os.fsencode(target).startswith(root)
        except TypeError:
            return False

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(target: Any, *args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == loop_thread and is_media(target):
                on_loop.append(name)
            result = real(target, *args, **kwargs)
            if name == "open" and is_media(target):
                media_fds.add(result)
            if name == "close":
                media_fds.discard(target)
            return result

        return call

    for name in FS_CALLS:
        monkeypatch.setattr(os, name, spy(name, getattr(os, name)))
    return on_loop


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Range": "bytes=100-199"},
        {"Range": "bytes=0-1"},
        {"Range": "bytes=0-"},
        {"Range": "bytes=0-9, 200-299"},
        {"Range": "bytes=99999999-"},
        {"If-None-Match": "*"},
        {"If-Match": '"stale"'},
    ],
    ids=["whole", "seek", "probe", "open-range", "multipart", "416", "304", "412"],
)
async def test_no_file_system_call_runs_on_the_event_loop(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    loop_file_calls: list[str],
    headers: dict[str, str],
) -> None:
    url = url_for(LONG)
    # Twice: the second request of a seek answers from the remembered location.
    for _ in range(2):
        get = await client.get(url, headers=headers)
        head = await client.head(url, headers=headers)
        assert get.status_code in (200, 206, 304, 412, 416)
        assert head.status_code in (200, 304, 412)

    assert loop_file_calls == []


async def test_a_missing_file_is_looked_for_off_the_event_loop(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    loop_file_calls: list[str],
) -> None:
    library.path(SHORT).unlink()

    response = await client.get(url_for(SHORT), headers={"Range": "bytes=0-9"})

    assert response.status_code == 404
    assert loop_file_calls == []


class StalledDisk:
    """``os.stat`` of one file blocks until released, like a disk spinning up."""

    def __init__(self, path: Path) -> None:
        self.path = os.fsencode(path)
        self.entered = threading.Event()
        self.released = threading.Event()

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def stat(target: Any, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(target, int) and os.fsencode(target) == self.path:
                self.entered.set()
                self.released.wait(timeout=30)
            return real(target, *args, **kwargs)

        return stat


async def test_a_stalled_disk_does_not_stall_health_or_graphql(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    disk = StalledDisk(library.path(LONG))
    monkeypatch.setattr(os, "stat", disk.wrap(os.stat))
    stream = asyncio.ensure_future(client.get(url_for(LONG), headers={"Range": "bytes=0-99"}))
    try:
        assert await asyncio.to_thread(disk.entered.wait, 10)

        health = await client.get("/healthz")
        graphql = await client.post("/graphql", json={"query": "{ tracks { totalCount } }"})
        still_stuck = not stream.done()
    finally:
        disk.released.set()
    response = await stream

    assert still_stuck
    assert health.status_code == 200
    assert health.json()["tracks"] == 3
    assert graphql.json() == {"data": {"tracks": {"totalCount": 3}}}
    assert response.status_code == 206
    assert response.content == library.data(LONG)[:100]


async def test_a_file_replaced_while_remembered_serves_the_new_bytes(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    url = url_for(SHORT)
    first = await client.get(url, headers={"Range": "bytes=0-9"})
    replacement = library.path(SHORT).with_suffix(".new")
    replacement.write_bytes(b"new bytes of the same track, rewritten by a tag editor")
    replacement.replace(library.path(SHORT))

    second = await client.get(url, headers={"Range": "bytes=0-8"})

    assert first.status_code == 206
    assert second.status_code == 206
    assert second.content == b"new bytes"
    assert second.headers["content-range"] == "bytes 0-8/54"
    assert second.headers["etag"] == etag_for(os.stat(library.path(SHORT)))


async def test_a_file_removed_while_remembered_is_404(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    url = url_for(SHORT)
    assert (await client.get(url, headers={"Range": "bytes=0-9"})).status_code == 206
    library.path(SHORT).unlink()

    response = await client.get(url, headers={"Range": "bytes=0-9"})

    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}


async def test_a_symlink_swapped_in_while_remembered_is_not_followed_outside(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library, tmp_path: Path
) -> None:
    url = url_for(SHORT)
    assert (await client.get(url, headers={"Range": "bytes=0-9"})).status_code == 206
    outside = tmp_path / "outside-secret.mp3"
    outside.write_bytes(b"secret bytes outside the media root")
    library.path(SHORT).unlink()
    library.path(SHORT).symlink_to(outside)

    response = await client.get(url, headers={"Range": "bytes=0-9"})

    assert response.status_code == 404
    assert b"secret" not in response.content
