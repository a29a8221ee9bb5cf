"""``/api/uploads``: a tus 1.0.0 server (core, creation, creation-with-upload, termination,
expiration) over ``TusStore``.

The three steps of an upload stay visible, as S3 presigned multipart uploads will need:
``POST`` creates (initiate), ``PATCH`` appends bytes (upload parts), and the GraphQL mutation
``finishUpload`` turns the complete bytes into a track (finalize; ``resolvers/finishing.py``).

Header parsing is pure and raises ``TusRefused`` subclasses; ``_refusal`` maps each to its
response in one place. Every response carries ``Tus-Resumable: 1.0.0``. Unknown, malformed,
someone else's, finished and expired upload ids all get the same 404.

CSRF: every request but ``OPTIONS`` must carry ``Tus-Resumable`` (an HTML form cannot set a
header) and a cookie-borne one must also come from an allowed ``Origin``, like GraphQL
mutations. Bearer tokens need neither.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tonearm.accounts.users import may_upload
from tonearm.accounts.viewer import Viewer, resolve_viewer
from tonearm.db import uploads as rows
from tonearm.db.models import UserRecord, utcnow
from tonearm.services import Services
from tonearm.uploads.quota import reservation_refusal
from tonearm.uploads.tus_store import DiskFull, TusStore, UploadBusy, Writer
from tonearm.web.credentials import bearer_token, origin_allowed, session_cookie

logger = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,termination,expiration"
OFFSET_OCTET_STREAM = "application/offset+octet-stream"
UPLOADS_PATH = "/api/uploads"
# Bytes are handed to a worker thread in batches of about this size: few thread hops,
# never more than this (plus one network chunk) of a body in memory.
BATCH_BYTES = 1024 * 1024
MAX_METADATA_BYTES = 16 * 1024
MAX_NAME_CHARS = 1024
MAX_TYPE_CHARS = 255
# Headers a browser client reads from another origin (``TONEARM_CORS_ORIGINS``).
EXPOSED_HEADERS = [
    "Location",
    "Upload-Offset",
    "Upload-Length",
    "Upload-Expires",
    "Tus-Resumable",
    "Tus-Version",
    "Tus-Extension",
    "Tus-Max-Size",
]
REQUEST_HEADERS = [
    "Tus-Resumable",
    "Upload-Length",
    "Upload-Metadata",
    "Upload-Offset",
    "X-HTTP-Method-Override",
]


def upload_location(upload_id: uuid.UUID) -> str:
    """The upload's URL as a path: tusclient (``urljoin``) and tus-js-client (``new URL``)
    resolve it against the endpoint, and it stays right behind a proxy that terminates TLS,
    where an absolute URL built from the request would name the wrong scheme or host."""
    return f"{UPLOADS_PATH}/{upload_id}"


class TusRefused(Exception):
    """A request the protocol or tonearm refuses; ``status`` and a message for people."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongVersion(TusRefused):
    """``Tus-Resumable`` missing or not 1.0.0."""

    status = 412


class BadRequest(TusRefused):
    """A malformed header or metadata."""

    status = 400


class Unauthenticated(TusRefused):
    """No valid credentials."""

    status = 401


class Forbidden(TusRefused):
    """Signed in, but not allowed (no upload permission, or a cross-site cookie request)."""

    status = 403


class NotFound(TusRefused):
    """No such upload for this viewer (also: someone else's, finished, expired, malformed)."""

    status = 404


class WrongOffset(TusRefused):
    """``Upload-Offset`` is not where the upload stands."""

    status = 409


class Locked(TusRefused):
    """Another request is writing this upload."""

    status = 423


class UnsupportedMediaType(TusRefused):
    """A PATCH body that is not ``application/offset+octet-stream``."""

    status = 415


class TooLarge(TusRefused):
    """Over the size limit, the quota, or the declared length."""

    status = 413


class InsufficientStorage(TusRefused):
    """The disk is full."""

    status = 507


_NOT_FOUND = NotFound("No such upload.")


@dataclass(frozen=True, slots=True)
class Metadata:
    """What ``Upload-Metadata`` tells about the file (display text only; never a path)."""

    filename: str | None = None
    filetype: str | None = None
    album_id: uuid.UUID | None = None


def parse_metadata(header: str | None) -> Metadata:
    """Parse ``Upload-Metadata``: comma-separated ``key base64value`` pairs (value optional).

    Strict: bad base64, text that is not UTF-8, repeated keys or an ``albumId`` that is not
    a UUID are ``BadRequest``. Unknown keys are allowed (clients send their own).
    """
    if header is None or not header.strip():
        return Metadata()
    if len(header) > MAX_METADATA_BYTES:
        raise BadRequest("Upload-Metadata is too long.")
    values: dict[str, str] = {}
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if len(parts) > 2 or not parts[0]:
            raise BadRequest("Upload-Metadata must be comma-separated 'key base64value' pairs.")
        key = parts[0]
        if key in values:
            raise BadRequest(f"Upload-Metadata repeats the key {key!r}.")
        raw = parts[1] if len(parts) == 2 else ""
        try:
            values[key] = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(
                f"Upload-Metadata value of {key!r} is not base64 of UTF-8 text."
            ) from None
    album_id: uuid.UUID | None = None
    if values.get("albumId"):
        try:
            album_id = uuid.UUID(values["albumId"])
        except ValueError:
            raise BadRequest("Upload-Metadata albumId is not an album ID.") from None
    filename = values.get("filename") or None
    filetype = values.get("filetype") or None
    return Metadata(
        filename=filename[:MAX_NAME_CHARS] if filename else None,
        filetype=filetype[:MAX_TYPE_CHARS] if filetype else None,
        album_id=album_id,
    )


def parse_size(name: str, value: str | None) -> int:
    """A non-negative decimal header value (``Upload-Length``, ``Upload-Offset``)."""
    if value is None:
        raise BadRequest(f"{name} is required.")
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise BadRequest(f"{name} must be a non-negative integer.")
    return int(value)


def parse_upload_id(value: str) -> uuid.UUID:
    """The upload id of a URL: a UUID, else the same 404 as an unknown one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _NOT_FOUND from None


def check_version(request: Request) -> None:
    """The protocol header every request but OPTIONS carries."""
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise WrongVersion(f"Send Tus-Resumable: {TUS_VERSION}; this server speaks only that.")


def http_date(moment: datetime) -> str:
    """An RFC 9110 date (IMF-fixdate)."""
    return format_datetime(moment, usegmt=True)


def _is_offset_stream(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower() == OFFSET_OCTET_STREAM


class TusServer:
    """The handlers of ``/api/uploads``, bound to one app's services."""

    def __init__(self, services: Services, store: TusStore) -> None:
        self.services = services
        self.store = store
        self.settings = services.settings

    def _base_headers(self) -> dict[str, str]:
        return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}

    def _refusal(self, refused: TusRefused, extra: dict[str, str] | None = None) -> Response:
        headers = self._base_headers() | (extra or {})
        if isinstance(refused, WrongVersion):
            headers["Tus-Version"] = TUS_VERSION
        if isinstance(refused, Unauthenticated):
            headers["WWW-Authenticate"] = 'Bearer realm="tonearm"'
        return JSONResponse(
            {"error": type(refused).__name__, "message": refused.message},
            status_code=refused.status,
            headers=headers,
        )

    async def _viewer(self, request: Request, *, changes: bool = True) -> Viewer:
        """The uploader: signed in, allowed to upload, and not a forged cross-site request.

        ``changes=False`` (HEAD) skips the ``Origin`` check: asking where an upload stands
        changes nothing, a cross-site page cannot read the answer, and browsers send no
        ``Origin`` with a same-origin HEAD.
        """
        bearer, cookie = bearer_token(request), session_cookie(request)
        if self.settings.auth == "none":
            raise Forbidden(
                "Uploads need accounts: set TONEARM_AUTH=required so each file has an owner."
            )
        if bearer is None and cookie is None:
            raise Unauthenticated("Sign in first: uploads need a session or a bearer token.")
        async with self.services.sessions() as session:
            viewer = await resolve_viewer(session, bearer=bearer, cookie=cookie)
            if viewer is None or viewer.user_id is None:
                raise Unauthenticated("Sign in first: the session or token is not valid.")
            if (
                changes
                and bearer is None
                and not origin_allowed(request, self.settings.cors_origins)
            ):
                raise Forbidden("Cross-site request refused: send uploads from an allowed origin.")
            user = await session.get(UserRecord, viewer.user_id)
            allowed = user is not None and may_upload(user)
            await session.commit()  # a bearer token's last-used time
        if not allowed:
            raise Forbidden("You may not upload: ask an administrator for the upload permission.")
        return viewer

    async def options(self, _request: Request) -> Response:
        """Capabilities (no credentials needed, as the protocol says)."""
        return Response(
            status_code=204,
            headers={
                "Tus-Resumable": TUS_VERSION,
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Max-Size": str(self.settings.max_upload_bytes),
            },
        )

    async def create(self, request: Request) -> Response:
        """POST: a new upload; with a body (creation-with-upload), its first bytes."""
        try:
            check_version(request)
            viewer = await self._viewer(request)
            assert viewer.user_id is not None
            if request.headers.get("upload-defer-length") is not None:
                raise BadRequest("Deferred length is not supported: send Upload-Length.")
            length = parse_size("Upload-Length", request.headers.get("upload-length"))
            limit = self.settings.max_upload_bytes
            if length > limit:
                raise TooLarge(f"The file is larger than the upload limit of {limit} bytes.")
            metadata = parse_metadata(request.headers.get("upload-metadata"))
            with_body = _is_offset_stream(request)
            await self.store.sweep_expired()
            upload_id = uuid.uuid4()
            now = utcnow()
            expires = self.store.expiry(now)
            async with self.services.sessions.begin() as session:
                over = await reservation_refusal(
                    session,
                    viewer.user_id,
                    length=length,
                    limit=None if viewer.is_admin else self.settings.upload_quota_bytes,
                    now=now,
                )
                if over is not None:
                    raise TooLarge(
                        f"Upload quota exceeded: {over.used} of {over.limit} bytes are used "
                        f"or reserved by unfinished uploads, and this file needs {length}."
                    )
                await self.store.create(upload_id)
                try:
                    await rows.insert_upload(
                        session,
                        upload_id=upload_id,
                        user_id=viewer.user_id,
                        length=length,
                        original_name=metadata.filename,
                        declared_type=metadata.filetype,
                        album_id=metadata.album_id,
                        expires_at=expires,
                    )
                except BaseException:
                    await self.store.remove(upload_id)
                    raise
        except TusRefused as refused:
            return self._refusal(refused)
        headers = self._base_headers() | {
            "Location": upload_location(upload_id),
            "Upload-Expires": http_date(expires),
        }
        if with_body:
            written = await self._receive(request, upload_id, viewer.user_id, offset=0)
            if isinstance(written, TusRefused):
                return self._refusal(written, headers)
            headers["Upload-Offset"] = str(written[0])
            headers["Upload-Expires"] = http_date(written[1])
        return Response(status_code=201, headers=headers)

    async def _upload(self, request: Request, viewer: Viewer) -> rows.UploadRow:
        """The viewer's live upload named by the URL, or the one 404."""
        upload_id = parse_upload_id(request.path_params["upload_id"])
        assert viewer.user_id is not None
        async with self.services.sessions() as session:
            upload = await rows.upload_of(session, upload_id, viewer.user_id)
        if upload is None or upload.state != rows.RECEIVING or upload.expires_at <= utcnow():
            raise _NOT_FOUND
        return upload

    async def head(self, request: Request) -> Response:
        """HEAD: where the upload stands."""
        try:
            check_version(request)
            upload = await self._upload(request, await self._viewer(request, changes=False))
        except TusRefused as refused:
            response = self._refusal(refused)
            return Response(status_code=response.status_code, headers=dict(response.headers))
        return Response(
            status_code=200,
            headers=self._base_headers()
            | {
                "Upload-Offset": str(upload.offset),
                "Upload-Length": str(upload.length),
                "Upload-Expires": http_date(upload.expires_at),
            },
        )

    async def patch(self, request: Request) -> Response:
        """PATCH: append the body at ``Upload-Offset``."""
        try:
            check_version(request)
            viewer = await self._viewer(request)
            if not _is_offset_stream(request):
                raise UnsupportedMediaType(f"PATCH bodies must be {OFFSET_OCTET_STREAM}.")
            offset = parse_size("Upload-Offset", request.headers.get("upload-offset"))
            upload = await self._upload(request, viewer)
            assert viewer.user_id is not None
        except TusRefused as refused:
            return self._refusal(refused)
        written = await self._receive(request, upload.id, viewer.user_id, offset=offset)
        if isinstance(written, TusRefused):
            return self._refusal(written)
        return Response(
            status_code=204,
            headers=self._base_headers()
            | {"Upload-Offset": str(written[0]), "Upload-Expires": http_date(written[1])},
        )

    async def delete(self, request: Request) -> Response:
        """DELETE (termination): the upload and its bytes are gone."""
        try:
            check_version(request)
            upload = await self._upload(request, await self._viewer(request))
            writer = await self._lock(upload.id)
        except TusRefused as refused:
            return self._refusal(refused)
        try:
            async with self.services.sessions.begin() as session:
                await rows.delete_upload(session, upload.id)
            await self.store.remove(upload.id)
        finally:
            await self.store.close(writer)
        return Response(status_code=204, headers=self._base_headers())

    async def _lock(self, upload_id: uuid.UUID) -> Writer:
        try:
            return await self.store.open_writer(upload_id)
        except UploadBusy:
            raise Locked("Another request is writing this upload; try again shortly.") from None
        except FileNotFoundError:
            raise _NOT_FOUND from None

    async def _receive(
        self, request: Request, upload_id: uuid.UUID, user_id: uuid.UUID, *, offset: int
    ) -> tuple[int, datetime] | TusRefused:
        """Write the body at ``offset`` under the upload's lock; the new offset and expiry.

        Bytes that arrived before a disconnect or a full disk are kept: the offset recorded
        is what was fsynced.
        """
        try:
            writer = await self._lock(upload_id)
        except TusRefused as refused:
            return refused
        try:
            async with self.services.sessions() as session:
                upload = await rows.upload_of(session, upload_id, user_id)
            if upload is None or upload.state != rows.RECEIVING:
                return _NOT_FOUND
            if offset != upload.offset:
                return WrongOffset(
                    f"Upload-Offset is {offset}, but this upload has {upload.offset} bytes: "
                    "ask with HEAD and continue from there."
                )
            await self.store.start_at(writer, upload.offset)
            refusal, durable = await self._write_body(request, writer, upload)
            expires = self.store.expiry()
            async with self.services.sessions.begin() as session:
                recorded = await rows.record_offset(
                    session,
                    upload.id,
                    old_offset=upload.offset,
                    new_offset=durable,
                    expires_at=expires,
                )
            if not recorded:
                return _NOT_FOUND
            if refusal is not None:
                return refusal
            return durable, expires
        finally:
            await self.store.close(writer)

    async def _write_body(
        self, request: Request, writer: Writer, upload: rows.UploadRow
    ) -> tuple[TusRefused | None, int]:
        """Stream the body into the file; a refusal (or None) and the durable offset."""
        room = upload.length - upload.offset
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > room:
            return (
                TooLarge(f"The body is {declared} bytes, but only {room} remain of Upload-Length."),
                upload.offset,
            )
        position = upload.offset  # written so far
        refusal: TusRefused | None = None
        batch: list[bytes] = []
        batched = 0
        try:
            async for chunk in _body(request):
                if position + batched + len(chunk) > upload.length:
                    refusal = TooLarge("The body goes past Upload-Length; the rest was dropped.")
                    chunk = chunk[: upload.length - position - batched]  # noqa: PLW2901
                batch.append(chunk)
                batched += len(chunk)
                if batched >= BATCH_BYTES or refusal is not None:
                    await self.store.append(writer, b"".join(batch), start=position)
                    position += batched
                    batch, batched = [], 0
                if refusal is not None:
                    break
            if batch:
                await self.store.append(writer, b"".join(batch), start=position)
                position += batched
        except ClientDisconnect:
            # What arrived before the client went is kept.
            logger.info("upload %s: the client went away at %d bytes", upload.id, position)
            if batch:
                with contextlib.suppress(DiskFull):
                    await self.store.append(writer, b"".join(batch), start=position)
        except DiskFull:
            logger.warning("upload %s: the disk is full", upload.id)
            refusal = InsufficientStorage(
                "The server's disk is full: the upload keeps the bytes stored so far "
                "(ask with HEAD) and can resume later."
            )
        try:
            return refusal, await self.store.sync(writer, durable=upload.offset)
        except DiskFull as full:
            return InsufficientStorage("The server's disk is full: resume later."), full.offset


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


def tus_routes(services: Services) -> list[Route]:
    """The tus routes bound to ``services``."""
    server = TusServer(services, TusStore(services))

    async def upload_item(request: Request) -> Response:
        method = request.method
        if method == "POST":
            # Clients behind proxies that drop PATCH or DELETE send POST with the real
            # method in X-HTTP-Method-Override (tus 1.0.0: the server MUST honour it).
            method = request.headers.get("x-http-method-override", "").strip().upper()
            if method not in {"PATCH", "DELETE", "HEAD"}:
                return JSONResponse(
                    {
                        "error": "MethodNotAllowed",
                        "message": "POST creates uploads at "
                        f"{UPLOADS_PATH}; here send PATCH, HEAD or DELETE.",
                    },
                    status_code=405,
                    headers={"Tus-Resumable": TUS_VERSION, "Allow": "HEAD, PATCH, DELETE, OPTIONS"},
                )
        if method == "HEAD":
            return await server.head(request)
        if method == "PATCH":
            return await server.patch(request)
        if method == "DELETE":
            return await server.delete(request)
        return await server.options(request)

    return [
        Route(UPLOADS_PATH, server.create, methods=["POST"], name="tus_create"),
        Route(UPLOADS_PATH, server.options, methods=["OPTIONS"], name="tus_options"),
        Route(
            f"{UPLOADS_PATH}/{{upload_id}}",
            upload_item,
            methods=["HEAD", "PATCH", "DELETE", "OPTIONS", "POST"],
            name="tus_upload",
        ),
    ]


__all__ = [
    "EXPOSED_HEADERS",
    "REQUEST_HEADERS",
    "TUS_EXTENSIONS",
    "TUS_VERSION",
    "UPLOADS_PATH",
    "Metadata",
    "TusRefused",
    "TusServer",
    "http_date",
    "parse_metadata",
    "parse_size",
    "tus_routes",
    "upload_location",
]
