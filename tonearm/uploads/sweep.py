"""The sweep: what an interrupted upload left behind goes.

Staging files older than an hour (a multipart request that died without its cleanup, e.g.
a killed worker) and tus uploads that were not touched before ``expires_at`` (their row
and their ``.tus/<id>`` data files). Runs once at server start-up (``tonearm serve``'s
preparing child, before the workers exist) and whenever the tus route calls it.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import anyio.to_thread
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tonearm.db.models import UploadRecord, utcnow
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
) -> SweepReport:
    """Remove stale staging files and expired unfinished tus uploads (rows and files)."""
    moment = now or utcnow()
    staged = await anyio.to_thread.run_sync(
        _remove_stale, uploads_root / STAGING_DIR, time.time() - staging_max_age
    )
    async with sessions.begin() as session:
        expired = list(
            (
                await session.scalars(
                    select(UploadRecord.id).where(
                        UploadRecord.state == RECEIVING, UploadRecord.expires_at < moment
                    )
                )
            ).all()
        )
        if expired:
            await session.execute(delete(UploadRecord).where(UploadRecord.id.in_(expired)))
    if expired:
        await anyio.to_thread.run_sync(_remove_tus_files, tus_dir(uploads_root), expired)
    if staged or expired:
        logger.info(
            "upload sweep: %d stale staging files, %d expired uploads removed",
            staged,
            len(expired),
        )
    return SweepReport(staged, len(expired))
