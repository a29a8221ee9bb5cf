"""From source bytes to stored thumbnails: one source (blocking), or many (async, bounded).

``make_artwork`` does everything for one source and runs in a worker thread.
``make_artworks`` is what a scan uses for many: at most ``concurrency`` sources are read and
decoded at once, each wholly inside one worker thread (its loader too, so the bytes are
read there), and results come back as they finish. Memory is bounded by ``concurrency``
whatever the number of sources: nothing keeps a list of sources, bytes or decoded images,
and a source is only taken from the iterable when a slot is free.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from tonearm.artwork import thumbnails
from tonearm.artwork.results import Artwork, ArtworkRefusal, RefusalReason
from tonearm.artwork.sizes import sizes_for
from tonearm.artwork.store import ArtworkStore

# An image in a folder and a picture embedded in a tag get the same cap; the probe should
# not hand over more (a 50 MB embedded picture is skipped here without being decoded).
MAX_FOLDER_IMAGE_BYTES = 20_000_000
MAX_EMBEDDED_IMAGE_BYTES = 20_000_000
# Two decodes at once keep both cores of a small box busy; a decode holds up to the
# source's bytes, its decoded pixels and one thumbnail.
DEFAULT_CONCURRENCY = 2

K = TypeVar("K")
Result = Artwork | ArtworkRefusal
Loader = Callable[[], bytes | ArtworkRefusal]
"""Reads a source's bytes (in a worker thread), or says why it cannot."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


def make_artwork(
    source: bytes, store: ArtworkStore, *, max_bytes: int = MAX_EMBEDDED_IMAGE_BYTES
) -> Result:
    """Thumbnails of ``source`` in ``store``, and the ``Artwork`` describing them.

    Blocking. Idempotent: a source whose thumbnails are all stored already is not decoded
    again (its placeholder is read back from the smallest one). Never raises for bad input:
    a refusal says why.
    """
    if len(source) > max_bytes:
        return _too_large(len(source), max_bytes)
    if not source:
        return ArtworkRefusal(RefusalReason.NOT_AN_IMAGE, "the file is empty")
    digest = hashlib.sha256(source).hexdigest()
    try:
        stored = _already_stored(digest, source, store)
    except OSError:
        stored = None  # an unreadable store is written below, which says what is wrong
    if stored is not None:
        return stored
    rendered = thumbnails.render(source)
    if isinstance(rendered, ArtworkRefusal):
        return rendered
    try:
        for size, data in rendered.thumbnails:
            store.put(digest, size, data)
    except OSError as exc:
        return ArtworkRefusal(
            RefusalReason.STORE_FAILED,
            f"the thumbnails could not be stored: {exc.strerror or type(exc).__name__}",
        )
    return Artwork(
        hash=digest,
        width=rendered.width,
        height=rendered.height,
        sizes=tuple(size for size, _ in rendered.thumbnails),
        color=rendered.color,
    )


def read_image_file(
    path: str | Path, *, max_bytes: int = MAX_FOLDER_IMAGE_BYTES
) -> bytes | ArtworkRefusal:
    """The bytes of an image file, or a refusal; a file over ``max_bytes`` is not read.

    Blocking. The caller has already confined ``path`` (the scanner's walker does).
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return _unreadable(exc)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            return ArtworkRefusal(RefusalReason.NOT_AN_IMAGE, "not a regular file")
        if info.st_size > max_bytes:
            os.close(fd)
            return _too_large(info.st_size, max_bytes)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(max_bytes + 1)  # it may have grown since the fstat
    except OSError as exc:
        return _unreadable(exc)
    if len(data) > max_bytes:
        return _too_large(len(data), max_bytes)
    return data


def file_loader(path: str | Path, *, max_bytes: int = MAX_FOLDER_IMAGE_BYTES) -> Loader:
    """A loader reading ``path`` with ``read_image_file`` when a worker thread calls it."""
    return lambda: read_image_file(path, max_bytes=max_bytes)


def bytes_loader(data: bytes) -> Loader:
    """A loader for bytes already in memory (an embedded picture from the probe)."""
    return lambda: data


async def make_artworks(
    sources: Iterable[tuple[K, Loader]] | AsyncIterable[tuple[K, Loader]],
    store: ArtworkStore,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_bytes: int = MAX_FOLDER_IMAGE_BYTES,
) -> AsyncGenerator[tuple[K, Result], None]:
    """``(key, result)`` for each ``(key, loader)`` of ``sources``, in order of finishing.

    All reading, decoding and writing runs in worker threads, at most ``concurrency`` at
    a time. Leaving the loop early waits for the sources in flight to finish (a thread
    cannot be stopped), so the bound holds even then.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    loop = asyncio.get_running_loop()
    pending = _async_iterator(sources)
    running: set[asyncio.Future[tuple[K, Result]]] = set()
    exhausted = False
    # Threads of our own, exactly ``concurrency`` of them, rather than the loop's default
    # pool: glibc gives each thread that allocates its own malloc arena and keeps freed
    # pixels there, so decodes spread over the default pool's six threads held twice the
    # memory (80 MiB against 40 MiB for 200 sources, measured by benchmarks/artwork.py).
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="artwork")
    try:
        while True:
            while not exhausted and len(running) < concurrency:
                try:
                    key, loader = await anext(pending)
                except StopAsyncIteration:
                    exhausted = True
                    break
                running.add(
                    loop.run_in_executor(executor, _load_and_make, key, loader, store, max_bytes)
                )
            if not running:
                return
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        if running:
            await asyncio.wait(running)
        executor.shutdown(wait=False)  # idle by now: its threads end by themselves


def _load_and_make(key: K, loader: Loader, store: ArtworkStore, max_bytes: int) -> tuple[K, Result]:
    try:
        source = loader()
    except OSError as exc:
        return key, _unreadable(exc)
    if isinstance(source, ArtworkRefusal):
        return key, source
    return key, make_artwork(source, store, max_bytes=max_bytes)


async def _async_iterator(
    sources: Iterable[tuple[K, Loader]] | AsyncIterable[tuple[K, Loader]],
) -> AsyncIterator[tuple[K, Loader]]:
    if isinstance(sources, AsyncIterable):
        async for item in sources:
            yield item
    else:
        for item in sources:
            yield item


def _already_stored(digest: str, source: bytes, store: ArtworkStore) -> Artwork | None:
    present = store.sizes_present(digest)
    if not present:
        return None
    header = thumbnails.source_header(source)
    if isinstance(header, ArtworkRefusal):
        return None  # decoded below, where the refusal is made with the full check
    width, height = header.width, header.height
    expected = sizes_for(width, height, keeps_source=header.keeps_source)
    if not set(expected) <= set(present):
        return None  # a crash mid-way left some sizes out: make them all again
    smallest = store.get(digest, expected[0])
    color = thumbnails.color_of(smallest) if smallest else None
    if color is None:
        return None
    return Artwork(hash=digest, width=width, height=height, sizes=expected, color=color)


def _too_large(size: int, limit: int) -> ArtworkRefusal:
    return ArtworkRefusal(
        RefusalReason.TOO_LARGE,
        f"the image is {size / 1_000_000:.1f} MB, over the {limit / 1_000_000:g} MB limit",
    )


def _unreadable(exc: OSError) -> ArtworkRefusal:
    # strerror only: the exception's text would carry the path, and summaries leave the server.
    return ArtworkRefusal(
        RefusalReason.UNREADABLE,
        f"the file could not be read: {exc.strerror or type(exc).__name__}",
    )
