"""Measure a listening session's event fan-out: how long until the 100th member has it.

100 members (anonymous guests) each hold a ``sessionEvents`` subscription, run in process
through the real schema (``schema.subscribe``: GraphQL types built from the logged payload,
one shared log reader per session in this worker). Each round the host enqueues a track
through the service (one transaction: the change, its event, the sequence) and publishes
the sequence; the figure is the time from the commit to the moment the 100th subscriber
holds the QUEUE event. Reference measured in the same run: the same 100 subscribers of the
bare bus receiving one published ``{"sequence": n}`` (what the bus alone costs), and the
commit alone. SQLite in a temporary directory (the default backend).

Usage: ``.venv/bin/python benchmarks/sessions.py [--members 100] [--rounds 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from tonearm.db.engine import create_engine, create_session_factory
from tonearm.db.migrations import upgrade_to_head
from tonearm.db.models import TrackRecord, UserRecord
from tonearm.library.demo import write_demo_library
from tonearm.library.scanner import scan_library
from tonearm.pubsub.bus import Bus
from tonearm.pubsub.channels import session_channel
from tonearm.resolvers.sessions import session_runtime
from tonearm.schema.build import build_schema
from tonearm.schema.context import Context
from tonearm.services import build_services
from tonearm.sessions import service
from tonearm.sessions.guests import resolve_guest
from tonearm.settings import Settings

QUERY = """subscription($s: ID!, $a: Int) { sessionEvents(sessionId: $s, afterSequence: $a) {
  sequence kind
  playback { trackId itemId status epoch positionSeconds updatedAt isPlaying format }
  queue { id position track { id title coverUrl } addedBy { displayName } } } }"""
QUEUE_LENGTH = 10


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered):7.2f} ms   p95 {p95:7.2f} ms"


async def _bus_reference(members: int, rounds: int) -> list[float]:
    bus = Bus()
    channel = "bench"
    times: list[float] = []
    async with asyncio.TaskGroup() as group:
        ready = asyncio.Event()
        received: list[asyncio.Event] = [asyncio.Event() for _ in range(members)]

        async def member(index: int, subscription: Any) -> None:
            for _ in range(rounds):
                await subscription.get()
                received[index].set()

        from contextlib import AsyncExitStack

        async with AsyncExitStack() as stack:
            subs = [await stack.enter_async_context(bus.subscribe(channel)) for _ in range(members)]
            for index, subscription in enumerate(subs):
                group.create_task(member(index, subscription))
            ready.set()
            for sequence in range(rounds):
                for event in received:
                    event.clear()
                start = time.perf_counter()
                await bus.publish(channel, {"sequence": sequence})
                for event in received:
                    await event.wait()
                times.append((time.perf_counter() - start) * 1000)
    return times


def main(members: int, rounds: int) -> None:
    """Migrate a fresh database (outside the event loop, as the CLI does), then measure."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        media = root / "media"
        write_demo_library(media)
        url = f"sqlite+aiosqlite:///{root / 'tonearm.db'}"
        upgrade_to_head(url)
        asyncio.run(measure(root, media, url, members, rounds))


async def measure(root: Path, media: Path, url: str, members: int, rounds: int) -> None:
    """Set up the session and its subscribers, then time the rounds."""
    if True:
        engine = create_engine(url)
        await scan_library(engine, media)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=root / "data",
            secret_key="bench-secret-key-0123456789abcdef",
            database_url=url,
            media_root=media,
            frontend_dir=root / "none",
        )
        services = build_services(settings)
        factory = create_session_factory(services.engine)
        async with factory() as db:
            host = UserRecord(
                username="host", username_key="host", password_hash="x", role="listener"
            )
            db.add(host)
            await db.commit()
            tracks = list((await db.scalars(select(TrackRecord.id).limit(QUEUE_LENGTH))).all())
            caller = service.Caller(user_id=host.id, username="host", reader=None)
            record, _ = await service.create(
                db,
                caller,
                name="Bench",
                allow_anonymous_guests=True,
                allow_takeover=False,
                request_limit=3,
                invite_expires_in_hours=24,
                playable=None,
            )
            await db.commit()
            tokens = []
            for index in range(members):
                joined = await service.join(
                    db,
                    service.Caller(user_id=None),
                    invite_code=record.invite_code,
                    display_name=f"guest {index}",
                    playable=None,
                )
                tokens.append(joined.guest_token)
            await db.commit()
            session_id = record.id
        from tonearm.catalog.access import ADMIN
        from tonearm.schema.ids import global_id

        host_caller = service.Caller(user_id=host.id, username="host", reader=ADMIN)
        hub = session_runtime(services).hub
        schema = build_schema()
        gid = global_id("ListeningSession", session_id)
        subscriptions = []
        for token in tokens:
            async with factory() as db:
                guest = await resolve_guest(db, token or "")
            context = Context(services=services, session=None, viewer=None, guest=guest)
            async with factory() as db:
                current = (await db.get(service.Session, session_id)).sequence  # type: ignore[union-attr]
            results = await schema.subscribe(
                QUERY, variable_values={"s": gid, "a": current}, context_value=context
            )
            subscriptions.append(results)

        async def event_of(results: Any, kind: str) -> int:
            while True:
                result = await anext(results)
                assert not result.errors, result.errors
                event = result.data["sessionEvents"]
                if event["kind"] == kind:
                    return int(event["sequence"])

        # Warm up: every subscriber online and through the queue's events (QUEUE, then the
        # PLAYBACK of its first item becoming current).
        waits = [asyncio.ensure_future(event_of(r, "PLAYBACK")) for r in subscriptions]
        async with factory() as db:
            _, changes = await service.enqueue(
                db, host_caller, session_id, track_ids=tracks, position=None, timing=hub.timing
            )
            await db.commit()
        await hub.committed(changes)
        await asyncio.gather(*waits)
        async with factory() as db:
            items = [item.id for item in await service.render.queue_items(db, session_id)]

        async def seek(db: Any, round_: int) -> service.Changes:
            _, changes = await service.control(
                db,
                host_caller,
                session_id,
                action=service.PlaybackAction.SEEK,
                position_seconds=float(round_ % 5),
                timing=hub.timing,
            )
            return changes

        async def move(db: Any, round_: int) -> service.Changes:
            _, changes = await service.move_item(
                db,
                host_caller,
                session_id,
                item_id=items[round_ % len(items)],
                to_position=(round_ * 7) % len(items),
                timing=hub.timing,
            )
            return changes

        figures: dict[str, tuple[list[float], list[float]]] = {}
        for kind, change in (("PLAYBACK", seek), ("QUEUE", move)):
            fan_out: list[float] = []
            commit_only: list[float] = []
            for round_ in range(rounds):
                waits = [asyncio.ensure_future(event_of(r, kind)) for r in subscriptions]
                await asyncio.sleep(0)
                start = time.perf_counter()
                async with factory() as db:
                    changes = await change(db, round_)
                    await db.commit()
                committed = time.perf_counter()
                await services.bus.publish(session_channel(session_id), {"sequence": changes.last})
                sequences = await asyncio.gather(*waits)
                done = time.perf_counter()
                assert set(sequences) == {changes.last}
                fan_out.append((done - committed) * 1000)
                commit_only.append((committed - start) * 1000)
            figures[kind] = (fan_out, commit_only)
        for results in subscriptions:
            await results.aclose()
        await hub.close()
        await services.engine.dispose()
        await engine.dispose()
    bus = await _bus_reference(members, rounds)
    print(f"{members} members, {rounds} rounds each (SQLite, in process, one worker)")
    print(f"  reference: bare bus, one message to {members} subscribers: {_ms(bus)}")
    for kind, (fan_out, commit_only) in figures.items():
        label = "SEEK → PLAYBACK" if kind == "PLAYBACK" else f"move → QUEUE of {QUEUE_LENGTH}"
        print(f"  {label}: the change's transaction:        {_ms(commit_only)}")
        print(f"  {label}: commit → the {members}th member has it: {_ms(fan_out)}")
        per_member = statistics.median(fan_out) / members
        print(f"  {label}: per member (median / {members}):       {per_member:7.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    arguments = parser.parse_args()
    main(arguments.members, arguments.rounds)
