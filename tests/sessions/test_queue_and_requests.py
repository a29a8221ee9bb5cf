"""The shared queue (sparse positions, renumbering), requests, decisions and their limits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.sessions.conftest import (
    DECIDE,
    ENQUEUE,
    GET,
    REQUEST,
    Library,
    create_session,
    data,
    gql,
    join,
    only_error,
)
from tonearm.db.models import SessionRequestRecord, TrackRecord
from tonearm.schema.ids import global_id

DEQUEUE = """mutation($s: ID!, $i: [ID!]!) { dequeue(sessionId: $s, itemIds: $i) {
  queue { id track { title } isCurrent } playback { track { title } status } } }"""
MOVE = """mutation($s: ID!, $i: ID!, $p: Int!) { moveQueueItem(sessionId: $s, itemId: $i,
  toPosition: $p) { queue { id position track { title } } } }"""
REQUESTS = """query($id: ID!, $st: SessionRequestStatus) { listeningSession(id: $id) {
  requests(status: $st) { id status track { title } } queue { track { title } requestId } } }"""


def titles(queue: list[dict[str, object]]) -> list[object]:
    return [item["track"]["title"] for item in queue]  # type: ignore[index]


async def test_enqueue_at_positions_move_and_dequeue(
    host: httpx.AsyncClient, library: Library
) -> None:
    session = await create_session(host)
    sid = session["id"]
    await data(host, ENQUEUE, s=sid, t=[library.track_id("One"), library.track_id("Two")])
    front = await data(host, ENQUEUE, s=sid, t=[library.track_id("Three")], p=0)
    queue = front["enqueue"]["queue"]
    assert titles(queue) == ["Three", "One", "Two"]
    assert [item["position"] for item in queue] == [0, 1, 2]
    assert queue[0]["addedBy"]["displayName"] == "host"
    assert [item["isCurrent"] for item in queue] == [False, True, False]  # "One" stays current
    assert [item["isPlayed"] for item in queue] == [True, False, False]
    moved = await data(host, MOVE, s=sid, i=queue[0]["id"], p=2)
    assert titles(moved["moveQueueItem"]["queue"]) == ["One", "Two", "Three"]
    assert only_error(await gql(host, MOVE, s=sid, i=queue[0]["id"], p=3)) == (
        "BAD_USER_INPUT",
        "toPosition must be 0 to 2.",
    )
    current = queue[1]["id"]
    gone = (await data(host, DEQUEUE, s=sid, i=[current]))["dequeue"]
    assert titles(gone["queue"]) == ["Two", "Three"]
    assert gone["playback"]["track"]["title"] == "Two"  # the next one became current
    assert only_error(await gql(host, DEQUEUE, s=sid, i=[current])) == (
        "NOT_FOUND",
        "No such queue item.",
    )
    assert only_error(await gql(host, DEQUEUE, s=sid, i=["junk"])) == (
        "NOT_FOUND",
        "No such queue item.",
    )


async def test_enqueue_refuses_bad_ids_too_many_and_tracks_the_host_cannot_see(
    host: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    session = await create_session(host)
    sid = session["id"]
    refused = ("BAD_USER_INPUT", "No track you can see has one of these IDs.")
    assert only_error(await gql(host, ENQUEUE, s=sid, t=["nope"])) == refused
    unknown = global_id("Track", uuid.uuid4())
    assert only_error(await gql(host, ENQUEUE, s=sid, t=[unknown])) == refused
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord)
            .where(TrackRecord.id == library.tracks["Other"])
            .values(is_published=False)
        )
    assert only_error(await gql(host, ENQUEUE, s=sid, t=[library.track_id("Other")])) == refused
    many = [library.track_id("One")] * 101
    assert only_error(await gql(host, ENQUEUE, s=sid, t=many)) == (
        "BAD_USER_INPUT",
        "trackIds must name 1 to 100 tracks.",
    )
    assert only_error(await gql(host, ENQUEUE, s=sid, t=[library.track_id("One")], p=5)) == (
        "BAD_USER_INPUT",
        "position must be 0 to 0 (null: the end).",
    )


async def test_inserting_at_one_spot_until_the_gap_is_gone_renumbers_and_keeps_order(
    host: httpx.AsyncClient, library: Library
) -> None:
    session = await create_session(host)
    sid = session["id"]
    await data(host, ENQUEUE, s=sid, t=[library.track_id("One"), library.track_id("Two")])
    for _ in range(40):  # the gap of 2^32 halves each time: ~32 fit before a renumber
        await data(host, ENQUEUE, s=sid, t=[library.track_id("Three")], p=1)
    queue = (await data(host, GET, id=sid))["listeningSession"]["queue"]
    assert titles(queue) == ["One", *["Three"] * 40, "Two"]
    assert [item["position"] for item in queue] == list(range(42))


async def test_a_request_approved_into_the_queue_and_one_declined(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, library: Library
) -> None:
    session = await create_session(host)
    sid = session["id"]
    await data(host, ENQUEUE, s=sid, t=[library.track_id("One")])
    await join(friend, session["inviteCode"])
    asked = (await data(friend, REQUEST, s=sid, t=library.track_id("Two"), n=" please "))[
        "requestTrack"
    ]
    assert asked["status"] == "PENDING"
    assert asked["note"] == "please"
    assert asked["requestedBy"] == {"displayName": "friend"}
    assert asked["decidedBy"] is None
    assert only_error(await gql(friend, DECIDE, r=asked["id"], a=True)) == (
        "FORBIDDEN",
        "Only the host or a co-host may do this.",
    )
    approved = (await data(host, DECIDE, r=asked["id"], a=True, p=0))["decideRequest"]
    assert approved["status"] == "APPROVED"
    assert approved["decidedBy"] == {"displayName": "host"}
    assert only_error(await gql(host, DECIDE, r=asked["id"], a=False)) == (
        "BAD_USER_INPUT",
        "This request has already been decided.",
    )
    other = (await data(friend, REQUEST, s=sid, t=library.track_id("Three")))["requestTrack"]
    declined = (await data(host, DECIDE, r=other["id"], a=False))["decideRequest"]
    assert declined["status"] == "DECLINED"
    state = (await data(friend, REQUESTS, id=sid))["listeningSession"]
    assert [(r["track"]["title"], r["status"]) for r in state["requests"]] == [
        ("Three", "DECLINED"),
        ("Two", "APPROVED"),
    ]
    assert state["queue"][0] == {"track": {"title": "Two"}, "requestId": asked["id"]}
    pending = await data(friend, REQUESTS, id=sid, st="PENDING")
    assert pending["listeningSession"]["requests"] == []
    assert only_error(await gql(host, DECIDE, r="junk", a=True)) == (
        "NOT_FOUND",
        "No such request.",
    )


async def test_a_stranger_cannot_decide_and_learns_nothing(
    host: httpx.AsyncClient,
    friend: httpx.AsyncClient,
    stranger: httpx.AsyncClient,
    library: Library,
) -> None:
    session = await create_session(host)
    await join(friend, session["inviteCode"])
    asked = (await data(friend, REQUEST, s=session["id"], t=library.track_id("Two")))[
        "requestTrack"
    ]
    unknown = global_id("SessionRequest", uuid.uuid4())
    for request_id in (asked["id"], unknown):
        assert only_error(await gql(stranger, DECIDE, r=request_id, a=True)) == (
            "NOT_FOUND",
            "No such request.",
        )
    body = await gql(stranger, REQUEST, s=session["id"], t=library.track_id("Two"))
    assert only_error(body) == ("NOT_FOUND", "No such listening session.")


async def test_open_requests_are_limited_per_member(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, library: Library
) -> None:
    session = await create_session(host, requestLimit=2)
    await join(friend, session["inviteCode"])
    for title in ("One", "Two"):
        await data(friend, REQUEST, s=session["id"], t=library.track_id(title))
    body = await gql(friend, REQUEST, s=session["id"], t=library.track_id("Three"))
    assert only_error(body) == (
        "RATE_LIMITED",
        "You have 2 open requests (at most 2): try again once the host has decided one.",
    )
    too_long = await gql(friend, REQUEST, s=session["id"], t=library.track_id("One"), n="x" * 501)
    assert only_error(too_long) == ("BAD_USER_INPUT", "note must be at most 500 characters.")


async def test_a_request_flood_is_rate_limited_with_when_to_retry(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    session = await create_session(host, requestLimit=50)
    await join(friend, session["inviteCode"])
    for _ in range(10):
        await data(friend, REQUEST, s=session["id"], t=library.track_id("One"))
    oldest = datetime.now(UTC) - timedelta(minutes=9)  # leaves the window in about a minute
    async with engine.begin() as connection:
        await connection.execute(update(SessionRequestRecord).values(created_at=oldest))
    code, message = only_error(
        await gql(friend, REQUEST, s=session["id"], t=library.track_id("One"))
    )
    assert code == "RATE_LIMITED"
    assert message.startswith("At most 10 requests in 10 minutes: try again in ")
    seconds = int(
        message.removeprefix("At most 10 requests in 10 minutes: try again in ").split()[0]
    )
    assert 1 <= seconds <= 60


async def test_an_anonymous_guest_may_request_only_tracks_of_the_session(
    host: httpx.AsyncClient, nobody: httpx.AsyncClient, library: Library, client_with: object
) -> None:
    session = await create_session(host, allowAnonymousGuests=True)
    await data(host, ENQUEUE, s=session["id"], t=[library.track_id("One")])
    token = (await join(nobody, session["inviteCode"], name="Ann"))["guestToken"]
    async with client_with({"Authorization": f"Bearer {token}"}) as guest:  # type: ignore[operator]
        body = await gql(guest, REQUEST, s=session["id"], t=library.track_id("Two"))
        assert only_error(body) == ("BAD_USER_INPUT", "No track you can request has this ID.")
        asked = await data(guest, REQUEST, s=session["id"], t=library.track_id("One"))
        assert asked["requestTrack"]["requestedBy"] == {"displayName": "Ann"}
