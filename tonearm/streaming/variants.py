"""Serving a transcoded variant: stored ones like originals, missing ones as a first play.

The stream route hands every token that names a variant here, after the token, the
listener and the track were checked. A variant that is made (``ready``, made from the
track's current file, present in the store) goes through the very same ``StreamResponse``
as an original (206, ``Content-Range``, ETag, If-Range, HEAD), confined to the store root
instead of the media root (with ``TONEARM_ACCEL=nginx``: an ``X-Accel-Redirect`` to nginx's
variant location, ``streaming.accel``). One that is not made yet is answered at once with
the encoder's output as it is being written (``transcoding.live``): 200, no length, ``Accept-Ranges:
none``. ``start=<seconds>`` answers with an encoding from that time on. A variant deleted
from the store behind the registry's back is forgotten and made again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from tonearm.catalog.origins import FileRoots
from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.db.variants import VariantRow
from tonearm.memo import TTLMemo
from tonearm.services import Services
from tonearm.streaming.accel import AccelRedirects, decline
from tonearm.streaming.errors import TrackNotFound, error_response
from tonearm.streaming.file_io import Located, TrackFiles
from tonearm.streaming.files import TrackFile
from tonearm.streaming.objects import ObjectDelivery
from tonearm.streaming.responses import StreamResponse, content_disposition
from tonearm.streaming.tokens import StreamGrant
from tonearm.streaming.tracks import StreamableTrack
from tonearm.transcoding.limits import BUSY_RETRY_AFTER, EncoderSlots
from tonearm.transcoding.live import Busy, LiveEncodes
from tonearm.transcoding.making import Maker, NotOffered, TrackGone, VariantError
from tonearm.transcoding.store import VariantStore

logger = logging.getLogger(__name__)

START_PARAM = "start"
ENCODING_HEADER = "x-tonearm-variant"
TOUCH_EVERY = 60.0  # seconds between "last used" writes per variant and worker

_VariantName = tuple[uuid.UUID, VariantKey]


class BadStart(Exception):
    """``start`` is not a number of seconds inside the track."""


def parse_start(raw: str | None, duration: float) -> float | None:
    """The time offset a request asks for (None: from the beginning)."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadStart from None
    if not math.isfinite(value) or value < 0 or value >= max(duration, 0.001):
        raise BadStart
    return value or None


def needs_the_whole_file(range_header: str | None) -> bool:
    """Whether a request for a variant not made yet must wait until it is complete.

    A first play answers ``Range: bytes=0-`` (what Chromium and Firefox send first) and no
    Range at all with the growing encoding. Any other range — Safari's ``bytes=0-1`` probe,
    which it insists on seeing answered with 206 before it plays, or a later byte offset —
    can only be answered exactly from the complete file: such a request waits for the
    encode (seconds, at 50–100× real time) and then gets its 206.
    """
    if range_header is None:
        return False
    return range_header.replace(" ", "").lower() != "bytes=0-"


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    try:
        async for _ in chunks:
            pass
    finally:
        await _close(chunks)


class ProgressiveResponse(Response):
    """A body of unknown length from an async iterator (chunked), closed when the client goes.

    The iterator is always closed, also when the client disconnects mid-body, so whatever it
    holds (a listener count, an encoder process) is given back at once.
    """

    def __init__(
        self,
        chunks: AsyncIterator[bytes] | None,
        *,
        media_type: str,
        headers: dict[str, str],
    ) -> None:
        super().__init__(status_code=200, media_type=media_type)
        self._chunks = chunks
        values = {
            "content-type": media_type,
            "accept-ranges": "none",
            "cache-control": "no-store",
            ENCODING_HEADER: "encoding",
            **headers,
        }
        self.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in values.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = self._chunks
        if chunks is None or scope.get("method") == "HEAD":
            if chunks is not None:
                await _close(chunks)
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        except BaseException:
            await _close(chunks)
            raise
        gone = asyncio.Event()

        async def watch_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch_disconnect())
        try:
            async for chunk in chunks:
                if gone.is_set():
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            return  # the client went away while we were sending
        finally:
            watcher.cancel()
            await _close(chunks)


async def _close(chunks: AsyncIterator[bytes]) -> None:
    close = getattr(chunks, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await asyncio.shield(close())


def busy_response() -> Response:
    """429: every encoder slot is taken."""
    return JSONResponse(
        {"error": "busy"},
        status_code=429,
        headers={"Retry-After": str(BUSY_RETRY_AFTER), "Cache-Control": "no-store"},
    )


class VariantStreams:
    """The variant half of the stream route, for one worker."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.engine = services.engine
        self.store = VariantStore.in_data_dir(settings.data_dir)
        self.files = TrackFiles(FileRoots(self.store.root))
        self.accel = AccelRedirects.for_services(services)
        self.maker = Maker(
            engine=services.engine,
            store=self.store,
            media_root=services.media_root,
            uploads_root=services.uploads_root,
            ffmpeg_program=settings.ffmpeg,
            store_max_bytes=settings.variant_store_max_bytes,
            publisher=services.bus,
            storage=services.storage,
        )
        self.objects = ObjectDelivery(services.storage, settings.s3_delivery)
        self.live = LiveEncodes(
            self.maker,
            EncoderSlots(
                self.store.root,
                total=settings.transcode_max_concurrent,
                per_user=settings.transcode_max_per_user,
            ),
        )
        self._ready: TTLMemo[_VariantName, VariantRow] = TTLMemo(ttl=5.0, max_entries=4096)
        self._touched: dict[_VariantName, float] = {}

    async def _ready_row(self, name: _VariantName) -> VariantRow | None:
        async def load(key: _VariantName) -> VariantRow | None:
            row = await registry.get_variant(self.engine, key[0], key[1])
            return row if row is not None and row.state == registry.READY else None

        return await self._ready.get(name, load)

    async def respond(
        self,
        request: Request,
        grant: StreamGrant,
        track: StreamableTrack,
        *,
        max_age: int,
        may_remember: Callable[[Request], bool],
        decide: bool = False,
    ) -> Response:
        """The response for a token that names a variant of ``track``; with ``decide``
        (nginx's auth_request) a decision for a stored variant, else a decline (nothing
        is encoded for a decision)."""
        key = grant.variant
        assert key is not None
        name = (grant.track_id, key)
        try:
            start = parse_start(request.query_params.get(START_PARAM), track.duration_seconds)
        except BadStart:
            return _refusal(400, "bad_start")
        download = track.download_name_as(key.container)
        if start is None:
            row = await self._ready_row(name)
            if row is not None and _made_from(row, track):
                redirect = self.accel is not None and self.accel.from_front(request)
                fresh = not redirect and not may_remember(request)
                served = await self._stored(
                    request,
                    name,
                    download,
                    max_age=max_age,
                    fresh=fresh,
                    redirect=redirect,
                    decide=decide,
                )
                if served is not None:
                    return served
                # Ready in the registry but deleted behind its back (or evicted by another
                # worker): not made any more, so it is made again below.
                logger.warning("variant %s of track %s is gone from the store", key.slug, name[0])
                await registry.forget_variant(self.engine, name[0], key)
        if decide:
            return decline()
        current = await registry.get_variant(self.engine, grant.track_id, key)
        if current is not None and current.state == registry.FAILED and _made_from(current, track):
            return _refusal(503, "variant_failed")
        return await self._first_play(request, grant, key, start, download, max_age=max_age)

    async def _first_play(
        self,
        request: Request,
        grant: StreamGrant,
        key: VariantKey,
        start: float | None,
        download: str,
        *,
        max_age: int,
    ) -> Response:
        headers = {"content-disposition": content_disposition(download)}
        if request.method == "HEAD":
            return ProgressiveResponse(None, media_type=key.target.mime_type, headers=headers)
        waits = start is None and needs_the_whole_file(request.headers.get("range"))
        try:
            chunks = await self._encoding(grant, key, start)
            if waits and chunks is not None:
                await _drain(chunks)  # a listener until the encode ends: it is not stopped
                chunks = None
        except Busy:
            return busy_response()
        except TrackNotFound as refused:
            return error_response(refused)
        except VariantError as error:  # e.g. the original is gone: say so, never a traceback
            logger.warning("variant %s of track %s: %s", key.slug, grant.track_id, error.reason)
            return _refusal(503, "variant_failed")
        if chunks is None:  # it is complete now (or was meanwhile)
            name = (grant.track_id, key)
            self._ready.forget(name)
            redirect = self.accel is not None and self.accel.from_front(request)
            served = await self._stored(
                request, name, download, max_age=max_age, fresh=True, redirect=redirect
            )
            return served if served is not None else await self._not_made(name)
        return ProgressiveResponse(chunks, media_type=key.target.mime_type, headers=headers)

    async def _not_made(self, name: _VariantName) -> Response:
        """The encode a request waited for ended without a variant: failed, or stopped."""
        row = await registry.get_variant(self.engine, name[0], name[1])
        if row is not None and row.state == registry.FAILED:
            return _refusal(503, "variant_failed")
        return busy_response()

    async def _encoding(
        self, grant: StreamGrant, key: VariantKey, start: float | None
    ) -> AsyncIterator[bytes] | None:
        try:
            source = await self.maker.source(grant.track_id, key)
        except (TrackGone, NotOffered):
            raise TrackNotFound from None
        if start is not None:
            return await self.live.offset_stream(source, key, grant.user_id, start)
        return await self.live.stream(source, key, grant.user_id)

    async def _stored(
        self,
        request: Request,
        name: _VariantName,
        download: str,
        *,
        max_age: int,
        fresh: bool,
        redirect: bool,
        decide: bool = False,
    ) -> Response | None:
        track_id, key = name
        if self.maker.remote:
            # In remote storage: a redirect or a proxy by TONEARM_S3_DELIVERY, never nginx's
            # to send: asked for a decision, decline (the request then comes in full).
            if decide:
                return decline()
            served = await self.objects.respond(
                request,
                self.maker.variant_key(track_id, key),
                media_type=key.target.mime_type,
                download_name=download,
                max_age=max_age,
            )
            if served is None:
                self._ready.forget(name)
                return None
            await self._touch(name)
            return served
        relative = self.store.relative_path(track_id, key)
        try:
            located: Located = await self.files.locate(track_id, relative, fresh=fresh)
        except TrackNotFound:
            self._ready.forget(name)
            return None

        async def relocate() -> TrackFile:
            self.files.forget(track_id, relative)
            return (await self.files.locate(track_id, relative, fresh=True)).file

        await self._touch(name)
        if redirect and self.accel is not None:
            return self.accel.variant(
                located.file,
                media_type=key.target.mime_type,
                download_name=download,
                max_age=max_age,
                decide=decide,
            )
        return StreamResponse(
            located,
            files=self.files,
            relocate=relocate,
            media_type=key.target.mime_type,
            download_name=download,
            max_age=max_age,
        )

    async def _touch(self, name: _VariantName) -> None:
        now = time.monotonic()
        if now - self._touched.get(name, -math.inf) < TOUCH_EVERY:
            return
        self._touched[name] = now
        if len(self._touched) > 4096:
            self._touched.clear()
        await registry.touch_used(self.engine, [name])


def _refusal(status: int, code: str) -> Response:
    return JSONResponse({"error": code}, status_code=status, headers={"Cache-Control": "no-store"})


def _made_from(row: VariantRow, track: StreamableTrack) -> bool:
    return (row.source_size_bytes, row.source_mtime_ns) == (track.size_bytes, track.mtime_ns)


__all__ = ["ProgressiveResponse", "VariantStreams", "busy_response", "parse_start"]
