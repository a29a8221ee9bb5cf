"""HTTP semantics of a stream (RFC 9110): ranges, conditional requests, HEAD, file names.

This is the one place that owns them. It rests only on Starlette's public ``Response`` and
``Headers`` and on the ASGI ``http.response.pathsend`` extension (the server sends a whole
file itself, unless its name is not valid UTF-8: those we send); none of Starlette's
``FileResponse`` internals:

* ``Range`` (§14): byte ranges clamped, sorted and merged; an invalid header, another unit or
  more than ``MAX_RANGES`` ranges is ignored (200, the whole file); unsatisfiable parts of a
  multi-range request are dropped and 416 (``Content-Range: bytes */N``) comes only when
  none is left; ``Range`` on HEAD is ignored (§14.2); several ranges are sent as
  ``multipart/byteranges``;
* preconditions in the order of §13.2.2: ``If-Match`` / ``If-Unmodified-Since`` → 412,
  ``If-None-Match`` / ``If-Modified-Since`` → 304, then ``If-Range`` (strong ETag, or a date
  compared as a date);
* bodies are read with ``pread`` on one descriptor verified against the checked ``stat``,
  always in a worker thread (``file_io.TrackFiles``): a small range in one hop and one body
  message, a large one in ``chunk_size`` pieces, memory bounded by one piece per response.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from secrets import token_hex
from typing import Any
from urllib.parse import quote

import anyio
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tonearm.streaming.errors import PreconditionFailed, TrackNotFound, error_response
from tonearm.streaming.file_io import Located, TrackFiles
from tonearm.streaming.files import TrackFile

MAX_RANGES = 100
_RANGE_SPEC = re.compile(r"(\d+)-(\d*)|-(\d+)")
_ENTITY_TAG = re.compile(r'(?:W/)?"[^"]*"')
# RFC 5987 attr-char: what may stay unescaped in ``filename*``.
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"
# Positions beyond any file; longer digit strings are clamped to it, never parsed whole.
_FAR = 10**18

NOT_MODIFIED_HEADERS = ("etag", "last-modified", "cache-control", "vary")


class RangeNotSatisfiable(Exception):
    """The ``Range`` header is valid but no range overlaps the representation (→ 416)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _position(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return _FAR if len(digits) > len(str(_FAR)) else min(int(digits), _FAR)


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
    if not specs or len(specs) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    for spec in specs:
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            return None
        first, last, suffix = match.groups()
        if first is not None:
            start = _position(first)
            if last and _position(last) < start:
                return None  # invalid per §14.1.1, not merely unsatisfiable
            if start < size:
                ranges.append((start, min(_position(last) + 1, size) if last else size))
        elif (length := _position(suffix)) > 0 and size > 0:
            ranges.append((max(size - length, 0), size))
    if not ranges:
        raise RangeNotSatisfiable(size)
    return merge_ranges(ranges)


def merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort ``[start, end)`` ranges and merge those that overlap or touch."""
    ordered = sorted(ranges)
    merged = [ordered[0]]
    for start, end in ordered[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end:
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


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


def precondition_fails(headers: Headers, etag: str, last_modified: int) -> bool:
    """RFC 9110 §13.2.2 steps 1–2: whether ``If-Match`` or ``If-Unmodified-Since`` fails.

    ``If-Match`` uses the strong comparison (a weak tag never matches, ``*`` matches the
    file that exists); ``If-Unmodified-Since`` counts only without ``If-Match`` and only
    when it is a valid date (§13.1.4).
    """
    if_match = headers.get("if-match")
    if if_match is not None:
        if if_match.strip() == "*":
            return False
        return not any(
            tag == etag and not tag.startswith("W/") for tag in _ENTITY_TAG.findall(if_match)
        )
    if_unmodified_since = headers.get("if-unmodified-since")
    if if_unmodified_since is not None:
        since = _http_date_timestamp(if_unmodified_since)
        return since is not None and last_modified > since
    return False


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


CONDITIONAL_HEADERS = frozenset(
    {"if-match", "if-unmodified-since", "if-none-match", "if-modified-since"}
)


def etag_for(info: Any) -> str:
    """A strong validator from size and nanosecond mtime (nginx's shape, exact to the ns)."""
    return f'"{info.st_mtime_ns:x}-{info.st_size:x}"'


@lru_cache(maxsize=4096)
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


class RangedResponse(Response):
    """RFC 9110 semantics over one representation: 412, 304, 416, 200 or 206.

    The one owner of a stream's semantics; subclasses only say where the bytes are:
    ``StreamResponse`` reads a confined local file, ``ObjectResponse`` (``streaming.objects``)
    an object in remote storage. A subclass calls ``_describe`` with the representation's
    size, validators and modification time, and implements the reading hooks.
    """

    # Bigger reads than Starlette's 64 KiB: fewer thread hops and body messages per large
    # range, at a memory cost bounded by one piece per response in flight.
    chunk_size = 256 * 1024

    def __init__(self, *, media_type: str, download_name: str, max_age: int) -> None:
        super().__init__(status_code=200, media_type=media_type)
        self._fixed = {
            "cache-control": f"private, max-age={max(0, max_age)}",
            "content-disposition": content_disposition(download_name),
        }
        self.size = 0
        self.etag = ""
        self.last_modified = 0

    def _describe(self, *, size: int, etag: str, modified: float) -> None:
        self.size = size
        self.etag = etag
        self.last_modified = int(modified)
        values = {
            "content-type": self.media_type or "application/octet-stream",
            "accept-ranges": "bytes",
            "content-length": str(size),
            "last-modified": formatdate(modified, usegmt=True),
            "etag": etag,
            **self._fixed,
        }
        self.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in values.items()]

    # The reading hooks. Each raises ``_RefusedBeforeStart`` when the bytes turn out to be
    # gone before anything was sent.

    async def _read_ranges(self, ranges: list[tuple[int, int]]) -> list[bytes]:
        raise NotImplementedError

    async def _open(self) -> Any:
        """A handle for ``_chunks`` (closed with ``_close``)."""
        return None

    def _chunks(self, handle: Any, start: int, end: int) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def _close(self, handle: Any) -> None:
        return None

    def _pathsend_path(self) -> str | None:
        """A local path the server may send whole itself (``http.response.pathsend``)."""
        return None

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"].upper()
        headers = Headers(scope=scope)
        if precondition_fails(headers, self.etag, self.last_modified):
            await error_response(PreconditionFailed())(scope, receive, send)
            return
        if is_not_modified(headers, self.etag, self.last_modified):
            await self._send_not_modified(send)
            return
        size = self.size
        ranges = None
        http_range = headers.get("range")
        http_if_range = headers.get("if-range")
        # Range is defined for GET only (§14.2); HEAD describes the whole representation.
        if (
            method == "GET"
            and http_range is not None
            and (
                http_if_range is None
                or if_range_allows(http_if_range, self.etag, self.last_modified)
            )
        ):
            try:
                ranges = parse_range(http_range, size)
            except RangeNotSatisfiable:
                await self._send_unsatisfiable(send, size)
                return
        if ranges is None:
            await self._send_whole(scope, receive, send, head=method == "HEAD")
        else:
            await self._send_ranges(scope, receive, send, ranges)

    async def _send_not_modified(self, send: Send) -> None:
        raw = [(k, v) for k, v in self.raw_headers if k.decode("latin-1") in NOT_MODIFIED_HEADERS]
        await send({"type": "http.response.start", "status": 304, "headers": raw})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send_unsatisfiable(self, send: Send, size: int) -> None:
        raw = [
            (b"content-range", f"bytes */{size}".encode("latin-1")),
            (b"accept-ranges", b"bytes"),
            (b"cache-control", self._fixed["cache-control"].encode("latin-1")),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 416, "headers": raw})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send_whole(self, scope: Scope, receive: Receive, send: Send, *, head: bool) -> None:
        start = {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
        path = self._pathsend_path()
        if head:
            await send(start)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif (
            path is not None
            and "http.response.pathsend" in scope.get("extensions", {})
            and _is_text(path)
        ):
            await send(start)
            await send({"type": "http.response.pathsend", "path": path})
        else:
            await self._stream(scope, receive, send, start, [(0, self.size)])

    async def _send_ranges(
        self, scope: Scope, receive: Receive, send: Send, ranges: list[tuple[int, int]]
    ) -> None:
        size = self.size
        raw = [(k, v) for k, v in self.raw_headers if k not in (b"content-length", b"content-type")]
        part_header: Callable[[int, int], bytes] | None = None
        closing = b""
        if len(ranges) > 1:
            boundary = token_hex(13)
            part_header = _part_header(boundary, self.media_type or "", size)
            closing = f"--{boundary}--".encode("latin-1")
            content_length = sum(len(part_header(s, e)) + (e - s) + 2 for s, e in ranges) + len(
                closing
            )
            content_type = f"multipart/byteranges; boundary={boundary}"
        else:
            ((first, last),) = ranges
            content_length = last - first
            content_type = self.media_type or "application/octet-stream"
            raw.append((b"content-range", f"bytes {first}-{last - 1}/{size}".encode("latin-1")))
        raw += [
            (b"content-type", content_type.encode("latin-1")),
            (b"content-length", str(content_length).encode("latin-1")),
        ]
        start = {"type": "http.response.start", "status": 206, "headers": raw}
        if content_length > self.chunk_size:
            await self._stream(scope, receive, send, start, ranges, part_header, closing)
            return
        # The common seek: one read gets everything, one message sends it.
        pieces = await self._read_ranges(ranges)
        if part_header is None:
            body = pieces[0]
        else:
            body = (
                b"".join(
                    part_header(s, e) + piece + b"\r\n"
                    for (s, e), piece in zip(ranges, pieces, strict=True)
                )
                + closing
            )
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _stream(  # noqa: PLR0917 - one call site
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        start: dict[str, Any],
        ranges: list[tuple[int, int]],
        part_header: Callable[[int, int], bytes] | None = None,
        closing: bytes = b"",
    ) -> None:
        handle = await self._open()
        try:
            await send(start)
            await _until_disconnect(
                scope,
                receive,
                lambda: self._send_pieces(send, handle, ranges, part_header, closing),
            )
        finally:
            await self._close(handle)

    async def _send_pieces(
        self,
        send: Send,
        handle: Any,
        ranges: list[tuple[int, int]],
        part_header: Callable[[int, int], bytes] | None,
        closing: bytes,
    ) -> None:
        for start, end in ranges:
            if part_header is not None:
                body = part_header(start, end)
                await send({"type": "http.response.body", "body": body, "more_body": True})
            sent = start
            async for piece in self._chunks(handle, start, end):
                sent += len(piece)
                last = sent >= end and part_header is None
                await send({"type": "http.response.body", "body": piece, "more_body": not last})
            if part_header is not None:
                await send({"type": "http.response.body", "body": b"\r\n", "more_body": True})
        if part_header is not None:
            await send({"type": "http.response.body", "body": closing, "more_body": False})
        elif not ranges or ranges[-1][0] == ranges[-1][1]:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


class StreamResponse(RangedResponse):
    """A confined regular file (see ``file_io.TrackFiles``) served with RFC 9110 semantics.

    ``located`` may be a remembered location; if the file turns out to have changed since
    it was checked (caught when it is opened, before any byte is sent), the response asks
    ``relocate`` for a fresh one once and answers from that. Bodies are read with ``pread``
    on one descriptor verified against the checked ``stat``, in worker threads.
    """

    def __init__(
        self,
        located: Located,
        *,
        files: TrackFiles,
        relocate: Callable[[], Awaitable[TrackFile]],
        media_type: str,
        download_name: str,
        max_age: int,
    ) -> None:
        super().__init__(media_type=media_type, download_name=download_name, max_age=max_age)
        self._files = files
        self._relocate = relocate
        self._remembered = located.remembered
        self._use(located.file)

    def _use(self, track: TrackFile) -> None:
        info = track.stat
        self.track = track
        self._describe(size=info.st_size, etag=etag_for(info), modified=info.st_mtime)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 412, 304, 416, 200 (pathsend when the server offers it) or 206."""
        while True:
            try:
                await self._answer(scope, receive, send)
                return
            except _RefusedBeforeStart as refused:
                if not self._remembered:
                    await error_response(refused.reason)(scope, receive, send)
                    return
            self._remembered = False
            try:
                self._use(await self._relocate())
            except TrackNotFound as gone:
                await error_response(gone)(scope, receive, send)
                return

    def _pathsend_path(self) -> str | None:
        return self.track.path

    async def _read_ranges(self, ranges: list[tuple[int, int]]) -> list[bytes]:
        try:
            return await self._files.read_ranges(self.track, ranges)
        except TrackNotFound as exc:
            raise _RefusedBeforeStart(exc) from None

    async def _open(self) -> int:
        try:
            return await self._files.open(self.track)
        except TrackNotFound as exc:
            raise _RefusedBeforeStart(exc) from None

    async def _chunks(self, handle: Any, start: int, end: int) -> AsyncIterator[bytes]:
        offset = start
        while offset < end:
            length = min(self.chunk_size, end - offset)
            yield await self._files.read(handle, offset, length)
            offset += length

    async def _close(self, handle: Any) -> None:
        await self._files.close(handle)


def _is_text(path: str) -> bool:
    """Whether ``path`` is valid Unicode: a name that is not UTF-8 on disk carries surrogate
    escapes, which an ASGI server cannot take as a ``pathsend`` path; we send those files."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _part_header(boundary: str, content_type: str, size: int) -> Callable[[int, int], bytes]:
    """The header block of one part of a ``multipart/byteranges`` body (RFC 9110 §14.6)."""

    def header(start: int, end: int) -> bytes:
        return (
            f"--{boundary}\r\nContent-Type: {content_type}\r\n"
            f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
        ).encode("latin-1")

    return header


class _RefusedBeforeStart(Exception):
    """The file changed between the check and the read, before any byte was sent."""

    def __init__(self, reason: TrackNotFound) -> None:
        super().__init__()
        self.reason = reason


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
    "CONDITIONAL_HEADERS",
    "RangeNotSatisfiable",
    "RangedResponse",
    "StreamResponse",
    "content_disposition",
    "etag_for",
    "if_range_allows",
    "is_not_modified",
    "merge_ranges",
    "parse_range",
    "precondition_fails",
]
