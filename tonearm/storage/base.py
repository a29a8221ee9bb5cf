"""The one storage interface: what tonearm writes or serves besides the scanned media root.

Uploaded originals, variants and cover thumbnails are *objects* named by a key
(``keys.py``: never a user-supplied name). A backend stores them in local folders
(``local.py``, today's layout) or in an S3-compatible bucket (``s3.py``). Every method is
async and never blocks the event loop.

Refusals are named exceptions, mapped to HTTP in one place by the callers' error modules:
``ObjectNotFound`` (→ the same 404 as a missing file), ``StorageUnavailable`` (the endpoint
is down, slow, or refuses us → 503 with ``Retry-After``).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# Seconds a client is told to wait after a 503 from storage.
UNAVAILABLE_RETRY_AFTER = 5


class StorageError(Exception):
    """Base class of storage refusals; ``str()`` is one line for people, no secrets."""


class ObjectNotFound(StorageError):
    """No object under this key (or its key is not one of ours)."""


class StorageUnavailable(StorageError):
    """The storage cannot answer now: endpoint down, timed out, or refusing our requests."""


class UnsupportedByBackend(StorageError):
    """This backend has no such operation (presigned URLs and multipart are S3's)."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a ``head`` tells: the size, a strong validator and the modification time."""

    size: int
    etag: str  # quoted, strong: '"…"'
    modified: float  # seconds since the epoch
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class UploadedPart:
    """One part of a multipart upload as the client reported it (``complete_multipart``)."""

    number: int
    etag: str


@dataclass(frozen=True, slots=True)
class StoredPart:
    """One part of a multipart upload as the storage holds it (``list_parts``)."""

    number: int
    size: int
    etag: str


@dataclass(frozen=True, slots=True)
class MultipartUpload:
    """A multipart upload begun and neither completed nor aborted."""

    key: str
    upload_id: str
    initiated: datetime


class ObjectStorage(abc.ABC):
    """Objects by key. Subclasses: ``LocalStorage``, ``S3Storage``."""

    kind: str
    # Whether objects live off this machine (no ``local_path``; redirects or proxying).
    remote: bool = False

    @abc.abstractmethod
    async def put_file(self, key: str, path: Path, *, content_type: str) -> ObjectInfo:
        """Store the local file ``path`` under ``key`` (replacing what was there)."""

    @abc.abstractmethod
    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> ObjectInfo:
        """Store ``data`` under ``key`` (replacing what was there)."""

    @abc.abstractmethod
    async def head(self, key: str) -> ObjectInfo:
        """The object's size and validator; raises ``ObjectNotFound``."""

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        try:
            await self.head(key)
        except ObjectNotFound:
            return False
        return True

    @abc.abstractmethod
    async def read_range(self, key: str, start: int, end: int) -> bytes:
        """Exactly the bytes ``[start, end)``; raises ``ObjectNotFound`` (also when shorter)."""

    @abc.abstractmethod
    def iter_range(
        self, key: str, start: int, end: int, *, chunk_size: int = 256 * 1024
    ) -> AsyncIterator[bytes]:
        """The bytes ``[start, end)`` in pieces of at most ``chunk_size``."""

    async def read_all(self, key: str) -> bytes:
        """The whole object (small ones: thumbnails)."""
        info = await self.head(key)
        return await self.read_range(key, 0, info.size) if info.size else b""

    @abc.abstractmethod
    async def download_to(self, key: str, path: Path) -> ObjectInfo:
        """Copy the object into the local file ``path`` (created or truncated)."""

    @abc.abstractmethod
    async def copy(
        self, source: str, target: str, *, content_type: str | None = None
    ) -> ObjectInfo:
        """Copy the object ``source`` to ``target`` inside this storage (replacing what was
        there; ``content_type``: the copy's, else the source's); raises ``ObjectNotFound``
        when ``source`` is not there."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Delete the object; absent is fine."""

    @abc.abstractmethod
    async def list_keys(self, prefix: str) -> list[str]:
        """The keys under ``prefix`` (one track's variants, one hash's thumbnails)."""

    @abc.abstractmethod
    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with ``prefix`` (ending in ``/``)."""

    def local_path(self, key: str) -> Path | None:
        """Where the object lives on this machine's disk, for the local fast paths
        (``pathsend``, nginx's ``X-Accel-Redirect``, ffmpeg reading a descriptor); None
        for remote storage."""
        return None

    async def presigned_get(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        content_disposition: str | None = None,
    ) -> str:
        """A URL anyone may GET (Range too) for ``expires_in`` seconds."""
        raise UnsupportedByBackend(f"{self.kind} storage has no presigned URLs")

    # Multipart uploads: the primitives direct uploads from clients are built on.

    async def create_multipart(self, key: str, *, content_type: str) -> str:
        """Begin a multipart upload to ``key``; its upload id."""
        raise UnsupportedByBackend(f"{self.kind} storage has no multipart uploads")

    async def presign_part(
        self, key: str, upload_id: str, part_number: int, *, expires_in: int
    ) -> str:
        """A URL the client PUTs part ``part_number`` (1–10000) to."""
        raise UnsupportedByBackend(f"{self.kind} storage has no multipart uploads")

    async def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        """The parts the storage holds, by number; ``ObjectNotFound`` for an upload that is
        not there (unknown, completed or aborted)."""
        raise UnsupportedByBackend(f"{self.kind} storage has no multipart uploads")

    async def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[UploadedPart]
    ) -> ObjectInfo:
        """Join the parts into the object."""
        raise UnsupportedByBackend(f"{self.kind} storage has no multipart uploads")

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Give a multipart upload up; its parts are deleted."""
        raise UnsupportedByBackend(f"{self.kind} storage has no multipart uploads")

    async def list_multipart(self, prefix: str = "") -> list[MultipartUpload]:
        """Multipart uploads under ``prefix`` neither completed nor aborted."""
        raise UnsupportedByBackend(f"{self.kind} storage has no multipart uploads")

    async def check(self) -> None:  # noqa: B027 - nothing to check for most backends
        """Make sure the storage is usable; raises ``StorageError`` with one line saying why."""

    async def close(self) -> None:  # noqa: B027 - nothing to release for most backends
        """Release connections (idempotent)."""
