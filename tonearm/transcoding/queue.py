"""The variant job queue (huey): embedded in SQLite by default, on Redis when configured.

``create_queue(settings)`` gives a ``VariantQueue``: a huey ``SqliteHuey`` at
``<data dir>/queue.db`` (no server to run), or a ``PriorityRedisHuey`` on
``TONEARM_REDIS_URL`` for workers on other machines. Both order jobs by priority and sign
their messages with the app's key (huey's messages are pickles: a message that was not
signed by tonearm is dropped unread).

Two tasks are registered on it: ``make_variant(track id, slug)`` (``jobs.run_job`` with
retries and backoff) and a periodic ``recover`` every minute. huey tasks are synchronous
and run in the consumer's worker threads; the async pipeline runs on one event loop that
the worker process owns (``WorkerRuntime``: a loop in a thread of its own, one engine, one
``Maker``), each thread waiting for its own encode on it.

``run_worker`` is ``tonearm worker``: recovery first, then huey's consumer with
``TONEARM_WORKER_THREADS`` threads until SIGTERM (stop now: running encodes are killed
and re-queued by the next start) or SIGINT (let them finish for a few seconds first).

The embedded queue's senders touch ``<data dir>/queue.wake`` after each enqueue: the worker
``tonearm serve`` embeds runs only while there is work (``idle_exit``: it stops once nothing
is queued, scheduled or running for that long) and the supervisor starts it again when the
file changes, so an idle server does not keep a worker's memory resident.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import redis.exceptions
from huey import PriorityRedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer
from huey.exceptions import CancelExecution, RetryTask
from huey.serializer import SignedSerializer

from tonearm.catalog.variants import VariantKey
from tonearm.lifeline import stop_when_orphaned
from tonearm.transcoding import jobs
from tonearm.transcoding.making import Maker
from tonearm.transcoding.store import VariantStore

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from tonearm.settings import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")

QUEUE_NAME = "tonearm"
QUEUE_FILE = "queue.db"
WAKE_FILE = "queue.wake"  # touched after each enqueue on the embedded queue
MAKE_TASK = "make_variant"
_SIGNING_SALT = "tonearm-variant-jobs"
_STORAGE_ERRORS = (sqlite3.Error, redis.exceptions.RedisError, OSError)


class QueueUnavailable(Exception):
    """The queue's storage (the SQLite file, the Redis server) cannot be used now."""


@dataclass(frozen=True, slots=True)
class JobPolicy:
    """How jobs are retried, how fast workers poll, how lost jobs are found."""

    retries: int = 3  # after the first attempt: 4 attempts in all
    retry_delay: float = 30.0  # seconds before the first retry …
    retry_backoff: float = 2.0  # … multiplied by this before each next one (30, 60, 120 s)
    locked_delay: float = 5.0  # look again this much later when someone else is making it
    recover_after: float = 30.0  # a pending row untouched this long may have lost its job
    poll_delay: float = 0.05  # embedded queue: first wait of an idle worker …
    max_poll_delay: float = 0.2  # … growing to this, so a new job starts within 0.2 s
    redis_read_timeout: float = 1.0  # Redis: a blocking pop returns at least this often
    shutdown_grace: float = 5.0  # SIGINT: how long running encodes may finish


class WorkerRuntime:
    """The event loop, engine and ``Maker`` of one worker process."""

    def __init__(self, settings: Settings) -> None:
        from tonearm.db.engine import create_engine
        from tonearm.pubsub.backends import bus_for
        from tonearm.storage.setup import storage_for

        media_root = settings.require_media_root()
        self.engine: AsyncEngine = create_engine(settings.resolved_database_url)
        self.bus = bus_for(settings, self.engine)  # publish only: no listener starts
        # Variants made here go to the configured storage (a bucket: also from other
        # machines), recorded in the registry like local ones.
        self.storage = storage_for(settings)
        self.maker = Maker(
            engine=self.engine,
            store=VariantStore.in_data_dir(settings.data_dir),
            media_root=media_root,
            uploads_root=settings.resolved_uploads_dir,
            ffmpeg_program=settings.ffmpeg,
            store_max_bytes=settings.variant_store_max_bytes,
            publisher=self.bus,
            storage=self.storage,
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._serve, name="tonearm-variant-loop", daemon=True
        )
        self._in_flight: set[concurrent.futures.Future[Any]] = set()
        self._guard = threading.Lock()
        self._closed = False
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and wait for it (from any other thread).

        Raises ``concurrent.futures.CancelledError`` when the runtime closes meanwhile.
        """
        with self._guard:
            if self._closed:
                coroutine.close()
                raise concurrent.futures.CancelledError
            future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
            self._in_flight.add(future)
        try:
            return future.result()
        finally:
            with self._guard:
                self._in_flight.discard(future)

    def close(self, *, timeout: float = 10.0) -> None:
        """Cancel what runs (ffmpeg is killed, ``.part`` files removed), dispose, stop."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
            running = list(self._in_flight)
        for future in running:
            future.cancel()
        finished = asyncio.run_coroutine_threadsafe(self._wind_down(), self._loop)
        try:
            finished.result(timeout)
        except (TimeoutError, concurrent.futures.TimeoutError):
            logger.warning("variant encodes did not stop within %.0f s", timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()

    async def _wind_down(self) -> None:
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        await asyncio.gather(*others, return_exceptions=True)
        await self.bus.close()
        await self.storage.close()
        await self.engine.dispose()


class VariantQueue:
    """The huey instance with tonearm's tasks, and this process's ``WorkerRuntime``."""

    def __init__(self, huey: Huey, settings: Settings, policy: JobPolicy) -> None:
        self.huey = huey
        self.settings = settings
        self.policy = policy
        self.kind = "redis" if settings.redis_url else "embedded"
        self._runtime: WorkerRuntime | None = None
        self._runtime_guard = threading.Lock()
        self._running = 0  # tasks this process is executing now
        self._wake_file = None if settings.redis_url else settings.data_dir / WAKE_FILE
        self._make = huey.task(
            retries=policy.retries,
            retry_delay=policy.retry_delay,
            retry_backoff=policy.retry_backoff,
            context=True,
            name=MAKE_TASK,
        )(self._make_variant)
        huey.periodic_task(crontab(minute="*"), name="recover_variant_jobs")(self._recover)

    # --- the side that sends ------------------------------------------------------------

    def enqueue(self, track_id: uuid.UUID, key: VariantKey, *, priority: int = 0) -> None:
        """Send one "make this variant" message (blocks on the storage)."""
        self.enqueue_many([(track_id, key)], priority=priority)

    def enqueue_many(
        self, jobs_to_send: Iterable[tuple[uuid.UUID, VariantKey]], *, priority: int = 0
    ) -> None:
        """Send a message per variant (blocks on the storage); ``QueueUnavailable`` if down."""
        sent = 0
        try:
            for track_id, key in jobs_to_send:
                self.huey.enqueue(self._make.s(str(track_id), key.slug, priority=priority))
                sent += 1
        except _STORAGE_ERRORS as error:
            raise QueueUnavailable(_describe(error)) from None
        finally:
            if sent:
                self._wake()

    def _wake(self) -> None:
        """Tell an idle embedded worker's supervisor there is work (see the module's doc)."""
        if self._wake_file is None:
            return
        try:
            self._wake_file.touch()
            os.utime(self._wake_file)
        except OSError as error:
            logger.warning("could not wake the variant worker: %s", error.strerror or error)

    def is_idle(self) -> bool:
        """Nothing queued, scheduled (a retry) or running in this process (blocks)."""
        with self._runtime_guard:
            if self._running:
                return False
        try:
            waiting = int(self.huey.pending_count()) + int(self.huey.scheduled_count())
        except _STORAGE_ERRORS:
            return False
        return waiting == 0

    def waiting(self) -> set[tuple[uuid.UUID, str]]:
        """(track id, slug) of every message queued or scheduled (a retry) now; blocks."""
        try:
            tasks = [*self.huey.pending(), *self.huey.scheduled()]
        except _STORAGE_ERRORS as error:
            raise QueueUnavailable(_describe(error)) from None
        found: set[tuple[uuid.UUID, str]] = set()
        for task in tasks:
            if isinstance(task, self._make.task_class) and len(task.args) == 2:
                try:
                    found.add((uuid.UUID(task.args[0]), str(task.args[1])))
                except (TypeError, ValueError):
                    continue
        return found

    def close(self) -> None:
        """Stop this process's runtime (if any) and close the storage connection."""
        with self._runtime_guard:
            runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()
        self.huey.storage.close()

    # --- the side that works ------------------------------------------------------------

    def runtime(self) -> WorkerRuntime:
        """This process's runtime, started on first use."""
        with self._runtime_guard:
            if self._runtime is None:
                self._runtime = WorkerRuntime(self.settings)
            return self._runtime

    def consumer(self, *, threads: int) -> Consumer:
        """huey's consumer with ``threads`` worker threads and the periodic recovery."""
        return self.huey.create_consumer(
            workers=threads,
            worker_type="thread",
            periodic=True,
            initial_delay=self.policy.poll_delay,
            backoff=1.15,
            max_delay=self.policy.max_poll_delay,
            scheduler_interval=1,
            check_worker_health=True,
            shutdown_timeout=self.policy.shutdown_grace,
        )

    def _counted(self, delta: int) -> None:
        with self._runtime_guard:
            self._running += delta

    def _make_variant(self, track_id: str, slug: str, task: Any) -> str:
        self._counted(1)
        try:
            return self._make_one(track_id, slug, task)
        finally:
            self._counted(-1)

    def _make_one(self, track_id: str, slug: str, task: Any) -> str:
        key = VariantKey.from_slug(slug)
        if key is None:
            logger.warning("a variant job names no variant tonearm makes: %r", slug)
            return "invalid"
        runtime = self.runtime()
        try:
            result = runtime.run(
                jobs.run_job(
                    runtime.maker, uuid.UUID(track_id), key, final_attempt=not task.retries
                )
            )
        except concurrent.futures.CancelledError:
            # The worker is stopping: the row stays pending and the next start re-queues it.
            raise CancelExecution(retry=False) from None
        if result.outcome is jobs.JobOutcome.LOCKED:
            raise RetryTask(delay=self.policy.locked_delay)  # does not use up a retry
        if result.outcome is jobs.JobOutcome.RETRY:
            logger.info("variant %s of track %s will be retried: %s", slug, track_id, result.reason)
            raise CancelExecution(retry=True)  # retried after retry_delay, with backoff
        return str(result.outcome.value)

    def _recover(self) -> None:
        self._counted(1)
        try:
            self._recover_lost()
        finally:
            self._counted(-1)

    def _recover_lost(self) -> None:
        runtime = self.runtime()
        try:
            runtime.run(
                jobs.recover(
                    self, runtime.engine, runtime.maker.store, older_than=self.policy.recover_after
                )
            )
        except concurrent.futures.CancelledError:
            return


def create_queue(settings: Settings, policy: JobPolicy | None = None) -> VariantQueue:
    """The queue ``settings`` name: Redis at ``TONEARM_REDIS_URL``, else ``<data dir>/queue.db``.

    Creating it opens nothing on Redis; the SQLite file and its tables are created here.
    """
    policy = policy or JobPolicy()
    serializer = SignedSerializer(secret=settings.signing_keys()[0], salt=_SIGNING_SALT)
    huey: Huey
    if settings.redis_url:
        huey = PriorityRedisHuey(
            QUEUE_NAME,
            url=settings.redis_url,
            results=False,
            serializer=serializer,
            read_timeout=policy.redis_read_timeout,
        )
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            huey = SqliteHuey(
                QUEUE_NAME,
                filename=str(settings.data_dir.resolve() / QUEUE_FILE),
                results=False,
                serializer=serializer,
            )
        except sqlite3.Error as error:
            raise QueueUnavailable(_describe(error)) from None
    return VariantQueue(huey, settings, policy)


def run_worker(
    settings: Settings,
    *,
    policy: JobPolicy | None = None,
    parent_pid: int | None = None,
    idle_exit: float | None = None,
) -> int:
    """``tonearm worker``: make queued variants until SIGTERM or SIGINT; the exit status.

    With ``parent_pid`` (the embedded worker of ``tonearm serve``) it also stops when that
    process is gone, however it ended; with ``idle_exit``, once the queue has been idle
    (``VariantQueue.is_idle``) for that many seconds.
    """
    from tonearm.storage.setup import check_storage

    queue = create_queue(settings, policy)
    try:
        runtime = queue.runtime()
        runtime.run(check_storage(runtime.storage))  # a bad bucket: one line, exit 2
        done = runtime.run(jobs.recover(queue, runtime.engine, runtime.maker.store, older_than=0))
        consumer = queue.consumer(threads=settings.worker_threads)
        if parent_pid is not None:
            stop_when_orphaned(parent_pid)
        if idle_exit is not None:
            _stop_when_idle(queue, idle_exit)
        logger.info(
            "variant worker: %d threads on the %s queue (%d jobs re-queued)",
            settings.worker_threads,
            queue.kind,
            done.requeued,
        )
        consumer.run()
    finally:
        queue.close()
    logger.info("variant worker stopped")
    return 0


def _stop_when_idle(queue: VariantQueue, seconds: float) -> None:
    def watch() -> None:
        idle_since: float | None = None
        while True:
            time.sleep(min(1.0, seconds / 4))
            if not queue.is_idle():
                idle_since = None
                continue
            now = time.monotonic()
            idle_since = now if idle_since is None else idle_since
            if now - idle_since >= seconds:
                logger.info("variant worker: idle %.0f s, stopping until there is work", seconds)
                # SIGTERM stops now; a job taken meanwhile stays pending and is re-queued by
                # the next start, which the wake file's change brings about.
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="tonearm-idle-watch", daemon=True).start()


def _describe(error: BaseException) -> str:
    text = (str(error) or type(error).__name__).strip().splitlines()
    return f"the job queue cannot be used: {text[0][:200] if text else type(error).__name__}"
