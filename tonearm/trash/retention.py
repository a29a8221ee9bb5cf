"""The retention sweep: entries older than ``TONEARM_TRASH_RETENTION_DAYS`` are purged, and
so are tracks missing for longer than that (0 keeps both until someone purges them).

It runs once when ``tonearm serve`` starts (its preparing child, before the workers
exist, like ``uploads.sweep``) and then every ``SWEEP_INTERVAL_SECONDS`` in each server
worker, where only the one holding the registry-wide try-lock
(``db.locks.try_registry_lock``) does the work and the others skip that round. Each
entry is purged in its own transaction (``purge.purge_entry``), so a sweep that stops
half way leaves nothing half purged, and an entry a user restores meanwhile is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from tonearm.catalog.access import track_gone
from tonearm.catalog.states import TrackState
from tonearm.db.locks import TRASH_SWEEP_LOCK_KEY, try_registry_lock
from tonearm.db.models import TrackRecord, TrashRecord, utcnow
from tonearm.db.outages import log_failure
from tonearm.services import Services
from tonearm.trash.purge import purge_entry, purge_missing_tracks

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 3600.0
BATCH = 100


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one sweep purged (``skipped``: another process was sweeping)."""

    entries: int = 0
    missing_tracks: int = 0
    skipped: bool = False


async def purge_expired(services: Services, *, now: datetime | None = None) -> RetentionReport:
    """Purge what the retention setting says has been kept long enough, unless another
    process is doing it right now."""
    days = services.settings.trash_retention_days
    if days <= 0:
        return RetentionReport()
    cutoff = (now or utcnow()) - timedelta(days=days)
    async with try_registry_lock(
        services.engine, key=TRASH_SWEEP_LOCK_KEY, name="trash-lock"
    ) as taken:
        if not taken:
            return RetentionReport(skipped=True)
        entries = await _purge_entries(services, cutoff)
        missing = await _purge_missing(services, cutoff)
    if entries or missing:
        logger.info("trash retention: purged %d entries and %d missing tracks", entries, missing)
    return RetentionReport(entries=entries, missing_tracks=missing)


async def _purge_entries(services: Services, cutoff: datetime) -> int:
    purged = 0
    after: set[uuid.UUID] = set()
    while True:
        async with services.sessions() as session:
            ids = list(
                (
                    await session.scalars(
                        select(TrashRecord.id)
                        .where(TrashRecord.deleted_at < cutoff)
                        .order_by(TrashRecord.deleted_at, TrashRecord.id)
                        .limit(BATCH)
                    )
                ).all()
            )
        fresh = [entry_id for entry_id in ids if entry_id not in after]
        if not fresh:
            return purged
        for entry_id in fresh:
            after.add(entry_id)
            if await purge_entry(services, entry_id, purged_by=None):
                purged += 1


async def _purge_missing(services: Services, cutoff: datetime) -> int:
    purged = 0
    while True:
        async with services.sessions() as session:
            ids = list(
                (
                    await session.scalars(
                        select(TrackRecord.id)
                        .where(
                            track_gone(),
                            TrackRecord.state == TrackState.MISSING.value,
                            TrackRecord.state_changed_at < cutoff,
                        )
                        .order_by(TrackRecord.state_changed_at, TrackRecord.id)
                        .limit(BATCH)
                    )
                ).all()
            )
        if not ids:
            return purged
        count = await purge_missing_tracks(services, ids, purged_by=None)
        if count == 0:  # nothing of this batch could go: stop rather than spin
            return purged
        purged += count


async def sweep_periodically(
    services: Services, *, interval: float = SWEEP_INTERVAL_SECONDS
) -> None:
    """Run ``purge_expired`` every ``interval`` seconds until cancelled (a server worker's
    background task; the first round waits one interval, start-up has just swept)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await purge_expired(services)
        except Exception as error:  # the next round tries again
            log_failure(logger, error, "trash retention sweep failed")
