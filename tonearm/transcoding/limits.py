"""Caps on encodes that requests start (first plays, time offsets): per machine and per user.

A slot is an ``flock`` on a small file under ``<variant store>/.slots``: ``any-<i>`` for the
machine-wide cap, ``user-<uuid>-<j>`` for each user's. Every server worker process on the
machine shares them without talking to each other, and a slot is freed when its holder's
descriptor closes — also when the process dies. Beyond the cap, the stream route answers
429 with ``Retry-After`` (``BUSY_RETRY_AFTER``).
"""

from __future__ import annotations

import errno
import fcntl
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread

SLOTS_DIR = ".slots"
BUSY_RETRY_AFTER = 2  # seconds: encodes of a whole track take a few seconds at most


@dataclass(slots=True)
class SlotLease:
    """Held slots; ``release`` gives them back (idempotent)."""

    fds: list[int] = field(default_factory=list)

    def release(self) -> None:
        """Close the slot descriptors, which frees the slots."""
        while self.fds:
            os.close(self.fds.pop())


class EncoderSlots:
    """A machine-wide cap of ``total`` request-driven encodes and ``per_user`` per user."""

    def __init__(self, store_root: Path, *, total: int, per_user: int) -> None:
        self.root = store_root / SLOTS_DIR
        self.total = total
        self.per_user = per_user

    async def acquire(self, user_id: uuid.UUID | None) -> SlotLease | None:
        """One slot of the user's and one of the machine's, or None when either cap is full."""
        return await anyio.to_thread.run_sync(self._acquire, user_id)

    def _acquire(self, user_id: uuid.UUID | None) -> SlotLease | None:
        self.root.mkdir(parents=True, exist_ok=True)
        lease = SlotLease()
        try:
            groups = [("any", self.total)]
            if user_id is not None:
                groups.insert(0, (f"user-{user_id}", self.per_user))
            for prefix, count in groups:
                fd = self._take_one(prefix, count)
                if fd is None:
                    lease.release()
                    return None
                lease.fds.append(fd)
        except BaseException:
            lease.release()
            raise
        return lease

    def _take_one(self, prefix: str, count: int) -> int | None:
        for index in range(count):
            path = self.root / f"{prefix}-{index}"
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    continue
                raise
            return fd
        return None
