"""Sockets close: a disabled user's and a departed guest's with 4403, malformed protocol
messages with the protocol's codes (the server stays up), a socket that never sends
``connection_init`` with 4408; and a worker killed mid-way is respawned while clients
reconnect. Real ``tonearm serve`` with two workers: most of these closes come from a task
other than the one waiting in ``receive``, which granian needs handled
(``schema/sockets.py``)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from typing import Any

import httpx
import pytest
from websockets.exceptions import WebSocketException

from tests.realtime import ws
from tests.realtime.conftest import RealServer
from tests.realtime.guests import leave, make_guest
from tests.realtime.test_bus import Backend
from tests.streaming.test_real_server import _tree
from tests.support.accounts import make_user
from tonearm.db.engine import create_engine
from tonearm.pubsub.channels import ACCOUNTS, member_gone
from tonearm.schema.ids import global_id
from tonearm.schema.router import CONNECTION_INIT_TIMEOUT

TIME = "{ serverTime(clientSentAt: 1) { clientSentAt } }"
DISABLE = "mutation($id: ID!) { updateUser(id: $id, input: {disabled: true}) { __typename } }"


async def _new_user(server: RealServer) -> Any:
    engine = create_engine(server.database_url)
    try:
        return await make_user(engine, f"u{uuid.uuid4().hex[:10]}")
    finally:
        await engine.dispose()


def test_disabling_a_user_closes_their_sockets_with_4403(real_server: RealServer) -> None:
    user = asyncio.run(_new_user(real_server))

    async def client() -> tuple[int, str]:
        async with ws.session(real_server.ws_url, token=user.token) as socket:
            assert await ws.operation(socket, TIME) == {
                "data": {"serverTime": {"clientSentAt": 1.0}}
            }
            response = await asyncio.to_thread(
                httpx.post,
                real_server.base_url + "/graphql",
                json={"query": DISABLE, "variables": {"id": global_id("User", user.record.id)}},
                headers=real_server.admin.bearer,
                timeout=20,
            )
            assert response.json() == {"data": {"updateUser": {"__typename": "User"}}}
            return await ws.closed_with(socket)

    assert asyncio.run(client()) == (4403, "Forbidden")


def test_a_guest_announced_gone_is_closed_with_4403(real_server: RealServer) -> None:
    token, member_id = asyncio.run(make_guest(real_server.database_url, real_server.admin))
    publisher = Backend("auto", real_server.database_url, "", real_server.data_dir)

    async def client() -> tuple[int, str]:
        async with ws.session(real_server.ws_url, token=token) as socket:
            assert "errors" not in await ws.operation(socket, TIME)
            await asyncio.to_thread(publisher.publish_elsewhere, ACCOUNTS, member_gone(member_id))
            return await ws.closed_with(socket)

    assert asyncio.run(client()) == (4403, "Forbidden")


def test_a_guest_who_left_unannounced_is_closed_by_the_recheck(real_server: RealServer) -> None:
    token, member_id = asyncio.run(make_guest(real_server.database_url, real_server.admin))

    async def client() -> tuple[int, str]:
        async with ws.session(real_server.ws_url, token=token) as socket:
            assert "errors" not in await ws.operation(socket, TIME)
            await leave(real_server.database_url, member_id)
            return await ws.closed_with(socket, wait=60)  # the re-check runs every 15 s

    assert asyncio.run(client()) == (4403, "Forbidden")


MALFORMED: list[tuple[str, list[Any], tuple[int, str]]] = [
    ("garbage text", ["init", "not json {"], (4400, "WebSocket message must be valid JSON")),
    ("binary frame", ["init", b"\x00\x01"], (4400, "WebSocket message type must be text")),
    (
        "subscribe before init",
        [{"id": "1", "type": "subscribe", "payload": {"query": TIME}}],
        (4401, "Unauthorized"),
    ),
    ("unknown type", ["init", {"type": "shout"}], (4400, "Unknown message type: shout")),
    ("no type", ["init", {"id": "1"}], (4400, "Failed to parse message")),
    (
        "two inits",
        ["init", {"type": "connection_init"}],
        (4429, "Too many initialisation requests"),
    ),
    (
        # Closed by the operation's task while the handler waits for the next message.
        "a document that does not parse",
        ["init", {"id": "1", "type": "subscribe", "payload": {"query": "{"}}],
        (4400, "Syntax Error: Expected Name, found <EOF>."),
    ),
    (
        "a payload that is no object",
        [{"type": "connection_init", "payload": [1]}],
        (4400, "Invalid connection init payload"),
    ),
]


@pytest.mark.parametrize(("case", "messages", "expected"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_messages_close_with_the_protocol_codes(
    real_server: RealServer, case: str, messages: list[Any], expected: tuple[int, str]
) -> None:
    async def client() -> tuple[int, str]:
        async with ws.raw_socket(real_server.ws_url) as socket:
            for message in messages:
                if message == "init":
                    assert await ws.init(socket) == {"type": "connection_ack"}
                elif isinstance(message, str | bytes):
                    await socket.send(message)
                else:
                    await ws.send(socket, message)
            return await ws.closed_with(socket)

    code, reason = asyncio.run(client())
    assert (code, reason[: len(expected[1])]) == expected
    # And the server is still up.
    assert httpx.get(real_server.base_url + "/healthz", timeout=20).status_code == 200


def test_a_socket_that_never_sends_connection_init_is_closed_with_4408(
    real_server: RealServer,
) -> None:
    # Strawberry's timeout task closes it while the handler waits in receive.
    wait = CONNECTION_INIT_TIMEOUT.total_seconds() + ws.WAIT

    async def client() -> tuple[int, str]:
        async with ws.raw_socket(real_server.ws_url) as socket:
            return await ws.closed_with(socket, wait=wait)

    assert asyncio.run(client()) == (4408, "Connection initialisation timeout")
    assert httpx.get(real_server.base_url + "/healthz", timeout=20).status_code == 200


def test_a_duplicate_operation_id_closes_with_4409(real_server: RealServer) -> None:
    subscription = "subscription { libraryEvents { kind } }"

    async def client() -> tuple[int, str]:
        async with ws.session(real_server.ws_url, token=real_server.admin.token) as socket:
            await ws.subscribe(socket, "same", subscription)
            await ws.subscribe(socket, "same", subscription)
            return await ws.closed_with(socket)

    assert asyncio.run(client()) == (4409, "Subscriber for same already exists")


def _workers(server: RealServer) -> list[int]:
    tree = _tree(server.pid)
    return [pid for pid in tree if _tree(pid) == [pid]]


def test_a_killed_worker_is_respawned_and_clients_reconnect(real_server: RealServer) -> None:
    before = _workers(real_server)
    assert len(before) == 2, before
    os.kill(before[0], signal.SIGKILL)

    async def reconnect() -> dict[str, Any]:
        # Whichever worker takes the connection answers; a dropped one is retried.
        for _ in range(50):
            try:
                async with ws.session(real_server.ws_url, token=real_server.listener.token) as s:
                    return await ws.operation(s, "{ viewer { username } }")
            except (OSError, WebSocketException, TimeoutError):
                await asyncio.sleep(0.2)
        raise AssertionError("no worker took the socket")

    for _ in range(5):
        assert asyncio.run(reconnect()) == {"data": {"viewer": {"username": "listener"}}}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        after = _workers(real_server)
        if len(after) == 2 and before[0] not in after:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the killed worker was not respawned: {_workers(real_server)}")
    assert httpx.get(real_server.base_url + "/healthz", timeout=20).status_code == 200
