"""HTTP semantics of a stream (RFC 9110): ranges, conditional requests, HEAD, file names.

``StreamResponse`` extends Starlette's ``FileResponse`` in this one place. It keeps what
Starlette does well — whole-file bodies through ``http.response.pathsend`` (the ASGI server
sends the file itself), ``stat`` headers, range arithmetic and merging, multipart framing —
and changes what falls short of RFC 9110 or of a streaming server's needs:

* an invalid ``Range`` or an unknown unit is ignored (200, the whole file) instead of 400;
* in a multi-range request, unsatisfiable parts are dropped; 416 only when none is left;
* ``If-None-Match`` / ``If-Modified-Since`` answer 304 (FileResponse ignores them);
* ``If-Range`` dates are compared as dates, and ``Range`` on HEAD is ignored (§14.2);
* range bodies are read with ``pread`` on one descriptor verified against the checked
  ``stat``: a small range is read on the event loop when it is in the page cache
  (``RWF_NOWAIT``), else in one thread hop, and sent as one body message; a large one is
  read in ``chunk_size`` pieces (not 64 KiB), memory bounded by one piece per response.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from secrets import token_hex
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import (
    FileResponse,
    MalformedRangeHeader,
    RangeNotSatisfiable,
    Response,
)
from starlette.types import Receive, Scope, Send

from tonearm.streaming.errors import TrackNotFound, error_response
from tonearm.streaming.files import (
    TrackFile,
    open_track_file,
    read_exactly,
    read_ranges,
    read_ranges_if_cached,
)

_RANGE_SPEC = re.compile(r"(\d+)-(\d*)|-(\d+)")
_ENTITY_TAG = re.compile(r'(?:W/)?"[^"]*"')
# RFC 5987 attr-char: what may stay unescaped in ``filename*``.
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"

NOT_MODIFIED_HEADERS = ("etag", "last-modified", "cache-control", "vary")


def parse_range(value: str, size: int) -> list[tuple[int, int]] | None:
    """The ``[start, end)`` byte ranges ``value`` asks for, sorted and merged.

    ``None`` means "ignore the header and send the whole file" (RFC 9110 §14.2: invalid
    syntax, another unit, or more ranges than we serve). Raises ``RangeNotSatisfiable``
    when the syntax is valid but no range overlaps the file (→ 416).
    """
    unit, sep, range_set = value.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    # 1#range-spec: empty list elements are allowed and ignored.
    specs = [part.strip() for part in range_set.split(",") if part.strip()]
    if not specs:
        return None
    satisfiable: list[str] = []
    for spec in specs:
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            return None
        first, last, suffix = match.groups()
        if first is not None:
            if last and int(last) < int(first):
                return None  # invalid per §14.1.1, not merely unsatisfiable
            if int(first) < size:
                satisfiable.append(spec)
        elif int(suffix) > 0 and size > 0:
            satisfiable.append(spec)
    if not satisfiable:
        raise RangeNotSatisfiable(size)
    # Starlette does the clamping arithmetic and merges overlapping ranges; what reaches it
    # is already valid and satisfiable, so it can neither reject nor 416 it.
    try:
        ranges = FileResponse._parse_range_header("bytes=" + ",".join(satisfiable), size)
    except MalformedRangeHeader:
        return None
    return ranges or None  # [] means more than FileResponse.max_ranges: ignore the header


def _http_date_timestamp(value: str) -> int | None:
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def if_range_allows(value: str, etag: str, last_modified: int) -> bool:
    """RFC 9110 §13.1.5: a strong ETag match, or an HTTP-date equal to Last-Modified."""
    value = value.strip()
    if value.startswith(("W/", '"')):
        return value == etag  # strong comparison; a weak tag never matches
    return _http_date_timestamp(value) == last_modified


def is_not_modified(headers: Headers, etag: str, last_modified: int) -> bool:
    """RFC 9110 §13.2.2 steps 3–4 for GET/HEAD: whether to answer 304."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        opaque = etag.removeprefix("W/")
        return any(tag.removeprefix("W/") == opaque for tag in _ENTITY_TAG.findall(if_none_match))
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is not None:
        since = _http_date_timestamp(if_modified_since)
        return since is not None and last_modified <= since
    return False


def content_disposition(name: str) -> str:
    """``inline`` with an ASCII ``filename`` and, for anything else, an RFC 5987 ``filename*``."""
    name = " ".join(name.replace("/", "-").split())
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = " ".join(re.sub(r'["\\\x00-\x1f\x7f]', "_", ascii_name).split())
    if not ascii_name.strip(" .-_") or ascii_name.startswith("."):
        ascii_name = "track" + (name[name.rfind(".") :] if "." in name else "")
        ascii_name = ascii_name.encode("ascii", "ignore").decode()
    header = f'inline; filename="{ascii_name}"'
    if ascii_name != name:
        header += f"; filename*=UTF-8''{quote(name, safe=_ATTR_CHAR_SAFE)}"
    return header


class StreamResponse(FileResponse):
    """A checked regular file (see ``files.locate_track_file``) served with RFC 9110 ranges."""

    # Bigger reads than FileResponse's 64 KiB: fewer thread hops and body messages per
    # large range, at a memory cost bounded by one piece per response in flight.
    chunk_size = 256 * 1024

    def __init__(
        self,
        track: TrackFile,
        *,
        media_type: str,
        download_name: str,
        max_age: int,
    ) -> None:
        super().__init__(
            track.path,
            media_type=media_type,
            stat_result=track.stat,
            headers={
                "cache-control": f"private, max-age={max(0, max_age)}",
                "content-disposition": content_disposition(download_name),
            },
        )
        self.track = track
        self.last_modified = int(track.stat.st_mtime)

    @staticmethod
    def etag_for(info: os.stat_result) -> str:
        """A strong validator from size and nanosecond mtime (nginx's shape, exact to the ns;
        FileResponse hashes the float mtime, which cannot tell some rewrites apart)."""
        return f'"{info.st_mtime_ns:x}-{info.st_size:x}"'

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        """Content-Length, Last-Modified and our ETag (``etag_for``)."""
        self.headers.setdefault("etag", self.etag_for(stat_result))
        super().set_stat_headers(stat_result)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 304, 416, 200 (pathsend when the server offers it) or 206."""
        method = scope["method"].upper()
        headers = Headers(scope=scope)
        etag = self.headers["etag"]
        size = self.track.stat.st_size
        head = method == "HEAD"
        if is_not_modified(headers, etag, self.last_modified):
            await self._send_not_modified(send)
            return
        ranges = None
        http_range = headers.get("range")
        http_if_range = headers.get("if-range")
        # Range is defined for GET only (§14.2); HEAD describes the whole representation.
        if (
            method == "GET"
            and http_range is not None
            and (http_if_range is None or if_range_allows(http_if_range, etag, self.last_modified))
        ):
            try:
                ranges = parse_range(http_range, size)
            except RangeNotSatisfiable:
                await self._send_unsatisfiable(send, size)
                return
        try:
            if ranges is None:
                pathsend = "http.response.pathsend" in scope.get("extensions", {})
                await self._handle_simple(send, head, pathsend)
            elif len(ranges) == 1:
                await self._send_ranges(scope, receive, send, ranges, multipart=False)
            else:
                await self._send_ranges(scope, receive, send, ranges, multipart=True)
        except _RefusedBeforeStart as refused:
            await error_response(refused.reason)(scope, receive, send)

    async def _send_not_modified(self, send: Send) -> None:
        raw = [(k, v) for k, v in self.raw_headers if k.decode("latin-1") in NOT_MODIFIED_HEADERS]
        await send({"type": "http.response.start", "status": 304, "headers": raw})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send_unsatisfiable(self, send: Send, size: int) -> None:
        response = Response(
            status_code=416,
            headers={
                "content-range": f"bytes */{size}",
                "accept-ranges": "bytes",
                "cache-control": self.headers["cache-control"],
            },
        )
        await send({"type": "http.response.start", "status": 416, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send_ranges(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        ranges: list[tuple[int, int]],
        *,
        multipart: bool,
    ) -> None:
        size = self.track.stat.st_size
        headers = MutableHeaders(raw=list(self.raw_headers))
        if multipart:
            boundary = token_hex(13)
            content_length, part_header = self.generate_multipart(
                ranges, boundary, size, self.headers["content-type"]
            )
            headers["content-type"] = f"multipart/byteranges; boundary={boundary}"
            closing = f"--{boundary}--".encode("latin-1")
        else:
            ((start, end),) = ranges
            content_length = end - start
            headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
        headers["content-length"] = str(content_length)
        start_message = {"type": "http.response.start", "status": 206, "headers": headers.raw}

        if content_length <= self.chunk_size:
            # The common seek: one thread hop reads everything, one message sends it.
            try:
                pieces = read_ranges_if_cached(self.track, ranges)
                if pieces is None:
                    pieces = await anyio.to_thread.run_sync(read_ranges, self.track, ranges)
            except TrackNotFound as exc:
                raise _RefusedBeforeStart(exc) from None
            if multipart:
                body = (
                    b"".join(
                        part_header(start, end) + piece + b"\r\n"
                        for (start, end), piece in zip(ranges, pieces, strict=True)
                    )
                    + closing
                )
            else:
                body = pieces[0]
            await send(start_message)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return

        try:
            fd = await anyio.to_thread.run_sync(open_track_file, self.track)
        except TrackNotFound as exc:
            raise _RefusedBeforeStart(exc) from None
        try:
            await send(start_message)
            await _until_disconnect(
                scope,
                receive,
                lambda: self._stream_pieces(
                    send,
                    fd,
                    ranges,
                    part_header if multipart else None,
                    closing if multipart else b"",
                ),
            )
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_close, fd)

    async def _stream_pieces(
        self,
        send: Send,
        fd: int,
        ranges: list[tuple[int, int]],
        part_header: Callable[[int, int], bytes] | None,
        closing: bytes,
    ) -> None:
        for start, end in ranges:
            if part_header is not None:
                await send(
                    {
                        "type": "http.response.body",
                        "body": part_header(start, end),
                        "more_body": True,
                    }
                )
            offset = start
            while offset < end:
                length = min(self.chunk_size, end - offset)
                piece = await anyio.to_thread.run_sync(read_exactly, fd, offset, length)
                offset += length
                last = offset >= end and part_header is None
                await send({"type": "http.response.body", "body": piece, "more_body": not last})
            if part_header is not None:
                await send({"type": "http.response.body", "body": b"\r\n", "more_body": True})
        if part_header is not None:
            await send({"type": "http.response.body", "body": closing, "more_body": False})


class _RefusedBeforeStart(Exception):
    """The file changed between the check and the read, before any byte was sent."""

    def __init__(self, reason: TrackNotFound) -> None:
        super().__init__()
        self.reason = reason


def _close(fd: int) -> None:
    os.close(fd)


async def _until_disconnect(scope: Scope, receive: Receive, stream: Callable[[], Any]) -> None:
    """Run ``stream``; on servers older than ASGI 2.4 (``send`` may not raise once the client
    is gone) also watch ``receive`` and cancel the transfer on ``http.disconnect``."""
    spec = tuple(int(p) for p in scope.get("asgi", {}).get("spec_version", "2.0").split("."))
    if spec >= (2, 4):
        await stream()
        return
    async with anyio.create_task_group() as group:

        async def run() -> None:
            await stream()
            group.cancel_scope.cancel()

        group.start_soon(run)
        while (await receive())["type"] != "http.disconnect":
            pass
        group.cancel_scope.cancel()


__all__ = [
    "StreamResponse",
    "content_disposition",
    "if_range_allows",
    "is_not_modified",
    "parse_range",
]
