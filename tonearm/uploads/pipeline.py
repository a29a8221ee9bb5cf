"""Accepting a staged upload: probe, refuse or store, register, group, cover, queue variants.

The one pipeline behind both ways in (GraphQL multipart, tus): each hands over a complete
``StagedFile`` and gets an ``UploadOutcome`` back. See ``uploads/README.md``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.accounts.users import may_upload
from tonearm.accounts.viewer import Viewer
from tonearm.artwork.store import ArtworkStore
from tonearm.catalog.access import CollaboratorRole, Reader, track_visible
from tonearm.catalog.collaboration import album_role_of
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.origins import FileRoots, TrackOrigin
from tonearm.catalog.rows import track_row
from tonearm.db.collaborators import set_track_role
from tonearm.db.models import (
    AlbumRecord,
    TrackRecord,
    UserRecord,
)
from tonearm.library.covers import make_upload_covers
from tonearm.library.facts import TrackFacts
from tonearm.library.grouping import GroupingChanges, group_tracks
from tonearm.library.probe import NotAudioType, ProbeError, probe_file
from tonearm.services import Services
from tonearm.storage.base import StorageUnavailable
from tonearm.storage.keys import original_key, original_relative
from tonearm.uploads.outcomes import (
    AlbumNotFound,
    Corrupt,
    Duplicate,
    NotAudio,
    QuotaExceeded,
    TooLarge,
    Uploaded,
    UploadNotAllowed,
    UploadOutcome,
)
from tonearm.uploads.quota import used_bytes
from tonearm.uploads.staging import (
    StagedFile,
    StorageFull,
    UploadTooLarge,
    discard,
    is_storage_full,
)

__all__ = [
    "AlbumNotFound",
    "Corrupt",
    "Duplicate",
    "NotAudio",
    "QuotaExceeded",
    "StorageFull",
    "TooLarge",
    "UploadNotAllowed",
    "UploadOutcome",
    "UploadTooLarge",
    "Uploaded",
    "accept_upload",
    "stored_extension",
    "upload_permission",
]

logger = logging.getLogger(__name__)

GROUPING_ATTEMPTS = 3

_EXTENSIONS = {
    AudioFormat.MP3: "mp3",
    AudioFormat.FLAC: "flac",
    AudioFormat.VORBIS: "ogg",
    AudioFormat.OPUS: "opus",
    AudioFormat.AAC: "m4a",
    AudioFormat.ALAC: "m4a",
    AudioFormat.WAV: "wav",
}


def stored_extension(audio_format: AudioFormat) -> str:
    """The usual extension of a probed format: the stored name's, never the client's."""
    return _EXTENSIONS[audio_format]


def file_roots(services: Services) -> FileRoots:
    """The library and uploads roots of an app."""
    return FileRoots(services.media_root, services.settings.resolved_uploads_dir)


async def upload_permission(session: AsyncSession, viewer: Viewer) -> UserRecord:
    """The viewer's account when they may upload; raises ``UploadNotAllowed`` otherwise."""
    if viewer.user_id is None:
        raise UploadNotAllowed("uploads need an account (TONEARM_AUTH=required)")
    user = await session.get(UserRecord, viewer.user_id)
    if user is None or not may_upload(user):
        raise UploadNotAllowed("this account may not upload music")
    return user


async def accept_upload(
    services: Services, *, user: Viewer, staged: StagedFile, album_id: uuid.UUID | None
) -> UploadOutcome:
    """Turn a staged file into a track, or say why not; the staged file is gone afterwards.

    Raises ``UploadNotAllowed``, ``AlbumNotFound`` and ``StorageFull`` (nothing is stored
    then); every other refusal is an outcome. The file move and the row succeed together
    or neither stays.
    """
    try:
        return await _accept(services, user, staged, album_id)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(discard, staged.path)


async def _accept(
    services: Services, viewer: Viewer, staged: StagedFile, album_id: uuid.UUID | None
) -> UploadOutcome:
    async with services.sessions() as session:
        user = await upload_permission(session, viewer)
        album = await _album_to_join(session, viewer, album_id) if album_id else None
    examined = await _examine(services, viewer, user, staged)
    if not isinstance(examined, TrackFacts):
        return examined
    async with _one_upload_of(services.settings.resolved_uploads_dir, user.id):
        refused = await _quota_refusal(services, viewer, user, staged)
        if refused is not None:
            return refused
        return await _store(
            services, viewer=viewer, user=user, staged=staged, facts=examined, album=album
        )


async def _examine(
    services: Services, viewer: Viewer, user: UserRecord, staged: StagedFile
) -> TrackFacts | UploadOutcome:
    """The file's facts, or why it is refused (size, probe, duplicate)."""
    settings = services.settings
    if staged.size_bytes > settings.max_upload_bytes:
        return TooLarge(settings.max_upload_bytes)
    if staged.size_bytes == 0:
        return Corrupt("empty file")
    facts = await _probe(staged)
    if not isinstance(facts, TrackFacts):
        return facts
    async with services.sessions() as session:
        existing = await _visible_duplicate(session, viewer, staged.sha256)
        if existing is not None:
            return Duplicate(existing)
    return facts


async def _quota_refusal(
    services: Services, viewer: Viewer, user: UserRecord, staged: StagedFile
) -> QuotaExceeded | None:
    limit = services.settings.upload_quota_bytes
    if viewer.is_admin or limit is None:
        return None
    async with services.sessions() as session:
        used = await used_bytes(session, user.id)
    return QuotaExceeded(used, limit) if used + staged.size_bytes > limit else None


def _lock_user(path: Path) -> int:
    """Open and ``flock`` the user's quota lock file, waiting for it. Blocking."""
    path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.asynccontextmanager
async def _one_upload_of(uploads_root: Path, user_id: uuid.UUID) -> AsyncIterator[None]:
    """Hold the user's quota lock: their uploads are checked and stored one at a time.

    Every worker process of this machine takes the same ``flock``, so two uploads that
    would each fit but not both cannot both pass the check.
    """
    path = uploads_root / ".locks" / f"{user_id}.quota"
    with anyio.CancelScope(shield=True):  # a cancelled wait must not leave the lock held
        fd = await anyio.to_thread.run_sync(_lock_user, path)
    try:
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


async def _probe(staged: StagedFile) -> TrackFacts | NotAudio | Corrupt:
    """The scanner's probe, in a worker thread; the scanner's rules for what is refused."""
    try:
        return await anyio.to_thread.run_sync(probe_file, staged.path, staged.original_name)
    except NotAudioType as refused:
        return NotAudio(refused.reason)
    except ProbeError as refused:
        return Corrupt(refused.reason)


async def _store(
    services: Services,
    *,
    viewer: Viewer,
    user: UserRecord,
    staged: StagedFile,
    facts: TrackFacts,
    album: AlbumRecord | None,
) -> UploadOutcome:
    """Move the file into place and register it (both or neither), then group and queue."""
    settings = services.settings
    storage = services.storage
    track_id = uuid.uuid4()
    uploads_root = settings.resolved_uploads_dir
    key = original_key(user.id, track_id, stored_extension(facts.format), datetime.now(UTC))
    relative = original_relative(key)  # the same name under the uploads root
    mtime_ns = await _move_into_place(staged.path, uploads_root / relative)
    # Remote storage: the original goes into the bucket and the row records its key; the
    # local copy serves the cover phase below and is removed after it.
    remote = storage.local_path(key) is None
    try:
        if remote and staged.object_key is not None:
            # A direct upload: the bytes are in the bucket already; S3 copies them.
            stored = await storage.copy(staged.object_key, key, content_type=facts.mime_type)
            mtime_ns = int(stored.modified * 1_000_000_000)
        elif remote:
            stored = await storage.put_file(
                key, uploads_root / relative, content_type=facts.mime_type
            )
            mtime_ns = int(stored.modified * 1_000_000_000)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(discard, uploads_root / relative)
        raise
    row = _row(
        track_id=track_id,
        relative=relative,
        facts=facts,
        staged=staged,
        user_id=user.id,
        mtime_ns=mtime_ns,
        published=settings.uploads_published,
        album=album,
    )
    row["storage_key"] = key if remote else None
    try:
        async with services.sessions.begin() as session:
            await session.execute(insert(TrackRecord).values(row))
            await set_track_role(
                session, track_id=track_id, user_id=user.id, role=CollaboratorRole.OWNER.value
            )
    except IntegrityError:
        await _forget_stored(services, uploads_root / relative, key if remote else None)
        async with services.sessions() as session:
            existing = await _visible_duplicate(session, viewer, staged.sha256)
        if existing is None:
            raise
        return Duplicate(existing)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await _forget_stored(services, uploads_root / relative, key if remote else None)
        raise
    try:
        await _after_registering(services, track_id)
    finally:
        if remote:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(discard, uploads_root / relative)
    return Uploaded(track_id)


async def _forget_stored(services: Services, local: Path, key: str | None) -> None:
    """Remove what an upload that was not registered stored: its file and its object."""
    await anyio.to_thread.run_sync(discard, local)
    if key is not None:
        try:
            await services.storage.delete(key)
        except StorageUnavailable:
            logger.warning("an unregistered upload's object %s stays in the bucket", key)


async def _album_to_join(session: AsyncSession, viewer: Viewer, album_id: uuid.UUID) -> AlbumRecord:
    """The album, if the viewer may add tracks to it: they may edit it (``Album.canEdit``).

    Anything else, unknown albums included, is ``AlbumNotFound``: the two look the same.
    """
    album = await session.scalar(select(AlbumRecord).where(AlbumRecord.id == album_id))
    if album is None:
        raise AlbumNotFound
    _role, may_edit = await album_role_of(session, _reader(viewer), album_id)
    if not may_edit:
        raise AlbumNotFound
    return album


def _reader(viewer: Viewer) -> Reader:
    return Reader(viewer.user_id, viewer.is_admin)


async def _visible_duplicate(
    session: AsyncSession, viewer: Viewer, sha256: str
) -> uuid.UUID | None:
    statement = select(TrackRecord.id).where(
        TrackRecord.content_hash == sha256, track_visible(_reader(viewer))
    )
    # The viewer's own copy first: it is the one the unique index protects.
    statement = statement.order_by((TrackRecord.uploaded_by == viewer.user_id).desc()).limit(1)
    found: uuid.UUID | None = await session.scalar(statement)
    return found


def _fsync_path(path: Path, *, directory: bool) -> None:
    fd = os.open(path, (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if directory else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _move(source: Path, target: Path) -> int:
    """Rename ``source`` to ``target`` durably; its mtime (ns). Blocking."""
    try:
        target.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        os.rename(source, target)
        _fsync_path(target, directory=False)
        _fsync_path(target.parent, directory=True)
        return os.stat(target).st_mtime_ns
    except BaseException:
        discard(target)
        raise


async def _move_into_place(source: Path, target: Path) -> int:
    try:
        return await anyio.to_thread.run_sync(_move, source, target)
    except OSError as error:
        if is_storage_full(error):
            raise StorageFull from None
        raise


def _row(
    *,
    track_id: uuid.UUID,
    relative: str,
    facts: TrackFacts,
    staged: StagedFile,
    user_id: uuid.UUID,
    mtime_ns: int,
    published: bool,
    album: AlbumRecord | None,
) -> dict[str, Any]:
    tags: dict[str, Any] = {field.name: getattr(facts, field.name) for field in fields(facts)}
    overrides: dict[str, Any] = {}
    if album is not None:
        # Joining an album: its title and credit win over the file's, so grouping puts the
        # track there.
        overrides = {"album": album.title, "album_artist": album.artist_credit}
        tags.update(
            album=album.title,
            album_artist=album.artist_credit,
            album_artists=(),
            is_compilation=album.is_compilation,
            musicbrainz_album_id=album.musicbrainz_album_id,
        )
    row = track_row(path=relative, size_bytes=staged.size_bytes, mtime_ns=mtime_ns, **tags)
    row.update(
        id=track_id,
        origin=TrackOrigin.UPLOAD.value,
        uploaded_by=user_id,
        content_hash=staged.sha256,
        original_name=staged.original_name,
        is_published=published,
        overrides=overrides,
    )
    return row


async def _after_registering(services: Services, track_id: uuid.UUID) -> None:
    """Grouping, cover and variants of a new track; a failure here keeps the track (it is
    registered and its file stored: answering an error would make a retry a ``Duplicate``)."""
    try:
        album_ids = await _group(services, track_id)
    except Exception:
        logger.exception("uploaded track %s not grouped into albums and artists", track_id)
        album_ids = []
    settings = services.settings
    try:
        await make_upload_covers(
            services.sessions,
            roots=file_roots(services),
            store=ArtworkStore.in_data_dir(settings.data_dir, services.storage),
            album_ids=album_ids,
        )
    except Exception:  # the track is registered; its cover can come with the next scan
        logger.exception("cover of uploaded track %s not made", track_id)
    if settings.variants_on_upload == "eager":
        await _queue_variants(services, track_id)


async def _group(services: Services, track_id: uuid.UUID) -> list[uuid.UUID]:
    """The grouping phase for one new track, tried again when a concurrent grouping (another
    upload, a scan) made the same album or artist first."""
    for attempt in range(GROUPING_ATTEMPTS):
        try:
            return await group_tracks(services.sessions, GroupingChanges(written_ids=[track_id]))
        except DBAPIError:
            if attempt + 1 == GROUPING_ATTEMPTS:
                raise
            await anyio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


async def _queue_variants(services: Services, track_id: uuid.UUID) -> None:
    from tonearm.transcoding.jobs import enqueue_variants
    from tonearm.transcoding.queue import QueueUnavailable, create_queue

    try:
        queue = await anyio.to_thread.run_sync(create_queue, services.settings)
    except QueueUnavailable:
        logger.warning("variants of uploaded track %s not queued: queue unavailable", track_id)
        return
    try:
        await enqueue_variants(queue, services.engine, [track_id])
    except QueueUnavailable:
        logger.warning("variants of uploaded track %s left pending for recovery", track_id)
    finally:
        await anyio.to_thread.run_sync(queue.close)
