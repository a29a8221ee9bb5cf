"""Direct uploads: with remote storage the client PUTs the bytes straight to the bucket.

The three steps of the tus path, mapped onto S3 multipart uploads:

1. ``start_direct_upload`` (initiate): the same checks as a tus ``POST`` (upload
   permission, ``TONEARM_MAX_UPLOAD_BYTES``, the quota with unfinished uploads counted, the
   album), then ``CreateMultipartUpload`` under ``incoming/<user>/<upload>`` and an
   ``uploads`` row naming it; the answer is the upload id, the part size and a presigned
   ``UploadPart`` URL per part (``part_urls`` signs new ones for a retry or after expiry).
2. The client PUTs each part to its URL; tonearm sees none of it.
3. ``finishUpload`` (``tus_finish``): the server lists the parts itself (``received``:
   ListParts, never the client's ETags), completes the upload (``fetch``), downloads the
   object into the staging area with its SHA-256 and hands it to the one pipeline, which
   copies the object to its original's key inside the bucket; the incoming object is
   deleted whatever the outcome.

Abandoned ones are aborted by the sweep (``sweep.py``). Local storage has no multipart
uploads: ``DirectUploadsUnsupported`` (tus is the local path).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import anyio
import anyio.to_thread
from sqlalchemy import select

from tonearm.accounts.users import may_upload
from tonearm.accounts.viewer import Viewer
from tonearm.catalog.access import Reader
from tonearm.catalog.collaboration import album_role_of
from tonearm.db import uploads as rows
from tonearm.db.models import AlbumRecord, UserRecord, utcnow
from tonearm.services import Services
from tonearm.storage.base import (
    ObjectNotFound,
    ObjectStorage,
    StorageError,
    StoredPart,
    UploadedPart,
)
from tonearm.storage.keys import incoming_key
from tonearm.uploads.outcomes import AlbumNotFound, QuotaExceeded, TooLarge, UploadNotAllowed
from tonearm.uploads.quota import reservation_refusal
from tonearm.uploads.staging import discard, staging_dir
from tonearm.uploads.sweep import sweep_uploads

# Every part but the last has this size (S3: at least 5 MiB, at most 10000 parts), larger
# only when a file needs more than 10000 parts of it.
PART_BYTES = 8 * 1024 * 1024
MAX_PARTS = 10_000
_MIB = 1024 * 1024
# A presigned part URL expires after this long, or when the upload does if that is sooner.
PART_URL_SECONDS = 3600
# At most this many URLs per ``uploadPartUrls`` request.
MAX_URLS_PER_REQUEST = 1000
HASH_BLOCK = 1024 * 1024
_CONTENT_TYPE = "application/octet-stream"  # the probe decides the stored type


class DirectUploadsUnsupported(Exception):
    """This server's storage is local: upload with tus (``/api/uploads``)."""

    message = (
        "Direct uploads need TONEARM_STORAGE=s3; this server stores uploads locally: "
        "use the resumable uploads at /api/uploads (tus)."
    )


class PartsChanged(Exception):
    """The parts no longer make the whole file (one was replaced since they were listed,
    or the upload is gone): the finish answers incomplete."""


class BadDirectRequest(ValueError):
    """A length or part number the request may not ask for; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class PartUrl:
    """Where the client PUTs one part, until ``expires_at``."""

    number: int
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class StartedUpload:
    """A direct upload begun: its id, the part layout and the first URLs."""

    upload_id: uuid.UUID
    length: int
    part_bytes: int
    part_count: int
    expires_at: datetime
    urls: list[PartUrl]


@dataclass(frozen=True, slots=True)
class Received:
    """What the storage holds of a direct upload: bytes in well-formed parts, whether the
    parts make the whole file, and the parts themselves (None once assembled)."""

    offset: int
    complete: bool
    parts: list[StoredPart] | None


def part_size_for(length: int) -> int:
    """The part size of a file of ``length`` bytes: ``PART_BYTES``, or whole MiB enough for
    ``MAX_PARTS`` parts."""
    needed = math.ceil(length / MAX_PARTS)
    return max(PART_BYTES, math.ceil(needed / _MIB) * _MIB)


def part_count(length: int, part_bytes: int) -> int:
    """How many parts a file of ``length`` bytes is sent in (at least one)."""
    return max(1, math.ceil(length / part_bytes))


def expected_part_size(number: int, *, length: int, part_bytes: int) -> int:
    """The size part ``number`` must have: ``part_bytes``, the last one the rest."""
    count = part_count(length, part_bytes)
    return part_bytes if number < count else length - part_bytes * (count - 1)


def tally(parts: list[StoredPart], *, length: int, part_bytes: int) -> Received:
    """Which of the stored parts fit the layout, and whether they make the whole file.

    A part of the wrong size or a number past the last does not count (the client may PUT
    it again: a part of the same number replaces it)."""
    count = part_count(length, part_bytes)
    good = {
        part.number: part
        for part in parts
        if 1 <= part.number <= count
        and part.size == expected_part_size(part.number, length=length, part_bytes=part_bytes)
    }
    offset = sum(part.size for part in good.values())
    complete = len(good) == count and len(parts) == count
    return Received(offset, complete, [good[n] for n in sorted(good)])


def _require_remote(storage: ObjectStorage) -> None:
    if not storage.remote:
        raise DirectUploadsUnsupported(DirectUploadsUnsupported.message)


async def _check_album(services: Services, viewer: Viewer, album_id: uuid.UUID) -> None:
    """The album exists and the viewer may add tracks to it; else ``AlbumNotFound``."""
    async with services.sessions() as session:
        album = await session.scalar(select(AlbumRecord.id).where(AlbumRecord.id == album_id))
        if album is None:
            raise AlbumNotFound
        _role, may_edit = await album_role_of(
            session, Reader(viewer.user_id, viewer.is_admin), album_id
        )
    if not may_edit:
        raise AlbumNotFound


async def _sign(
    storage: ObjectStorage,
    key: str,
    multipart_id: str,
    numbers: list[int],
    *,
    upload_expires: datetime,
) -> list[PartUrl]:
    now = utcnow()
    seconds = max(1, min(PART_URL_SECONDS, int((upload_expires - now).total_seconds())))
    expires_at = now + timedelta(seconds=seconds)
    return [
        PartUrl(n, await storage.presign_part(key, multipart_id, n, expires_in=seconds), expires_at)
        for n in numbers
    ]


async def start_direct_upload(
    services: Services,
    viewer: Viewer,
    *,
    length: int,
    file_name: str | None,
    content_type: str | None,
    album_id: uuid.UUID | None,
) -> StartedUpload | TooLarge | QuotaExceeded:
    """Begin a direct upload of ``length`` bytes (initiate).

    Raises ``DirectUploadsUnsupported`` (local storage), ``UploadNotAllowed``,
    ``AlbumNotFound``, ``BadDirectRequest`` (no bytes) and ``StorageUnavailable``;
    nothing is left behind then.
    """
    storage = services.storage
    _require_remote(storage)
    settings = services.settings
    if viewer.user_id is None:
        raise UploadNotAllowed("uploads need an account (TONEARM_AUTH=required)")
    async with services.sessions() as session:
        user = await session.get(UserRecord, viewer.user_id)
        if user is None or not may_upload(user):
            raise UploadNotAllowed("this account may not upload music")
    if length < 1:
        raise BadDirectRequest("length must be at least 1 byte")
    if length > settings.max_upload_bytes:
        return TooLarge(settings.max_upload_bytes)
    if album_id is not None:
        await _check_album(services, viewer, album_id)
    # As the tus POST does: expired uploads stop counting to the quota (their multipart
    # uploads aborted; the listing of abandoned ones is the start-up sweep's).
    await sweep_uploads(
        services.sessions, uploads_root=settings.resolved_uploads_dir, storage=storage
    )
    upload_id = uuid.uuid4()
    key = incoming_key(viewer.user_id, upload_id)
    part_bytes = part_size_for(length)
    now = utcnow()
    expires = now + timedelta(hours=settings.upload_expiry_hours)
    limit = None if viewer.is_admin else settings.upload_quota_bytes
    async with services.sessions() as session:
        over = await reservation_refusal(
            session, viewer.user_id, length=length, limit=limit, now=now
        )
    if over is not None:
        return QuotaExceeded(over.used, over.limit)
    multipart_id = await storage.create_multipart(key, content_type=_CONTENT_TYPE)
    try:
        async with services.sessions.begin() as session:
            await rows.insert_upload(
                session,
                upload_id=upload_id,
                user_id=viewer.user_id,
                length=length,
                original_name=file_name,
                declared_type=content_type,
                album_id=album_id,
                expires_at=expires,
                storage_key=key,
                multipart_id=multipart_id,
                part_bytes=part_bytes,
            )
        count = part_count(length, part_bytes)
        urls = await _sign(
            storage, key, multipart_id, list(range(1, count + 1)), upload_expires=expires
        )
    except BaseException:
        with anyio.CancelScope(shield=True), contextlib.suppress(StorageError):
            await storage.abort_multipart(key, multipart_id)
        with anyio.CancelScope(shield=True):
            async with services.sessions.begin() as session:
                await rows.delete_upload(session, upload_id)
        raise
    return StartedUpload(upload_id, length, part_bytes, count, expires, urls)


async def part_urls(
    services: Services, viewer: Viewer, upload_id: uuid.UUID, numbers: list[int]
) -> list[PartUrl] | None:
    """New presigned URLs for parts of the viewer's live direct upload (a retry, or ones
    that expired); None when no such upload is theirs (unknown, someone else's, expired,
    finished, a tus upload: all alike). Raises ``BadDirectRequest`` for part numbers the
    upload does not have, ``DirectUploadsUnsupported`` with local storage."""
    storage = services.storage
    _require_remote(storage)
    if viewer.user_id is None:
        return None
    async with services.sessions() as session:
        upload = await rows.upload_of(session, upload_id, viewer.user_id)
    if (
        upload is None
        or not upload.is_direct
        or upload.state != rows.RECEIVING
        or upload.expires_at <= utcnow()
    ):
        return None
    assert upload.storage_key is not None
    assert upload.multipart_id is not None
    assert upload.part_bytes is not None
    count = part_count(upload.length, upload.part_bytes)
    wanted = sorted(set(numbers))
    if not wanted or len(wanted) > MAX_URLS_PER_REQUEST:
        raise BadDirectRequest(f"ask for 1 to {MAX_URLS_PER_REQUEST} part numbers")
    if wanted[0] < 1 or wanted[-1] > count:
        raise BadDirectRequest(f"this upload has parts 1 to {count}")
    return await _sign(
        storage, upload.storage_key, upload.multipart_id, wanted, upload_expires=upload.expires_at
    )


async def received(storage: ObjectStorage, upload: rows.UploadRow) -> Received | None:
    """What the storage holds of ``upload`` (ListParts), or the object once assembled by an
    earlier finish; None when neither is there (aborted behind our back)."""
    assert upload.storage_key is not None
    assert upload.multipart_id is not None
    assert upload.part_bytes is not None
    try:
        parts = await storage.list_parts(upload.storage_key, upload.multipart_id)
    except ObjectNotFound:
        try:
            info = await storage.head(upload.storage_key)
        except ObjectNotFound:
            return None
        return Received(min(info.size, upload.length), info.size == upload.length, None)
    return tally(parts, length=upload.length, part_bytes=upload.part_bytes)


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while block := source.read(HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


async def fetch(services: Services, upload: rows.UploadRow) -> tuple[Path, int, str]:
    """Assemble the upload's parts (the server's own listing) and download the object into
    the staging area: the staged file, its size and its SHA-256. Raises ``PartsChanged``
    when the parts no longer make the file (the finish answers incomplete then)."""
    storage = services.storage
    assert upload.storage_key is not None
    assert upload.multipart_id is not None
    state = await received(storage, upload)
    if state is None or not state.complete:
        raise PartsChanged
    if state.parts is not None:
        await storage.complete_multipart(
            upload.storage_key,
            upload.multipart_id,
            [UploadedPart(part.number, part.etag) for part in state.parts],
        )
    folder = staging_dir(services.settings.resolved_uploads_dir)
    await anyio.to_thread.run_sync(lambda: folder.mkdir(mode=0o700, parents=True, exist_ok=True))
    path = folder / f"{uuid.uuid4().hex}.part"
    try:
        try:
            await storage.download_to(upload.storage_key, path)
        except ObjectNotFound:
            raise PartsChanged from None
        size, sha256 = await anyio.to_thread.run_sync(_hash_file, path)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(discard, path)
        raise
    return path, size, sha256


async def forget_object(storage: ObjectStorage, upload: rows.UploadRow) -> None:
    """Delete what the storage holds of a direct upload: the multipart upload (aborted)
    and the assembled object. Storage that cannot be reached leaves it to the sweep."""
    assert upload.storage_key is not None
    assert upload.multipart_id is not None
    with contextlib.suppress(StorageError):
        await storage.abort_multipart(upload.storage_key, upload.multipart_id)
    with contextlib.suppress(StorageError):
        await storage.delete(upload.storage_key)


__all__ = [
    "MAX_PARTS",
    "PART_BYTES",
    "PART_URL_SECONDS",
    "BadDirectRequest",
    "DirectUploadsUnsupported",
    "PartUrl",
    "PartsChanged",
    "Received",
    "StartedUpload",
    "expected_part_size",
    "fetch",
    "forget_object",
    "part_count",
    "part_size_for",
    "part_urls",
    "received",
    "start_direct_upload",
    "tally",
]
