"""The sweep: what an interrupted upload left behind goes.

Staging files older than an hour (a multipart request that died without its cleanup, e.g.
a killed worker) and tus uploads that were not touched before ``expires_at`` (their row
and their ``.tus/<id>`` data files). With remote storage also direct uploads: an expired
row's multipart upload is aborted and its incoming object deleted, and every multipart
upload under ``incoming/`` begun longer than ``TONEARM_UPLOAD_EXPIRY_HOURS`` ago is aborted
(ListMultipartUploads: it finds those whose row never was written or is gone; one a row
still names is left alone). Runs once
at server start-up (``tonearm serve``'s preparing child, before the workers exist) and
whenever the tus route or ``startDirectUpload`` calls it (without the listing).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import anyio.to_thread
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tonearm.db.models import UploadRecord, utcnow
from tonearm.storage.base import ObjectStorage, StorageError
from tonearm.storage.keys import INCOMING_PREFIX
from tonearm.uploads.staging import STAGING_DIR, discard

logger = logging.getLogger(__name__)

TUS_DIR = ".tus"
RECEIVING = "receiving"
STALE_STAGING_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class SweepReport:
    """How much the sweep removed."""

    staging_files: int
    expired_uploads: int
    aborted_multipart: int = 0


def tus_dir(uploads_root: Path) -> Path:
    """Where tus data files live: ``<uploads root>/.tus/<upload id>``."""
    return uploads_root / TUS_DIR


def _remove_stale(folder: Path, older_than: float) -> int:
    """Remove regular files in ``folder`` last modified before ``older_than`` (epoch s)."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < older_than:
                discard(Path(entry.path))
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _remove_tus_files(folder: Path, upload_ids: list[uuid.UUID]) -> None:
    """Remove each upload's data file and any ``<id>.*`` companion the tus route keeps."""
    names = {str(upload_id) for upload_id in upload_ids}
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.split(".", 1)[0] in names:
            discard(Path(entry.path))


async def sweep_uploads(
    sessions: async_sessionmaker[AsyncSession],
    *,
    uploads_root: Path,
    now: datetime | None = None,
    staging_max_age: float = STALE_STAGING_SECONDS,
    storage: ObjectStorage | None = None,
    expiry_hours: float | None = None,
) -> SweepReport:
    """Remove stale staging files and expired unfinished uploads (rows and files); with
    remote ``storage``, abort their multipart uploads and those older than
    ``expiry_hours`` under ``incoming/``. Storage that cannot be reached is left for the
    next sweep (logged), never an error."""
    moment = now or utcnow()
    staged = await anyio.to_thread.run_sync(
        _remove_stale, uploads_root / STAGING_DIR, time.time() - staging_max_age
    )
    async with sessions.begin() as session:
        expired_rows = (
            await session.execute(
                select(UploadRecord.id, UploadRecord.storage_key, UploadRecord.multipart_id).where(
                    UploadRecord.state == RECEIVING, UploadRecord.expires_at < moment
                )
            )
        ).all()
        expired = [row.id for row in expired_rows]
        if expired:
            await session.execute(delete(UploadRecord).where(UploadRecord.id.in_(expired)))
        # The registry is the truth: a multipart upload a remaining row names is never
        # aborted by the listing, whatever time the storage says it began (moto reports
        # a fixed one).
        live = set(
            (
                await session.scalars(
                    select(UploadRecord.multipart_id).where(UploadRecord.multipart_id.is_not(None))
                )
            ).all()
        )
    if expired:
        await anyio.to_thread.run_sync(_remove_tus_files, tus_dir(uploads_root), expired)
    aborted = 0
    if storage is not None and storage.remote:
        direct = [
            (row.storage_key, row.multipart_id)
            for row in expired_rows
            if row.storage_key is not None and row.multipart_id is not None
        ]
        aborted = await _abort_direct(storage, direct, live, moment, expiry_hours)
    if staged or expired or aborted:
        logger.info(
            "upload sweep: %d stale staging files, %d expired uploads removed, "
            "%d multipart uploads aborted",
            staged,
            len(expired),
            aborted,
        )
    return SweepReport(staged, len(expired), aborted)


async def _abort_direct(
    storage: ObjectStorage,
    expired: list[tuple[str, str]],
    live: set[str | None],
    moment: datetime,
    expiry_hours: float | None,
) -> int:
    """Abort the expired rows' multipart uploads (and delete what a finish assembled), then
    every multipart upload under ``incoming/`` begun before the expiry that no row names."""
    seen: set[str | None] = set(live)
    aborted = 0
    try:
        for key, multipart_id in expired:
            await storage.abort_multipart(key, multipart_id)
            await storage.delete(key)
            seen.add(multipart_id)
            aborted += 1
        if expiry_hours is not None:
            oldest = moment - timedelta(hours=expiry_hours)
            for upload in await storage.list_multipart(INCOMING_PREFIX):
                if upload.upload_id not in seen and upload.initiated < oldest:
                    await storage.abort_multipart(upload.key, upload.upload_id)
                    aborted += 1
    except StorageError as error:
        logger.warning("upload sweep: abandoned direct uploads stay for now: %s", error)
    return aborted
