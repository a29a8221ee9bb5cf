"""The data files of tus uploads: ``<uploads root>/.tus/<upload id>``, one writer at a time.

Blocking calls are plain methods of ``TusFiles``; ``TusStore`` is their only async face (a
worker thread per call under one limiter), plus the registry rows (``db.uploads``) they go
with. A writer holds ``fcntl.flock`` on the data file for the whole PATCH, non-blocking, so a
second writer — in this worker process or another — is refused at once instead of queueing
behind a slow client. The registry's ``offset`` is the truth: bytes past it (a crash between
write and commit, a write the disk refused) are cut off when the next writer takes the file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import anyio
import anyio.to_thread

from tonearm.db.models import utcnow
from tonearm.services import Services
from tonearm.uploads.sweep import TUS_DIR, sweep_uploads, tus_dir

# Errors that mean "the disk is full", answered with 507 Insufficient Storage.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})

# The one write call of the data files, looked up at each write: the one place tests swap
# in a full disk (which cannot be made here safely).
write_bytes: Callable[[int, memoryview], int] = os.write


class UploadBusy(Exception):
    """Another request is writing this upload right now."""


class DiskFull(Exception):
    """The file system refused the bytes (``ENOSPC``/``EDQUOT``); ``offset`` is durable."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"disk full at offset {offset}")
        self.offset = offset


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = write_bytes(fd, view)
        view = view[written:]


class TusFiles:
    """Blocking file operations on the tus data files (call them from worker threads)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, upload_id: uuid.UUID) -> Path:
        """Where an upload's bytes are kept (the id is a UUID: no name can escape)."""
        return self.directory / str(upload_id)

    def create(self, upload_id: uuid.UUID) -> None:
        """An empty data file; the folder is made on first use."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path(upload_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)

    def open_locked(self, upload_id: uuid.UUID) -> int:
        """A descriptor of the data file holding its exclusive lock; ``UploadBusy`` if held."""
        fd = os.open(self.path(upload_id), os.O_WRONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UploadBusy from None
        return fd

    def start_at(self, fd: int, offset: int) -> None:
        """Cut the file back to ``offset`` (the registry's truth) and write from there."""
        os.ftruncate(fd, offset)
        os.lseek(fd, offset, os.SEEK_SET)

    def append(self, fd: int, data: bytes, *, start: int) -> None:
        """Write ``data`` at ``start`` (the file's position); on a full disk cut the file
        back to ``start`` and raise ``DiskFull`` (nothing of ``data`` counts)."""
        try:
            _write_all(fd, data)
        except OSError as error:
            if error.errno not in DISK_FULL:
                raise
            self.start_at(fd, start)
            raise DiskFull(start) from None

    def sync(self, fd: int, *, durable: int) -> int:
        """fsync and return the file's size; a full disk at fsync keeps only ``durable``."""
        try:
            os.fsync(fd)
        except OSError as error:
            if error.errno not in DISK_FULL:
                raise
            self.start_at(fd, durable)
            raise DiskFull(durable) from None
        return os.fstat(fd).st_size

    def close(self, fd: int) -> None:
        """Close the descriptor, releasing the lock."""
        os.close(fd)

    def remove(self, upload_id: uuid.UUID) -> None:
        """Remove the data file if it is there."""
        with contextlib.suppress(FileNotFoundError):
            self.path(upload_id).unlink()


@dataclass(frozen=True, slots=True)
class Writer:
    """An open, locked data file of one upload."""

    upload_id: uuid.UUID
    fd: int


class TusStore:
    """The async face of the tus data files and their rows."""

    def __init__(self, services: Services, *, threads: int = 8) -> None:
        self.services = services
        self.files = TusFiles(tus_dir(services.settings.resolved_uploads_dir))
        self._limiter = anyio.CapacityLimiter(threads)

    def expiry(self, now: datetime | None = None) -> datetime:
        """When an upload touched now expires."""
        hours = self.services.settings.upload_expiry_hours
        return (now or utcnow()) + timedelta(hours=hours)

    async def create(self, upload_id: uuid.UUID) -> None:
        """Make the empty data file."""
        await anyio.to_thread.run_sync(self.files.create, upload_id, limiter=self._limiter)

    async def open_writer(self, upload_id: uuid.UUID) -> Writer:
        """Take the upload's write lock (``UploadBusy`` if someone holds it)."""
        fd = await anyio.to_thread.run_sync(
            self.files.open_locked, upload_id, limiter=self._limiter
        )
        return Writer(upload_id, fd)

    async def start_at(self, writer: Writer, offset: int) -> None:
        """Position the writer at the registry's offset."""
        await anyio.to_thread.run_sync(
            self.files.start_at, writer.fd, offset, limiter=self._limiter
        )

    async def append(self, writer: Writer, data: bytes, *, start: int) -> None:
        """Write one batch at ``start`` (``DiskFull`` when the disk refuses it)."""

        def run() -> None:
            self.files.append(writer.fd, data, start=start)

        await anyio.to_thread.run_sync(run, limiter=self._limiter)

    async def sync(self, writer: Writer, *, durable: int) -> int:
        """fsync; the size that is now durable (``durable``, the last fsynced offset, when
        the disk refuses even that: ``DiskFull``)."""

        def run() -> int:
            return self.files.sync(writer.fd, durable=durable)

        return await anyio.to_thread.run_sync(run, limiter=self._limiter)

    async def close(self, writer: Writer) -> None:
        """Release the writer (shielded: a lock must not leak when a request is cancelled)."""
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self.files.close, writer.fd, limiter=self._limiter)

    async def remove(self, upload_id: uuid.UUID) -> None:
        """Remove the data file."""
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self.files.remove, upload_id, limiter=self._limiter)

    async def sweep_expired(self) -> int:
        """Remove expired, unfinished uploads (row and file) and stale staging files, with
        the start-up sweep's one definition; how many uploads went."""
        settings = self.services.settings
        report = await sweep_uploads(
            self.services.sessions,
            uploads_root=settings.resolved_uploads_dir,
            storage=self.services.storage,
            expiry_hours=settings.upload_expiry_hours,
        )
        return report.expired_uploads


__all__ = [
    "DISK_FULL",
    "TUS_DIR",
    "DiskFull",
    "TusFiles",
    "TusStore",
    "UploadBusy",
    "Writer",
    "tus_dir",
]
