"""Staging: an upload's bytes stream into a temporary file under ``<uploads root>/.staging``.

Bytes arrive from any source (a multipart part, a tus ``PATCH``) as an async iterator or
pushed piece by piece (``Stager``). They are gathered into batches of about 1 MiB and each
batch is written and hashed in a worker thread, so the event loop never waits on the disk
and a file is never whole in memory. The size limit is enforced before (a declared length)
and while streaming. Whatever goes wrong, the temporary file is removed before the error
leaves: nothing incomplete stays behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import unicodedata
import uuid
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread

__all__ = [
    "BATCH_BYTES",
    "STAGING_DIR",
    "StagedFile",
    "Stager",
    "StorageFull",
    "UploadTooLarge",
    "discard",
    "display_name",
    "is_storage_full",
    "stage_stream",
    "staging_dir",
]

STAGING_DIR = ".staging"
BATCH_BYTES = 1024 * 1024
MAX_NAME_CHARS = 255
FALLBACK_NAME = "upload"
_STORAGE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})

# The one write call of staging, looked up when a batch is written: the one place tests may
# swap in a fake (a full disk cannot be made here safely).
write_bytes: Callable[[int, bytes | memoryview], int] = os.write


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A complete upload in the staging area, owned by the caller until accepted."""

    path: Path
    size_bytes: int
    sha256: str
    original_name: str
    # A direct upload: the same bytes are already this object of the remote storage, so
    # storing copies it there instead of uploading ``path`` again.
    object_key: str | None = None


class UploadTooLarge(Exception):
    """The upload is (or declared it would be) larger than ``limit_bytes``."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"the file is larger than the limit of {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


class StorageFull(Exception):
    """The server's disk (or the uploads folder's quota) is full; nothing was stored."""

    message = "the server's disk is full; nothing was stored from this file"

    def __init__(self) -> None:
        super().__init__(self.message)


def is_storage_full(error: OSError) -> bool:
    """Whether ``error`` says the disk or the file system's quota is full."""
    return error.errno in _STORAGE_FULL


def display_name(name: str | None) -> str:
    """The client's file name as display text: no control characters, at most 255 characters.

    Metadata only: the stored file's name is generated, never taken from this.
    """
    cleaned = "".join(
        char for char in (name or "") if unicodedata.category(char) not in ("Cc", "Cs")
    ).strip()
    return cleaned[:MAX_NAME_CHARS].strip() or FALLBACK_NAME


def staging_dir(uploads_root: Path) -> Path:
    """Where incomplete multipart uploads live: inside the uploads root, same file system."""
    return uploads_root / STAGING_DIR


def discard(path: Path) -> None:
    """Remove a staged file; blocking, and quiet when it is already gone."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _open(directory: Path) -> tuple[Path, int]:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    return path, os.open(path, flags, 0o600)


def _write_all(fd: int, digest: hashlib._Hash, data: bytes) -> None:
    digest.update(data)
    view = memoryview(data)
    while view:
        written = write_bytes(fd, view)
        view = view[written:]


def _finish(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _close_and_discard(fd: int | None, path: Path | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
    if path is not None:
        discard(path)


class Stager:
    """One file being staged: ``write`` pieces as they come, then ``finish`` or ``abort``.

    ``write`` raises ``UploadTooLarge`` once the bytes pass ``limit_bytes`` and
    ``StorageFull`` on a full disk; either way the temporary file is already gone.
    """

    def __init__(self, directory: Path, *, original_name: str | None, limit_bytes: int) -> None:
        self._directory = directory
        self._limit = limit_bytes
        self._name = display_name(original_name)
        self._digest = hashlib.sha256()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._size = 0
        self._path: Path | None = None
        self._fd: int | None = None
        self._done = False

    @property
    def original_name(self) -> str:
        """The display-safe name this file will carry."""
        return self._name

    @property
    def size_bytes(self) -> int:
        """Bytes received so far."""
        return self._size

    async def write(self, data: bytes) -> None:
        """Take the next bytes; writes a batch in a worker thread once about 1 MiB waits."""
        if not data:
            return
        self._size += len(data)
        if self._size > self._limit:
            await self.abort()
            raise UploadTooLarge(self._limit)
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= BATCH_BYTES:
            await self._flush()

    async def finish(self) -> StagedFile:
        """Write what is left, fsync, close: the complete file, handed to the caller."""
        await self._flush()
        try:
            if self._fd is None:
                await self._run(self._create)
            fd, self._fd = self._fd, None
            assert fd is not None
            await self._run(_finish, fd)
        except OSError as error:
            await self.abort()
            if is_storage_full(error):
                raise StorageFull from None
            raise
        except BaseException:
            await self.abort()
            raise
        self._done = True
        assert self._path is not None
        return StagedFile(self._path, self._size, self._digest.hexdigest(), self._name)

    async def abort(self) -> None:
        """Drop everything received (idempotent; runs even while being cancelled)."""
        if self._done:
            return
        self._done = True
        fd, path = self._fd, self._path
        self._fd = self._path = None
        self._pending.clear()
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_close_and_discard, fd, path)

    def _create(self) -> None:
        self._path, self._fd = _open(self._directory)

    def _write_batch(self, data: bytes) -> None:
        if self._fd is None:
            self._create()
        assert self._fd is not None
        _write_all(self._fd, self._digest, data)

    async def _flush(self) -> None:
        if not self._pending:
            return
        batch = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        try:
            await self._run(self._write_batch, batch)
        except OSError as error:
            await self.abort()
            if is_storage_full(error):
                raise StorageFull from None
            raise
        except BaseException:
            await self.abort()
            raise

    @staticmethod
    async def _run(function: Callable[..., object], *args: object) -> None:
        await anyio.to_thread.run_sync(function, *args)


async def stage_stream(
    chunks: AsyncIterable[bytes],
    *,
    directory: Path,
    original_name: str | None,
    limit_bytes: int,
    declared_length: int | None = None,
) -> StagedFile:
    """Stream ``chunks`` into a new staged file (see ``Stager``).

    A ``declared_length`` over the limit is refused before any byte is read.
    """
    if declared_length is not None and declared_length > limit_bytes:
        raise UploadTooLarge(limit_bytes)
    stager = Stager(directory, original_name=original_name, limit_bytes=limit_bytes)
    try:
        async for chunk in chunks:
            await stager.write(chunk)
        return await stager.finish()
    except BaseException:
        await stager.abort()
        raise
