"""The job queue, run by huey's consumer in this process: on the embedded queue and on Redis.

Every test here runs four times: SQLite and PostgreSQL registries, embedded and Redis
queues. Encodes are real (ffmpeg behind a script that counts them and can fail some).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import UTC, datetime

from huey import signals
from huey.api import Task
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.transcoding.conftest import (
    FLAC,
    MP3,
    TEST_POLICY,
    Encoder,
    Library,
    running_consumer,
    until,
    write_encoder,
)
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.settings import Settings
from tonearm.transcoding import jobs
from tonearm.transcoding.jobs import RetryOutcome
from tonearm.transcoding.making import Maker
from tonearm.transcoding.queue import VariantQueue, create_queue
from tonearm.transcoding.store import VariantStore

OPUS_96 = VariantKey(AudioFormat.OPUS, 96)
OPUS_160 = VariantKey(AudioFormat.OPUS, 160)
MP3_320 = VariantKey(AudioFormat.MP3, 320)


def store_of(settings: Settings) -> VariantStore:
    return VariantStore.in_data_dir(settings.data_dir)


def completed_jobs(queue: VariantQueue) -> list[tuple[str, ...]]:
    """(signal, track id, slug) of every make_variant run the consumer finishes, as it goes."""
    seen: list[tuple[str, ...]] = []

    @queue.huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_RETRYING, signals.SIGNAL_CANCELED)
    def record(signal: str, task: Task, *_: object) -> None:
        if task.name == "make_variant":
            seen.append((signal, *task.args))

    return seen


async def state_of(engine: AsyncEngine, track_id: uuid.UUID, key: VariantKey) -> str | None:
    row = await registry.get_variant(engine, track_id, key)
    return row.state if row else None


async def test_a_job_makes_a_ready_variant(
    queue: VariantQueue, engine: AsyncEngine, library: Library, encoder: Encoder
) -> None:
    track_id = library.ids[FLAC]
    queued = await jobs.enqueue_variants(queue, engine, [track_id], keys={OPUS_96})

    assert queued == 1
    assert await state_of(engine, track_id, OPUS_96) == "pending"
    with running_consumer(queue):
        started = time.monotonic()
        await until(lambda: _is(engine, track_id, OPUS_96, "ready"))
        elapsed = time.monotonic() - started

    row = await registry.get_variant(engine, track_id, OPUS_96)
    assert row is not None
    path = store_of(queue.settings).path_for(track_id, OPUS_96)
    assert path.stat().st_size == row.size_bytes
    assert (row.attempts, encoder.encodes) == (1, 1)
    assert elapsed < 5


async def _is(engine: AsyncEngine, track_id: uuid.UUID, key: VariantKey, state: str) -> bool:
    return await state_of(engine, track_id, key) == state


async def test_asking_twice_queues_one_job_and_a_duplicate_message_encodes_nothing(
    queue: VariantQueue, engine: AsyncEngine, library: Library, encoder: Encoder
) -> None:
    track_id = library.ids[FLAC]
    first = await jobs.enqueue_variants(queue, engine, [track_id], keys={OPUS_96})
    second = await jobs.enqueue_variants(queue, engine, [track_id], keys={OPUS_96})

    assert (first, second) == (1, 0)
    assert queue.huey.pending_count() == 1
    seen = completed_jobs(queue)
    with running_consumer(queue, threads=1):
        await until(lambda: _is(engine, track_id, OPUS_96, "ready"))
        queue.enqueue(track_id, OPUS_96)  # e.g. sent again by recovery in a race
        queue.enqueue(track_id, OPUS_96)
        await until(lambda: _true(len(seen) == 3))

    assert [entry[0] for entry in seen] == ["complete"] * 3
    assert encoder.encodes == 1


async def _true(value: bool) -> bool:
    return value


async def test_a_variant_being_made_elsewhere_is_not_encoded_again(
    queue: VariantQueue, engine: AsyncEngine, library: Library, encoder: Encoder
) -> None:
    track_id = library.ids[FLAC]
    maker = Maker(
        engine=engine,
        store=store_of(queue.settings),
        media_root=library.root.resolve(),
        ffmpeg_program=str(encoder.program),
    )
    lock = await maker.try_lock(track_id, OPUS_96)  # a first play is making it
    assert lock is not None
    seen = completed_jobs(queue)
    await jobs.enqueue_variants(queue, engine, [track_id], keys={OPUS_96})
    with running_consumer(queue):
        await until(lambda: _true(bool(seen)))  # the job found the lock held
        assert seen[0][0] == "retrying"
        try:
            await maker.make(await maker.source(track_id, OPUS_96), OPUS_96, lock)
        finally:
            lock.release()
        await until(lambda: _true(any(entry[0] == "complete" for entry in seen)))

    assert encoder.encodes == 1  # the first play's, not the job's
    assert await state_of(engine, track_id, OPUS_96) == "ready"


async def test_a_transient_failure_is_retried_with_backoff_and_never_looks_failed(
    queue_settings: Settings, engine: AsyncEngine, library: Library
) -> None:
    flaky = write_encoder(queue_settings.data_dir.parent / "flaky", fail_first=1)
    settings = queue_settings.model_copy(update={"ffmpeg": str(flaky.program)})
    queue = create_queue(settings, TEST_POLICY)
    track_id = library.ids[FLAC]
    await jobs.enqueue_variants(queue, engine, [track_id], keys={OPUS_96})
    with running_consumer(queue):
        await until(lambda: _true(queue.huey.scheduled_count() == 1))
        (scheduled,) = queue.huey.scheduled()
        now = datetime.now(UTC).replace(tzinfo=None)  # huey's times are naive UTC
        between = await registry.get_variant(engine, track_id, OPUS_96)
        overview = await jobs.queue_overview(engine, store_of(settings))
        await until(lambda: _is(engine, track_id, OPUS_96, "ready"))

    assert between is not None
    assert between.state == "pending"
    assert between.failure_reason is not None
    assert between.failure_reason.startswith("the encoder failed: simulated encoder crash")
    assert (overview.failed, overview.failed_variants) == (0, [])
    # huey keeps the count and multiplies the delay for the retry after this one
    assert scheduled.retries == TEST_POLICY.retries - 1
    assert scheduled.retry_delay == TEST_POLICY.retry_delay * TEST_POLICY.retry_backoff
    seconds_to_wait = (scheduled.eta - now).total_seconds()
    assert 0 < seconds_to_wait <= TEST_POLICY.retry_delay
    row = await registry.get_variant(engine, track_id, OPUS_96)
    assert row is not None
    assert (row.state, row.failure_reason, row.attempts, flaky.encodes) == ("ready", None, 2, 2)


async def test_the_last_failed_attempt_leaves_the_variant_failed_with_its_reason(
    queue_settings: Settings, engine: AsyncEngine, library: Library
) -> None:
    broken = write_encoder(queue_settings.data_dir.parent / "broken", fail_first=99)
    settings = queue_settings.model_copy(update={"ffmpeg": str(broken.program)})
    policy = dataclasses.replace(TEST_POLICY, retries=1, retry_delay=0.1)
    queue = create_queue(settings, policy)
    track_id = library.ids[FLAC]
    await jobs.enqueue_variants(queue, engine, [track_id], keys={OPUS_96})
    seen = completed_jobs(queue)
    with running_consumer(queue):
        await until(lambda: _is(engine, track_id, OPUS_96, "failed"))
        await until(lambda: _true(bool(seen) and seen[-1][0] == "complete"))

    row = await registry.get_variant(engine, track_id, OPUS_96)
    assert row is not None
    assert row.failure_reason == "the encoder failed: simulated encoder crash"
    assert (row.attempts, broken.encodes) == (2, 2)
    assert [entry[0] for entry in seen] == ["canceled", "retrying", "complete"]
    assert (queue.huey.pending_count(), queue.huey.scheduled_count()) == (0, 0)


async def test_a_permanent_failure_is_recorded_and_not_retried(
    queue: VariantQueue, engine: AsyncEngine, library: Library, encoder: Encoder
) -> None:
    track_id = library.ids[FLAC]
    await jobs.enqueue_variants(queue, engine, [track_id], keys={OPUS_96})
    (library.root / FLAC).unlink()  # the original is gone: retrying cannot help
    seen = completed_jobs(queue)
    with running_consumer(queue):
        await until(lambda: _true(bool(seen)))

    row = await registry.get_variant(engine, track_id, OPUS_96)
    assert row is not None
    assert (row.state, row.failure_reason, row.attempts) == (
        "failed",
        "the original file is missing",
        1,
    )
    assert seen == [("complete", str(track_id), "opus-96")]
    assert (queue.huey.pending_count(), queue.huey.scheduled_count(), encoder.encodes) == (0, 0, 0)


async def test_an_admin_retries_a_failed_variant_ahead_of_the_scans_jobs(
    queue: VariantQueue, engine: AsyncEngine, library: Library
) -> None:
    flac, mp3 = library.ids[FLAC], library.ids[MP3]
    source = await registry.source_file(engine, flac)
    assert source is not None
    await registry.mark_failed(engine, source, OPUS_96, "the encoder failed: exit status 1")
    await jobs.enqueue_variants(queue, engine, [mp3])  # a scan's jobs, queued first

    assert await jobs.retry_variant(queue, engine, uuid.uuid4(), OPUS_96) is (
        RetryOutcome.TRACK_NOT_FOUND
    )
    assert await jobs.retry_variant(queue, engine, mp3, OPUS_160) is RetryOutcome.NOT_OFFERED
    assert await jobs.retry_variant(queue, engine, flac, MP3_320) is RetryOutcome.NOT_FAILED
    assert await jobs.retry_variant(queue, engine, flac, OPUS_96) is RetryOutcome.QUEUED
    assert await jobs.retry_variant(queue, engine, flac, OPUS_96) is RetryOutcome.NOT_FAILED
    row = await registry.get_variant(engine, flac, OPUS_96)
    assert row is not None
    assert (row.state, row.failure_reason, row.attempts) == ("pending", None, 0)
    first = queue.huey.pending()
    assert next((task.args, task.priority) for task in first) == (
        (str(flac), "opus-96"),
        jobs.PRIORITY_ADMIN,
    )
    with running_consumer(queue):
        await until(lambda: _is(engine, flac, OPUS_96, "ready"))


async def test_recovery_requeues_only_jobs_nobody_has(
    queue: VariantQueue, engine: AsyncEngine, library: Library
) -> None:
    flac = library.ids[FLAC]
    source = await registry.source_file(engine, flac)
    assert source is not None
    store = store_of(queue.settings)
    for key in (OPUS_96, OPUS_160, MP3_320):
        await registry.claim_pending(engine, source, key)
    queue.enqueue(flac, OPUS_160)  # its message is waiting
    held = store.try_lock(flac, MP3_320)  # being made now
    assert held is not None
    stale = store.path_for(flac, OPUS_96).with_name(".opus-96.0123456789abcdef.part")
    stale.write_bytes(b"half an encode")  # left by a worker killed mid-encode

    recovered = await jobs.recover(queue, engine, store, older_than=0)
    again = await jobs.recover(queue, engine, store, older_than=0)
    held.release()
    later = await jobs.recover(queue, engine, store, older_than=3600)

    assert (recovered.requeued, recovered.parts_removed) == (1, 1)
    assert not stale.exists()
    assert again.requeued == 0  # its message is waiting now
    assert later.requeued == 0  # the rows changed just now
    assert sorted(task.args[1] for task in queue.huey.pending()) == ["opus-160", "opus-96"]
