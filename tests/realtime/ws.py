"""A raw ``graphql-transport-ws`` client for tests, on the ``websockets`` library."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

__all__ = ["ConnectionClosed"]

PROTOCOL = "graphql-transport-ws"
WAIT = 20.0  # a bound for answers on a loaded 2-core machine, never a measured figure


@asynccontextmanager
async def raw_socket(
    url: str, *, headers: dict[str, str] | None = None, subprotocols: list[str] | None = None
) -> AsyncIterator[ClientConnection]:
    """An open WebSocket to ``url`` (no ``connection_init`` sent yet)."""
    async with connect(
        url,
        subprotocols=[PROTOCOL] if subprotocols is None else subprotocols,  # type: ignore[list-item]
        additional_headers=headers or {},
        open_timeout=WAIT,
    ) as socket:
        yield socket


async def receive(socket: ClientConnection, wait: float = WAIT) -> dict[str, Any]:
    """The next message, as JSON."""
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), wait))
    return message


async def send(socket: ClientConnection, message: dict[str, Any]) -> None:
    """Send one JSON message."""
    await socket.send(json.dumps(message))


async def init(socket: ClientConnection, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """``connection_init``; returns the answer (``connection_ack`` when accepted)."""
    await send(socket, {"type": "connection_init", "payload": payload or {}})
    return await receive(socket)


@asynccontextmanager
async def session(
    url: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[ClientConnection]:
    """An acknowledged socket, authenticated by ``token`` in the payload if given."""
    async with raw_socket(url, headers=headers) as socket:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        ack = await init(socket, payload)
        assert ack == {"type": "connection_ack"}, ack
        yield socket


async def subscribe(
    socket: ClientConnection, op_id: str, query: str, variables: dict[str, Any] | None = None
) -> None:
    """Start an operation."""
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    await send(socket, {"id": op_id, "type": "subscribe", "payload": payload})


async def operation(
    socket: ClientConnection, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run a query or mutation over the socket: its ``next`` payload (then ``complete``)."""
    op_id = f"op-{id(query)}-{asyncio.get_running_loop().time()}"
    await subscribe(socket, op_id, query, variables)
    first = await receive(socket)
    assert first["id"] == op_id, first
    if first["type"] == "error":
        return {"errors": first["payload"]}
    assert first["type"] == "next", first
    done = await receive(socket)
    assert done == {"id": op_id, "type": "complete"}, done
    payload: dict[str, Any] = first["payload"]
    return payload


async def closed_with(socket: ClientConnection, wait: float = WAIT) -> tuple[int, str]:
    """Wait until the server closes the socket; its close code and reason."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), wait)
    except ConnectionClosed as closed:
        received = closed.rcvd
        assert received is not None, "closed without a close frame"
        return received.code, received.reason
