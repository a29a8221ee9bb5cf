"""The tus 1.0.0 protocol at /api/uploads over real HTTP: each rule, exact codes and headers."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import socket
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser
from tests.uploads.tus.conftest import OFFSET_STREAM, TUS, LiveServer, metadata, serve
from tonearm.accounts.sessions import SESSION_COOKIE
from tonearm.app import create_app
from tonearm.db.engine import create_session_factory
from tonearm.db.models import UploadRecord
from tonearm.settings import Settings
from tonearm.uploads import tus_store

MiB = 1024 * 1024
LOCATION = re.compile(r"^/api/uploads/([0-9a-f-]{36})$")


def tus(user: SignedInUser, **extra: str) -> dict[str, str]:
    """Protocol and bearer headers (plus ``extra``)."""
    return {**TUS, **user.bearer, **extra}


async def create(
    http: httpx.AsyncClient, user: SignedInUser, length: int, **extra: str
) -> httpx.Response:
    """POST a new upload of ``length`` bytes."""
    return await http.post(
        "/api/uploads", headers=tus(user, **{"Upload-Length": str(length)}, **extra)
    )


async def new_upload(http: httpx.AsyncClient, user: SignedInUser, length: int) -> str:
    """The path of a new upload."""
    response = await create(http, user, length, **{"Upload-Metadata": metadata(filename="a.mp3")})
    assert response.status_code == 201, response.text
    return response.headers["location"]


async def patch(
    http: httpx.AsyncClient, user: SignedInUser, path: str, offset: int, body: bytes
) -> httpx.Response:
    """PATCH ``body`` at ``offset``."""
    return await http.patch(
        path, content=body, headers=tus(user, **OFFSET_STREAM, **{"Upload-Offset": str(offset)})
    )


async def offset_of(http: httpx.AsyncClient, user: SignedInUser, path: str) -> int:
    """The upload's offset by HEAD."""
    response = await http.head(path, headers=tus(user))
    assert response.status_code == 200
    return int(response.headers["upload-offset"])


def data_file(live: LiveServer, path: str) -> bytes:
    """The bytes the server holds for an upload."""
    return (live.tus_dir / path.rsplit("/", 1)[1]).read_bytes()


def comparable(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    """A response without the headers that differ between any two responses."""
    headers = {k: v for k, v in response.headers.items() if k not in {"date", "server"}}
    return response.status_code, headers, response.content


# --- OPTIONS and the version header ---------------------------------------------------------


async def test_options_announces_version_extensions_and_max_size(http: httpx.AsyncClient) -> None:
    response = await http.options("/api/uploads")

    assert response.status_code == 204
    assert response.headers["tus-resumable"] == "1.0.0"
    assert response.headers["tus-version"] == "1.0.0"
    assert response.headers["tus-extension"] == (
        "creation,creation-with-upload,termination,expiration"
    )
    assert response.headers["tus-max-size"] == str(8 * MiB)
    assert response.content == b""


@pytest.mark.parametrize("version", [None, "0.2.2", "1.0"])
async def test_requests_without_tus_resumable_1_0_0_are_412(
    http: httpx.AsyncClient, uploader: SignedInUser, version: str | None
) -> None:
    headers = {**uploader.bearer, "Upload-Length": "10"}
    if version is not None:
        headers["Tus-Resumable"] = version

    response = await http.post("/api/uploads", headers=headers)

    assert response.status_code == 412
    assert response.headers["tus-version"] == "1.0.0"
    assert response.headers["tus-resumable"] == "1.0.0"


# --- who may upload -------------------------------------------------------------------------


async def test_no_credentials_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/uploads", headers={**TUS, "Upload-Length": "10"})

    assert response.status_code == 401
    assert response.json()["error"] == "Unauthenticated"
    assert response.headers["tus-resumable"] == "1.0.0"


async def test_a_revoked_or_made_up_token_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/uploads",
        headers={**TUS, "Upload-Length": "10", "Authorization": "Bearer not-a-token"},
    )

    assert response.status_code == 401


async def test_a_user_without_the_permission_is_403_with_a_clear_message(
    http: httpx.AsyncClient, listener: SignedInUser, live: LiveServer
) -> None:
    response = await create(http, listener, 10)

    assert response.status_code == 403
    assert response.json() == {
        "error": "Forbidden",
        "message": "You may not upload: ask an administrator for the upload permission.",
    }
    assert not live.tus_dir.exists()


async def test_a_cookie_without_an_allowed_origin_is_refused(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer
) -> None:
    for origin in (None, "https://evil.example"):
        headers = {**TUS, "Upload-Length": "10", "Cookie": f"{SESSION_COOKIE}={uploader.cookie}"}
        if origin:
            headers["Origin"] = origin
        response = await http.post("/api/uploads", headers=headers)
        assert response.status_code == 403
        assert "Cross-site" in response.json()["message"]
    assert not live.tus_dir.exists()


async def test_a_cookie_from_this_origin_may_upload(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer
) -> None:
    headers = {
        **TUS,
        "Upload-Length": "10",
        "Origin": live.base_url,
        "Cookie": f"{SESSION_COOKIE}={uploader.cookie}",
    }

    response = await http.post("/api/uploads", headers=headers)

    assert response.status_code == 201


async def test_admins_may_upload_without_the_grant(
    http: httpx.AsyncClient, admin: SignedInUser
) -> None:
    assert (await create(http, admin, 10)).status_code == 201


# --- creation -------------------------------------------------------------------------------


async def test_creation_answers_201_with_location_and_expiry(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer, engine: AsyncEngine
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    response = await create(
        http,
        uploader,
        1234,
        **{"Upload-Metadata": metadata(filename="Über Song.mp3", filetype="audio/mpeg")},
    )

    assert response.status_code == 201
    assert response.headers["tus-resumable"] == "1.0.0"
    match = LOCATION.match(response.headers["location"])
    assert match is not None
    upload_id = uuid.UUID(match[1])
    expires = parsedate_to_datetime(response.headers["upload-expires"])
    assert response.headers["upload-expires"].endswith(" GMT")
    assert before + timedelta(hours=24) <= expires <= datetime.now(UTC) + timedelta(hours=24)
    async with create_session_factory(engine)() as session:
        row = await session.get(UploadRecord, upload_id)
    assert row is not None
    assert (row.user_id, row.length, row.offset, row.state) == (
        uploader.record.id,
        1234,
        0,
        "receiving",
    )
    assert (row.original_name, row.declared_type) == ("Über Song.mp3", "audio/mpeg")
    assert (live.tus_dir / str(upload_id)).read_bytes() == b""


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 400, "Upload-Length is required."),
        ({"Upload-Length": "-1"}, 400, "Upload-Length must be a non-negative integer."),
        ({"Upload-Length": "12abc"}, 400, "Upload-Length must be a non-negative integer."),
        (
            {"Upload-Defer-Length": "1"},
            400,
            "Deferred length is not supported: send Upload-Length.",
        ),
        (
            {"Upload-Length": str(8 * MiB + 1)},
            413,
            f"The file is larger than the upload limit of {8 * MiB} bytes.",
        ),
        (
            {"Upload-Length": "10", "Upload-Metadata": "filename not*base64"},
            400,
            "Upload-Metadata value of 'filename' is not base64 of UTF-8 text.",
        ),
        (
            {"Upload-Length": "10", "Upload-Metadata": "filename //8="},
            400,
            "Upload-Metadata value of 'filename' is not base64 of UTF-8 text.",
        ),
        (
            {"Upload-Length": "10", "Upload-Metadata": metadata(albumId="nope")},
            400,
            "Upload-Metadata albumId is not an album ID.",
        ),
        (
            {"Upload-Length": "10", "Upload-Metadata": "a eA==,a eA=="},
            400,
            "Upload-Metadata repeats the key 'a'.",
        ),
    ],
)
async def test_bad_creation_headers_get_a_clear_error(  # noqa: PLR0917 - fixtures
    http: httpx.AsyncClient,
    uploader: SignedInUser,
    live: LiveServer,
    headers: dict[str, str],
    status: int,
    message: str,
) -> None:
    response = await http.post("/api/uploads", headers=tus(uploader, **headers))

    assert response.status_code == status
    assert response.json()["message"] == message
    assert not live.tus_dir.exists() or not any(live.tus_dir.iterdir())


async def test_quota_counts_stored_tracks_and_unfinished_uploads(
    http: httpx.AsyncClient, uploader: SignedInUser, admin: SignedInUser
) -> None:
    assert (await create(http, uploader, 3 * MiB)).status_code == 201

    refused = await create(http, uploader, 2 * MiB)

    assert refused.status_code == 413
    assert refused.json()["message"] == (
        f"Upload quota exceeded: {3 * MiB} of {4 * MiB} bytes are used or reserved by "
        f"unfinished uploads, and this file needs {2 * MiB}."
    )
    assert (await create(http, uploader, 1 * MiB)).status_code == 201
    # Admins have no quota.
    assert (await create(http, admin, 6 * MiB)).status_code == 201
    assert (await create(http, admin, 6 * MiB)).status_code == 201


async def test_creation_with_upload_writes_the_first_bytes(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer
) -> None:
    body = os.urandom(100_000)
    response = await http.post(
        "/api/uploads",
        content=body,
        headers=tus(uploader, **OFFSET_STREAM, **{"Upload-Length": "300000"}),
    )

    assert response.status_code == 201
    assert response.headers["upload-offset"] == "100000"
    path = response.headers["location"]
    assert data_file(live, path) == body
    assert await offset_of(http, uploader, path) == 100_000


# --- HEAD -----------------------------------------------------------------------------------


async def test_head_reports_offset_and_length_uncached(
    http: httpx.AsyncClient, uploader: SignedInUser
) -> None:
    path = await new_upload(http, uploader, 5000)
    assert (await patch(http, uploader, path, 0, b"x" * 1200)).status_code == 204

    response = await http.head(path, headers=tus(uploader))

    assert response.status_code == 200
    assert response.headers["upload-offset"] == "1200"
    assert response.headers["upload-length"] == "5000"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["tus-resumable"] == "1.0.0"
    parsedate_to_datetime(response.headers["upload-expires"])


async def test_someone_elses_upload_looks_exactly_like_no_upload(
    http: httpx.AsyncClient, uploader: SignedInUser, other_uploader: SignedInUser
) -> None:
    theirs = await new_upload(http, other_uploader, 5000)
    unknown = f"/api/uploads/{uuid.uuid4()}"

    for method in ("HEAD", "PATCH", "DELETE"):
        kwargs: dict[str, Any] = {
            "headers": tus(uploader, **OFFSET_STREAM, **{"Upload-Offset": "0"})
        }
        if method == "PATCH":
            kwargs["content"] = b"abc"
        not_yours = await http.request(method, theirs, **kwargs)
        not_there = await http.request(method, unknown, **kwargs)
        malformed = await http.request(method, "/api/uploads/../../etc", **kwargs)
        assert not_yours.status_code == 404
        assert comparable(not_yours) == comparable(not_there)
        assert (await http.request(method, "/api/uploads/not-a-uuid", **kwargs)).status_code == 404
        assert malformed.status_code in {404, 405}
    assert await offset_of(http, other_uploader, theirs) == 0


async def test_an_expired_upload_is_404_and_swept_by_the_next_creation(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer, engine: AsyncEngine
) -> None:
    path = await new_upload(http, uploader, 5000)
    upload_id = uuid.UUID(path.rsplit("/", 1)[1])
    assert (await patch(http, uploader, path, 0, b"abc")).status_code == 204
    async with create_session_factory(engine).begin() as session:
        await session.execute(
            update(UploadRecord)
            .where(UploadRecord.id == upload_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    assert (await http.head(path, headers=tus(uploader))).status_code == 404
    assert (await patch(http, uploader, path, 3, b"def")).status_code == 404
    assert (live.tus_dir / str(upload_id)).exists()

    assert (await create(http, uploader, 10)).status_code == 201

    assert not (live.tus_dir / str(upload_id)).exists()
    async with create_session_factory(engine)() as session:
        assert await session.get(UploadRecord, upload_id) is None


# --- PATCH ----------------------------------------------------------------------------------


async def test_patch_appends_and_refreshes_the_expiry(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer
) -> None:
    path = await new_upload(http, uploader, 3 * MiB)
    first, second = os.urandom(2 * MiB + 17), os.urandom(MiB - 17)

    one = await patch(http, uploader, path, 0, first)
    two = await patch(http, uploader, path, len(first), second)

    assert (one.status_code, one.headers["upload-offset"]) == (204, str(len(first)))
    assert (two.status_code, two.headers["upload-offset"]) == (204, str(3 * MiB))
    assert two.headers["tus-resumable"] == "1.0.0"
    assert parsedate_to_datetime(two.headers["upload-expires"]) >= parsedate_to_datetime(
        one.headers["upload-expires"]
    )
    assert data_file(live, path) == first + second


async def test_patch_needs_the_offset_octet_stream_type(
    http: httpx.AsyncClient, uploader: SignedInUser
) -> None:
    path = await new_upload(http, uploader, 100)
    headers = tus(uploader, **{"Content-Type": "application/octet-stream", "Upload-Offset": "0"})

    response = await http.patch(path, content=b"abc", headers=headers)

    assert response.status_code == 415
    assert await offset_of(http, uploader, path) == 0


async def test_a_wrong_offset_is_409_and_changes_nothing(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer
) -> None:
    path = await new_upload(http, uploader, 100)
    assert (await patch(http, uploader, path, 0, b"abcde")).status_code == 204

    behind = await patch(http, uploader, path, 0, b"zzzzz")
    ahead = await patch(http, uploader, path, 9, b"zzzzz")

    assert behind.status_code == ahead.status_code == 409
    assert "this upload has 5 bytes" in behind.json()["message"]
    assert data_file(live, path) == b"abcde"
    assert await offset_of(http, uploader, path) == 5


async def test_a_missing_offset_is_400(http: httpx.AsyncClient, uploader: SignedInUser) -> None:
    path = await new_upload(http, uploader, 100)

    response = await http.patch(path, content=b"abc", headers=tus(uploader, **OFFSET_STREAM))

    assert response.status_code == 400
    assert response.json()["message"] == "Upload-Offset is required."


async def test_writing_past_the_declared_length_is_413(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer
) -> None:
    path = await new_upload(http, uploader, 10)

    response = await patch(http, uploader, path, 0, b"0123456789ABC")

    assert response.status_code == 413
    assert response.json()["message"] == (
        "The body is 13 bytes, but only 10 remain of Upload-Length."
    )
    assert await offset_of(http, uploader, path) == 0
    assert data_file(live, path) == b""


async def test_a_chunked_body_past_the_length_keeps_what_fits(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer
) -> None:
    path = await new_upload(http, uploader, 10)

    async def body() -> Any:
        yield b"01234"
        yield b"56789ABC"

    response = await http.patch(
        path, content=body(), headers=tus(uploader, **OFFSET_STREAM, **{"Upload-Offset": "0"})
    )

    assert response.status_code == 413
    assert await offset_of(http, uploader, path) == 10
    assert data_file(live, path) == b"0123456789"


async def test_a_second_writer_of_one_upload_is_423(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer
) -> None:
    path = await new_upload(http, uploader, 100)
    # Another worker process writing it holds the flock on the data file.
    fd = os.open(live.tus_dir / path.rsplit("/", 1)[1], os.O_WRONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy = await patch(http, uploader, path, 0, b"abc")
        deleting = await http.delete(path, headers=tus(uploader))
    finally:
        os.close(fd)

    assert busy.status_code == deleting.status_code == 423
    assert (await patch(http, uploader, path, 0, b"abc")).status_code == 204


def _cut_off_patch(
    live: LiveServer, user: SignedInUser, path: str, total: int, sent: bytes
) -> None:
    """A client that declares ``total`` bytes, sends ``sent`` and goes away."""
    host, port = live.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        head = (
            f"PATCH {path} HTTP/1.1\r\nHost: {host}:{port}\r\nTus-Resumable: 1.0.0\r\n"
            f"Authorization: Bearer {user.token}\r\n"
            "Content-Type: application/offset+octet-stream\r\n"
            f"Upload-Offset: 0\r\nContent-Length: {total}\r\n\r\n"
        )
        sock.sendall(head.encode() + sent)


async def wait_for_offset(http: httpx.AsyncClient, user: SignedInUser, path: str) -> int:
    """The offset once the cut-off request has released the upload."""
    for _ in range(200):
        response = await http.head(path, headers=tus(user))
        if int(response.headers["upload-offset"]) > 0:
            return int(response.headers["upload-offset"])
        await _sleep(0.05)
    pytest.fail("the cut-off PATCH never recorded its bytes")


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_a_disconnect_halfway_keeps_what_arrived_and_resumes(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer
) -> None:
    data = os.urandom(3 * MiB)
    path = await new_upload(http, uploader, len(data))

    _cut_off_patch(live, uploader, path, len(data), data[: 3 * MiB // 2])
    offset = await wait_for_offset(http, uploader, path)

    assert 0 < offset <= 3 * MiB // 2
    assert data_file(live, path) == data[:offset]
    response = await patch(http, uploader, path, offset, data[offset:])
    assert (response.status_code, response.headers["upload-offset"]) == (204, str(len(data)))
    assert data_file(live, path) == data


async def test_a_full_disk_is_507_and_keeps_the_durable_offset(
    http: httpx.AsyncClient,
    uploader: SignedInUser,
    live: LiveServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = os.urandom(4 * MiB)
    path = await new_upload(http, uploader, len(data))
    assert (await patch(http, uploader, path, 0, data[:MiB])).status_code == 204
    room = {"left": MiB + MiB // 2}  # the disk fills half way through the next PATCH
    real_write = tus_store.write_bytes

    def filling_write(fd: int, view: memoryview) -> int:
        if room["left"] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = real_write(fd, view[: room["left"]])
        room["left"] -= written
        return written

    monkeypatch.setattr(tus_store, "write_bytes", filling_write)

    full = await patch(http, uploader, path, MiB, data[MiB:])

    assert full.status_code == 507
    assert full.json()["message"].startswith("The server's disk is full")
    offset = await offset_of(http, uploader, path)
    # The whole batches (about 1 MiB each) written before the disk filled; not the part of
    # the batch the disk refused.
    assert MiB < offset <= MiB + MiB + MiB // 2
    assert data_file(live, path) == data[:offset]

    monkeypatch.setattr(tus_store, "write_bytes", real_write)
    done = await patch(http, uploader, path, offset, data[offset:])
    assert (done.status_code, done.headers["upload-offset"]) == (204, str(len(data)))
    assert data_file(live, path) == data


async def test_x_http_method_override_turns_a_post_into_patch_or_delete(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer
) -> None:
    path = await new_upload(http, uploader, 10)
    headers = tus(uploader, **OFFSET_STREAM, **{"Upload-Offset": "0"})

    patched = await http.post(
        path, content=b"abc", headers={**headers, "X-HTTP-Method-Override": "PATCH"}
    )
    plain_post = await http.post(path, content=b"abc", headers=headers)
    deleted = await http.post(path, headers={**tus(uploader), "X-HTTP-Method-Override": "DELETE"})

    assert (patched.status_code, patched.headers["upload-offset"]) == (204, "3")
    assert plain_post.status_code == 405
    assert deleted.status_code == 204
    assert (await http.head(path, headers=tus(uploader))).status_code == 404


# --- DELETE ---------------------------------------------------------------------------------


async def test_termination_removes_the_file_and_the_row(
    http: httpx.AsyncClient, uploader: SignedInUser, live: LiveServer, engine: AsyncEngine
) -> None:
    path = await new_upload(http, uploader, 100)
    assert (await patch(http, uploader, path, 0, b"abc")).status_code == 204

    response = await http.delete(path, headers=tus(uploader))

    assert response.status_code == 204
    assert response.headers["tus-resumable"] == "1.0.0"
    assert (await http.head(path, headers=tus(uploader))).status_code == 404
    assert not (live.tus_dir / path.rsplit("/", 1)[1]).exists()
    async with create_session_factory(engine)() as session:
        assert (await session.scalars(select(UploadRecord))).all() == []


# --- CORS -----------------------------------------------------------------------------------


async def test_cors_lets_an_allowed_origin_speak_tus(settings: Settings) -> None:
    origin = "https://player.example"
    app = create_app(settings.model_copy(update={"cors_origins": [origin]}))
    with serve(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            preflight = await client.options(
                "/api/uploads/x",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "PATCH",
                    "Access-Control-Request-Headers": "tus-resumable,upload-offset,content-type",
                },
            )
            answer = await client.options("/api/uploads", headers={"Origin": origin})

    assert preflight.status_code == 200
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    exposed = answer.headers["access-control-expose-headers"]
    for header in ("Location", "Upload-Offset", "Upload-Length", "Upload-Expires", "Tus-Resumable"):
        assert header in exposed
