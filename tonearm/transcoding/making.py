"""Making one variant: claim it, encode it, verify it, put it in the store, record it.

The one pipeline behind every way a variant gets made — a first play (``live.py``), a queued
job (``jobs.py``), ``tonearm transcode`` — so they cannot differ in what they check:

1. the registry row goes ``pending`` and the variant's lock is held (one encode per
   variant on this machine, however many requests and workers want it);
2. the original is located inside its root (the media root, or the uploads root for an
   upload) and opened (``streaming.files``: the same confinement as a stream), and ffmpeg
   encodes from that descriptor into a ``.part`` file;
3. the ``.part`` file is decoded completely; its duration must be within 50 ms of the
   track's. When it is not, the source is decoded too: if the source's audio is what the
   variant holds, the registry's duration (a tag that lied) is corrected; otherwise the
   variant fails;
4. it is flushed, hashed and renamed into place, and the row becomes ``ready``;
5. the store is trimmed to its size cap, least recently played first.

Failures are recorded with a reason people can read (no paths in it); nothing partial stays
behind. Every blocking file call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncEngine

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.origins import FileRoots
from tonearm.catalog.variants import SourceAudio, VariantKey, offered_variants
from tonearm.db import variants as registry
from tonearm.db.variants import SourceFile
from tonearm.pubsub.library_events import Publisher, announce, variant_ready_message
from tonearm.storage.base import ObjectNotFound, ObjectStorage, StorageUnavailable
from tonearm.storage.keys import variant_key
from tonearm.streaming.errors import TrackNotFound
from tonearm.streaming.files import locate_origin_file, open_track_file
from tonearm.transcoding import ffmpeg
from tonearm.transcoding.store import VariantLock, VariantStore, file_digest

logger = logging.getLogger(__name__)

DURATION_TOLERANCE = 0.05
EVICTION_BATCH = 50


class VariantError(Exception):
    """A variant cannot be made; ``reason`` is for people and holds no path."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent  # retrying will not help (the source is broken or gone)


class TrackGone(Exception):
    """The track is no longer registered (nothing to make, nothing to record)."""


class NotOffered(Exception):
    """The track does not offer this variant (``catalog.variants.offered_variants``)."""


@dataclass(frozen=True, slots=True)
class Made:
    """A verified variant now in the store."""

    size_bytes: int
    duration_seconds: float
    content_hash: str


def _open_and_unlink(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    path.unlink(missing_ok=True)
    return fd


def source_audio(source: SourceFile) -> SourceAudio:
    """The facts the offers of a track depend on."""
    return SourceAudio(
        AudioFormat(source.format), source.bitrate, source.mime_type, source.channels
    )


class Maker:
    """Makes variants for one process: the registry, the store, ffmpeg and the file roots."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        store: VariantStore,
        media_root: Path,
        uploads_root: Path | None = None,
        ffmpeg_program: str = "ffmpeg",
        store_max_bytes: int | None = None,
        publisher: Publisher | None = None,
        storage: ObjectStorage | None = None,
    ) -> None:
        self.engine = engine
        # Remote storage (TONEARM_STORAGE=s3): a made variant is uploaded there and the
        # local file removed; the local store keeps only locks and ``.part`` files.
        self.storage = storage
        self.remote = storage is not None and storage.remote
        self.publisher = publisher  # told VARIANT_READY on LIBRARY (publish only)
        self.store = store
        self.roots = FileRoots(media_root, uploads_root)
        self.ffmpeg = ffmpeg_program
        self.store_max_bytes = store_max_bytes

    async def source(self, track_id: uuid.UUID, key: VariantKey) -> SourceFile:
        """The registered original, checked to offer ``key``."""
        source = await registry.source_file(self.engine, track_id)
        if source is None:
            raise TrackGone
        if key not in offered_variants(source_audio(source)):
            raise NotOffered
        return source

    async def try_lock(self, track_id: uuid.UUID, key: VariantKey) -> VariantLock | None:
        """Claim making ``key`` of the track (None: another process is making it)."""
        return await anyio.to_thread.run_sync(self.store.try_lock, track_id, key)

    async def open_source(self, source: SourceFile) -> int:
        """A descriptor of the original, confined to its origin's root like a stream; an
        original in remote storage is fetched into the store's ``.sources`` folder first
        (the name is removed at once, the descriptor keeps the bytes)."""
        if source.storage_key is not None:
            return await self._fetch_source(source.storage_key)

        def locate_and_open() -> int:
            return open_track_file(locate_origin_file(self.roots, source.origin, source.path))

        try:
            return await anyio.to_thread.run_sync(locate_and_open)
        except TrackNotFound:
            raise VariantError("the original file is missing", permanent=True) from None

    async def _fetch_source(self, storage_key: str) -> int:
        if self.storage is None:
            raise VariantError(
                "the original is in storage this process cannot use", permanent=False
            )
        target = await anyio.to_thread.run_sync(self.store.new_source_path)
        try:
            await self.storage.download_to(storage_key, target)
            return await anyio.to_thread.run_sync(_open_and_unlink, target)
        except ObjectNotFound:
            raise VariantError("the original file is missing", permanent=True) from None
        except StorageUnavailable as error:
            raise VariantError(f"the original cannot be read: {error}", permanent=False) from None
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(lambda: target.unlink(missing_ok=True))

    def variant_key(self, track_id: uuid.UUID, key: VariantKey) -> str:
        """The storage key of a variant (``storage.keys``)."""
        return variant_key(track_id, key.slug, key.container)

    async def stored(self, track_id: uuid.UUID, key: VariantKey) -> bool:
        """Whether the complete variant is in the store (local file or remote object)."""
        if self.remote:
            assert self.storage is not None
            try:
                return await self.storage.exists(self.variant_key(track_id, key))
            except StorageUnavailable:
                return False
        return await anyio.to_thread.run_sync(self.store.path_for(track_id, key).is_file)

    async def discard(self, track_id: uuid.UUID, key: VariantKey) -> None:
        """Delete a stored variant wherever it is (eviction, a stale source)."""
        await anyio.to_thread.run_sync(self.store.remove, track_id, key)
        if self.remote:
            assert self.storage is not None
            try:
                await self.storage.delete(self.variant_key(track_id, key))
            except StorageUnavailable as error:
                logger.warning("variant %s of track %s not deleted: %s", key.slug, track_id, error)

    async def _upload(self, source: SourceFile, key: VariantKey) -> None:
        """Remote storage: the published file goes to the bucket, then leaves this disk."""
        if not self.remote:
            return
        assert self.storage is not None
        final = self.store.path_for(source.track_id, key)
        try:
            await self.storage.put_file(
                self.variant_key(source.track_id, key), final, content_type=key.target.mime_type
            )
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(lambda: final.unlink(missing_ok=True))

    async def make(
        self,
        source: SourceFile,
        key: VariantKey,
        lock: VariantLock,
        *,
        on_output: Callable[[Path], None] | None = None,
    ) -> Made:
        """Encode, verify, publish and record ``key`` of ``source`` under ``lock``.

        ``on_output`` is told the ``.part`` path once ffmpeg writes to it (a first play
        follows it). Records ``failed`` and raises ``VariantError`` when it cannot be made;
        when cancelled, ffmpeg is killed and nothing is left behind. The lock stays with
        the caller, who releases it.
        """
        await registry.claim_pending(self.engine, source, key, retry_failed=True)
        await registry.note_attempt(self.engine, source.track_id, key)
        try:
            made = await self._encode_and_verify(source, key, lock, on_output)
            await anyio.to_thread.run_sync(self.store.publish, lock, source.track_id, key)
            await self._upload(source, key)
        except StorageUnavailable as error:
            reason = f"the variant store could not be written: {error}"
            await registry.mark_failed(self.engine, source, key, reason)
            raise VariantError(reason, permanent=False) from None
        except VariantError as error:
            await registry.mark_failed(self.engine, source, key, error.reason)
            logger.warning(
                "variant %s of track %s failed: %s", key.slug, source.track_id, error.reason
            )
            raise
        except OSError as error:
            reason = f"the variant store could not be written: {error.strerror or error}"
            await registry.mark_failed(self.engine, source, key, reason)
            raise VariantError(reason, permanent=False) from None
        await registry.mark_ready(
            self.engine,
            source,
            key,
            size_bytes=made.size_bytes,
            duration_seconds=made.duration_seconds,
            content_hash=made.content_hash,
        )
        if self.publisher is not None:
            message = variant_ready_message(source.track_id, key.format_value, key.bitrate_kbps)
            await announce(self.publisher, message)
        await self.trim(keep=(source.track_id, key))
        return made

    async def _encode_and_verify(
        self,
        source: SourceFile,
        key: VariantKey,
        lock: VariantLock,
        on_output: Callable[[Path], None] | None,
    ) -> Made:
        input_fd = await self.open_source(source)
        part = str(lock.part_path)
        try:
            command = ffmpeg.encode_command(
                self.ffmpeg,
                input_fd=input_fd,
                output=f"file:{part}",
                key=key,
                source=ffmpeg.SourceStream(source.sample_rate, source.channels),
            )
            process = await self._start(command, input_fd)
            if on_output is not None:
                on_output(lock.part_path)
            try:
                _, stderr = await process.communicate()
            except BaseException:
                await asyncio.shield(ffmpeg.stop(process))
                raise
            if process.returncode != 0:
                raise VariantError(
                    "the encoder failed: "
                    + ffmpeg.reason_from(stderr, returncode=process.returncode, hide=(part,)),
                    permanent=False,
                )
            duration = await self._decoded_seconds(part)
            if abs(duration - source.duration_seconds) > DURATION_TOLERANCE:
                await self._check_source_duration(source, input_fd, duration)
        finally:
            os.close(input_fd)
        size, digest = await anyio.to_thread.run_sync(file_digest, lock.part_path)
        if size == 0:
            raise VariantError("the encoder wrote nothing", permanent=False)
        return Made(size_bytes=size, duration_seconds=duration, content_hash=digest)

    async def _start(self, command: list[str], input_fd: int) -> asyncio.subprocess.Process:
        try:
            return await ffmpeg.start(command, input_fd=input_fd, stdout_pipe=False)
        except FileNotFoundError:
            raise VariantError(
                f"the encoder program {os.path.basename(self.ffmpeg)!r} is not installed",
                permanent=False,
            ) from None

    async def _decoded_seconds(self, part: str) -> float:
        code, out, err = await ffmpeg.run_to_end(ffmpeg.decode_command(self.ffmpeg, part))
        seconds = ffmpeg.decoded_seconds(out)
        if code != 0 or seconds is None:
            reason = ffmpeg.reason_from(err, returncode=code, hide=(part,))
            raise VariantError(f"the variant does not decode: {reason}", permanent=False)
        return seconds

    async def _check_source_duration(self, source: SourceFile, input_fd: int, made: float) -> None:
        """The variant's length differs from the registry's: believe whichever the source's
        own audio agrees with."""
        code, out, err = await ffmpeg.run_to_end(
            ffmpeg.decode_fd_command(self.ffmpeg, input_fd), input_fd=input_fd
        )
        decoded = ffmpeg.decoded_seconds(out)
        if code != 0 or decoded is None:
            reason = ffmpeg.reason_from(err, returncode=code)
            raise VariantError(f"the original does not decode: {reason}", permanent=True)
        if abs(decoded - made) > DURATION_TOLERANCE:
            raise VariantError(
                f"the variant is {made:.3f} s long but the original decodes to {decoded:.3f} s",
                permanent=False,
            )
        logger.warning(
            "track %s: its tags say %.3f s but its audio is %.3f s; the registry now says %.3f s",
            source.track_id,
            source.duration_seconds,
            decoded,
            decoded,
        )
        await registry.correct_duration(self.engine, source.track_id, decoded)

    async def trim(self, *, keep: tuple[uuid.UUID, VariantKey] | None = None) -> int:
        """Evict least recently played variants until the store fits its cap; how many went."""
        if self.store_max_bytes is None:
            return 0
        evicted = 0
        total = await registry.ready_bytes(self.engine)
        while total > self.store_max_bytes:
            candidates = await registry.least_recently_used(self.engine, limit=EVICTION_BATCH)
            progressed = False
            for row in candidates:
                key = VariantKey(AudioFormat(row.format), row.bitrate_kbps)
                if keep is not None and (row.track_id, key) == keep:
                    continue
                await registry.forget_variant(self.engine, row.track_id, key)
                await self.discard(row.track_id, key)
                total -= row.size_bytes or 0
                evicted += 1
                progressed = True
                if total <= self.store_max_bytes:
                    break
            if not progressed:
                break
        return evicted
