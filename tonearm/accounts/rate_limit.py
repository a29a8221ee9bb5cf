"""A sliding-window rate limiter for login attempts (per process, in memory)."""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindowLimiter:
    """Allows ``limit`` hits per ``window`` seconds for each key."""

    def __init__(self, limit: int, window_seconds: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, now: float | None = None) -> bool:
        """Record an attempt for ``key``; False when the key is over its limit."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self._max_keys:
                    self._forget_idle(moment)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= moment - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(moment)
            return True

    def retry_after(self, key: str, *, now: float | None = None) -> int:
        """Seconds until ``key`` may try again (0 when it may now)."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            if not hits or len(hits) < self.limit:
                return 0
            return max(1, int(hits[0] + self.window - moment + 0.999))

    def _forget_idle(self, moment: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= moment - self.window]:
            del self._hits[key]
