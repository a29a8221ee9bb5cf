"""GraphQL multipart requests (the GraphQL multipart request spec), streamed to staging.

Strawberry 0.341 parses a multipart body with Starlette's ``request.form()``, which spools
every file to the system's temporary folder (in memory up to 1 MB each) before anything
looks at it. Here the body is parsed as it arrives with python-multipart's streaming
``MultipartParser``: the ``operations`` and ``map`` fields first (the spec's order, small
and bounded), then each file part straight into ``uploads.staging`` — a file is never
whole in memory and never outside the uploads root's staging area. A file over
``TONEARM_MAX_UPLOAD_BYTES`` stops being written at once and becomes a ``TooLarge``
result; the rest of the batch still counts. A client that goes away leaves no staged file.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from strawberry.file_uploads.utils import replace_placeholders_with_files

from tonearm.uploads.staging import (
    StagedFile,
    Stager,
    StorageFull,
    UploadTooLarge,
    discard,
    display_name,
)

MULTIPART = "multipart/form-data"
MAX_FIELD_BYTES = 1024 * 1024  # operations or map: text, never near this
MAX_PART_HEADER_BYTES = 16 * 1024  # a 4,000-character name in any script fits
# What a body may hold besides the files' bytes: the fields and each part's headers.
BODY_SLACK_BYTES = 2 * MAX_FIELD_BYTES
PART_SLACK_BYTES = MAX_PART_HEADER_BYTES + 256


class MultipartRefused(Exception):
    """The body is not a GraphQL multipart request this server takes; ``status`` says how."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class ReceivedFile:
    """The value of one ``Upload`` variable: a file part, staged unless refused.

    The resolver ``take``s the staged file (then owns it); whatever is not taken is removed
    when the request ends.
    """

    file_name: str
    staged: StagedFile | None = None
    too_large_limit: int | None = None  # set: the part was over the limit, nothing kept
    storage_full: bool = False  # set: the disk filled up while staging it, nothing kept
    not_stored: bool = False  # set: the request may not upload, the bytes were dropped

    def take(self) -> StagedFile | None:
        """The staged file, handed over to the caller (None when there is none)."""
        staged, self.staged = self.staged, None
        return staged


@dataclass(slots=True)
class _Part:
    headers: dict[str, bytes] = field(default_factory=dict)
    data: list[bytes] = field(default_factory=list)
    size: int = 0
    headers_done: bool = False
    ended: bool = False


@dataclass(slots=True)
class _Events:
    """What the synchronous parser saw during one ``write``, replayed asynchronously."""

    parts: list[_Part] = field(default_factory=list)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)

    def callbacks(self) -> Any:
        def on_part_begin() -> None:
            self.parts.append(_Part())

        def on_header_field(data: bytes, start: int, end: int) -> None:
            self.header_field += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            self.header_value += data[start:end]

        def on_header_end() -> None:
            part = self.parts[-1]
            part.headers[bytes(self.header_field).decode("latin-1").lower()] = bytes(
                self.header_value
            )
            self.header_field.clear()
            self.header_value.clear()

        def on_headers_finished() -> None:
            self.parts[-1].headers_done = True

        def on_part_data(data: bytes, start: int, end: int) -> None:
            part = self.parts[-1]
            part.data.append(data[start:end])
            part.size += end - start

        def on_part_end() -> None:
            self.parts[-1].ended = True

        return {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        }


def boundary_of(content_type: str) -> bytes:
    """The boundary of a ``multipart/form-data`` content type; refused when missing."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise MultipartRefused(400, "The multipart body has no boundary.")
    return boundary


def _disposition(part: _Part) -> tuple[str | None, str | None]:
    """The part's field name and file name (raw bytes read as UTF-8, as browsers send)."""
    raw = part.headers.get("content-disposition")
    if raw is None:
        return None, None
    _, options = parse_options_header(raw.decode("latin-1"))
    name = options.get(b"name")
    filename = options.get(b"filename")
    return (
        name.decode("utf-8", "replace") if name is not None else None,
        filename.decode("utf-8", "replace") if filename is not None else None,
    )


def _json_field(name: str, data: bytes) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise MultipartRefused(400, f"The {name!r} field is not valid JSON.") from None


def _check_map(files_map: Any) -> dict[str, list[str]]:
    if not isinstance(files_map, dict) or not all(
        isinstance(paths, list) and all(isinstance(path, str) for path in paths)
        for paths in files_map.values()
    ):
        raise MultipartRefused(400, "The 'map' field must map file names to lists of paths.")
    return files_map


class _Receiver:
    """The state of one body being parsed: fields, files, the file being staged."""

    def __init__(
        self,
        *,
        staging: Path | None,
        limit_bytes: int,
        declared_length: int | None,
    ) -> None:
        self.staging = staging
        self.limit = limit_bytes
        self.declared_length = declared_length
        self.fields: dict[str, bytearray] = {}
        self.files_map: dict[str, list[str]] | None = None
        self.received: dict[str, ReceivedFile] = {}
        self.disk_full = False
        self._current: _Part | None = None
        self._kind: str = ""  # "field", "file", "skip"
        self._field = ""
        self._file: ReceivedFile | None = None
        self._stager: Stager | None = None

    async def feed(self, parts: Sequence[_Part]) -> None:
        """Take the parts (or pieces of parts) one ``write`` produced."""
        for part in parts:
            if not part.headers_done:
                continue  # its headers end in a later write
            if part is not self._current:
                self._begin(part)
            pieces, part.data = part.data, []
            for piece in pieces:
                await self._data(piece)
            if part.ended:
                await self._end()

    def _begin(self, part: _Part) -> None:
        self._current = part
        name, filename = _disposition(part)
        if name is None:
            raise MultipartRefused(400, "A multipart part has no field name.")
        if filename is None and name in ("operations", "map"):
            if name in self.fields:
                raise MultipartRefused(400, f"The {name!r} field is sent twice.")
            if name == "map" and "operations" not in self.fields:
                raise MultipartRefused(400, "The 'operations' field must come first.")
            self._kind, self._field = "field", name
            self.fields[name] = bytearray()
            return
        if self.files_map is None:
            raise MultipartRefused(400, "The 'operations' and 'map' fields must come first.")
        if name not in self.files_map or name in self.received:
            self._kind = "skip"  # a part the map does not name (or a repeat): ignored
            return
        self._kind = "file"
        self._file = ReceivedFile(display_name(filename))
        self.received[name] = self._file
        if self.staging is None:
            self._file.not_stored = True
        elif self.disk_full:
            self._file.storage_full = True
        else:
            self._stager = Stager(self.staging, original_name=filename, limit_bytes=self.limit)

    async def _data(self, piece: bytes) -> None:
        if self._kind == "field":
            buffer = self.fields[self._field]
            if len(buffer) + len(piece) > MAX_FIELD_BYTES:
                raise MultipartRefused(413, f"The {self._field!r} field is too large.")
            buffer += piece
        elif self._kind == "file" and self._stager is not None:
            assert self._file is not None
            try:
                await self._stager.write(piece)
            except UploadTooLarge as refused:
                self._file.too_large_limit = refused.limit_bytes
                self._stager = None
            except StorageFull:
                self._file.storage_full = True
                self.disk_full = True
                self._stager = None

    async def _end(self) -> None:
        if self._kind == "field" and self._field == "map":
            self.files_map = _check_map(_json_field("map", bytes(self.fields["map"])))
            self._check_declared_length(len(self.files_map))
        elif self._kind == "file" and self._stager is not None:
            assert self._file is not None
            stager, self._stager = self._stager, None
            try:
                self._file.staged = await stager.finish()
            except StorageFull:
                self._file.storage_full = True
                self.disk_full = True
        self._current, self._kind, self._file = None, "", None

    def _check_declared_length(self, file_count: int) -> None:
        most = BODY_SLACK_BYTES + file_count * (self.limit + PART_SLACK_BYTES)
        if self.declared_length is not None and self.declared_length > most:
            raise MultipartRefused(
                413,
                f"The request is larger than {file_count} files of at most "
                f"{self.limit} bytes each can be.",
            )

    async def abort(self) -> None:
        """Drop the file being staged and every staged one."""
        if self._stager is not None:
            await self._stager.abort()
            self._stager = None
        await discard_received(list(self.received.values()))


async def discard_received(files: Sequence[ReceivedFile]) -> None:
    """Remove the staged files nobody took (in a worker thread, even when cancelled)."""
    paths = [staged.path for file in files if (staged := file.take()) is not None]

    def discard_all() -> None:
        for path in paths:
            discard(path)

    if paths:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(discard_all)


async def parse_graphql_multipart(
    chunks: AsyncIterator[bytes],
    *,
    content_type: str,
    declared_length: int | None,
    staging: Path | None,
    limit_bytes: int,
) -> tuple[dict[str, Any], list[ReceivedFile]]:
    """The operation (files in place of their ``null`` placeholders) and the files received.

    ``staging`` None: the request may not upload; file bytes are read and dropped. Raises
    ``MultipartRefused`` for a body that breaks the spec (400) or is too large (413); any
    error, a disconnect included, leaves no staged file behind.
    """
    events = _Events()
    parser = MultipartParser(
        boundary_of(content_type),
        events.callbacks(),
        max_header_size=MAX_PART_HEADER_BYTES,
    )
    receiver = _Receiver(staging=staging, limit_bytes=limit_bytes, declared_length=declared_length)
    try:
        async for chunk in chunks:
            try:
                parser.write(chunk)
            except MultipartParseError:
                raise MultipartRefused(400, "The multipart body is malformed.") from None
            parts, events.parts = events.parts, [p for p in events.parts if not p.ended][-1:]
            await receiver.feed(parts)
        try:
            parser.finalize()
        except MultipartParseError:
            raise MultipartRefused(400, "The multipart body is malformed.") from None
        return _operation(receiver), list(receiver.received.values())
    except BaseException:
        await receiver.abort()
        raise


def _operation(receiver: _Receiver) -> dict[str, Any]:
    if receiver.files_map is None:
        raise MultipartRefused(400, "The 'operations' and 'map' fields are required.")
    missing = [name for name in receiver.files_map if name not in receiver.received]
    if missing:
        raise MultipartRefused(400, f"The map names files that were not sent: {missing[:5]}.")
    operations = _json_field("operations", bytes(receiver.fields["operations"]))
    if not isinstance(operations, dict):
        raise MultipartRefused(400, "Batched operations are not supported in one request.")
    try:
        return replace_placeholders_with_files(operations, receiver.files_map, receiver.received)
    except (KeyError, IndexError, TypeError, ValueError):
        raise MultipartRefused(
            400, "A path in 'map' does not name a variable of the operation."
        ) from None
