"""Remote storage for blocking code: worker threads that call back into the event loop.

Thumbnails are made wholly inside worker threads (decode, resize, store), some of them a
``ThreadPoolExecutor``'s own. With remote storage their reads and writes are coroutines of
the one client of the process, which lives on the event loop: ``BlockingObjects`` hands
each call to that loop and waits for it in the thread. Never call it on the loop's own
thread (it would wait for itself): that raises at once.
"""

from __future__ import annotations

import asyncio
import errno
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from tonearm.storage.base import ObjectNotFound, ObjectStorage, StorageUnavailable

T = TypeVar("T")
# A call that the storage's own timeouts have not ended by then is given up.
CALL_TIMEOUT = 120.0


class BlockingObjects:
    """``storage``'s calls, for threads other than ``loop``'s."""

    def __init__(self, storage: ObjectStorage, loop: asyncio.AbstractEventLoop) -> None:
        self.storage = storage
        self._loop = loop
        self._loop_thread = threading.get_ident()  # made on the loop's thread

    @classmethod
    def here(cls, storage: ObjectStorage) -> BlockingObjects:
        """Bound to the running loop (call from async code)."""
        return cls(storage, asyncio.get_running_loop())

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if threading.get_ident() == self._loop_thread:
            coroutine.close()
            raise RuntimeError("BlockingObjects called on the event loop's own thread")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CALL_TIMEOUT)

    def exists(self, key: str) -> bool:
        """Whether the object is there (storage down: as if it were not)."""
        try:
            return self._call(self.storage.exists(key))
        except StorageUnavailable:
            return False

    def read(self, key: str) -> bytes | None:
        """The whole object, or None when it is not there or cannot be read now."""
        try:
            return self._call(self.storage.read_all(key))
        except (ObjectNotFound, StorageUnavailable):
            return None

    def keys(self, prefix: str) -> list[str]:
        """The keys under ``prefix`` (storage down: none)."""
        try:
            return self._call(self.storage.list_keys(prefix))
        except StorageUnavailable:
            return []

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data``; storage down is an ``OSError`` (EIO), as a failing disk would be."""
        try:
            self._call(self.storage.put_bytes(key, data, content_type=content_type))
        except StorageUnavailable as error:
            raise OSError(errno.EIO, str(error)) from None
