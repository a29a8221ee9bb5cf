"""One worker's live side of listening sessions: publishing, fan-out, presence, timers.

* After a change commits, ``committed`` publishes ``{"sequence": n}`` on the session's
  channel and (re)arms the session's timed transition in this worker.
* ``listen`` hands a subscriber the events of one session. Each session has one reader
  per worker, however many members listen here: on every bus message (and every
  ``RECHECK_SECONDS`` without one, so a lost message heals) it reads the log past the
  last sequence it delivered, once, and fans the rows out. Subscribers dedupe by sequence.
* ``presence`` marks a member online for as long as their subscription lives, refreshing
  ``last_seen_at`` every ``HEARTBEAT_SECONDS``, and offline at once when it closes.
* Timed transitions (the ready deadline, the end of a track) run in every worker that
  served the change or has a subscriber of the session: a task sleeps until the time and
  calls ``service.advance_due``, whose conditional UPDATE lets exactly one worker win.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tonearm.db.locks import SESSION_SWEEP_LOCK_KEY, try_registry_lock
from tonearm.db.outages import log_failure
from tonearm.pubsub.bus import Bus
from tonearm.pubsub.channels import ACCOUNTS, member_gone, session_channel
from tonearm.sessions import service
from tonearm.sessions.rules import HEARTBEAT_SECONDS, PlaybackStatus, now_ms
from tonearm.sessions.service import Changes, Timing

logger = logging.getLogger(__name__)
SWEEP_INTERVAL_SECONDS = 60.0
RECHECK_SECONDS = 10.0  # a reader looks at the log this often even without a message
READ_PAGE = 500


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One row of the session log, as subscribers receive it."""

    session_id: uuid.UUID
    sequence: int
    kind: str
    payload: dict[str, Any]
    at_ms: float
    # What subscribers of this worker made of it (the GraphQL event is the same for every
    # member, so it is built once per worker, not once per member).
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class _Reader:
    session_id: uuid.UUID
    last: int = 0
    listeners: set[asyncio.Queue[LoggedEvent]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class SessionHub:
    """The per-worker runtime of listening sessions (see the module docstring)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], bus: Bus, timing: Timing
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self.timing = timing
        self._readers: dict[uuid.UUID, _Reader] = {}
        self._timers: dict[uuid.UUID, tuple[tuple[int, str, int], asyncio.Task[None]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- after a change ------------------------------------------------------------------

    async def committed(self, changes: Changes) -> None:
        """Wake every worker's readers of the session, and arm its timer here."""
        if changes.last is None:
            return
        await self._bus.publish(session_channel(changes.session_id), {"sequence": changes.last})
        await self.watch(changes.session_id)

    async def member_gone(self, member_id: uuid.UUID) -> None:
        """Tell every worker that a member left or was removed (their sockets close)."""
        await self._bus.publish(ACCOUNTS, member_gone(member_id))

    # --- reading the log -----------------------------------------------------------------

    async def read_log(self, session_id: uuid.UUID, after: int, limit: int) -> list[LoggedEvent]:
        """Events after ``after`` from the database, oldest first."""
        async with self._sessions() as db:
            rows = await service.events_after(db, session_id, after, limit)
        return [
            LoggedEvent(
                row.session_id,
                int(row.sequence),
                row.kind,
                row.payload,
                row.created_at.timestamp() * 1000,
            )
            for row in rows
        ]

    async def current_sequence(self, session_id: uuid.UUID) -> int:
        """The session's last sequence now."""
        async with self._sessions() as db:
            record = await db.get(service.Session, session_id)
            return int(record.sequence) if record is not None else 0

    @contextlib.asynccontextmanager
    async def listen(self, session_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[LoggedEvent]]:
        """The live events of a session for one subscriber, from now on."""
        reader = self._readers.get(session_id)
        if reader is None:
            reader = _Reader(session_id)
            self._readers[session_id] = reader
            reader.task = asyncio.create_task(self._read(reader))
        queue: asyncio.Queue[LoggedEvent] = asyncio.Queue()
        reader.listeners.add(queue)
        try:
            await reader.ready.wait()
            yield queue
        finally:
            reader.listeners.discard(queue)
            if not reader.listeners and self._readers.get(session_id) is reader:
                del self._readers[session_id]
                if reader.task is not None:
                    reader.task.cancel()

    async def _read(self, reader: _Reader) -> None:
        channel = session_channel(reader.session_id)
        async with self._bus.subscribe(channel) as subscription:
            reader.last = await self.current_sequence(reader.session_id)
            reader.ready.set()
            while True:
                wanted: int | None = None
                try:
                    message = await asyncio.wait_for(subscription.get(), RECHECK_SECONDS)
                    value = message.get("sequence")
                    wanted = value if isinstance(value, int) else None
                except TimeoutError:
                    pass
                if wanted is not None and wanted <= reader.last:
                    continue
                try:
                    await self._catch_up(reader)
                except Exception as error:
                    log_failure(
                        logger, error, "session %s: reading the event log failed", reader.session_id
                    )

    async def _catch_up(self, reader: _Reader) -> None:
        while True:
            events = await self.read_log(reader.session_id, reader.last, READ_PAGE)
            for event in events:
                reader.last = event.sequence
                for queue in list(reader.listeners):
                    queue.put_nowait(event)
                if event.kind == "PLAYBACK":
                    self._arm_from_payload(reader.session_id, event.payload)
            if len(events) < READ_PAGE:
                return

    # --- timed transitions -----------------------------------------------------------------

    async def watch(self, session_id: uuid.UUID) -> None:
        """Arm (or re-arm) this worker's timer of the session's next timed transition."""
        async with self._sessions() as db:
            due = await service.next_due(db, session_id)
        if due is None:
            self._disarm(session_id)
            return
        at, status, epoch = due
        self._arm(session_id, (at, status.value, epoch))

    def _arm_from_payload(self, session_id: uuid.UUID, playback: dict[str, Any]) -> None:
        status, epoch = playback.get("status"), playback.get("epoch")
        if not isinstance(epoch, int):
            return
        if status == "waiting" and playback.get("readyDeadline") is not None:
            self._arm(session_id, (int(playback["readyDeadline"]), "waiting", epoch))
            return
        track = playback.get("track") or {}
        duration = track.get("durationSeconds")
        if status == "playing" and isinstance(duration, (int, float)):
            remaining = max(float(duration) - float(playback["positionSeconds"]), 0.0)
            at = int(float(playback["updatedAt"]) + remaining * 1000) + 1
            self._arm(session_id, (at, "playing", epoch))
            return
        self._disarm(session_id)

    def _arm(self, session_id: uuid.UUID, due: tuple[int, str, int]) -> None:
        current = self._timers.get(session_id)
        if current is not None:
            if current[0] == due and not current[1].done():
                return
            current[1].cancel()
        task = asyncio.create_task(self._fire(session_id, due))
        self._timers[session_id] = (due, task)

    def _disarm(self, session_id: uuid.UUID) -> None:
        current = self._timers.pop(session_id, None)
        if current is not None:
            current[1].cancel()

    async def _fire(self, session_id: uuid.UUID, due: tuple[int, str, int]) -> None:
        at, status, epoch = due
        await asyncio.sleep(max(at - now_ms(), 0) / 1000 + 0.005)
        if self._timers.get(session_id, (None,))[0] == due:
            del self._timers[session_id]
        try:
            async with self._sessions() as db:
                changes = await service.advance_due(
                    db, session_id, epoch, PlaybackStatus(status), self.timing
                )
                await db.commit()
            if changes.last is not None:
                await self.committed(changes)
            else:
                await self.watch(session_id)
        except Exception as error:
            log_failure(logger, error, "session %s: a timed transition failed", session_id)

    # --- presence --------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def presence(self, session_id: uuid.UUID, member_id: uuid.UUID) -> AsyncIterator[None]:
        """Online while the block runs (with heartbeats), offline at once after."""
        await self._set_presence(session_id, member_id, online=True)
        beat = asyncio.create_task(self._heartbeat(session_id, member_id))
        try:
            yield
        finally:
            beat.cancel()
            # The subscriber may be cancelled: the offline mark is written anyway (a task of
            # its own), and a cancellation still propagates.
            closing = asyncio.create_task(self._set_presence(session_id, member_id, online=False))
            self._tasks.add(closing)
            closing.add_done_callback(self._tasks.discard)
            await asyncio.shield(closing)

    async def _set_presence(
        self, session_id: uuid.UUID, member_id: uuid.UUID, *, online: bool
    ) -> None:
        try:
            async with self._sessions() as db:
                changes = await service.set_presence(db, session_id, member_id, online=online)
                await db.commit()
            await self.committed(changes)
        except Exception as error:
            log_failure(logger, error, "session %s: presence update failed", session_id)

    async def _heartbeat(self, session_id: uuid.UUID, member_id: uuid.UUID) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                async with self._sessions() as db:
                    await service.heartbeat(db, session_id, member_id)
                    await db.commit()
            except Exception as error:
                log_failure(logger, error, "session %s: heartbeat failed", session_id)

    # --- the idle sweep --------------------------------------------------------------------

    async def sweep_idle(self) -> int:
        """End every session idle past the timeout; how many ended."""
        async with self._sessions() as db:
            ended = await service.end_idle(db, self.timing)
            await db.commit()
        for changes in ended:
            await self.committed(changes)
        return len(ended)

    async def close(self) -> None:
        """Stop this worker's readers and timers."""
        for reader in list(self._readers.values()):
            if reader.task is not None:
                reader.task.cancel()
        for _, task in list(self._timers.values()):
            task.cancel()
        self._readers.clear()
        self._timers.clear()


async def sweep_idle_periodically(
    hub: SessionHub, engine: AsyncEngine, *, interval: float = SWEEP_INTERVAL_SECONDS
) -> None:
    """End idle sessions every ``interval`` seconds, in one worker at a time (a server
    worker's background task, until cancelled)."""
    while True:
        await asyncio.sleep(interval)
        try:
            async with try_registry_lock(
                engine, key=SESSION_SWEEP_LOCK_KEY, name="session-sweep-lock"
            ) as held:
                if held:
                    await hub.sweep_idle()
        except Exception as error:  # the next round tries again
            log_failure(logger, error, "listening sessions' idle sweep failed")
