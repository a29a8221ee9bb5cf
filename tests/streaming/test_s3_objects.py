"""Streams of uploads kept in S3 (``TONEARM_STORAGE=s3``), against a real moto server.

Every check of the route stays as it was (token first); then a redirect to a presigned GET
(302, ``no-store``, never outliving the token) or the bytes proxied with the local route's
semantics. Gone → the route's 404; endpoint down → 503 with ``Retry-After``, at once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.streaming.conftest import LONG, SHORT, Library
from tests.support.moto import free_port
from tonearm.db.models import TrackRecord
from tonearm.settings import Settings
from tonearm.storage.s3 import S3Config, S3Storage
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url

USER = uuid.UUID("87654321-4321-8765-4321-876543218765")


@pytest.fixture
def delivery() -> str:
    """TONEARM_S3_DELIVERY of the app (tests parametrize it)."""
    return "redirect"


@pytest.fixture
def settings(
    s3_settings: Callable[..., Settings],
    media_root: Path,
    database_url_for_test: str,
    delivery: str,
) -> Settings:
    """The app's settings: uploads in this test's bucket."""
    return s3_settings(
        media_root=media_root,
        database_url=database_url_for_test,
        s3_delivery=delivery,
        s3_connect_timeout=1,
        s3_read_timeout=2,
    )


def _key(track_id: uuid.UUID) -> str:
    return f"originals/{USER}/2026/03/{track_id}.mp3"


@dataclass
class Uploaded:
    """Tracks whose originals are objects in the bucket, and their bytes."""

    library: Library
    data: dict[str, bytes]
    bucket: str

    def url(self, signer: StreamSigner, rel: str = SHORT, **mint: Any) -> str:
        track_id = self.library.ids[rel]
        return stream_url(track_id, signer.mint(track_id, **mint).token)


@pytest.fixture
async def uploaded(
    library: Library, engine: AsyncEngine, s3_endpoint: str, s3_bucket: str
) -> Uploaded:
    """SHORT and LONG as uploads whose originals are objects in the bucket."""
    storage = S3Storage(S3Config(bucket=s3_bucket, endpoint_url=s3_endpoint))
    data: dict[str, bytes] = {}
    try:
        for rel in (SHORT, LONG):
            track_id = library.ids[rel]
            data[rel] = library.data(rel)
            await storage.put_file(_key(track_id), library.path(rel), content_type="audio/mpeg")
            async with engine.begin() as connection:
                await connection.execute(
                    update(TrackRecord)
                    .where(TrackRecord.id == track_id)
                    .values(origin="upload", storage_key=_key(track_id), uploaded_by=USER)
                )
            library.path(rel).unlink()  # nothing local to fall back on
    finally:
        await storage.close()
    return Uploaded(library, data, s3_bucket)


async def _delete_object(uploaded: Uploaded, rel: str, endpoint: str) -> None:
    storage = S3Storage(S3Config(bucket=uploaded.bucket, endpoint_url=endpoint))
    try:
        await storage.delete(_key(uploaded.library.ids[rel]))
    finally:
        await storage.close()


async def test_redirect_to_a_presigned_get_that_answers_range(
    client: httpx.AsyncClient, uploaded: Uploaded, signer: StreamSigner, s3_endpoint: str
) -> None:
    minted_at = time.time()
    expires_at = int(minted_at) + signer.ttl_seconds  # what the token says
    url = uploaded.url(signer, LONG, now=minted_at)
    before = time.time()
    response = await client.get(url)
    assert response.status_code == 302
    assert response.headers["cache-control"] == "no-store"
    assert response.content == b""
    location = response.headers["location"]
    assert location.startswith(f"{s3_endpoint}/{uploaded.bucket}/originals/")
    query = parse_qs(urlsplit(location).query)
    # The URL dies no later than the token: asked at ``before`` or later, it lives at most
    # until ``expires_at``.
    assert 0 < before + int(query["X-Amz-Expires"][0]) <= expires_at
    assert query["response-content-type"] == ["audio/mpeg"]
    assert query["response-content-disposition"] == ['inline; filename="Artist One - Long.mp3"']
    data = uploaded.data[LONG]
    async with httpx.AsyncClient() as bucket:
        ranged = await bucket.get(location, headers={"Range": "bytes=1000-1999"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    assert ranged.content == data[1000:2000]


async def test_a_short_lived_token_gets_a_short_lived_url(
    client: httpx.AsyncClient, uploaded: Uploaded, signer: StreamSigner
) -> None:
    minted_at = time.time() - (signer.ttl_seconds - 90)  # 90 s of life left
    response = await client.get(uploaded.url(signer, SHORT, now=minted_at))
    assert response.status_code == 302
    expires = int(parse_qs(urlsplit(response.headers["location"]).query)["X-Amz-Expires"][0])
    assert 0 < expires <= 90


@pytest.mark.parametrize("delivery", ["proxy"])
async def test_proxy_sends_the_whole_object(
    client: httpx.AsyncClient, uploaded: Uploaded, signer: StreamSigner
) -> None:
    data = uploaded.data[LONG]
    response = await client.get(uploaded.url(signer, LONG))
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-disposition"] == 'inline; filename="Artist One - Long.mp3"'
    assert response.headers["etag"].startswith('"')
    assert response.headers["cache-control"].startswith("private, max-age=")
    head = await client.head(uploaded.url(signer, LONG))
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(data))
    assert head.headers["etag"] == response.headers["etag"]


@pytest.mark.parametrize("delivery", ["proxy"])
async def test_proxy_answers_ranges_like_a_local_file(
    client: httpx.AsyncClient, uploaded: Uploaded, signer: StreamSigner
) -> None:
    data = uploaded.data[LONG]
    size = len(data)
    url = uploaded.url(signer, LONG)
    small = await client.get(url, headers={"Range": "bytes=10-19"})
    assert small.status_code == 206
    assert small.headers["content-range"] == f"bytes 10-19/{size}"
    assert small.headers["content-length"] == "10"
    assert small.content == data[10:20]
    large = await client.get(url, headers={"Range": "bytes=100-"})  # several pieces
    assert large.status_code == 206
    assert large.headers["content-range"] == f"bytes 100-{size - 1}/{size}"
    assert large.content == data[100:]
    suffix = await client.get(url, headers={"Range": "bytes=-7"})
    assert suffix.content == data[-7:]
    several = await client.get(url, headers={"Range": "bytes=0-1,20-29"})
    assert several.status_code == 206
    assert several.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert data[20:30] in several.content
    beyond = await client.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.content == b""


@pytest.mark.parametrize("delivery", ["proxy"])
async def test_proxy_validators_give_304_412_and_if_range(
    client: httpx.AsyncClient, uploaded: Uploaded, signer: StreamSigner
) -> None:
    url = uploaded.url(signer, SHORT)
    etag = (await client.head(url)).headers["etag"]
    not_modified = await client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    failed = await client.get(url, headers={"If-Match": '"something-else"'})
    assert failed.status_code == 412
    stale = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200
    assert stale.content == uploaded.data[SHORT]
    fresh = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert fresh.status_code == 206
    assert fresh.content == uploaded.data[SHORT][:10]


@pytest.mark.parametrize("delivery", ["redirect", "proxy"])
async def test_an_object_deleted_behind_the_registry_is_not_found(
    client: httpx.AsyncClient, uploaded: Uploaded, signer: StreamSigner, s3_endpoint: str
) -> None:
    await _delete_object(uploaded, SHORT, s3_endpoint)
    response = await client.get(uploaded.url(signer, SHORT))
    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("delivery", ["redirect", "proxy"])
async def test_the_token_is_checked_before_storage(
    client: httpx.AsyncClient, uploaded: Uploaded, signer: StreamSigner
) -> None:
    url = uploaded.url(signer, SHORT)
    response = await client.get(url[:-3] + "AAA")
    assert response.status_code == 403
    assert response.json() == {"error": "invalid_token"}


@pytest.mark.parametrize("delivery", ["redirect", "proxy"])
async def test_storage_down_is_503_with_retry_after_at_once(  # noqa: PLR0917 - fixtures
    library: Library,
    engine: AsyncEngine,
    make_settings: Callable[..., Settings],
    media_root: Path,
    database_url_for_test: str,
    s3_credentials: None,
    delivery: str,
) -> None:
    from tonearm.app import create_app

    track_id = library.ids[SHORT]
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord)
            .where(TrackRecord.id == track_id)
            .values(origin="upload", storage_key=_key(track_id), uploaded_by=USER)
        )
    settings = make_settings(
        media_root=media_root,
        database_url=database_url_for_test,
        storage="s3",
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        s3_bucket="anything",
        s3_delivery=delivery,
        s3_max_attempts=1,
        s3_connect_timeout=1,
        s3_read_timeout=1,
    )
    signer = StreamSigner(settings.signing_keys(), settings.stream_url_ttl)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as client:
        response = await client.get(stream_url(track_id, signer.mint(track_id).token))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"error": "storage_unavailable"}


@pytest.mark.parametrize("delivery", ["redirect", "proxy"])
async def test_nginx_in_front_is_declined_and_then_answered_in_full(
    settings: Settings,
    uploaded: Uploaded,
    signer: StreamSigner,
) -> None:
    """Objects of the bucket are never nginx's to send: its decision is a 403 and the same
    request in full gets the redirect or the proxied bytes."""
    from tonearm.app import create_app
    from tonearm.streaming.accel import DECIDE_HEADER, FRONT_HEADER, front_secret

    app = create_app(settings.model_copy(update={"accel": "nginx"}))
    front = {FRONT_HEADER: front_secret(settings.signing_keys()[0])}
    url = uploaded.url(signer, SHORT)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as client:
        decided = await client.get(url, headers={**front, DECIDE_HEADER: "1"})
        full = await client.get(url, headers=front)
    assert decided.status_code == 403
    assert decided.content == b""
    assert "x-accel-redirect" not in full.headers
    if settings.s3_delivery == "redirect":
        assert full.status_code == 302
    else:
        assert full.status_code == 200
        assert full.content == uploaded.data[SHORT]


@pytest.mark.parametrize("delivery", ["redirect", "proxy"])
async def test_a_bucket_that_refuses_this_server_is_503_not_500(
    client: httpx.AsyncClient,
    uploaded: Uploaded,
    signer: StreamSigner,
    reader_keys: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """moto enforcing IAM, the app's keys only allowed to list the bucket: reading an
    object is AccessDenied, which a listener sees as storage being unavailable."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", reader_keys[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", reader_keys[1])
    response = await client.get(uploaded.url(signer, SHORT))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"error": "storage_unavailable"}
