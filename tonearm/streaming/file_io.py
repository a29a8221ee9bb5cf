"""The stream route's only way to the file system: worker threads, and a short memory.

Music libraries live on NFS, SMB or USB disks that spin down, where one ``stat`` can take
seconds. Every call into ``files.py`` therefore runs in a worker thread, never on the event
loop, in a thread pool of its own: a stalled disk can hold at most ``threads`` threads and
queue further stream requests, while GraphQL, ``/healthz`` and streams of cached locations
go on.

A seek needs the file's confinement result (``realpath`` inside the media root, a regular
file, its ``stat``) and a read. ``TrackFiles`` remembers the confinement result per track
and stored path for a few seconds, so a seek costs one thread hop (open, ``fstat``, ``pread``,
close). That hop re-validates the remembered result cheaply: ``open_track_file`` opens the
resolved path without following a final symlink and compares device, inode, size and mtime
with the checked ``stat``, so a remembered location can only ever serve the very file that
was confined. When they differ (the file was replaced, moved or rewritten), the caller
forgets the entry and locates the file afresh (``relocate``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar, TypeVarTuple

import anyio

from tonearm.catalog.origins import FileRoots, TrackOrigin
from tonearm.streaming import files
from tonearm.streaming.files import TrackFile

_Key = tuple[uuid.UUID, str]
R = TypeVar("R")
Args = TypeVarTuple("Args")


@dataclass(frozen=True, slots=True)
class Located:
    """A confined file, and whether it came from memory (and so may be stale)."""

    file: TrackFile
    remembered: bool


class TrackFiles:
    """Locate and read track files for one worker, off the event loop.

    ``roots`` says where each origin's files are; the variant store passes its own root as
    the only (library) one.
    """

    def __init__(
        self,
        roots: FileRoots,
        *,
        ttl: float = 5.0,
        max_entries: int = 4096,
        threads: int = 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._roots = roots
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="track-files")
        self._entries: OrderedDict[_Key, tuple[float, TrackFile]] = OrderedDict()

    async def locate(
        self,
        track_id: uuid.UUID,
        stored_path: str,
        *,
        fresh: bool,
        origin: str = TrackOrigin.LIBRARY.value,
    ) -> Located:
        """The confined file of a track: remembered when fresh enough and ``fresh`` is false.

        ``origin`` (``tracks.origin``) picks the root.

        Raises ``TrackFileRefused`` or ``TrackFileMissing`` (see ``files.locate_track_file``).
        """
        key = (track_id, stored_path)
        if not fresh:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > self._clock():
                return Located(hit[1], remembered=True)
        try:
            # Looked up at call time so tests can observe (or slow down) file access.
            found = await self._run(files.locate_origin_file, self._roots, origin, stored_path)
        except BaseException:
            self._entries.pop(key, None)
            raise
        self._entries[key] = (self._clock() + self._ttl, found)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return Located(found, remembered=False)

    def forget(self, track_id: uuid.UUID, stored_path: str) -> None:
        """Drop a remembered location that turned out stale."""
        self._entries.pop((track_id, stored_path), None)

    async def read_ranges(self, track: TrackFile, ranges: list[tuple[int, int]]) -> list[bytes]:
        """Open, verify, read each ``[start, end)`` and close, in one thread hop."""
        # Self-contained (its descriptor never leaves the thread): a cancelled request
        # need not wait for it.
        return await self._run(files.read_ranges, track, ranges, wait_if_cancelled=False)

    async def open(self, track: TrackFile) -> int:
        """A descriptor verified to be the checked file (``files.open_track_file``)."""
        return await self._run(files.open_track_file, track)

    async def read(self, fd: int, offset: int, length: int) -> bytes:
        """Exactly ``length`` bytes at ``offset`` (``files.read_exactly``)."""
        return await self._run(files.read_exactly, fd, offset, length)

    async def close(self, fd: int) -> None:
        """Close ``fd``; finishes even when the request is being cancelled."""
        with anyio.CancelScope(shield=True):
            await self._run(files.close_track_file, fd)

    async def _run(
        self, function: Callable[[*Args], R], *args: *Args, wait_if_cancelled: bool = True
    ) -> R:
        # A plain executor: measured on the seek path, anyio's worker threads and limiter
        # cost a third more per hop, and the pool's size bounds the threads all the same.
        future = asyncio.get_running_loop().run_in_executor(self._executor, function, *args)
        if not wait_if_cancelled:
            return await future
        # A call on a descriptor finishes before the request may go on to close it.
        with anyio.CancelScope(shield=True):
            result = await future
        return result  # noqa: RET504 - after the scope: a cancel scope may swallow its exit
