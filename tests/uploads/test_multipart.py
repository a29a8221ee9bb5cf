"""uploadTracks: GraphQL multipart requests, each file through the one pipeline."""

from __future__ import annotations

import asyncio
import errno
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import encoded_audio, id3_tags, mp3_bytes
from tests.uploads.conftest import (
    ORIGIN,
    RAW_CONTENT_TYPE,
    UPLOAD,
    grant_upload,
    multipart_parts,
    raw_multipart,
    results,
    staged_files,
    stored_files,
    upload,
)
from tonearm.accounts.users import Role
from tonearm.db.engine import create_session_factory
from tonearm.db.models import TrackCollaboratorRecord, TrackRecord
from tonearm.settings import Settings
from tonearm.uploads import staging

STORED_NAME = re.compile(r"[0-9a-f-]{36}/\d{4}/\d{2}/[0-9a-f-]{36}\.(mp3|flac)")


async def tracks(engine: AsyncEngine) -> list[TrackRecord]:
    async with create_session_factory(engine)() as session:
        return list((await session.scalars(select(TrackRecord).order_by(TrackRecord.title))).all())


def tagged_mp3(title: str, album: str, key: int) -> bytes:
    """An MP3 with an ID3v2 title and album (written in memory)."""
    import io

    buffer = io.BytesIO(mp3_bytes(1.0, key=key))
    id3_tags({"title": title, "album": album, "artist": "The Band"}, []).save(buffer)
    return buffer.getvalue()


async def test_a_good_mp3_becomes_an_owned_track(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings, uploader: SignedInUser
) -> None:
    data = mp3_bytes(2.0)
    [result] = results(await upload(client, [("Song.mp3", data)]))

    assert result["__typename"] == "UploadedTrack"
    assert result["fileName"] == "Song.mp3"
    assert result["track"]["title"] == "Song"
    [track] = await tracks(engine)
    async with create_session_factory(engine)() as session:
        owners = (await session.scalars(select(TrackCollaboratorRecord))).all()
    assert (track.origin, track.uploaded_by, track.original_name, track.size_bytes) == (
        "upload",
        uploader.record.id,
        "Song.mp3",
        len(data),
    )
    assert track.path.startswith(f"{uploader.record.id}/")
    assert STORED_NAME.fullmatch(track.path)
    assert [(o.track_id, o.user_id, o.role) for o in owners] == [
        (track.id, uploader.record.id, "owner")
    ]
    [stored] = stored_files(settings)
    assert stored.relative_to(settings.resolved_uploads_dir) == Path(track.path)
    assert stored.read_bytes() == data
    assert staged_files(settings) == []


async def test_a_flac_is_stored_with_the_probed_extension(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    [result] = results(await upload(client, [("take one.mp3", encoded_audio("flac", 1.0))]))

    assert result["__typename"] == "UploadedTrack"
    [track] = await tracks(engine)
    assert (track.format, track.mime_type) == ("flac", "audio/flac")
    assert track.path.endswith(".flac")  # the probe decides, never the client's name


async def test_refusals_are_typed_per_file_and_the_rest_of_the_batch_counts(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    whole = mp3_bytes(3.0, key=3)
    batch = [
        ("empty.mp3", b""),
        ("notes.mp3", b"hello, this is not music\n" * 40),
        ("scrap.mp3", whole[:300]),
        ("half.mp3", whole[: len(whole) // 2]),
        ("fine.mp3", mp3_bytes(1.0, key=4)),
    ]
    found = results(await upload(client, batch))

    assert [(r["__typename"], r["fileName"]) for r in found] == [
        ("Corrupt", "empty.mp3"),
        ("NotAudio", "notes.mp3"),
        ("Corrupt", "scrap.mp3"),
        # The scanner's rule: frames intact up to the cut are a (shorter) track.
        ("UploadedTrack", "half.mp3"),
        ("UploadedTrack", "fine.mp3"),
    ]
    assert found[0]["message"] == "empty file"
    assert found[1]["message"] == "not an audio file (unsupported type text/csv)"
    assert found[2]["message"].startswith("corrupt or truncated audio")
    assert found[3]["track"]["durationSeconds"] == pytest.approx(1.5, abs=0.1)
    assert len(await tracks(engine)) == 2
    assert len(stored_files(settings)) == 2
    assert staged_files(settings) == []


@pytest.fixture
def small_limit(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_upload_bytes": 20_000})


async def test_a_file_over_the_limit_is_too_large_and_nothing_of_it_stays(
    make_settings: object, small_limit: Settings, uploader: SignedInUser, engine: AsyncEngine
) -> None:
    from tonearm.app import create_app

    app = create_app(small_limit)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=ORIGIN, headers=uploader.bearer
        ) as client:
            small = mp3_bytes(0.5, key=5)
            assert len(small) < 20_000
            declared = results(
                await upload(client, [("big.mp3", b"\xff" * 500_000), ("small.mp3", small)])
            )
            body = raw_multipart([(b"big.mp3", b"\xfe" * 500_000), (b"small.mp3", small)])

            async def chunked() -> AsyncIterator[bytes]:  # no Content-Length at all
                for start in range(0, len(body), 65536):
                    yield body[start : start + 65536]

            undeclared = results(
                await client.post(
                    "/graphql", content=chunked(), headers={"content-type": RAW_CONTENT_TYPE}
                )
            )
    finally:
        await app.state.services.engine.dispose()

    for found in (declared, undeclared):
        assert found[0] == {
            "__typename": "TooLarge",
            "fileName": "big.mp3",
            "message": "the file is larger than the limit of 20000 bytes",
            "limitBytes": 20000,
        }
    assert declared[1]["__typename"] == "UploadedTrack"
    assert undeclared[1]["__typename"] == "Duplicate"  # the same small file again
    assert len(stored_files(small_limit)) == 1
    assert staged_files(small_limit) == []


async def test_a_declared_length_beyond_the_files_limits_is_refused_early(
    small_limit: Settings, uploader: SignedInUser
) -> None:
    from tonearm.app import create_app

    app = create_app(small_limit)
    data, parts = multipart_parts([("big.mp3", b"\xff" * 3_000_000)])
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=ORIGIN, headers=uploader.bearer
        ) as client:
            response = await client.post("/graphql", data=data, files=parts)
    finally:
        await app.state.services.engine.dispose()

    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {"message": "The request is larger than 1 files of at most 20000 bytes each can be."}
        ]
    }
    assert staged_files(small_limit) == []


async def test_the_same_bytes_twice_give_one_track(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    data = mp3_bytes(1.0, key=6)
    first, again = results(await upload(client, [("a.mp3", data), ("b.mp3", data)]))
    [later] = results(await upload(client, [("c.mp3", data)]))

    assert first["__typename"] == "UploadedTrack"
    assert again["__typename"] == later["__typename"] == "Duplicate"
    assert again["track"]["id"] == later["track"]["id"] == first["track"]["id"]
    assert again["message"] == "the same file is already in the library"
    assert len(await tracks(engine)) == 1
    assert len(stored_files(settings)) == 1


async def test_two_concurrent_uploads_of_the_same_bytes_give_one_track(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    data = mp3_bytes(1.0, key=7)
    responses = await asyncio.gather(*(upload(client, [(f"{n}.mp3", data)]) for n in range(3)))
    kinds = sorted(results(response)[0]["__typename"] for response in responses)

    assert kinds == ["Duplicate", "Duplicate", "UploadedTrack"]
    ids = {results(response)[0]["track"]["id"] for response in responses}
    assert len(ids) == 1
    assert len(await tracks(engine)) == 1
    assert len(stored_files(settings)) == 1
    assert staged_files(settings) == []


async def test_a_quota_exceeded_mid_batch_keeps_the_files_before_it(
    settings: Settings, uploader: SignedInUser, engine: AsyncEngine
) -> None:
    from tonearm.app import create_app

    files = [(f"{n}.mp3", mp3_bytes(1.0, key=10 + n)) for n in range(3)]
    sizes = [len(content) for _, content in files]
    limited = settings.model_copy(update={"upload_quota_bytes": sizes[0] + sizes[1] + 10})
    app = create_app(limited)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=ORIGIN, headers=uploader.bearer
        ) as client:
            found = results(await upload(client, files))
            quota = (await client.post("/graphql", json={"query": QUOTA})).json()["data"]["viewer"][
                "uploadQuota"
            ]
    finally:
        await app.state.services.engine.dispose()

    assert [r["__typename"] for r in found] == ["UploadedTrack", "UploadedTrack", "QuotaExceeded"]
    assert found[2] == {
        "__typename": "QuotaExceeded",
        "fileName": "2.mp3",
        "message": "storing this file would exceed your upload quota",
        "usedBytes": sizes[0] + sizes[1],
        "limitBytes": sizes[0] + sizes[1] + 10,
    }
    assert quota == {"usedBytes": sizes[0] + sizes[1], "limitBytes": sizes[0] + sizes[1] + 10}
    assert len(stored_files(limited)) == 2
    assert staged_files(limited) == []


QUOTA = "{ viewer { canUpload uploadQuota { usedBytes limitBytes } } }"


async def test_an_admin_has_no_quota_and_may_always_upload(
    app: FastAPI, engine: AsyncEngine, settings: Settings
) -> None:
    admin = await make_user(engine, "boss", Role.ADMIN)
    limited = settings.model_copy(update={"upload_quota_bytes": 10})
    from tonearm.app import create_app

    app = create_app(limited)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=ORIGIN, headers=admin.bearer
        ) as client:
            [result] = results(await upload(client, [("x.mp3", mp3_bytes(1.0, key=20))]))
            viewer = (await client.post("/graphql", json={"query": QUOTA})).json()["data"]
    finally:
        await app.state.services.engine.dispose()

    assert result["__typename"] == "UploadedTrack"
    assert viewer["viewer"]["canUpload"] is True
    assert viewer["viewer"]["uploadQuota"]["limitBytes"] is None


async def test_a_user_without_the_permission_stores_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings, uploader: SignedInUser
) -> None:
    await grant_upload(engine, uploader, allowed=False)
    response = await upload(client, [("x.mp3", mp3_bytes(1.0, key=21))])

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "uploadTracks": {
                "__typename": "UploadNotAllowedError",
                "message": "this account may not upload music",
            }
        }
    }
    assert await tracks(engine) == []
    assert stored_files(settings) == []
    assert staged_files(settings) == []


async def test_hostile_names_are_display_text_only(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    names = [
        b"../../etc/passwd.mp3",
        b"a\x00b\x07c\x1b[31m.mp3",
        b"n" * 3996 + b".mp3",
        "夜の歌 — 東京.mp3".encode(),
    ]
    files = [(name, mp3_bytes(1.0, key=30 + n)) for n, name in enumerate(names)]
    found = results(
        await client.post(
            "/graphql", content=raw_multipart(files), headers={"content-type": RAW_CONTENT_TYPE}
        )
    )

    assert [r["__typename"] for r in found] == ["UploadedTrack"] * 4
    assert [r["fileName"] for r in found] == [
        "../../etc/passwd.mp3",
        "abc[31m.mp3",
        "n" * 255,
        "夜の歌 — 東京.mp3",
    ]
    assert sorted(r["track"]["title"] for r in found) == sorted(
        ["passwd", "abc[31m", "n" * 255, "夜の歌 — 東京"]
    )
    for track in await tracks(engine):
        assert STORED_NAME.fullmatch(track.path)
    assert not (settings.resolved_uploads_dir.parent / "etc").exists()
    assert len(stored_files(settings)) == 4


async def test_a_hundred_and_twenty_small_files_in_one_request(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    files = [(f"{n:03}.mp3", mp3_bytes(0.2, kbps=32, key=100 + n)) for n in range(120)]
    found = results(await upload(client, files))

    assert [r["fileName"] for r in found] == [name for name, _ in files]
    assert {r["__typename"] for r in found} == {"UploadedTrack"}
    async with create_session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(TrackRecord)) == 120
    assert len(stored_files(settings)) == 120
    assert staged_files(settings) == []


async def test_a_full_disk_stops_the_batch_and_keeps_the_files_before(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_write = staging.write_bytes
    calls = {"batches": 0}

    def write_then_fill_up(fd: int, data: bytes | memoryview) -> int:
        calls["batches"] += 1
        if calls["batches"] > 1:  # the second file's first batch: the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    # The one fake of this suite: a full disk cannot be made here safely.
    monkeypatch.setattr(staging, "write_bytes", write_then_fill_up)
    files = [(f"{n}.mp3", mp3_bytes(1.0, key=40 + n)) for n in range(3)]
    response = await upload(client, files)

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "the server's disk is full; nothing was stored from this file",
            "locations": [{"line": 2, "column": 3}],
            "path": ["uploadTracks"],
            "extensions": {"code": "STORAGE_FULL", "fileIndex": 1},
        }
    ]
    [kept] = await tracks(engine)
    assert kept.original_name == "0.mp3"
    assert len(stored_files(settings)) == 1
    assert staged_files(settings) == []


async def test_files_sent_as_json_strings_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": UPLOAD, "variables": {"files": ["not a file"]}}
    )
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == (
        "Send files as a GraphQL multipart request (one file part per Upload)."
    )


async def test_an_anonymous_multipart_request_stages_nothing(
    app: FastAPI, settings: Settings
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as anonymous:
        response = await upload(anonymous, [("x.mp3", mp3_bytes(1.0, key=50))])
    body = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert staged_files(settings) == []
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([("map", "{}"), ("operations", "{}")], "The 'operations' field must come first."),
        (
            [
                ("operations", json.dumps({"query": UPLOAD})),
                ("map", '{"0": ["variables.files.0"]}'),
            ],
            "The map names files that were not sent: ['0'].",
        ),
        ([("operations", "{not json"), ("map", "{}")], "The 'operations' field is not valid JSON."),
        (
            [("operations", "{}"), ("map", '{"0": "x"}')],
            ("The 'map' field must map file names to lists of paths."),
        ),
        (
            [("operations", "[]"), ("map", "{}")],
            ("Batched operations are not supported in one request."),
        ),
    ],
)
async def test_a_body_that_breaks_the_multipart_spec_is_a_400(
    client: httpx.AsyncClient, fields: list[tuple[str, str]], message: str
) -> None:
    boundary = "tonearm-test-boundary"
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + f"{value}\r\n".encode()
            for name, value in fields
        )
        + f"--{boundary}--\r\n".encode()
    )
    response = await client.post(
        "/graphql",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": message}]}


async def test_a_cookie_borne_upload_needs_the_csrf_header_and_an_allowed_origin(
    app: FastAPI, uploader: SignedInUser, settings: Settings
) -> None:
    transport = httpx.ASGITransport(app=app)
    file = [("x.mp3", mp3_bytes(1.0, key=60))]
    async with httpx.AsyncClient(
        transport=transport, base_url=ORIGIN, cookies={"tonearm_session": uploader.cookie}
    ) as browser:
        no_header = await upload(browser, file, headers={"origin": ORIGIN})
        foreign = await upload(
            browser, file, headers={"origin": "https://evil.example", "tonearm-csrf": "1"}
        )
        allowed = await upload(browser, file, headers={"origin": ORIGIN, "tonearm-csrf": "1"})

    refusal = {
        "errors": [
            {
                "message": (
                    "Cross-site upload refused: a cookie-authenticated multipart request needs "
                    "an allowed Origin and the header Tonearm-CSRF: 1."
                ),
                "extensions": {"code": "CSRF_REJECTED"},
            }
        ]
    }
    assert (no_header.status_code, no_header.json()) == (403, refusal)
    assert (foreign.status_code, foreign.json()) == (403, refusal)
    assert results(allowed)[0]["__typename"] == "UploadedTrack"
    assert len(stored_files(settings)) == 1
    assert staged_files(settings) == []


async def test_uploading_into_an_album_puts_the_track_there(
    client: httpx.AsyncClient, engine: AsyncEngine, app: FastAPI
) -> None:
    [first] = results(await upload(client, [("1.mp3", tagged_mp3("One", "Blue Record", 70))]))
    album = first["track"]["album"]
    assert album["title"] == "Blue Record"

    [joined] = results(
        await upload(client, [("untagged.mp3", mp3_bytes(1.0, key=71))], album_id=album["id"])
    )
    assert joined["track"]["album"] == album

    other = await make_user(engine, "other", Role.LISTENER)
    await grant_upload(engine, other)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=ORIGIN, headers=other.bearer
    ) as stranger:
        response = await upload(stranger, [("x.mp3", mp3_bytes(1.0, key=72))], album_id=album["id"])
    assert response.json()["data"]["uploadTracks"] == {
        "__typename": "AlbumNotFoundError",
        "message": "No album you may add tracks to has this ID.",
        "albumId": album["id"],
    }


async def test_one_file_part_mapped_to_two_variables_is_stored_once(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    operations = {"query": UPLOAD, "variables": {"files": [None, None]}}
    files_map = {"0": ["variables.files.0", "variables.files.1"]}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(files_map)},
        files=[("0", ("twice.mp3", mp3_bytes(1.0, key=96), "audio/mpeg"))],
    )
    first, second = results(response)
    assert first == second
    assert first["__typename"] == "UploadedTrack"
    assert len(await tracks(engine)) == 1
    assert staged_files(settings) == []
