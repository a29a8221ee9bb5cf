"""The first play of a variant that is not made yet, and plays from a time offset.

**First play.** The request that finds a variant missing starts making it (``making.py``,
the same pipeline as a queued job) and streams the encoder's output while it is written:
the body follows the ``.part`` file as it grows, so the first audio leaves within a
fraction of a second while the complete, verified file is being made. Requests for the
same variant share one encode: in this process they join the running ``LiveEncode``; in
another process (another server worker, a queue worker) they find the variant's lock held
and follow the ``.part`` file named in it until the lock is released. When the last
listener of an encode this process started goes away, the encode is stopped after a short
grace (a browser often drops its first connection and opens a second at once) unless
someone still wants the variant — a follower in another worker, or a time-offset stream of
the same variant (a far seek during this first play): those hold a shared lock on the
variant's ``.wanted`` file, so this holds across every process of the machine. The stop is
decided by taking that lock exclusively and kept until the encode has ended, so nobody can
join an encode that is being stopped: a request that comes meanwhile waits for it to end
and starts a new one. What a request holds (a listener's place, an interest, a slot) is
taken before its response is returned and given back when the response closes its chunks,
read or not.

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
from collections.abc import AsyncGenerator, Awaitable, Callable
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
START_ATTEMPTS = 3
FOLLOW_WAIT_SECONDS = 1.0
STOPPING_WAIT_SECONDS = 30.0  # ffmpeg is killed with one signal; this is only a bound


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
    stopping: int | None = None  # the exclusive hold on ``.wanted`` while it is stopped

    async def finished(self) -> bool:
        """Whether the encode has ended (made, failed or stopped)."""
        return self.done.is_set()


class LiveEncodes:
    """The first-play encodes of one process."""

    def __init__(self, maker: Maker, slots: EncoderSlots) -> None:
        self.maker = maker
        self.slots = slots
        self._running: dict[tuple[uuid.UUID, VariantKey], LiveEncode] = {}
        self._starting: dict[tuple[uuid.UUID, VariantKey], asyncio.Lock] = {}

    def running(self) -> int:
        """How many encodes this process runs for first plays now."""
        return len(self._running)

    async def stream(
        self, source: SourceFile, key: VariantKey, user_id: uuid.UUID | None
    ) -> Held | None:
        """The variant's bytes from the start while it is being made.

        None when it is complete by now (the caller serves the stored file). Raises
        ``Busy`` when no encoder slot is free.
        """
        name = (source.track_id, key)
        for _ in range(START_ATTEMPTS):
            # One start at a time per variant in this process: requests arriving together
            # join the first one's encode instead of racing it for the lock.
            async with self._starting.setdefault(name, asyncio.Lock()):
                started = await self._join_or_start(source, key, user_id)
            if started is not None:
                return started
            self._starting.pop(name, None)
            followed = await self._follow_other(source.track_id, key)
            if followed is not None:
                return followed
            if await self.maker.stored(source.track_id, key):
                return None
            # The other encode ended without a variant (stopped or failed): start ours.
        raise Busy

    async def _join_or_start(
        self, source: SourceFile, key: VariantKey, user_id: uuid.UUID | None
    ) -> Held | None:
        """This process's encode of the variant (started now if need be), or None when
        another process holds the variant's lock."""
        name = (source.track_id, key)
        encode = self._running.get(name)
        if encode is not None and encode.stopping is not None:
            await encode.done.wait()  # being stopped: nobody joins it; ours starts after it
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
        if lock is None:
            lease.release()
            return None
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
            self._starting.pop(encode.key, None)
            if encode.stopping is not None:
                os.close(encode.stopping)  # before the lock: a follower may then join anew
            encode.lock.release()
            encode.lease.release()
            encode.done.set()

    def _listen(self, encode: LiveEncode) -> Held:
        """Follow this process's encode; its listener count says so from now on (the
        encode's own stop looks at the count, no lock needed)."""
        encode.listeners += 1

        def leave() -> None:
            encode.listeners -= 1
            if encode.listeners == 0 and not encode.done.is_set():
                self._check_later(encode)

        chunks = follow(encode.part_path, encode.final_path, done=encode.finished)
        return Held(chunks, leave)

    def _check_later(self, encode: LiveEncode) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(GRACE_SECONDS, lambda: loop.create_task(self._stop_if_unwanted(encode)))

    async def _stop_if_unwanted(self, encode: LiveEncode) -> None:
        """Stop an encode nobody listens to: not here, not in another worker (a follower),
        not through a time-offset stream of the same variant (a far seek in this first play
        still needs the complete file next). Looked at again each grace period while wanted."""
        if encode.listeners or encode.done.is_set() or encode.task is None:
            return
        track_id, key = encode.key
        claim = await anyio.to_thread.run_sync(self.maker.store.claim_unwanted, track_id, key)
        if claim is None:
            self._check_later(encode)
            return
        if encode.listeners or encode.done.is_set():
            os.close(claim)  # a listener came meanwhile; it looks again when it leaves
            return
        encode.stopping = claim
        encode.task.cancel()

    async def _follow_other(self, track_id: uuid.UUID, key: VariantKey) -> Held | None:
        """Follow another process's encode of the variant; None when nobody makes it now.

        The holder writes the ``.part`` name into the lock file right after taking the
        lock, so a follower that comes in between waits a moment for it.
        """
        store = self.maker.store
        interest = await anyio.to_thread.run_sync(store.hold_interest, track_id, key)
        if interest is None:
            # Its holder is stopping it: wait until it has, then the caller starts anew.
            await self._wait_unlocked(track_id, key)
            return None
        try:
            deadline = asyncio.get_running_loop().time() + FOLLOW_WAIT_SECONDS
            while True:
                part = await anyio.to_thread.run_sync(store.following_part, track_id, key)
                if part is not None:
                    break
                held = await anyio.to_thread.run_sync(store.is_being_made, track_id, key)
                if not held or asyncio.get_running_loop().time() > deadline:
                    os.close(interest)
                    return None
                await asyncio.sleep(POLL_SECONDS)
        except BaseException:
            os.close(interest)
            raise
        checker = _LockWatch(lambda: store.is_being_made(track_id, key))
        chunks = follow(part, store.path_for(track_id, key), done=checker.done)
        return Held(chunks, lambda: os.close(interest))

    async def _wait_unlocked(self, track_id: uuid.UUID, key: VariantKey) -> None:
        """Until nobody holds the variant's lock (bounded: the caller looks again anyway)."""
        store = self.maker.store
        deadline = asyncio.get_running_loop().time() + STOPPING_WAIT_SECONDS
        while await anyio.to_thread.run_sync(store.is_being_made, track_id, key):
            if asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(POLL_SECONDS)

    async def offset_stream(
        self,
        source: SourceFile,
        key: VariantKey,
        user_id: uuid.UUID | None,
        start_seconds: float,
    ) -> Held:
        """The variant's encoding of the audio from ``start_seconds`` on (not stored)."""
        lease = await self.slots.acquire(user_id)
        if lease is None:
            raise Busy
        held: list[int] = []

        def release() -> None:
            while held:
                os.close(held.pop())
            lease.release()

        try:
            held.append(await self.maker.open_source(source))
            # Keeps this variant's first-play encode going; none when it is being stopped.
            interest = await anyio.to_thread.run_sync(
                self.maker.store.hold_interest, source.track_id, key
            )
            if interest is not None:
                held.append(interest)
        except BaseException:
            release()
            raise
        chunks = _offset_chunks(
            self.maker.ffmpeg, source, key=key, start_seconds=start_seconds, input_fd=held[0]
        )
        return Held(chunks, release)


class Held:
    """An async iterator over ``chunks`` that gives back what was taken for them.

    ``release`` runs exactly once: when the chunks end or fail, or when they are closed —
    read or not (an async generator closed before its first read never runs its
    ``finally``, so what it would release there must not be its own).
    """

    def __init__(self, chunks: AsyncGenerator[bytes], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release: Callable[[], None] | None = release

    def __aiter__(self) -> Held:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await anext(self._chunks)
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Close the chunks (stopping what makes them), then release."""
        try:
            await self._chunks.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


async def _offset_chunks(
    program: str,
    source: SourceFile,
    *,
    key: VariantKey,
    start_seconds: float,
    input_fd: int,
) -> AsyncGenerator[bytes, None]:
    """The encoder's output from ``start_seconds``; ``input_fd`` stays the caller's."""
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
) -> AsyncGenerator[bytes, None]:
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
