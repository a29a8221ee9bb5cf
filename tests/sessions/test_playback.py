"""The playback state machine: WAITING until every online member is ready or the deadline,
a start scheduled ahead by the slowest round trip, epochs, the end of a track, races."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.sessions.conftest import (
    CONTROL,
    ENQUEUE,
    GET,
    PLAYBACK,
    READY,
    Library,
    create_session,
    data,
    gql,
    join,
    only_error,
)
from tonearm.db.engine import create_engine
from tonearm.db.models import ListeningSessionRecord, SessionMemberRecord
from tonearm.schema.ids import parse_global_id
from tonearm.sessions import service
from tonearm.sessions.rules import PlaybackStatus
from tonearm.sessions.service import Timing


def _uuid(global_id: str, type_name: str) -> uuid.UUID:
    return parse_global_id(global_id, type_name)


def server_ms() -> float:
    return time.time() * 1000


async def online(engine: AsyncEngine, *member_ids: str) -> None:
    """Mark members online as a live subscription would (its heartbeat)."""
    async with engine.begin() as connection:
        await connection.execute(
            update(SessionMemberRecord)
            .where(SessionMemberRecord.id.in_([_uuid(m, "SessionMember") for m in member_ids]))
            .values(last_seen_at=datetime.now(UTC))
        )


async def queued(
    host: httpx.AsyncClient, library: Library, *titles: str, **fields: object
) -> dict[str, object]:
    session = await create_session(host, **fields)
    await data(host, ENQUEUE, s=session["id"], t=[library.track_id(t) for t in titles])
    return session


async def test_enqueue_into_an_empty_session_makes_the_first_item_current_and_paused(
    host: httpx.AsyncClient, library: Library
) -> None:
    session = await create_session(host)
    result = (await data(host, ENQUEUE, s=session["id"], t=[library.track_id("One")]))["enqueue"]
    item = result["queue"][0]
    assert (item["isCurrent"], item["isPlayed"], item["position"]) == (True, False, 0)
    playback = result["playback"]
    assert playback["status"] == "PAUSED"
    assert playback["itemId"] == item["id"]
    assert playback["trackId"] == library.track_id("One")
    assert playback["track"]["title"] == "One"
    assert (playback["format"], playback["bitrateKbps"]) == ("MP3", 128)
    assert playback["epoch"] == 1


async def test_play_with_nobody_online_starts_at_once_with_the_minimum_lead(
    host: httpx.AsyncClient, library: Library
) -> None:
    session = await queued(host, library, "One")
    before = server_ms()
    playback = (await data(host, CONTROL, s=session["id"], a="PLAY"))["controlPlayback"]
    after = server_ms()
    assert (playback["status"], playback["isPlaying"], playback["epoch"]) == ("PLAYING", True, 2)
    assert before + 250 - 1 <= playback["updatedAt"] <= after + 250 + 1
    assert playback["positionSeconds"] == 0.0
    assert playback["readyDeadline"] is None


async def test_play_waits_for_every_online_member_then_schedules_by_the_slowest(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    session = await queued(host, library, "One", "Two")
    member = (await join(friend, session["inviteCode"]))["viewerMember"]["id"]
    await online(engine, session["host"]["id"], member)
    before = server_ms()
    waiting = (await data(host, CONTROL, s=session["id"], a="PLAY"))["controlPlayback"]
    after = server_ms()
    assert (waiting["status"], waiting["isPlaying"], waiting["epoch"]) == ("WAITING", False, 2)
    assert before + 4000 - 1 <= waiting["readyDeadline"] <= after + 4000 + 1
    stale = (await data(friend, READY, s=session["id"], e=1, r=10.0))["reportReady"]
    assert stale["status"] == "WAITING"  # a report for an old epoch changes nothing
    host_ready = (await data(host, READY, s=session["id"], e=2, r=100.0))["reportReady"]
    assert host_ready["status"] == "WAITING"
    before = server_ms()
    started = (await data(friend, READY, s=session["id"], e=2, r=400.0))["reportReady"]
    after = server_ms()
    assert (started["status"], started["epoch"]) == ("PLAYING", 2)
    lead = 400 * 1.5 + 150
    assert before + lead - 1 <= started["updatedAt"] <= after + lead + 1
    again = (await data(friend, READY, s=session["id"], e=2, r=400.0))["reportReady"]
    assert again == started  # idempotent


async def test_a_ready_report_without_an_epoch_counts_for_the_current_one(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    session = await queued(host, library, "One")
    member = (await join(friend, session["inviteCode"]))["viewerMember"]["id"]
    await online(engine, session["host"]["id"], member)
    await data(host, CONTROL, s=session["id"], a="PLAY")
    bare = f"""mutation($s: ID!) {{ reportReady(sessionId: $s) {{ {PLAYBACK} }} }}"""

    assert (await data(host, bare, s=session["id"]))["reportReady"]["status"] == "WAITING"
    started = (await data(friend, bare, s=session["id"]))["reportReady"]
    assert (started["status"], started["epoch"]) == ("PLAYING", 2)


async def test_round_trips_are_bounded_and_the_lead_clamped(
    host: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    session = await queued(host, library, "One")
    await online(engine, session["host"]["id"])
    await data(host, CONTROL, s=session["id"], a="PLAY")
    # A client whose clock is hours off still measures a round trip in its own clock: only
    # that duration reaches the server, and a nonsensical one is refused.
    for bad in (-1.0, 3 * 3600 * 1000.0):
        body = await gql(host, READY, s=session["id"], e=2, r=bad)
        assert only_error(body) == ("BAD_USER_INPUT", "roundTripMs must be 0 to 60000.")
    before = server_ms()
    started = (await data(host, READY, s=session["id"], e=2, r=50000.0))["reportReady"]
    after = server_ms()
    assert started["status"] == "PLAYING"
    assert before + 2000 - 1 <= started["updatedAt"] <= after + 2000 + 1


async def _record(engine: AsyncEngine, session_id: str) -> ListeningSessionRecord:
    async with AsyncSession(engine) as db:
        record = await db.get(ListeningSessionRecord, _uuid(session_id, "ListeningSession"))
        assert record is not None
        return record


async def test_the_deadline_starts_without_the_laggard_and_only_for_its_epoch(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    session = await queued(host, library, "One")
    member = (await join(friend, session["inviteCode"]))["viewerMember"]["id"]
    await online(engine, session["host"]["id"], member)
    await data(host, CONTROL, s=session["id"], a="PLAY")
    await data(host, READY, s=session["id"], e=2, r=20.0)
    sid = _uuid(session["id"], "ListeningSession")
    timing = Timing()
    async with AsyncSession(engine) as db:  # not due yet: nothing moves
        assert (await service.advance_due(db, sid, 2, PlaybackStatus.WAITING, timing)).last is None
        await db.commit()
    async with engine.begin() as connection:
        await connection.execute(
            update(ListeningSessionRecord).values(ready_deadline_ms=int(server_ms()) - 1)
        )
    async with AsyncSession(engine) as db:  # the wrong epoch: nothing moves
        assert (await service.advance_due(db, sid, 1, PlaybackStatus.WAITING, timing)).last is None
        changes = await service.advance_due(db, sid, 2, PlaybackStatus.WAITING, timing)
        await db.commit()
    assert changes.last is not None
    record = await _record(engine, session["id"])
    assert (record.playback_status, record.epoch, record.ready_deadline_ms) == ("playing", 2, None)


async def test_two_workers_racing_a_deadline_make_exactly_one_transition(
    host: httpx.AsyncClient,
    friend: httpx.AsyncClient,
    library: Library,
    engine: AsyncEngine,
    database_url_for_test: str,
) -> None:
    session = await queued(host, library, "One")
    member = (await join(friend, session["inviteCode"]))["viewerMember"]["id"]
    await online(engine, member)
    await data(host, CONTROL, s=session["id"], a="PLAY")
    async with engine.begin() as connection:
        await connection.execute(
            update(ListeningSessionRecord).values(ready_deadline_ms=int(server_ms()) - 1)
        )
    before = (await _record(engine, session["id"])).sequence
    sid = _uuid(session["id"], "ListeningSession")
    engines = [create_engine(database_url_for_test) for _ in range(2)]

    async def worker(own: AsyncEngine) -> list[int]:
        async with AsyncSession(own) as db:
            changes = await service.advance_due(db, sid, 2, PlaybackStatus.WAITING, Timing())
            await db.commit()
        return changes.sequences

    try:
        results = await asyncio.gather(*(worker(own) for own in engines))
    finally:
        for own in engines:
            await own.dispose()
    assert sorted(len(r) for r in results) == [0, 1]
    record = await _record(engine, session["id"])
    assert record.sequence == before + 1
    assert record.playback_status == "playing"


async def test_the_end_of_a_track_advances_and_the_end_of_the_queue_pauses(
    host: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    session = await queued(host, library, "One", "Two")
    await data(host, CONTROL, s=session["id"], a="PLAY")
    sid = _uuid(session["id"], "ListeningSession")
    async with engine.begin() as connection:  # started long enough ago to be over
        await connection.execute(
            update(ListeningSessionRecord).values(position_at_ms=int(server_ms()) - 60_000)
        )
    async with AsyncSession(engine) as db:
        due = await service.next_due(db, sid)
        assert due is not None
        assert due[1:] == (PlaybackStatus.PLAYING, 2)
        changes = await service.advance_due(db, sid, 2, PlaybackStatus.PLAYING, Timing())
        await db.commit()
    assert len(changes.sequences) == 1
    state = (await data(host, GET, id=session["id"]))["listeningSession"]
    assert state["playback"]["track"]["title"] == "Two"
    assert state["playback"]["status"] == "PLAYING"  # nobody online: at once
    assert state["playback"]["epoch"] == 3
    assert [(i["isPlayed"], i["isCurrent"]) for i in state["queue"]] == [
        (True, False),
        (False, True),
    ]
    async with engine.begin() as connection:
        await connection.execute(
            update(ListeningSessionRecord).values(position_at_ms=int(server_ms()) - 60_000)
        )
    async with AsyncSession(engine) as db:
        await service.advance_due(db, sid, 3, PlaybackStatus.PLAYING, Timing())
        await db.commit()
    playback = (await data(host, GET, id=session["id"]))["listeningSession"]["playback"]
    assert playback["status"] == "PAUSED"
    assert playback["track"]["title"] == "Two"
    assert playback["positionSeconds"] == playback["track"]["durationSeconds"]


async def test_pause_freezes_the_derived_position(
    host: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    session = await queued(host, library, "One")
    await data(host, CONTROL, s=session["id"], a="PLAY")
    started = int(server_ms()) - 500
    async with engine.begin() as connection:
        await connection.execute(update(ListeningSessionRecord).values(position_at_ms=started))
    before = server_ms()
    paused = (await data(host, CONTROL, s=session["id"], a="PAUSE"))["controlPlayback"]
    after = server_ms()
    assert paused["status"] == "PAUSED"
    assert (before - started) / 1000 <= paused["positionSeconds"] <= (after - started) / 1000
    assert before <= paused["updatedAt"] <= after


async def test_seek_next_previous_and_their_refusals(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, library: Library
) -> None:
    session = await queued(host, library, "One", "Two")
    sid = session["id"]
    for position in (-1.0, 2.0, None):
        body = await gql(host, CONTROL, s=sid, a="SEEK", p=position)
        assert only_error(body) == (
            "BAD_USER_INPUT",
            "positionSeconds must be 0 to 1.045 for SEEK.",
        )
    sought = (await data(host, CONTROL, s=sid, a="SEEK", p=0.5))["controlPlayback"]
    assert (sought["status"], sought["positionSeconds"], sought["epoch"]) == ("PAUSED", 0.5, 1)
    playing = (await data(host, CONTROL, s=sid, a="PLAY"))["controlPlayback"]
    assert (playing["positionSeconds"], playing["epoch"]) == (0.5, 2)
    nxt = (await data(host, CONTROL, s=sid, a="NEXT"))["controlPlayback"]
    assert (nxt["track"]["title"], nxt["positionSeconds"], nxt["status"]) == ("Two", 0.0, "PLAYING")
    assert only_error(await gql(host, CONTROL, s=sid, a="NEXT")) == (
        "BAD_USER_INPUT",
        "This is the last track of the queue.",
    )
    back = (await data(host, CONTROL, s=sid, a="PREVIOUS"))["controlPlayback"]
    assert back["track"]["title"] == "One"
    await join(friend, session["inviteCode"])
    assert only_error(await gql(friend, CONTROL, s=sid, a="PAUSE")) == (
        "FORBIDDEN",
        "Only the host or a co-host may do this.",
    )
    empty = await create_session(host)
    assert only_error(await gql(host, CONTROL, s=empty["id"], a="PLAY")) == (
        "BAD_USER_INPUT",
        "The queue is empty: enqueue a track first.",
    )
