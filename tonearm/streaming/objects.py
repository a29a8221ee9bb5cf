"""Serving an object of remote storage (``TONEARM_STORAGE=s3``): a redirect or a proxy.

The stream route has made every check before it comes here (token first, the listener,
the share or session, the track's state). Then:

* ``redirect`` (``TONEARM_S3_DELIVERY=redirect``, the default): 302 to a presigned GET
  that expires no later than the stream token does, with ``Cache-Control: no-store`` (the
  redirect must not outlive its signature in a cache). The bucket answers Range, HEAD and
  conditionals itself.
* ``proxy``: tonearm relays the bytes with the very semantics of a local file
  (``responses.RangedResponse``: 206, multipart ranges, 416, If-Range, 304, 412, HEAD),
  the object's own ETag and Last-Modified as validators.

Both first ask the object's size and validator (one HEAD): an object deleted behind the
registry's back is the route's usual 404, and an endpoint that is down, slow or refusing
is a 503 with ``Retry-After`` (``errors.StorageDown``), never a hang or a 500.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tonearm.storage.base import ObjectNotFound, ObjectStorage, StorageUnavailable
from tonearm.streaming.errors import StorageDown, TrackFileMissing, error_response
from tonearm.streaming.responses import RangedResponse, content_disposition

logger = logging.getLogger(__name__)

REDIRECT = "redirect"
PROXY = "proxy"


class ObjectResponse(RangedResponse):
    """An object of remote storage, relayed with RFC 9110 semantics (``proxy``)."""

    def __init__(
        self,
        storage: ObjectStorage,
        key: str,
        *,
        size: int,
        etag: str,
        modified: float,
        media_type: str,
        download_name: str,
        max_age: int,
    ) -> None:
        super().__init__(media_type=media_type, download_name=download_name, max_age=max_age)
        self._storage = storage
        self._key = key
        self._describe(size=size, etag=etag, modified=modified)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer like a local file; storage failing before the first byte is a 404/503."""
        try:
            await self._answer(scope, receive, send)
        except _BeforeStart as refused:
            await error_response(refused.reason)(scope, receive, send)

    async def _read_ranges(self, ranges: list[tuple[int, int]]) -> list[bytes]:
        try:
            return [await self._storage.read_range(self._key, s, e) for s, e in ranges]
        except ObjectNotFound:
            raise _BeforeStart(TrackFileMissing()) from None
        except StorageUnavailable as error:
            logger.warning("object %s: %s", self._key, error)
            raise _BeforeStart(StorageDown()) from None

    async def _chunks(self, handle: Any, start: int, end: int) -> AsyncIterator[bytes]:
        # Once the status line is out a failure can only cut the body short: the client
        # sees fewer bytes than Content-Length and retries with a Range.
        async for piece in self._storage.iter_range(
            self._key, start, end, chunk_size=self.chunk_size
        ):
            yield piece


class _BeforeStart(Exception):
    def __init__(self, reason: TrackFileMissing | StorageDown) -> None:
        super().__init__()
        self.reason = reason


class ObjectDelivery:
    """How this server hands out objects of remote storage: ``redirect`` or ``proxy``."""

    def __init__(self, storage: ObjectStorage, mode: str) -> None:
        self.storage = storage
        self.mode = mode

    async def respond(
        self,
        request: Request,
        key: str,
        *,
        media_type: str,
        download_name: str,
        max_age: int,
    ) -> Response | None:
        """The response for ``key``; None when the object is not there (the caller decides
        what missing means: a 404, or a variant to make again). ``max_age`` is the token's
        remaining life: a presigned URL never outlives it."""
        try:
            info = await self.storage.head(key)
        except ObjectNotFound:
            return None
        except StorageUnavailable as error:
            logger.warning("object %s: %s", key, error)
            return error_response(StorageDown())
        if self.mode == REDIRECT:
            try:
                url = await self.storage.presigned_get(
                    key,
                    expires_in=max(1, max_age),
                    content_type=media_type,
                    content_disposition=content_disposition(download_name),
                )
            except StorageUnavailable as error:
                logger.warning("object %s: %s", key, error)
                return error_response(StorageDown())
            return Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"})
        return ObjectResponse(
            self.storage,
            key,
            size=info.size,
            etag=info.etag,
            modified=info.modified,
            media_type=media_type,
            download_name=download_name,
            max_age=max_age,
        )


__all__ = ["PROXY", "REDIRECT", "ObjectDelivery", "ObjectResponse"]
