"""finishUpload over real HTTP: tus bytes become a track through the one pipeline."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser
from tests.support.audio import write_mp3
from tests.uploads.tus.conftest import LiveServer, metadata
from tests.uploads.tus.test_tus_clients import upload_in_chunks
from tests.uploads.tus.test_tus_protocol import create, new_upload, patch, tus
from tonearm.db.engine import create_session_factory
from tonearm.db.models import TrackRecord, UploadRecord, UserRecord

FINISH = """
mutation Finish($id: ID!) {
  finishUpload(uploadId: $id) {
    __typename
    ... on UploadedTrack { fileName track { id title } }
    ... on Duplicate { fileName message track { id } }
    ... on NotAudio { fileName message }
    ... on Corrupt { fileName message }
    ... on TooLarge { fileName message limitBytes }
    ... on QuotaExceeded { fileName message usedBytes limitBytes }
    ... on UploadNotFoundError { message uploadId }
    ... on UploadIncompleteError { message offset length }
    ... on UploadAlreadyFinishedError { message track { id } }
  }
}
"""


async def finish(http: httpx.AsyncClient, user: SignedInUser, upload_id: str) -> dict[str, Any]:
    """finishUpload as ``user``; the result object."""
    response = await http.post(
        "/graphql", json={"query": FINISH, "variables": {"id": upload_id}}, headers=user.bearer
    )
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return dict(body["data"]["finishUpload"])


def upload_id_of(location: str) -> str:
    """The tus id: the last path segment of the Location."""
    return location.rsplit("/", 1)[1]


async def upload_bytes(
    http: httpx.AsyncClient, user: SignedInUser, data: bytes, name: str = "a.mp3"
) -> str:
    """A complete tus upload of ``data`` in one PATCH; its id."""
    response = await http.post(
        "/api/uploads",
        headers=tus(
            user, **{"Upload-Length": str(len(data)), "Upload-Metadata": metadata(filename=name)}
        ),
    )
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    if data:
        assert (await patch(http, user, location, 0, data)).status_code == 204
    return upload_id_of(location)


def a_song(tmp_path: Path, title: str = "Tus Song", key: int = 1) -> Path:
    """A real, tagged MP3 of a few seconds."""
    return write_mp3(
        tmp_path / f"{title}.mp3", title=title, artist="Uploader", album="Tus", seconds=10, key=key
    )


async def test_a_file_sent_in_many_patches_becomes_a_track(
    live: LiveServer,
    uploader: SignedInUser,
    http: httpx.AsyncClient,
    engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    song = a_song(tmp_path)
    url, patches = await asyncio.to_thread(upload_in_chunks, live, uploader, song)
    upload_id = upload_id_of(url)
    assert patches > 1

    result = await finish(http, uploader, upload_id)

    assert result["__typename"] == "UploadedTrack"
    assert result["fileName"] == "Tus Song.mp3"
    assert result["track"]["title"] == "Tus Song"
    async with create_session_factory(engine)() as session:
        row = await session.get(UploadRecord, uuid.UUID(upload_id))
        track = (await session.scalars(select(TrackRecord))).one()
    assert row is not None
    assert (row.state, row.track_id) == ("finished", track.id)
    assert track.uploaded_by == uploader.record.id
    stored = live.settings.resolved_uploads_dir / os.fsdecode(track.path)
    assert stored.read_bytes() == song.read_bytes()
    assert not (live.tus_dir / upload_id).exists()
    assert not any((live.settings.resolved_uploads_dir / ".staging").iterdir())
    # A finished upload is no longer a tus resource.
    location = f"/api/uploads/{upload_id}"
    assert (await http.head(location, headers=tus(uploader))).status_code == 404
    assert (await patch(http, uploader, location, 0, b"x")).status_code == 404


async def test_finishing_twice_points_at_the_track(
    uploader: SignedInUser, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    upload_id = await upload_bytes(http, uploader, a_song(tmp_path).read_bytes())
    first = await finish(http, uploader, upload_id)

    again = await finish(http, uploader, upload_id)

    assert again == {
        "__typename": "UploadAlreadyFinishedError",
        "message": "This upload was finished already.",
        "track": {"id": first["track"]["id"]},
    }


async def test_two_finishes_at_once_give_one_track(
    uploader: SignedInUser, http: httpx.AsyncClient, engine: AsyncEngine, tmp_path: Path
) -> None:
    upload_id = await upload_bytes(http, uploader, a_song(tmp_path).read_bytes())

    results = await asyncio.gather(*(finish(http, uploader, upload_id) for _ in range(3)))

    kinds = sorted(result["__typename"] for result in results)
    assert kinds == ["UploadAlreadyFinishedError", "UploadAlreadyFinishedError", "UploadedTrack"]
    assert len({result["track"]["id"] for result in results}) == 1
    async with create_session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(TrackRecord)) == 1


async def test_someone_elses_upload_is_not_found_like_an_unknown_one(
    uploader: SignedInUser, other_uploader: SignedInUser, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    theirs = await upload_bytes(http, other_uploader, a_song(tmp_path).read_bytes())
    unknown = str(uuid.uuid4())

    not_yours = await finish(http, uploader, theirs)
    not_there = await finish(http, uploader, unknown)
    malformed = await finish(http, uploader, "../../etc/passwd")

    for result, asked in (
        (not_yours, theirs),
        (not_there, unknown),
        (malformed, "../../etc/passwd"),
    ):
        assert result == {
            "__typename": "UploadNotFoundError",
            "message": "No upload of yours has this ID.",
            "uploadId": asked,
        }
    assert (await finish(http, other_uploader, theirs))["__typename"] == "UploadedTrack"


async def test_an_incomplete_upload_says_how_far_it_got(
    uploader: SignedInUser, http: httpx.AsyncClient
) -> None:
    location = await new_upload(http, uploader, 1000)
    assert (await patch(http, uploader, location, 0, b"x" * 400)).status_code == 204

    result = await finish(http, uploader, upload_id_of(location))

    assert result == {
        "__typename": "UploadIncompleteError",
        "message": "The upload has 400 of its 1000 bytes: send the rest first.",
        "offset": 400,
        "length": 1000,
    }


async def test_a_zero_byte_upload_is_corrupt(
    uploader: SignedInUser, http: httpx.AsyncClient, live: LiveServer, engine: AsyncEngine
) -> None:
    upload_id = await upload_bytes(http, uploader, b"", name="empty.mp3")

    result = await finish(http, uploader, upload_id)

    assert result == {"__typename": "Corrupt", "fileName": "empty.mp3", "message": "empty file"}
    assert not (live.tus_dir / upload_id).exists()
    async with create_session_factory(engine)() as session:
        assert await session.get(UploadRecord, uuid.UUID(upload_id)) is None
        assert await session.scalar(select(func.count()).select_from(TrackRecord)) == 0
    assert (await finish(http, uploader, upload_id))["__typename"] == "UploadNotFoundError"


async def test_a_text_file_named_mp3_is_not_audio(
    uploader: SignedInUser, http: httpx.AsyncClient, live: LiveServer
) -> None:
    text = b"these are not the droids you are looking for\n" * 40
    upload_id = await upload_bytes(http, uploader, text, name="notes.mp3")

    result = await finish(http, uploader, upload_id)

    assert result == {
        "__typename": "NotAudio",
        "fileName": "notes.mp3",
        "message": "not an audio file (unsupported type text/plain)",
    }
    assert not (live.tus_dir / upload_id).exists()


async def test_a_truncated_mp3_is_corrupt(
    uploader: SignedInUser, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    data = a_song(tmp_path).read_bytes()
    tag_size = 10 + sum((byte & 0x7F) << (7 * (3 - i)) for i, byte in enumerate(data[6:10]))
    upload_id = await upload_bytes(http, uploader, data[:tag_size], name="cut.mp3")

    result = await finish(http, uploader, upload_id)

    assert result == {
        "__typename": "Corrupt",
        "fileName": "cut.mp3",
        "message": "corrupt or truncated audio (nothing after its ID3 tag)",
    }


async def test_the_same_bytes_twice_are_a_duplicate(
    uploader: SignedInUser, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    data = a_song(tmp_path).read_bytes()
    first = await finish(http, uploader, await upload_bytes(http, uploader, data))
    second_id = await upload_bytes(http, uploader, data, name="again.mp3")

    second = await finish(http, uploader, second_id)

    assert second["__typename"] == "Duplicate"
    assert second["track"] == {"id": first["track"]["id"]}
    again = await finish(http, uploader, second_id)
    assert again["__typename"] == "UploadAlreadyFinishedError"
    assert again["track"] == {"id": first["track"]["id"]}


async def test_a_revoked_permission_refuses_and_keeps_the_upload(
    uploader: SignedInUser,
    http: httpx.AsyncClient,
    engine: AsyncEngine,
    live: LiveServer,
    tmp_path: Path,
) -> None:
    upload_id = await upload_bytes(http, uploader, a_song(tmp_path).read_bytes())
    users = create_session_factory(engine)

    async def grant(value: bool) -> None:
        async with users.begin() as session:
            await session.execute(
                update(UserRecord)
                .where(UserRecord.id == uploader.record.id)
                .values(can_upload=value)
            )

    await grant(False)
    response = await http.post(
        "/graphql", json={"query": FINISH, "variables": {"id": upload_id}}, headers=uploader.bearer
    )
    await grant(True)

    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (live.tus_dir / upload_id).exists()
    assert (await finish(http, uploader, upload_id))["__typename"] == "UploadedTrack"


async def test_quota_at_finish_counts_the_tracks_stored_meanwhile(
    uploader: SignedInUser, http: httpx.AsyncClient, engine: AsyncEngine, tmp_path: Path
) -> None:
    # Created within the quota (4 MiB); a track stored since fills it.
    song = a_song(tmp_path).read_bytes()
    upload_id = await upload_bytes(http, uploader, song)
    other = a_song(tmp_path, "Meanwhile", key=2).read_bytes()
    stored = await finish(http, uploader, await upload_bytes(http, uploader, other))
    assert stored["__typename"] == "UploadedTrack"
    async with create_session_factory(engine).begin() as session:
        await session.execute(update(TrackRecord).values(size_bytes=4 * 1024 * 1024))

    result = await finish(http, uploader, upload_id)

    assert result["__typename"] == "QuotaExceeded"
    assert (result["usedBytes"], result["limitBytes"]) == (4 * 1024 * 1024, 4 * 1024 * 1024)


async def test_finish_needs_a_signed_in_viewer(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": FINISH, "variables": {"id": str(uuid.uuid4())}}
    )

    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_creation_refuses_what_the_quota_cannot_hold(
    uploader: SignedInUser, http: httpx.AsyncClient
) -> None:
    assert (await create(http, uploader, 4 * 1024 * 1024 + 1)).status_code == 413
