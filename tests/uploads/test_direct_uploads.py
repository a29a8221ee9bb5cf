"""Direct uploads into S3 (a real moto server): the client PUTs parts to presigned URLs,
``finishUpload`` lists them, completes, probes and registers; refusals leave nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import encoded_audio
from tests.support.cutting_proxy import CuttingProxy, cutting_proxy
from tests.uploads.conftest import ORIGIN, grant_upload
from tonearm.accounts.users import Role
from tonearm.app import create_app
from tonearm.db.engine import create_session_factory
from tonearm.db.models import TrackRecord, UploadRecord, utcnow
from tonearm.settings import Settings
from tonearm.storage.s3 import S3Config, S3Storage
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url
from tonearm.uploads.direct import PART_BYTES
from tonearm.uploads.sweep import sweep_uploads

START = """mutation($length: Long!, $fileName: String, $albumId: ID) {
  startDirectUpload(length: $length, fileName: $fileName, albumId: $albumId) {
    __typename
    ... on DirectUpload {
      uploadId length partBytes partCount expiresAt parts { partNumber url expiresAt }
    }
    ... on TooLarge { fileName message limitBytes }
    ... on QuotaExceeded { message usedBytes limitBytes }
    ... on UploadNotAllowedError { message }
    ... on AlbumNotFoundError { message }
    ... on DirectUploadsUnsupportedError { message }
  }
}"""
PART_URLS = """mutation($id: ID!, $numbers: [Int!]!) {
  uploadPartUrls(uploadId: $id, partNumbers: $numbers) {
    __typename
    ... on UploadPartUrls { parts { partNumber url } }
    ... on UploadNotFoundError { message uploadId }
    ... on DirectUploadsUnsupportedError { message }
  }
}"""
FINISH = """mutation($id: ID!) {
  finishUpload(uploadId: $id) {
    __typename
    ... on UploadedTrack { fileName track { id title } }
    ... on NotAudio { fileName message }
    ... on UploadIncompleteError { message offset length }
    ... on UploadNotFoundError { message uploadId }
    ... on UploadAlreadyFinishedError { message }
  }
}"""


@pytest.fixture
async def proxy(s3_endpoint: str) -> AsyncIterator[CuttingProxy]:
    """moto behind a proxy that can cut a connection; the app and clients go through it."""
    async with cutting_proxy(s3_endpoint) as running:
        yield running


@pytest.fixture
def settings(
    s3_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    proxy: CuttingProxy,
) -> Settings:
    """Uploads into this test's bucket (through the proxy), streams proxied, no queue."""
    return s3_settings(
        database_url=database_url_for_test,
        media_root=media_root,
        variants_on_upload="on-demand",
        s3_delivery="proxy",
        s3_endpoint_url=proxy.url,
    )


@pytest.fixture
async def bucket(s3_endpoint: str, s3_bucket: str) -> AsyncIterator[S3Storage]:
    """The test's bucket, read directly (not through the proxy)."""
    storage = S3Storage(S3Config(bucket=s3_bucket, endpoint_url=s3_endpoint))
    yield storage
    await storage.close()


async def graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """One GraphQL request that must succeed as a request; its ``data``."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def start(client: httpx.AsyncClient, data: bytes, name: str = "song.wav") -> dict[str, Any]:
    """startDirectUpload for ``data``; the DirectUpload."""
    answer = (await graphql(client, START, length=len(data), fileName=name))["startDirectUpload"]
    assert answer["__typename"] == "DirectUpload", answer
    return answer


def pieces(data: bytes, started: dict[str, Any]) -> list[bytes]:
    """``data`` cut as the server said."""
    size = int(started["partBytes"])
    return [data[offset : offset + size] for offset in range(0, len(data), size)]


async def put_parts(started: dict[str, Any], data: bytes, numbers: list[int] | None = None) -> None:
    """PUT the parts (all, or those numbered) to their presigned URLs with a real client."""
    chunks = pieces(data, started)
    async with httpx.AsyncClient(timeout=60) as bucket_client:
        for part in started["parts"]:
            if numbers is not None and part["partNumber"] not in numbers:
                continue
            answer = await bucket_client.put(part["url"], content=chunks[part["partNumber"] - 1])
            assert answer.status_code == 200, answer.text


async def count(engine: AsyncEngine, what: Any) -> int:
    """How many rows ``what`` (a model) has."""
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(what))).scalar_one())


async def finish(client: httpx.AsyncClient, upload_id: str) -> dict[str, Any]:
    """finishUpload's answer."""
    answer: dict[str, Any] = (await graphql(client, FINISH, id=upload_id))["finishUpload"]
    return answer


@pytest.fixture
def song() -> bytes:
    """A WAV file of two parts (more than ``PART_BYTES``)."""
    data = encoded_audio("wav", 60.0)
    assert PART_BYTES < len(data) < 2 * PART_BYTES
    return data


async def test_parts_put_to_the_bucket_become_a_track_that_streams_byte_exact(
    *,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    uploader: SignedInUser,
    settings: Settings,
    bucket: S3Storage,
    song: bytes,
) -> None:
    started = await start(client, song)
    assert started["length"] == len(song)
    assert started["partBytes"] == PART_BYTES
    assert started["partCount"] == 2
    assert [p["partNumber"] for p in started["parts"]] == [1, 2]
    await put_parts(started, song)
    result = await finish(client, started["uploadId"])
    assert result["__typename"] == "UploadedTrack", result
    assert result["fileName"] == "song.wav"
    async with engine.connect() as connection:
        track_id, key = (
            await connection.execute(select(TrackRecord.id, TrackRecord.storage_key))
        ).one()
    user = uploader.record.id
    assert key.startswith(f"originals/{user}/")
    assert key.endswith(f"/{track_id}.wav")
    assert await bucket.read_all(key) == song
    assert await bucket.list_keys("incoming/") == []
    assert await bucket.list_multipart("incoming/") == []
    signer = StreamSigner(settings.signing_keys(), settings.stream_url_ttl)
    token = signer.mint(track_id, user_id=user).token
    streamed = await client.get(stream_url(track_id, token))
    assert streamed.status_code == 200
    assert streamed.headers["content-type"] == "audio/wav"
    assert streamed.content == song
    again = await finish(client, started["uploadId"])
    assert again["__typename"] == "UploadAlreadyFinishedError"


async def test_a_missing_part_is_incomplete_until_it_is_put(
    client: httpx.AsyncClient, engine: AsyncEngine, song: bytes
) -> None:
    started = await start(client, song)
    await put_parts(started, song, numbers=[1])
    result = await finish(client, started["uploadId"])
    assert result == {
        "__typename": "UploadIncompleteError",
        "message": f"The upload has {PART_BYTES} of its {len(song)} bytes: send the rest first.",
        "offset": PART_BYTES,
        "length": len(song),
    }
    assert await count(engine, TrackRecord) == 0
    await put_parts(started, song, numbers=[2])
    assert (await finish(client, started["uploadId"]))["__typename"] == "UploadedTrack"


async def test_a_part_of_the_wrong_size_does_not_count(
    client: httpx.AsyncClient, song: bytes
) -> None:
    started = await start(client, song)
    await put_parts(started, song, numbers=[1])
    async with httpx.AsyncClient(timeout=60) as bucket_client:
        answer = await bucket_client.put(started["parts"][1]["url"], content=b"short")
        assert answer.status_code == 200
    result = await finish(client, started["uploadId"])
    assert result["__typename"] == "UploadIncompleteError"
    assert result["offset"] == PART_BYTES


async def test_a_connection_cut_during_a_part_then_the_part_retried_completes(
    client: httpx.AsyncClient, proxy: CuttingProxy, bucket: S3Storage, song: bytes
) -> None:
    started = await start(client, song)
    proxy.cut_next(b"partNumber=2", after_bytes=256 * 1024)
    chunks = pieces(song, started)
    async with httpx.AsyncClient(timeout=60) as bucket_client:
        first = await bucket_client.put(started["parts"][0]["url"], content=chunks[0])
        assert first.status_code == 200
    async with httpx.AsyncClient(timeout=60) as bucket_client:
        with pytest.raises(httpx.TransportError):
            await bucket_client.put(started["parts"][1]["url"], content=chunks[1])
    assert proxy.cuts == 1
    halfway = await finish(client, started["uploadId"])
    assert halfway["__typename"] == "UploadIncompleteError"
    assert halfway["offset"] == PART_BYTES
    fresh = (await graphql(client, PART_URLS, id=started["uploadId"], numbers=[2]))[
        "uploadPartUrls"
    ]
    assert fresh["__typename"] == "UploadPartUrls"
    [part] = fresh["parts"]
    assert part["partNumber"] == 2
    async with httpx.AsyncClient(timeout=60) as bucket_client:
        retried = await bucket_client.put(part["url"], content=chunks[1])
        assert retried.status_code == 200
    result = await finish(client, started["uploadId"])
    assert result["__typename"] == "UploadedTrack", result
    [key] = await bucket.list_keys("originals/")
    assert await bucket.read_all(key) == song


async def test_not_audio_is_refused_and_its_object_deleted(
    client: httpx.AsyncClient, engine: AsyncEngine, bucket: S3Storage
) -> None:
    data = b"%PDF-1.7\n" + b"\x00" * 4096
    started = await start(client, data, name="report.pdf")
    assert started["partCount"] == 1
    await put_parts(started, data)
    result = await finish(client, started["uploadId"])
    assert result["__typename"] == "NotAudio", result
    assert result["fileName"] == "report.pdf"
    assert await bucket.list_keys("incoming/") == []
    assert await bucket.list_keys("originals/") == []
    assert await count(engine, TrackRecord) == 0
    assert await count(engine, UploadRecord) == 0
    gone = await finish(client, started["uploadId"])
    assert gone["__typename"] == "UploadNotFoundError"


async def test_someone_elses_unknown_and_malformed_ids_are_the_same_not_found(
    client: httpx.AsyncClient, app: FastAPI, engine: AsyncEngine, song: bytes
) -> None:
    started = await start(client, song)
    other = await make_user(engine, "other", Role.LISTENER)
    await grant_upload(engine, other)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=ORIGIN, headers=other.bearer, timeout=60
    ) as stranger:
        answers = [
            await finish(stranger, started["uploadId"]),
            await finish(stranger, str(uuid.uuid4())),
            await finish(stranger, "not-an-id"),
        ]
        urls = (await graphql(stranger, PART_URLS, id=started["uploadId"], numbers=[1]))[
            "uploadPartUrls"
        ]
    assert [{k: v for k, v in a.items() if k != "uploadId"} for a in answers] == [
        {"__typename": "UploadNotFoundError", "message": "No upload of yours has this ID."}
    ] * 3
    assert urls["__typename"] == "UploadNotFoundError"


async def test_a_bucket_that_refuses_is_a_clear_error_and_nothing_is_registered(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    reader_keys: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    access, secret = reader_keys  # may list the bucket, not write to it
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", access)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    response = await client.post(
        "/graphql", json={"query": START, "variables": {"length": 1000, "fileName": "a.mp3"}}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == (
        "The server's storage cannot be reached; nothing was begun. Try again later."
    )
    assert error["extensions"]["code"] == "STORAGE_UNAVAILABLE"
    assert "Traceback" not in response.text
    assert await count(engine, UploadRecord) == 0
    # The client is told only "cannot be reached"; the operator's log says why.
    [logged] = [r for r in caplog.records if r.name == "tonearm.schema.errors"]
    assert logged.levelname == "WARNING"
    assert logged.getMessage().startswith("storage unavailable: S3 refused to ")
    assert "(AccessDenied)" in logged.getMessage()
    assert secret not in caplog.text


async def test_the_checks_of_a_tus_create(
    client: httpx.AsyncClient, settings: Settings, song: bytes
) -> None:
    limit = settings.max_upload_bytes
    too_large = (await graphql(client, START, length=limit + 1, fileName="big.flac"))[
        "startDirectUpload"
    ]
    assert too_large == {
        "__typename": "TooLarge",
        "fileName": "big.flac",
        "message": f"the file is larger than the limit of {limit} bytes",
        "limitBytes": limit,
    }
    response = await client.post("/graphql", json={"query": START, "variables": {"length": 0}})
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "length must be at least 1 byte."
    album = (
        await graphql(
            client,
            START,
            length=10,
            albumId="QWxidW06MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw",
        )
    )["startDirectUpload"]
    assert album["__typename"] == "AlbumNotFoundError"


async def test_unfinished_direct_uploads_count_to_the_quota(
    *,
    s3_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    engine: AsyncEngine,
    uploader: SignedInUser,
    song: bytes,
) -> None:
    settings = s3_settings(
        database_url=database_url_for_test,
        media_root=media_root,
        upload_quota_bytes=len(song) + 10,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=ORIGIN, headers=uploader.bearer, timeout=60
    ) as http:
        await start(http, song)
        second = (await graphql(http, START, length=11, fileName="b.wav"))["startDirectUpload"]
    assert second == {
        "__typename": "QuotaExceeded",
        "message": "storing this file would exceed your upload quota",
        "usedBytes": len(song),
        "limitBytes": len(song) + 10,
    }


async def test_local_storage_answers_use_tus(
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    uploader: SignedInUser,
) -> None:
    settings = make_settings(database_url=database_url_for_test, media_root=media_root)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=ORIGIN, headers=uploader.bearer, timeout=60
    ) as http:
        answer = (await graphql(http, START, length=10))["startDirectUpload"]
        method = (await graphql(http, "{ viewer { uploadMethod } }"))["viewer"]
    assert answer == {
        "__typename": "DirectUploadsUnsupportedError",
        "message": (
            "Direct uploads need TONEARM_STORAGE=s3; this server stores uploads locally: "
            "use the resumable uploads at /api/uploads (tus)."
        ),
    }
    assert method == {"uploadMethod": "TUS"}


async def test_the_viewer_is_told_to_upload_directly(client: httpx.AsyncClient) -> None:
    assert (await graphql(client, "{ viewer { uploadMethod } }"))["viewer"] == {
        "uploadMethod": "DIRECT"
    }


async def test_the_sweep_aborts_abandoned_multipart_uploads(
    *,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    uploader: SignedInUser,
    settings: Settings,
    bucket: S3Storage,
    song: bytes,
) -> None:
    started = await start(client, song)
    await put_parts(started, song, numbers=[1])
    # One with no row at all (a process that died between the two steps).
    orphan_key = f"incoming/{uploader.record.id}/{uuid.uuid4()}"
    await bucket.create_multipart(orphan_key, content_type="application/octet-stream")
    assert len(await bucket.list_multipart("incoming/")) == 2
    report = await sweep_uploads(
        create_session_factory(engine),
        uploads_root=settings.resolved_uploads_dir,
        now=utcnow() + timedelta(hours=settings.upload_expiry_hours + 1),
        storage=bucket,
        expiry_hours=settings.upload_expiry_hours,
    )
    assert report.expired_uploads == 1
    assert report.aborted_multipart == 2
    assert await bucket.list_multipart("incoming/") == []
    assert await count(engine, UploadRecord) == 0
    gone = await finish(client, started["uploadId"])
    assert gone["__typename"] == "UploadNotFoundError"


async def test_the_sweep_keeps_live_direct_uploads(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings, bucket: S3Storage
) -> None:
    await start(client, b"x" * 100)
    report = await sweep_uploads(
        create_session_factory(engine),
        uploads_root=settings.resolved_uploads_dir,
        storage=bucket,
        expiry_hours=settings.upload_expiry_hours,
    )
    assert report.aborted_multipart == 0
    assert len(await bucket.list_multipart("incoming/")) == 1
    assert await count(engine, UploadRecord) == 1
