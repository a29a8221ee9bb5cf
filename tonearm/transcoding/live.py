"""The first play of a variant that is not made yet, and plays from a time offset.

**First play.** The request that finds a variant missing starts making it (``making.py``,
the same pipeline as a queued job) and streams the encoder's output while it is written:
the body follows the ``.part`` file as it grows, so the first audio leaves within a
fraction of a second while the complete, verified file is being made. Requests for the
same variant share one encode: in this process they join the running ``LiveEncode``; in
another process (another server worker, a queue worker) they find the variant's lock held
and follow the ``.part`` file named in it until the lock is released. When the last
listener of an encode this process started goes away, the encode is stopped after a short
grace (a browser often drops its first connection and opens a second at once): nothing
else needs its output.

**Time offset.** ``start=<seconds>`` on a stream URL encodes from that point
(``-ss`` before ``-i``: the demuxer seeks, nothing before it is decoded) straight to the
response, not stored; for a far seek during a first play. It dies with its request.

Both count against the encoder slots (``limits.py``); followers do not (they run no
encoder). Every blocking call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread

from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.db.variants import SourceFile
from tonearm.transcoding import ffmpeg
from tonearm.transcoding.limits import EncoderSlots, SlotLease
from tonearm.transcoding.making import Maker, VariantError
from tonearm.transcoding.store import VariantLock

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
POLL_SECONDS = 0.02
GRACE_SECONDS = 1.0


class Busy(Exception):
    """Every encoder slot (of the machine or of this user) is taken: answer 429."""


@dataclass(eq=False)
class LiveEncode:
    """An encode this process runs for first plays, and how many requests follow it."""

    key: tuple[uuid.UUID, VariantKey]
    part_path: Path
    final_path: Path
    lock: VariantLock
    lease: SlotLease
    listeners: int = 0
    task: asyncio.Task[None] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    idle_since: float | None = None

    async def finished(self) -> bool:
        """Whether the encode has ended (made, failed or stopped)."""
        return self.done.is_set()


class LiveEncodes:
    """The first-play encodes of one process."""

    def __init__(self, maker: Maker, slots: EncoderSlots) -> None:
        self.maker = maker
        self.slots = slots
        self._running: dict[tuple[uuid.UUID, VariantKey], LiveEncode] = {}

    def running(self) -> int:
        """How many encodes this process runs for first plays now."""
        return len(self._running)

    async def stream(
        self, source: SourceFile, key: VariantKey, user_id: uuid.UUID | None
    ) -> AsyncIterator[bytes] | None:
        """The variant's bytes from the start while it is being made.

        None when it was completed meanwhile (the caller serves the stored file). Raises
        ``Busy`` when no encoder slot is free.
        """
        name = (source.track_id, key)
        encode = self._running.get(name)
        if encode is not None:
            return self._listen(encode)
        lease = await self.slots.acquire(user_id)
        if lease is None:
            raise Busy
        try:
            lock = await self.maker.try_lock(source.track_id, key)
        except BaseException:
            lease.release()
            raise
        if lock is None:  # another process is making it: follow its output
            lease.release()
            return await self._follow_other(source.track_id, key)
        encode = LiveEncode(
            key=name,
            part_path=lock.part_path,
            final_path=self.maker.store.path_for(source.track_id, key),
            lock=lock,
            lease=lease,
        )
        self._running[name] = encode
        encode.task = asyncio.create_task(self._run(encode, source, key))
        return self._listen(encode)

    async def _run(self, encode: LiveEncode, source: SourceFile, key: VariantKey) -> None:
        try:
            await self.maker.make(source, key, encode.lock)
        except VariantError:
            pass  # recorded as failed by the maker; listeners get what was written
        except asyncio.CancelledError:
            # Nobody listens any more and nothing else needs the output: not made after all.
            await asyncio.shield(registry.forget_variant(self.maker.engine, source.track_id, key))
            raise
        except Exception:
            logger.exception("first-play encode of %s for track %s", key.slug, source.track_id)
        finally:
            self._running.pop(encode.key, None)
            encode.lock.release()
            encode.lease.release()
            encode.done.set()

    async def _listen(self, encode: LiveEncode) -> AsyncIterator[bytes]:
        encode.listeners += 1
        encode.idle_since = None
        try:
            async for chunk in follow(encode.part_path, encode.final_path, done=encode.finished):
                yield chunk
        finally:
            encode.listeners -= 1
            if encode.listeners == 0 and not encode.done.is_set():
                encode.idle_since = asyncio.get_running_loop().time()
                asyncio.get_running_loop().call_later(GRACE_SECONDS, self._stop_if_idle, encode)

    def _stop_if_idle(self, encode: LiveEncode) -> None:
        if encode.listeners == 0 and encode.task is not None and not encode.done.is_set():
            encode.task.cancel()

    async def _follow_other(
        self, track_id: uuid.UUID, key: VariantKey
    ) -> AsyncIterator[bytes] | None:
        store = self.maker.store
        part = await anyio.to_thread.run_sync(store.following_part, track_id, key)
        if part is None:
            return None
        checker = _LockWatch(lambda: store.is_being_made(track_id, key))
        return follow(part, store.path_for(track_id, key), done=checker.done)

    async def offset_stream(
        self,
        source: SourceFile,
        key: VariantKey,
        user_id: uuid.UUID | None,
        start_seconds: float,
    ) -> AsyncIterator[bytes]:
        """The variant's encoding of the audio from ``start_seconds`` on (not stored)."""
        lease = await self.slots.acquire(user_id)
        if lease is None:
            raise Busy
        try:
            input_fd = await self.maker.open_source(source)
        except BaseException:
            lease.release()
            raise
        return _offset_chunks(
            self.maker.ffmpeg,
            source,
            key=key,
            start_seconds=start_seconds,
            input_fd=input_fd,
            lease=lease,
        )


async def _offset_chunks(
    program: str,
    source: SourceFile,
    *,
    key: VariantKey,
    start_seconds: float,
    input_fd: int,
    lease: SlotLease,
) -> AsyncIterator[bytes]:
    try:
        command = ffmpeg.encode_command(
            program,
            input_fd=input_fd,
            output="pipe:1",
            key=key,
            source=ffmpeg.SourceStream(source.sample_rate, source.channels),
            start_seconds=start_seconds,
        )
        process = await ffmpeg.start(command, input_fd=input_fd, stdout_pipe=True)
        try:
            assert process.stdout is not None
            while chunk := await process.stdout.read(CHUNK):
                yield chunk
        finally:
            await asyncio.shield(ffmpeg.stop(process))
    finally:
        os.close(input_fd)
        lease.release()


class _LockWatch:
    """``done()`` for a follower of another process's encode: its lock was released.

    Checked in a worker thread at most every ``interval`` seconds (an open and an ``flock``).
    """

    def __init__(self, held: Callable[[], bool], interval: float = 0.2) -> None:
        self._held = held
        self._interval = interval
        self._checked = 0.0
        self._done = False

    async def done(self) -> bool:
        now = asyncio.get_running_loop().time()
        if not self._done and now - self._checked >= self._interval:
            self._checked = now
            self._done = not await anyio.to_thread.run_sync(self._held)
        return self._done


def _open_readonly(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None


async def follow(
    part: Path, final: Path, *, done: Callable[[], Awaitable[bool]]
) -> AsyncIterator[bytes]:
    """The bytes of a file being written at ``part``, until ``done()`` and its end.

    Once done, the ``.part`` name may be gone (renamed to ``final``, or removed on failure);
    a descriptor opened earlier still reads the same file. If the encode finished before
    the file could be opened, the complete variant at ``final`` is read instead.
    """
    fd: int | None = None
    offset = 0
    try:
        while True:
            finished = await done()
            if fd is None:
                fd = await anyio.to_thread.run_sync(_open_readonly, part)
                if fd is None and finished:
                    fd = await anyio.to_thread.run_sync(_open_readonly, final)
                    if fd is None:
                        return
                if fd is None:
                    await asyncio.sleep(POLL_SECONDS)
                    continue
            chunk = await anyio.to_thread.run_sync(os.pread, fd, CHUNK, offset)
            if chunk:
                offset += len(chunk)
                yield chunk
                continue
            if finished:
                return  # read after "done": nothing more will be written
            await asyncio.sleep(POLL_SECONDS)
    finally:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
