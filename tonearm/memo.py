"""A small per-process memo with a time-to-live, for hot lookups on the stream route."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLMemo(Generic[K, V]):
    """Remembers ``load(key)`` for ``ttl`` seconds; a ``None`` result is never remembered."""

    def __init__(
        self,
        *,
        ttl: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    async def get(self, key: K, load: Callable[[K], Awaitable[V | None]]) -> V | None:
        """The remembered value while fresh, else a freshly loaded one."""
        now = self._clock()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = await load(key)
        if value is None:
            self._entries.pop(key, None)
            return None
        self._entries[key] = (now + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return value

    def forget(self, key: K) -> None:
        """Drop what is remembered for ``key`` (it turned out stale)."""
        self._entries.pop(key, None)
