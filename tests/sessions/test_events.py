"""sessionEvents in process (``schema.subscribe``): replay, live fan-out, consecutive
sequences under concurrent changes, presence, the end, and who may subscribe."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.sessions.conftest import (
    CONTROL,
    ENQUEUE,
    REQUEST,
    Library,
    Subscriber,
    create_session,
    data,
    gql,
    join,
)
from tests.support.accounts import SignedInUser
from tonearm.db.models import SessionEventRecord

Subscribe = Callable[..., Awaitable[Subscriber]]
END = "mutation($id: ID!) { endListeningSession(id: $id) { status } }"
LEAVE = "mutation($id: ID!) { leaveListeningSession(id: $id) }"
SYNC = """mutation($s: ID!, $st: MemberSyncState!, $o: Float) {
  reportSyncState(sessionId: $s, state: $st, offsetMs: $o) }"""


async def test_a_member_replays_the_log_then_sees_changes_live(
    host: httpx.AsyncClient,
    friend: httpx.AsyncClient,
    friend_user: SignedInUser,
    library: Library,
    subscribe: Subscribe,
) -> None:
    session = await create_session(host)
    await join(friend, session["inviteCode"])
    await data(host, ENQUEUE, s=session["id"], t=[library.track_id("One")])
    events = await subscribe(friend_user.token, session["id"], 0)
    try:
        replayed = await events.take(4)
        assert [(e["sequence"], e["kind"]) for e in replayed] == [
            (1, "MEMBERS"),  # the host
            (2, "MEMBERS"),  # the friend joined
            (3, "QUEUE"),
            (4, "PLAYBACK"),  # the first item became current
        ]
        assert all(e["sessionId"] == session["id"] for e in replayed)
        assert replayed[2]["queue"][0]["track"]["title"] == "One"
        assert replayed[3]["playback"]["status"] == "PAUSED"
        online = await events.next()  # the friend's own subscription: online
        assert (online["sequence"], online["kind"]) == (5, "MEMBERS")
        assert [(m["displayName"], m["isOnline"]) for m in online["members"]] == [
            ("host", False),
            ("friend", True),
        ]
        await data(host, CONTROL, s=session["id"], a="PLAY")
        live = await events.next()
        assert (live["sequence"], live["kind"]) == (6, "PLAYBACK")
        assert live["playback"]["status"] == "WAITING"  # the friend is online: wait for them
        assert live["playback"]["epoch"] == 2
    finally:
        await events.close()


async def test_a_reconnect_with_after_sequence_gets_exactly_the_missed_events(
    host: httpx.AsyncClient,
    host_user: SignedInUser,
    library: Library,
    subscribe: Subscribe,
) -> None:
    session = await create_session(host)
    first = await subscribe(host_user.token, session["id"], 1)
    online = await first.next()
    assert (online["sequence"], online["kind"]) == (2, "MEMBERS")
    await first.close()  # offline at once: sequence 3
    for title in ("One", "Two"):
        await data(host, ENQUEUE, s=session["id"], t=[library.track_id(title)])
    again = await subscribe(host_user.token, session["id"], 3)
    try:
        missed = await again.take(3)
        assert [(e["sequence"], e["kind"]) for e in missed] == [
            (4, "QUEUE"),
            (5, "PLAYBACK"),
            (6, "QUEUE"),
        ]
        back_online = await again.next()
        assert (back_online["sequence"], back_online["kind"]) == (7, "MEMBERS")
    finally:
        await again.close()


async def test_sequences_stay_consecutive_under_concurrent_changes(
    host: httpx.AsyncClient,
    friend: httpx.AsyncClient,
    library: Library,
    engine: AsyncEngine,
) -> None:
    session = await create_session(host, requestLimit=50)
    await join(friend, session["inviteCode"])
    changes = [
        *(data(host, ENQUEUE, s=session["id"], t=[library.track_id("One")]) for _ in range(6)),
        *(data(friend, REQUEST, s=session["id"], t=library.track_id("Two")) for _ in range(6)),
        *(gql(host, CONTROL, s=session["id"], a=a) for a in ("PLAY", "PAUSE") * 2),
    ]
    await asyncio.gather(*changes)
    async with engine.connect() as connection:
        sequences = list(
            await connection.scalars(
                select(SessionEventRecord.sequence).order_by(SessionEventRecord.sequence)
            )
        )
    assert sequences == list(range(1, len(sequences) + 1))
    # 2 MEMBERS, 6 QUEUE + 1 PLAYBACK (the first item), 6 REQUEST; PLAY and PAUSE race the
    # first enqueue (an empty queue refuses PLAY), so they add 0 to 4 PLAYBACK events.
    assert 15 <= len(sequences) <= 19


async def test_a_sync_state_change_is_an_event_and_a_repeat_is_not(
    host: httpx.AsyncClient, host_user: SignedInUser, subscribe: Subscribe
) -> None:
    session = await create_session(host)
    events = await subscribe(host_user.token, session["id"], 1)
    try:
        await events.next()  # online
        await data(host, SYNC, s=session["id"], st="CATCHING_UP", o=420.5)
        await data(host, SYNC, s=session["id"], st="CATCHING_UP", o=300.0)
        await data(host, SYNC, s=session["id"], st="IN_SYNC", o=12.0)
        first, second = await events.take(2)
        assert [(m["syncState"], m["offsetMs"]) for m in first["members"]] == [
            ("CATCHING_UP", 420.5)
        ]
        assert [(m["syncState"], m["offsetMs"]) for m in second["members"]] == [("IN_SYNC", 12.0)]
        assert second["sequence"] == first["sequence"] + 1
    finally:
        await events.close()


async def test_the_end_is_the_last_event(
    host: httpx.AsyncClient,
    friend: httpx.AsyncClient,
    friend_user: SignedInUser,
    subscribe: Subscribe,
) -> None:
    session = await create_session(host)
    await join(friend, session["inviteCode"])
    events = await subscribe(friend_user.token, session["id"], 2)
    await events.next()  # online
    await data(host, END, id=session["id"])
    ended = await events.next()
    assert ended["kind"] == "ENDED"
    assert (ended["playback"], ended["queue"], ended["members"], ended["request"]) == (
        None,
        None,
        None,
        None,
    )
    try:
        await events.next()
        raise AssertionError("the subscription should have ended")
    except StopAsyncIteration:
        pass
    await events.close()
    late = await subscribe(friend_user.token, session["id"], None)
    result = await late.next()
    assert result["errors"][0]["extensions"]["code"] == "SESSION_ENDED"
    await late.close()


async def test_a_member_who_leaves_stops_receiving(
    host: httpx.AsyncClient,
    friend: httpx.AsyncClient,
    friend_user: SignedInUser,
    library: Library,
    subscribe: Subscribe,
) -> None:
    session = await create_session(host)
    await join(friend, session["inviteCode"])
    events = await subscribe(friend_user.token, session["id"], 2)
    await events.next()  # online
    await data(friend, LEAVE, id=session["id"])
    gone = await events.next()
    assert gone["kind"] == "MEMBERS"
    assert [m["displayName"] for m in gone["members"]] == ["host"]
    try:
        await events.next()
        raise AssertionError("the subscription should have ended")
    except StopAsyncIteration:
        pass
    await events.close()


async def test_strangers_and_nobody_get_the_not_found_answer(
    host: httpx.AsyncClient,
    stranger_user: SignedInUser,
    subscribe: Subscribe,
) -> None:
    session = await create_session(host)
    for token, session_id in (
        (stranger_user.token, session["id"]),
        (stranger_user.token, "garbage"),
    ):
        events = await subscribe(token, session_id, None)
        result = await events.next()
        assert [(e["extensions"]["code"], e["message"]) for e in result["errors"]] == [
            ("NOT_FOUND", "No such listening session.")
        ]
        await events.close()
    anonymous = await subscribe(None, session["id"], None)
    result = await anonymous.next()
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await anonymous.close()


async def test_a_removed_anonymous_guest_stops_receiving(
    host: httpx.AsyncClient, nobody: httpx.AsyncClient, subscribe: Subscribe
) -> None:
    session = await create_session(host, allowAnonymousGuests=True)
    joined = await join(nobody, session["inviteCode"], name="Ann")
    events = await subscribe(joined["guestToken"], session["id"], joined["sequence"])
    await events.next()  # online
    remove = "mutation($s: ID!, $m: ID!) { removeSessionMember(sessionId: $s, memberId: $m) }"
    await data(host, remove, s=session["id"], m=joined["viewerMember"]["id"])
    gone = await events.next()
    assert [m["displayName"] for m in gone["members"]] == ["host"]
    try:
        await events.next()
        raise AssertionError("the subscription should have ended")
    except StopAsyncIteration:
        pass
    await events.close()
