"""The bus: publish a small message on a channel; every subscriber in this process gets it.

Messages are JSON objects of at most ``MAX_MESSAGE_BYTES`` once serialized, delivered at
most once and in order per publisher. What must not be lost (a listening session's events)
is stored in the database first and the message only says where to read it, so a
subscriber that missed one catches up from the store.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

Message = Mapping[str, Any]
MAX_MESSAGE_BYTES = 4000  # under PostgreSQL's NOTIFY payload limit of 8000 bytes
QUEUE_LIMIT = 1000  # a subscriber further behind than this loses the oldest messages


class MessageTooLarge(ValueError):
    """A message that no backend is guaranteed to carry."""


class Subscription:
    """The messages of one channel for one subscriber, in arrival order."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        self.dropped = 0  # messages lost because the subscriber fell too far behind

    def deliver(self, message: dict[str, Any]) -> None:
        """Queue ``message``; drop the oldest when the subscriber is too far behind."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(message)

    async def get(self) -> dict[str, Any]:
        """The next message (waits for one)."""
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self._queue.get()


def encode(message: Message) -> bytes:
    """The wire form of a message; raises ``MessageTooLarge`` past the limit."""
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"{len(data)} bytes (at most {MAX_MESSAGE_BYTES})")
    return data


class Bus:
    """Fan-out to this process's subscribers. Cross-process backends (``backends.py``)
    override ``_send`` to reach the other processes and ``_start_listening`` to receive
    theirs, which they hand to ``deliver_local``."""

    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[Subscription]] = defaultdict(set)

    async def publish(self, channel: str, message: Message) -> None:
        """Send ``message`` to every subscriber of ``channel``: this process's at once,
        the other processes' through the backend (no listener is started for it)."""
        data = encode(message)
        self.deliver_local(channel, data)
        await self._send(channel, data)

    async def _send(self, channel: str, data: bytes) -> None:
        """Hand an encoded message to the other processes (in process: nobody)."""

    async def _start_listening(self) -> None:
        """Begin receiving other processes' messages (on the first subscribe)."""

    def deliver_local(self, channel: str, data: bytes) -> None:
        """Hand an encoded message to this process's subscribers of ``channel``."""
        subscribers = self._subscribers.get(channel)
        if not subscribers:
            return
        message: dict[str, Any] = json.loads(data)
        for subscription in subscribers:
            subscription.deliver(dict(message))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """Subscribe for the block's duration."""
        subscription = Subscription(channel)
        self._subscribers[channel].add(subscription)
        try:
            await self._start_listening()
            yield subscription
        finally:
            subscribers = self._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[channel]

    def subscriber_count(self, channel: str) -> int:
        """How many subscribers ``channel`` has in this process."""
        return len(self._subscribers.get(channel, ()))

    async def close(self) -> None:
        """Stop any background work (none in process)."""
