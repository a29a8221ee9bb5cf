"""Listening sessions over WebSocket on a real ``tonearm serve`` (granian, two workers, each
database backend with its default bus): a member on one worker sees what the host did
through the other, a reconnect replays exactly what it missed, a stranger gets the
not-found answer, a removed guest's socket closes.

Which worker holds a socket is read from ``/proc``, not from anything the server says: the
server's end of our TCP connection is the socket inode whose local port is the server's
and whose remote port is ours, and exactly one worker process has that inode open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection

from tests.realtime import ws
from tests.realtime.conftest import RealServer, real_server  # noqa: F401 - the fixture
from tests.streaming.test_real_server import _tree

CREATE = """mutation { createListeningSession(input: {name: "Across", allowAnonymousGuests: true})
  { id inviteCode sequence } }"""
JOIN = """mutation($c: String!) { joinListeningSession(inviteCode: $c, displayName: "Ann")
  { guestToken sequence viewerMember { id } } }"""
TRACKS = "{ tracks(first: 3) { edges { node { id title } } } }"
ENQUEUE = """mutation($s: ID!, $t: [ID!]!) { enqueue(sessionId: $s, trackIds: $t) { sequence } }"""
REMOVE = "mutation($s: ID!, $m: ID!) { removeSessionMember(sessionId: $s, memberId: $m) }"
EVENTS = """subscription($s: ID!, $a: Int) { sessionEvents(sessionId: $s, afterSequence: $a) {
  sequence kind queue { track { title } } playback { status track { title } } } }"""


def run(coroutine: Any) -> Any:
    """Run one test's client side."""
    return asyncio.run(coroutine)


def _tcp_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of the connection from ``client_port``."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if (
                    int(local.rsplit(":", 1)[1], 16) == server_port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port
                ):
                    return inode
    return None


def worker_of(server: RealServer, socket: ClientConnection) -> int:
    """The pid of the server process holding the other end of ``socket``."""
    server_port = urlsplit(server.base_url).port
    client_port = socket.transport.get_extra_info("sockname")[1]
    assert server_port is not None
    inode = _tcp_inode(server_port, client_port)
    assert inode is not None
    target = f"socket:[{inode}]"
    for pid in sorted(set(_tree(server.pid))):
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        return pid
    raise AssertionError("no server process holds the socket")


@asynccontextmanager
async def sockets_on_two_workers(
    server: RealServer, first_token: str, second_token: str
) -> AsyncIterator[tuple[ClientConnection, ClientConnection]]:
    """A socket for each token, held by two different workers (opening more until so).

    The workers share one listening socket and the kernel picks who accepts: opened one by
    one against two idle workers, every connection can go to the same one. Opening a few at
    once keeps one worker busy with handshakes, so the other accepts some.
    """
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(ws.session(server.ws_url, token=first_token))
        home = worker_of(server, first)
        for _ in range(25):
            opened = await asyncio.gather(
                *(
                    stack.enter_async_context(ws.session(server.ws_url, token=second_token))
                    for _ in range(4)
                )
            )
            for second in opened:
                if worker_of(server, second) != home:
                    yield first, second
                    return
            await asyncio.sleep(0.1)
        raise AssertionError("every socket landed on one worker")


async def _session(server: RealServer) -> tuple[str, str, dict[str, Any], list[str]]:
    """A session hosted by the listener, an anonymous guest, three track ids."""
    async with ws.session(server.ws_url, token=server.listener.token) as socket:
        created = (await ws.operation(socket, CREATE))["data"]["createListeningSession"]
        edges = (await ws.operation(socket, TRACKS))["data"]["tracks"]["edges"]
    async with ws.session(server.ws_url) as socket:
        joined = (await ws.operation(socket, JOIN, {"c": created["inviteCode"]}))["data"][
            "joinListeningSession"
        ]
    return created["id"], joined["guestToken"], joined, [edge["node"]["id"] for edge in edges]


async def _next_event(socket: ClientConnection, op_id: str) -> dict[str, Any]:
    message = await ws.receive(socket)
    assert message["id"] == op_id, message
    assert message["type"] == "next", message
    event: dict[str, Any] = message["payload"]["data"]["sessionEvents"]
    return event


async def _until_kind(socket: ClientConnection, op_id: str, kind: str) -> dict[str, Any]:
    for _ in range(10):
        event = await _next_event(socket, op_id)
        if event["kind"] == kind:
            return event
    raise AssertionError(f"no {kind} event")


def test_a_guest_on_one_worker_sees_what_the_host_did_through_the_other(
    real_server: RealServer,  # noqa: F811
) -> None:
    async def client() -> tuple[dict[str, Any], dict[str, Any]]:
        session_id, guest_token, joined, tracks = await _session(real_server)
        async with sockets_on_two_workers(real_server, real_server.listener.token, guest_token) as (
            host,
            guest,
        ):
            await ws.subscribe(guest, "e", EVENTS, {"s": session_id, "a": joined["sequence"]})
            online = await _next_event(guest, "e")  # the guest's own subscription
            await ws.operation(host, ENQUEUE, {"s": session_id, "t": tracks[:1]})
            queue = await _until_kind(guest, "e", "QUEUE")
            playback = await _until_kind(guest, "e", "PLAYBACK")
        return online, {"queue": queue, "playback": playback}

    online, seen = run(client())
    assert online["kind"] == "MEMBERS"
    assert seen["queue"]["sequence"] == online["sequence"] + 1
    assert len(seen["queue"]["queue"]) == 1
    assert seen["playback"]["sequence"] == online["sequence"] + 2
    assert seen["playback"]["playback"]["status"] == "PAUSED"
    assert seen["playback"]["playback"]["track"] == seen["queue"]["queue"][0]["track"]


def test_a_reconnect_with_after_sequence_replays_exactly_the_missed_events(
    real_server: RealServer,  # noqa: F811
) -> None:
    async def client() -> tuple[int, list[tuple[int, str]]]:
        session_id, guest_token, joined, tracks = await _session(real_server)
        async with ws.session(real_server.ws_url, token=guest_token) as guest:
            await ws.subscribe(guest, "e", EVENTS, {"s": session_id, "a": joined["sequence"]})
            last = (await _next_event(guest, "e"))["sequence"]  # online
        async with ws.session(real_server.ws_url, token=real_server.listener.token) as host:
            for track in tracks[:2]:
                await ws.operation(host, ENQUEUE, {"s": session_id, "t": [track]})
        async with ws.session(real_server.ws_url, token=guest_token) as guest:
            await ws.subscribe(guest, "e", EVENTS, {"s": session_id, "a": last})
            replayed = [await _next_event(guest, "e") for _ in range(5)]
        return last, [(event["sequence"], event["kind"]) for event in replayed]

    last, replayed = run(client())
    # offline (the socket closed), QUEUE, PLAYBACK (first item current), QUEUE, online again
    assert replayed == [
        (last + 1, "MEMBERS"),
        (last + 2, "QUEUE"),
        (last + 3, "PLAYBACK"),
        (last + 4, "QUEUE"),
        (last + 5, "MEMBERS"),
    ]


def test_a_strangers_subscription_gets_the_not_found_answer(
    real_server: RealServer,  # noqa: F811
) -> None:
    async def client() -> list[dict[str, Any]]:
        session_id, _, _, _ = await _session(real_server)
        async with ws.session(real_server.ws_url, token=real_server.admin.token) as stranger:
            await ws.subscribe(stranger, "e", EVENTS, {"s": session_id, "a": 0})
            message = await ws.receive(stranger)
            # An error raised by the resolver is an execution result (``next``), as for a
            # query; the operation then completes.
            assert (message["id"], message["type"]) == ("e", "next"), message
            assert message["payload"]["data"] is None
            assert await ws.receive(stranger) == {"id": "e", "type": "complete"}
            errors: list[dict[str, Any]] = message["payload"]["errors"]
            return errors

    errors = run(client())
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        ("No such listening session.", "NOT_FOUND")
    ]


def test_a_removed_guests_token_opens_no_socket(real_server: RealServer) -> None:  # noqa: F811
    async def client() -> tuple[int, str]:
        session_id, guest_token, joined, _ = await _session(real_server)
        async with ws.session(real_server.ws_url, token=real_server.listener.token) as host:
            member = joined["viewerMember"]["id"]
            removed = await ws.operation(host, REMOVE, {"s": session_id, "m": member})
            assert removed == {"data": {"removeSessionMember": True}}
        async with ws.raw_socket(real_server.ws_url) as again:
            payload = {"authorization": f"Bearer {guest_token}"}
            await ws.send(again, {"type": "connection_init", "payload": payload})
            return await ws.closed_with(again)

    assert run(client())[0] == 4403


def test_a_removed_guests_open_socket_closes_with_4403(
    real_server: RealServer,  # noqa: F811
) -> None:
    async def client() -> tuple[int, str]:
        session_id, guest_token, joined, _ = await _session(real_server)
        async with sockets_on_two_workers(real_server, real_server.listener.token, guest_token) as (
            host,
            guest,
        ):
            await ws.subscribe(guest, "e", EVENTS, {"s": session_id, "a": joined["sequence"]})
            await _next_event(guest, "e")  # online
            member = joined["viewerMember"]["id"]
            await ws.operation(host, REMOVE, {"s": session_id, "m": member})
            return await ws.closed_with(guest)

    code, _reason = run(client())
    assert code == 4403
