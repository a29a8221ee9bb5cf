"""``tonearm storage migrate --to s3|local``: copy every stored object to the other backend.

What is copied: every upload's original (``tracks`` with ``origin = 'upload'``), every ready
variant (``track_variants``) and every thumbnail of every ``artworks`` hash (the sizes its
row names, and any other the source holds). Each object is read from the source and hashed
(SHA-256), and skipped when the target already holds the same bytes (hashed as read back),
so an interrupted run resumes where it stopped. A copy is
verified by hashing what the target gives back, never by an S3 ETag (multipart ETags are
not content hashes). Objects are stored with their own media type (the original's, the
variant's, ``image/jpeg``). Originals' rows are updated in small transactions
(``storage_key`` set for S3, cleared for local). The source is never deleted. One run at a
time (a lock file in the data dir); a run's scratch folder is removed at its end, and
those of runs that were killed at the next start. Afterwards the admin switches
``TONEARM_STORAGE`` and restarts.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import anyio
import anyio.to_thread
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db.models import ArtworkRecord, TrackRecord, VariantRecord
from tonearm.settings import ConfigurationError, Settings
from tonearm.storage.base import ObjectNotFound, ObjectStorage, StorageError
from tonearm.storage.keys import art_key, art_prefix, variant_key
from tonearm.storage.local import LocalRoots, LocalStorage

Backend = Literal["local", "s3"]
Status = Literal["copied", "skipped", "missing", "failed", "would copy"]
# Originals' rows are updated this many at a time.
BATCH_ROWS = 50
READ_CHUNK = 1 << 20
SCRATCH_PREFIX = ".migrate-"
LOCK_FILE = ".migrate.lock"
# The thumbnails' one format (``artwork.store``; their keys end in ``.jpg``).
ART_MEDIA_TYPE = "image/jpeg"
ART_EXTENSION = "jpg"
UNKNOWN_MEDIA_TYPE = "application/octet-stream"


class MigrationRunning(Exception):
    """Another ``tonearm storage migrate`` holds the data dir's lock."""


@dataclass(frozen=True, slots=True)
class Item:
    """One object to move: its key, its media type and, for an original, its track and
    mtime."""

    key: str
    content_type: str = UNKNOWN_MEDIA_TYPE
    track_id: uuid.UUID | None = None
    mtime_ns: int | None = None


@dataclass
class Summary:
    """What a run did, by status."""

    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, status: Status) -> None:
        """Count one object."""
        self.counts[status] = self.counts.get(status, 0) + 1

    @property
    def ok(self) -> bool:
        """Nothing failed."""
        return not self.failures


Progress = Callable[[int, int, str, Status], None]


def backend(settings: Settings, kind: Backend) -> ObjectStorage:
    """The storage of ``kind`` with these settings (S3 needs ``TONEARM_S3_BUCKET``)."""
    if kind == "local":
        return LocalStorage(LocalRoots.under(settings.data_dir, settings.resolved_uploads_dir))
    if not settings.s3_bucket:
        raise ConfigurationError("set TONEARM_S3_BUCKET (and the endpoint) to migrate to S3")
    from tonearm.storage.s3 import S3Storage
    from tonearm.storage.setup import s3_config

    return S3Storage(s3_config(settings))


async def inventory(
    sessions: async_sessionmaker[AsyncSession], source: ObjectStorage
) -> list[Item]:
    """Every object the registry says the source holds."""
    async with sessions() as session:
        originals = (
            await session.execute(
                select(
                    TrackRecord.id,
                    TrackRecord.path,
                    TrackRecord.storage_key,
                    TrackRecord.mtime_ns,
                    TrackRecord.mime_type,
                ).where(TrackRecord.origin == "upload")
            )
        ).all()
        variants = (
            await session.execute(
                select(
                    VariantRecord.track_id,
                    VariantRecord.format,
                    VariantRecord.bitrate_kbps,
                    VariantRecord.container,
                ).where(VariantRecord.state == "ready")
            )
        ).all()
        artworks = (await session.execute(select(ArtworkRecord.hash, ArtworkRecord.sizes))).all()
    items = [
        Item(row.storage_key or f"originals/{row.path}", row.mime_type, row.id, row.mtime_ns)
        for row in originals
    ]
    items += [
        Item(
            variant_key(row.track_id, f"{row.format}-{row.bitrate_kbps}", row.container),
            _variant_media_type(row.format, row.bitrate_kbps),
        )
        for row in variants
    ]
    for artwork_hash, sizes in artworks:
        # The sizes the row says were made (one lost from the source is reported missing),
        # and any other the source holds.
        registered = {art_key(artwork_hash, int(size), ART_EXTENSION) for size in sizes or []}
        listed = set(await source.list_keys(art_prefix(artwork_hash)))
        items += [Item(key, ART_MEDIA_TYPE) for key in sorted(registered | listed)]
    return items


def _variant_media_type(format_name: str, bitrate_kbps: int) -> str:
    try:
        return VariantKey(AudioFormat(format_name), bitrate_kbps).target.mime_type
    except ValueError:
        return UNKNOWN_MEDIA_TYPE


async def digest(storage: ObjectStorage, key: str) -> tuple[int, str]:
    """The object's size and SHA-256, read in pieces."""
    info = await storage.head(key)
    sha = hashlib.sha256()
    async for piece in storage.iter_range(key, 0, info.size, chunk_size=READ_CHUNK):
        sha.update(piece)
    return info.size, sha.hexdigest()


async def _copy(source: ObjectStorage, target: ObjectStorage, item: Item, scratch: Path) -> None:
    local = source.local_path(item.key)
    if local is not None:
        await target.put_file(item.key, local, content_type=item.content_type)
        return
    path = scratch / uuid.uuid4().hex
    try:
        await source.download_to(item.key, path)
        await target.put_file(item.key, path, content_type=item.content_type)
        kept = target.local_path(item.key)
        mtime = item.mtime_ns
        if kept is not None and mtime is not None:
            # The row's mtime: variants made from the original stay fresh.
            await anyio.to_thread.run_sync(lambda: os.utime(kept, ns=(mtime, mtime)))
    finally:
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))


async def move_one(
    source: ObjectStorage, target: ObjectStorage, item: Item, scratch: Path, *, dry_run: bool
) -> Status:
    """Copy one object unless the target has the same bytes; verify by SHA-256."""
    try:
        size, sha = await digest(source, item.key)
    except ObjectNotFound:
        return "missing"
    try:
        if await digest(target, item.key) == (size, sha):
            return "skipped"
    except ObjectNotFound:
        pass
    if dry_run:
        return "would copy"
    await _copy(source, target, item, scratch)
    return "copied" if await digest(target, item.key) == (size, sha) else "failed"


async def migrate(
    sessions: async_sessionmaker[AsyncSession],
    *,
    source: ObjectStorage,
    target: ObjectStorage,
    scratch_dir: Path,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """Copy every object from ``source`` to ``target`` (see the module's docstring);
    raises ``MigrationRunning`` when another run holds ``scratch_dir``'s lock."""
    lock = await anyio.to_thread.run_sync(_lock, scratch_dir)
    try:
        return await _migrate(
            sessions,
            source=source,
            target=target,
            scratch_dir=scratch_dir,
            dry_run=dry_run,
            progress=progress,
        )
    finally:
        os.close(lock)


async def _migrate(
    sessions: async_sessionmaker[AsyncSession],
    *,
    source: ObjectStorage,
    target: ObjectStorage,
    scratch_dir: Path,
    dry_run: bool,
    progress: Progress | None,
) -> Summary:
    items = await inventory(sessions, source)
    summary = Summary(total=len(items))
    to_remote = target.remote
    pending: list[uuid.UUID] = []

    async def record() -> None:
        if not pending or dry_run:
            pending.clear()
            return
        async with sessions.begin() as session:
            for track_id in pending:
                key = await session.scalar(
                    select(TrackRecord.path).where(TrackRecord.id == track_id)
                )
                await session.execute(
                    update(TrackRecord)
                    .where(TrackRecord.id == track_id)
                    .values(storage_key=f"originals/{key}" if to_remote else None)
                )
        pending.clear()

    scratch = scratch_dir / f"{SCRATCH_PREFIX}{uuid.uuid4().hex}"
    await anyio.to_thread.run_sync(lambda: scratch.mkdir(parents=True))
    try:
        for index, item in enumerate(items, start=1):
            try:
                status = await move_one(source, target, item, scratch, dry_run=dry_run)
            except StorageError as error:
                status = "failed"
                summary.failures.append(f"{item.key}: {error}")
            except OSError as error:  # a local file unreadable or unwritable (no path shown)
                status = "failed"
                summary.failures.append(f"{item.key}: {error.strerror or type(error).__name__}")
            else:
                if status in {"failed", "missing"}:
                    summary.failures.append(f"{item.key}: {status}")
            summary.add(status)
            if item.track_id is not None and status in {"copied", "skipped"}:
                pending.append(item.track_id)
                if len(pending) >= BATCH_ROWS:
                    await record()
            if progress is not None:
                progress(index, len(items), item.key, status)
        await record()
    finally:
        await anyio.to_thread.run_sync(lambda: shutil.rmtree(scratch, ignore_errors=True))
    return summary


def _lock(scratch_dir: Path) -> int:
    """Take the data dir's migration lock (held by the descriptor) and remove the scratch
    folders killed runs left."""
    scratch_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(scratch_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(fd)
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise MigrationRunning("another tonearm storage migrate is running") from None
        raise
    for leftover in _scratch_folders(scratch_dir):
        shutil.rmtree(leftover, ignore_errors=True)
    return fd


def _scratch_folders(scratch_dir: Path) -> Iterator[Path]:
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(scratch_dir):
            if entry.name.startswith(SCRATCH_PREFIX) and entry.is_dir(follow_symlinks=False):
                yield Path(entry.path)
