"""A sliding-window limiter for failed sign-ins (per process, in memory)."""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindowLimiter:
    """Blocks a key once it has ``limit`` recorded events within ``window`` seconds."""

    def __init__(self, limit: int, window_seconds: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self._max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def record(self, key: str, *, now: float | None = None) -> None:
        """Count one event (a failed attempt) for ``key``."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.get(key)
            if events is None:
                if len(self._events) >= self._max_keys:
                    self._forget_idle(moment)
                events = self._events[key] = deque()
            self._prune(events, moment)
            events.append(moment)

    def retry_after(self, key: str, *, now: float | None = None) -> int:
        """Seconds until ``key`` may try again; 0 when it may now."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.get(key)
            if not events:
                return 0
            self._prune(events, moment)
            if len(events) < self.limit:
                return 0
            oldest_that_counts = events[len(events) - self.limit]
            return max(1, int(oldest_that_counts + self.window - moment + 0.999))

    def _prune(self, events: deque[float], moment: float) -> None:
        while events and events[0] <= moment - self.window:
            events.popleft()

    def _forget_idle(self, moment: float) -> None:
        for key in [k for k, v in self._events.items() if not v or v[-1] <= moment - self.window]:
            del self._events[key]
