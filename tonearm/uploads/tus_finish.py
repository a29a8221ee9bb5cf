"""Finishing a resumable upload — tus, or direct into object storage (``direct.py``): its
complete bytes go through the one pipeline (``accept_upload``).

The conditional UPDATE that moves the row from ``receiving`` to ``finishing`` is the lock:
of two finishes at once, one claims the upload and the other waits for its answer, so one
upload gives one track. The data file is hard-linked into the staging area (same file
system) and the link handed to the pipeline, which consumes it whatever happens; the data
file itself goes only once the outcome is recorded, so a finish that fails for the server's
reasons (a full disk, a permission revoked meanwhile) can be tried again.

A direct upload's bytes are in the bucket: before the claim the server lists its parts
(``direct.received``) and records how many bytes they hold as the row's offset, so the one
claim applies unchanged; the claimed upload is assembled and downloaded into the staging
area, and the incoming object is deleted once the outcome is recorded.

Imports the pipeline (and so the scanner's probe): load it where that is wanted.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread

from tonearm.accounts.viewer import Viewer
from tonearm.db import uploads as rows
from tonearm.db.models import utcnow
from tonearm.services import Services
from tonearm.uploads import direct
from tonearm.uploads.outcomes import Duplicate, Uploaded, UploadOutcome
from tonearm.uploads.pipeline import accept_upload
from tonearm.uploads.staging import StagedFile, discard, display_name, staging_dir
from tonearm.uploads.tus_store import TusFiles, tus_dir

# How long a second finish waits for the first one's answer before saying it is busy.
WAIT_FOR_OTHER_FINISH = 120.0
POLL_SECONDS = 0.05
HASH_BLOCK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Finished:
    """The pipeline's outcome for the upload's file."""

    outcome: UploadOutcome
    file_name: str


@dataclass(frozen=True, slots=True)
class NotFound:
    """No live upload of the viewer's has this id (or it is someone else's)."""


@dataclass(frozen=True, slots=True)
class Incomplete:
    """Not every declared byte has arrived (or another finish is still at work)."""

    offset: int
    length: int
    busy: bool = False


@dataclass(frozen=True, slots=True)
class AlreadyFinished:
    """The upload became this track before."""

    track_id: uuid.UUID


FinishOutcome = Finished | NotFound | Incomplete | AlreadyFinished


def _link_and_hash(data: Path, staging: Path) -> tuple[Path, int, str]:
    """Hard-link ``data`` into ``staging`` and hash it: the link, the size, the SHA-256."""
    staging.mkdir(mode=0o700, parents=True, exist_ok=True)
    link = staging / f"{uuid.uuid4().hex}.part"
    os.link(data, link)
    os.utime(link)  # the staging sweep goes by age; the bytes may be hours old
    digest = hashlib.sha256()
    size = 0
    with link.open("rb") as source:
        while block := source.read(HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return link, size, digest.hexdigest()


async def _state(  # noqa: PLR0911 - one answer per state of the row
    services: Services, upload_id: uuid.UUID, user_id: uuid.UUID
) -> FinishOutcome | rows.UploadRow:
    """What finishing would answer now, or the row when it may be claimed."""
    async with services.sessions() as session:
        upload = await rows.upload_of(session, upload_id, user_id)
    if upload is None:
        return NotFound()
    if upload.state == rows.FINISHED:
        return AlreadyFinished(upload.track_id) if upload.track_id else NotFound()
    now = utcnow()
    if upload.state == rows.FINISHING and not rows.is_stale_finish(upload, now=now):
        return Incomplete(upload.offset, upload.length, busy=True)
    if upload.expires_at <= now:
        return NotFound()
    if upload.is_direct and upload.state == rows.RECEIVING:
        return await _direct_state(services, upload)
    if not upload.complete:
        return Incomplete(upload.offset, upload.length)
    return upload


async def _direct_state(
    services: Services, upload: rows.UploadRow
) -> FinishOutcome | rows.UploadRow:
    """A direct upload's parts as the storage lists them, recorded as the row's offset."""
    held = await direct.received(services.storage, upload)
    if held is None:  # aborted behind our back: nothing can become a track
        return NotFound()
    offset = upload.length if held.complete else min(held.offset, upload.length - 1)
    if offset != upload.offset:
        async with services.sessions.begin() as session:
            await rows.record_offset(
                session,
                upload.id,
                old_offset=upload.offset,
                new_offset=offset,
                expires_at=upload.expires_at,
            )
        async with services.sessions() as session:
            refreshed = await rows.upload_of(session, upload.id, upload.user_id)
        if refreshed is None:
            return NotFound()
        upload = refreshed
    if not held.complete:
        return Incomplete(held.offset, upload.length)
    return upload


async def finish_upload(services: Services, viewer: Viewer, upload_id: uuid.UUID) -> FinishOutcome:
    """Turn the viewer's complete upload into a track (or a refusal), once.

    Raises the pipeline's ``UploadNotAllowed``, ``AlbumNotFound`` and ``StorageFull``;
    the upload is then as it was and may be finished again.
    """
    if viewer.user_id is None:
        return NotFound()
    deadline = time.monotonic() + WAIT_FOR_OTHER_FINISH
    while True:
        state = await _state(services, upload_id, viewer.user_id)
        if not isinstance(state, rows.UploadRow):
            if isinstance(state, Incomplete) and state.busy and time.monotonic() < deadline:
                await asyncio.sleep(POLL_SECONDS)  # another finish is at work: its answer
                continue
            return state
        async with services.sessions.begin() as session:
            claimed = await rows.claim_for_finishing(
                session, upload_id, viewer.user_id, now=utcnow()
            )
        if claimed:
            return await _finish_claimed(services, viewer, state)


async def _finish_claimed(
    services: Services, viewer: Viewer, upload: rows.UploadRow
) -> Finished | Incomplete:
    uploads_root = services.settings.resolved_uploads_dir
    files = TusFiles(tus_dir(uploads_root))
    recorded = False
    try:
        if upload.is_direct:
            try:
                link, size, sha256 = await direct.fetch(services, upload)
            except direct.PartsChanged:  # a part changed since the listing: ask again
                return Incomplete(upload.offset, upload.length)
        else:
            link, size, sha256 = await anyio.to_thread.run_sync(
                _link_and_hash, files.path(upload.id), staging_dir(uploads_root)
            )
        name = display_name(upload.original_name)
        staged = StagedFile(
            path=link,
            size_bytes=size,
            sha256=sha256,
            original_name=name,
            object_key=upload.storage_key,
        )
        try:
            outcome = await accept_upload(
                services, user=viewer, staged=staged, album_id=upload.album_id
            )
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(discard, link)
        with anyio.CancelScope(shield=True):
            async with services.sessions.begin() as session:
                if isinstance(outcome, Uploaded | Duplicate):
                    await rows.mark_finished(session, upload.id, outcome.track_id)
                else:  # refused: the bytes can never become a track
                    await rows.delete_upload(session, upload.id)
            recorded = True
            if upload.is_direct:  # the pipeline copied what it kept to the original's key
                await direct.forget_object(services.storage, upload)
            else:
                await anyio.to_thread.run_sync(files.remove, upload.id)
        return Finished(outcome, name)
    finally:
        if not recorded:
            with anyio.CancelScope(shield=True):
                async with services.sessions.begin() as session:
                    await rows.release_finishing(session, upload.id)


__all__ = [
    "AlreadyFinished",
    "FinishOutcome",
    "Finished",
    "Incomplete",
    "NotFound",
    "finish_upload",
]
