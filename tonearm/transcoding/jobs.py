"""Variant jobs: what one job does, and what the server, the scan and admins ask of the queue.

The registry (``track_variants``) is the truth about what is wanted; the queue only carries
"make this one" messages (``queue.py``). So:

- ``enqueue_variants`` marks rows ``pending`` first and sends a message only for rows that
  changed state: asking twice queues one job.
- ``run_job`` — the body of a job and of ``tonearm transcode`` — re-checks the registry and
  the variant's lock when it runs: a variant already ``ready`` for the same source is a
  no-op, one being made elsewhere (a first play, another worker) is not encoded twice.
  A duplicate message is therefore harmless, which is what lets ``recover`` re-send.
- ``recover`` (when a worker starts, then every minute) removes stale ``.part`` files and
  re-queues ``pending`` rows that nobody is making and no message is waiting for: huey
  drops a message when a worker takes it, so a worker killed mid-encode loses it.
- ``retry_variant`` and ``queue_overview`` are the admin's view (GraphQL).

Every function here is async and never blocks the event loop: the queue's storage calls
(SQLite or Redis) and the lock checks run in worker threads.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncEngine

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey, offered_variants
from tonearm.db import variants as registry
from tonearm.db.variants import SourceFile, VariantRow
from tonearm.transcoding.making import Maker, NotOffered, TrackGone, VariantError, source_audio
from tonearm.transcoding.store import VariantLock, VariantStore

if TYPE_CHECKING:
    from tonearm.settings import Settings
    from tonearm.transcoding.queue import VariantQueue

logger = logging.getLogger(__name__)

# Jobs an admin asks for go before those a scan queued by the thousand.
PRIORITY_SCAN = 0
PRIORITY_ADMIN = 10
ENQUEUE_CHUNK = 100  # claimed rows are sent in chunks, so few wait unsent at any moment
RUNNING_CHECK_LIMIT = 1000  # pending rows whose lock ``queue_overview`` looks at
RECOVERY_BATCH = 10_000  # pending rows one ``recover`` pass looks at


class JobOutcome(enum.Enum):
    """What one run of a job did."""

    MADE = "made"
    ALREADY_READY = "already ready"  # nothing to do
    LOCKED = "locked"  # someone else is making it now: look again later
    RETRY = "retry"  # a transient failure; the row is pending again with the reason
    FAILED = "failed"  # recorded as failed with the reason (permanent, or the last attempt)
    SKIPPED_FAILED = "skipped: failed"  # failed before this job ran; an admin retries it
    TRACK_GONE = "track gone"
    NOT_OFFERED = "not offered"  # the source changed and no longer offers the variant


@dataclass(frozen=True, slots=True)
class JobResult:
    """A job's outcome and, when it failed, why."""

    outcome: JobOutcome
    reason: str | None = None


async def _is_ready(
    maker: Maker, source: SourceFile, key: VariantKey, row: VariantRow | None
) -> bool:
    """Ready for this very version of the source, and its file is in the store."""
    if row is None or row.state != registry.READY:
        return False
    if (row.source_size_bytes, row.source_mtime_ns) != (source.size_bytes, source.mtime_ns):
        return False
    return await maker.stored(source.track_id, key)


async def run_job(
    maker: Maker,
    track_id: uuid.UUID,
    key: VariantKey,
    *,
    final_attempt: bool = True,
    retry_failed: bool = False,
    force: bool = False,
) -> JobResult:
    """Make ``key`` of the track unless it is made, being made, or failed already.

    ``final_attempt`` False: a transient failure puts the row back to ``pending`` (reason
    kept) and answers ``RETRY``; otherwise it stays ``failed``. ``retry_failed`` makes a
    ``failed`` variant again instead of skipping it; ``force`` re-makes a ready one.
    """
    try:
        source = await maker.source(track_id, key)
    except TrackGone:
        return JobResult(JobOutcome.TRACK_GONE)
    except NotOffered:
        return JobResult(JobOutcome.NOT_OFFERED)
    skipped = await _skip(maker, source, key, retry_failed=retry_failed, force=force)
    if skipped is not None:
        return skipped
    lock = await maker.try_lock(track_id, key)
    if lock is None:
        return JobResult(JobOutcome.LOCKED)
    try:
        # Made, or failed, by whoever held the lock just before?
        skipped = await _skip(maker, source, key, retry_failed=retry_failed, force=force)
        if skipped is not None:
            return skipped
        return await _make(maker, source, key, lock, final_attempt=final_attempt)
    finally:
        await anyio.to_thread.run_sync(lock.release)


async def _make(
    maker: Maker, source: SourceFile, key: VariantKey, lock: VariantLock, *, final_attempt: bool
) -> JobResult:
    try:
        await maker.make(source, key, lock)
    except VariantError as error:
        if error.permanent or final_attempt:
            return JobResult(JobOutcome.FAILED, error.reason)
        await registry.mark_retrying(maker.engine, source.track_id, key, error.reason)
        return JobResult(JobOutcome.RETRY, error.reason)
    return JobResult(JobOutcome.MADE)


async def _skip(
    maker: Maker, source: SourceFile, key: VariantKey, *, retry_failed: bool, force: bool
) -> JobResult | None:
    row = await registry.get_variant(maker.engine, source.track_id, key)
    if not force and await _is_ready(maker, source, key, row):
        return JobResult(JobOutcome.ALREADY_READY)
    if not retry_failed and row is not None and row.state == registry.FAILED:
        return JobResult(JobOutcome.SKIPPED_FAILED, row.failure_reason)
    return None


async def enqueue_variants(
    queue: VariantQueue,
    engine: AsyncEngine,
    track_ids: Iterable[uuid.UUID],
    *,
    keys: Collection[VariantKey] | None = None,
    priority: int = PRIORITY_SCAN,
) -> int:
    """Queue the offered variants of these tracks (``keys``: only those); how many were queued.

    A variant is queued only when this call turned its row ``pending`` (new, or made from
    an older version of the source): one already pending, ready or failed is left alone, so
    calling twice queues nothing twice. Raises ``QueueUnavailable`` when the queue cannot
    be reached; the rows it claimed stay ``pending`` and ``recover`` sends them later.
    """
    sources = await registry.source_files(engine, list(dict.fromkeys(track_ids)))
    claimed: list[tuple[uuid.UUID, VariantKey]] = []
    sent = 0
    for source in sources:
        for key in offered_variants(source_audio(source)):
            if keys is not None and key not in keys:
                continue
            if await registry.claim_pending(engine, source, key):
                claimed.append((source.track_id, key))
            if len(claimed) >= ENQUEUE_CHUNK:
                sent += await _send(queue, claimed, priority)
                claimed = []
    return sent + await _send(queue, claimed, priority)


async def _send(
    queue: VariantQueue, jobs: Sequence[tuple[uuid.UUID, VariantKey]], priority: int
) -> int:
    if jobs:
        await anyio.to_thread.run_sync(lambda: queue.enqueue_many(jobs, priority=priority))
    return len(jobs)


class RetryOutcome(enum.Enum):
    """What ``retry_variant`` did."""

    QUEUED = "queued"
    NOT_FAILED = "not failed"  # not failed now (made, pending, or never asked for)
    NOT_OFFERED = "not offered"  # the track offers no such variant
    TRACK_NOT_FOUND = "track not found"


async def retry_variant(
    queue: VariantQueue, engine: AsyncEngine, track_id: uuid.UUID, key: VariantKey
) -> RetryOutcome:
    """An admin's retry of a failed variant: ``pending`` again and queued ahead of scans."""
    source = await registry.source_file(engine, track_id)
    if source is None:
        return RetryOutcome.TRACK_NOT_FOUND
    if key not in offered_variants(source_audio(source)):
        return RetryOutcome.NOT_OFFERED
    row = await registry.get_variant(engine, track_id, key)
    if row is None or row.state != registry.FAILED:
        return RetryOutcome.NOT_FAILED
    if not await registry.claim_pending(engine, source, key, retry_failed=True):
        return RetryOutcome.NOT_FAILED  # someone retried it a moment ago
    await _send(queue, [(track_id, key)], PRIORITY_ADMIN)
    return RetryOutcome.QUEUED


@dataclass(frozen=True, slots=True)
class FailedVariant:
    """A variant that could not be made, and why."""

    track_id: uuid.UUID
    key: VariantKey
    reason: str
    attempts: int
    failed_at: datetime

    @property
    def format(self) -> AudioFormat:
        """The variant's format."""
        return self.key.format

    @property
    def bitrate_kbps(self) -> int:
        """The variant's bitrate."""
        return self.key.bitrate_kbps


@dataclass(frozen=True, slots=True)
class QueueOverview:
    """The queue as an admin sees it.

    ``pending`` waits for a worker, ``running`` is being encoded now (by a worker or a
    first play; both are ``pending`` rows, told apart by the variant's lock), ``ready``
    is made, ``failed`` gave up (``failed_variants``: the most recent, with reasons).
    """

    pending: int
    running: int
    ready: int
    failed: int
    failed_variants: list[FailedVariant]


async def queue_overview(
    engine: AsyncEngine, store: VariantStore, *, failed_first: int = 20
) -> QueueOverview:
    """Counts by state, and the ``failed_first`` most recent failures with their reasons.

    Running is counted among the ``RUNNING_CHECK_LIMIT`` most recently updated pending
    rows (an encode touches its row when it starts), so a huge backlog costs no more.
    """
    counts = await registry.state_counts(engine)
    pending_rows = await registry.variants_in_state(
        engine, registry.PENDING, limit=RUNNING_CHECK_LIMIT
    )
    keyed = [(row.track_id, key) for row in pending_rows if (key := _key_of(row)) is not None]
    running = await anyio.to_thread.run_sync(
        lambda: sum(1 for track_id, key in keyed if store.is_being_made(track_id, key))
    )
    failed_rows = await registry.variants_in_state(
        engine, registry.FAILED, limit=max(failed_first, 0)
    )
    failed = [
        FailedVariant(
            track_id=row.track_id,
            key=key,
            reason=row.failure_reason or "unknown",
            attempts=row.attempts,
            failed_at=row.updated_at,
        )
        for row in failed_rows
        if (key := _key_of(row)) is not None
    ]
    return QueueOverview(
        pending=counts.pending - running,
        running=running,
        ready=counts.ready,
        failed=counts.failed,
        failed_variants=failed,
    )


def _key_of(row: VariantRow) -> VariantKey | None:
    try:
        key = VariantKey(AudioFormat(row.format), row.bitrate_kbps)
    except ValueError:
        return None
    return key if key.is_valid() else None


@dataclass(frozen=True, slots=True)
class Recovery:
    """What a ``recover`` pass did."""

    parts_removed: int
    requeued: int
    sources_removed: int = 0


async def recover(
    queue: VariantQueue, engine: AsyncEngine, store: VariantStore, *, older_than: float
) -> Recovery:
    """Remove stale ``.part`` files and stale downloaded originals (``.sources``);
    re-queue ``pending`` rows whose job was lost.

    A row is re-queued when it has not changed for ``older_than`` seconds, nobody holds its
    lock and no message for it waits in the queue or its schedule (a retry). A message
    sent twice in a race is harmless: the second run finds the variant made.
    """
    removed = await anyio.to_thread.run_sync(store.sweep)
    sources = await anyio.to_thread.run_sync(store.sweep_sources)
    if sources:
        logger.info("removed %d stale downloaded originals from the variant store", sources)
    rows = await registry.variants_in_state(
        engine,
        registry.PENDING,
        limit=RECOVERY_BATCH,
        updated_before=registry.stale_after(older_than) if older_than > 0 else None,
    )
    if not rows:
        return Recovery(removed, 0, sources)
    waiting = await anyio.to_thread.run_sync(queue.waiting)
    candidates = [
        (row.track_id, key)
        for row in rows
        if (key := _key_of(row)) is not None and (row.track_id, key.slug) not in waiting
    ]
    lost = await anyio.to_thread.run_sync(
        lambda: [
            (track_id, key)
            for track_id, key in candidates
            if not store.is_being_made(track_id, key)
        ]
    )
    await _send(queue, lost, PRIORITY_SCAN)
    if removed or lost:
        logger.info(
            "recovered variant jobs: %d re-queued, %d stale .part files removed", len(lost), removed
        )
    return Recovery(removed, len(lost), sources)


TracksWritten = Callable[[Sequence[str]], Awaitable[None]]


def on_scan_hook(settings: Settings, engine: AsyncEngine) -> TracksWritten | None:
    """What a scan calls with the paths it added or changed (``ScanOptions.tracks_written``).

    With ``TONEARM_VARIANTS_ON_SCAN=eager`` it queues those tracks' offered variants;
    otherwise there is no hook (variants are made at their first play).
    """
    if settings.variants_on_scan != "eager":
        return None

    async def enqueue_written(paths: Sequence[str]) -> None:
        from tonearm.transcoding.queue import create_queue

        track_ids = await registry.track_ids_at(engine, paths)
        if not track_ids:
            return
        queue = await anyio.to_thread.run_sync(create_queue, settings)
        try:
            queued = await enqueue_variants(queue, engine, track_ids)
        finally:
            await anyio.to_thread.run_sync(queue.close)
        logger.info("queued %d variants of %d scanned tracks", queued, len(track_ids))

    return enqueue_written
