"""Faults across replicas: a replica killed in the middle of a tus PATCH (the upload resumes
through nginx on the other one, byte-exact), and Redis down (browsing, streams and uploads
keep working; the variant jobs wait and are made once Redis is back)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.replicas.conftest import Stack
from tests.support.audio import write_mp3

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = 64 * 1024
FINISH = """mutation($id: ID!) { finishUpload(uploadId: $id) {
  __typename ... on UploadedTrack { track { id title streamUrl { url } } } } }"""
VARIANTS = """query($id: ID!) { node(id: $id) { ... on Track {
  variants { format bitrateKbps isOriginal state } } } }"""
BROWSE = "{ tracks(first: 10) { totalCount edges { node { title } } } }"


def _song(tmp_path: Path, title: str, key: int) -> bytes:
    path = write_mp3(tmp_path / f"{title}.mp3", title=title, artist="Uploader", seconds=40, key=key)
    return path.read_bytes()


def _gql(running: Stack, base: str, query: str, **variables: Any) -> tuple[httpx.Response, Any]:
    response = httpx.post(
        base + "/graphql",
        json={"query": query, "variables": variables},
        headers=running.admin.bearer,
        timeout=60,
    )
    return response, response.json()


def _create(running: Stack, base: str, length: int) -> str:
    response = httpx.post(
        base + "/api/uploads",
        headers={**running.admin.bearer, **TUS, "Upload-Length": str(length)},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return httpx.URL(response.headers["location"]).path


def _patch(running: Stack, base: str, path: str, offset: int, body: Any) -> httpx.Response:
    return httpx.patch(
        base + path,
        headers={
            **running.admin.bearer,
            **TUS,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        },
        content=body,
        timeout=60,
    )


def _head(running: Stack, base: str, path: str) -> httpx.Response:
    return httpx.head(base + path, headers={**running.admin.bearer, **TUS}, timeout=30)


def test_a_replica_killed_mid_patch_the_upload_resumes_through_the_other(
    running: Stack, tmp_path: Path
) -> None:
    data = _song(tmp_path, "Resumed Song", key=7)
    path = _create(running, running.url("a"), len(data))
    killed = threading.Event()

    def body() -> Iterator[bytes]:
        # A third of the file, then the replica dies while the client is still sending.
        for start in range(0, len(data) // 3, CHUNK):
            yield data[start : min(start + CHUNK, len(data) // 3)]
        running.stack.kill_replica("a")
        killed.set()
        for start in range(len(data) // 3, len(data), CHUNK):
            yield data[start : start + CHUNK]

    try:
        with pytest.raises(httpx.TransportError):
            _patch(running, running.url("a"), path, 0, body())
        assert killed.is_set()

        # Through nginx: replica a is gone, so b answers, from the shared database and
        # uploads folder. What a kept is what it fsynced: resume from there.
        head = _head(running, running.url("nginx"), path)
        assert head.status_code == 200
        assert head.headers["x-tonearm-instance"] == "b"
        offset = int(head.headers["upload-offset"])
        assert 0 <= offset <= len(data) // 3
        assert head.headers["upload-length"] == str(len(data))
        rest = _patch(running, running.url("nginx"), path, offset, data[offset:])
        assert rest.status_code == 204
        assert rest.headers["x-tonearm-instance"] == "b"
        assert rest.headers["upload-offset"] == str(len(data))

        response, body_json = _gql(running, running.url("nginx"), FINISH, id=path.rsplit("/")[-1])
        assert response.headers["x-tonearm-instance"] == "b"
        assert "errors" not in body_json, body_json
        finished = body_json["data"]["finishUpload"]
        assert finished["__typename"] == "UploadedTrack"
        assert finished["track"]["title"] == "Resumed Song"
        streamed = httpx.get(running.url("b") + finished["track"]["streamUrl"]["url"], timeout=60)
        assert streamed.status_code == 200
        assert streamed.content == data
    finally:
        if running.stack.replicas["a"].process is None:
            running.stack.start_replica("a")


def test_with_redis_down_browsing_streams_and_uploads_work_and_jobs_wait(
    running: Stack, tmp_path: Path
) -> None:
    assert running.stack.redis is not None
    data = _song(tmp_path, "Queued Song", key=9)
    running.stack.redis.stop()
    try:
        for replica in ("a", "b"):
            response, body = _gql(running, running.url(replica), BROWSE)
            assert response.status_code == 200
            assert "errors" not in body, body
            assert body["data"]["tracks"]["totalCount"] >= 3
            stream = httpx.get(
                running.url(replica) + running.stream_path("Song 2"),
                headers={"Range": "bytes=0-9"},
                timeout=30,
            )
            assert stream.status_code == 206
            assert stream.headers["content-range"].startswith("bytes 0-9/")
        # An upload is accepted; its variant jobs (TONEARM_VARIANTS_ON_UPLOAD=eager) cannot
        # be sent and stay pending in the registry.
        path = _create(running, running.url("nginx"), len(data))
        assert _patch(running, running.url("nginx"), path, 0, data).status_code == 204
        _, finished = _gql(running, running.url("nginx"), FINISH, id=path.rsplit("/")[-1])
        track = finished["data"]["finishUpload"]["track"]
        made = _made_variants(running, track["id"])
        assert made == []
    finally:
        running.stack.redis.start()

    # The workers find the pending jobs again (their periodic recovery) and make them.
    _wait_for(lambda: len(_made_variants(running, track["id"])) > 0, "a variant made", 240)
    for replica in ("a", "b"):
        response, body = _gql(running, running.url(replica), BROWSE)
        assert "errors" not in body, body


def _made_variants(running: Stack, track_id: str) -> list[dict[str, Any]]:
    _, body = _gql(running, running.url("a"), VARIANTS, id=track_id)
    assert "errors" not in body, body
    return [
        v for v in body["data"]["node"]["variants"] if not v["isOriginal"] and v["state"] == "READY"
    ]


def _wait_for(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout  # a loaded 2-core machine, not a figure
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)
