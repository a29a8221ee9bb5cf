"""``updateTrack`` and ``updateAlbum``: overrides that rescans keep, tags written into uploads."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from mutagen.id3 import ID3
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import write_mp3
from tonearm.accounts.users import Role
from tonearm.app import create_app
from tonearm.catalog.rows import track_row
from tonearm.db import variants
from tonearm.db.engine import create_session_factory
from tonearm.db.models import TrackCollaboratorRecord, TrackRecord
from tonearm.library.grouping import GroupingChanges, group_tracks
from tonearm.library.scanner import scan_library
from tonearm.schema.ids import TRACK_TYPE_NAME, global_id
from tonearm.settings import Settings

As = Callable[..., Awaitable[dict[str, Any]]]
UPLOADED = uuid.UUID("00000000-0000-4000-8000-0000000000e1")
EDIT = """mutation($id: ID!, $input: TrackInput!) { updateTrack(id: $id, input: $input) {
  __typename
  ... on Track { title artist artists { name } album { title } albumArtist trackNumber year
                 genre lyrics isExplicit isPublished overriddenFields sizeBytes }
  ... on InvalidTrackInputError { field message }
  ... on TrackNotFoundError { message }
  ... on EditNotAllowedError { message } } }"""
EDIT_ALBUM = """mutation($id: ID!, $input: AlbumInput!) { updateAlbum(id: $id, input: $input) {
  __typename
  ... on Album { title artistCredit year trackCount tracks { title album { title } } }
  ... on InvalidTrackInputError { field message }
  ... on AlbumNotFoundError { message }
  ... on EditNotAllowedError { message } } }"""


@pytest.fixture
async def people(engine: AsyncEngine) -> dict[str, SignedInUser]:
    return {
        "admin": await make_user(engine, "root", Role.ADMIN),
        "alice": await make_user(engine, "alice"),
        "bob": await make_user(engine, "bob"),
    }


@pytest.fixture
async def as_user(app: FastAPI) -> AsyncIterator[As]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as http:

        async def run(user: SignedInUser, query: str, **variables: Any) -> dict[str, Any]:
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=user.bearer
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            assert "errors" not in body, body
            (value,) = body["data"].values()
            result: dict[str, Any] = value
            return result

        yield run


@pytest.fixture
async def scanned(engine: AsyncEngine, media_root: Path) -> str:
    """Two scanned MP3s of one album; the global ID of the first ("Tagged")."""
    write_mp3(
        media_root / "Band" / "01.mp3", title="Tagged", artist="Band", album="Record", year="2001"
    )
    write_mp3(
        media_root / "Band" / "02.mp3", title="Second", artist="Band", album="Record", year="2001"
    )
    await scan_library(engine, media_root)
    async with create_session_factory(engine)() as session:
        track_id = await session.scalar(select(TrackRecord.id).where(TrackRecord.title == "Tagged"))
    assert track_id is not None
    return global_id(TRACK_TYPE_NAME, track_id)


async def test_an_edit_of_a_scanned_track_survives_rescans_and_tag_changes(
    as_user: As,
    people: dict[str, SignedInUser],
    engine: AsyncEngine,
    media_root: Path,
    scanned: str,
) -> None:
    track_id = scanned
    edited = await as_user(people["admin"], EDIT, id=track_id, input={"title": "Edited"})
    assert edited["title"] == "Edited"
    assert edited["overriddenFields"] == ["title"]
    query = "query($id: ID!) { track(id: $id) { title artist overriddenFields } }"
    found = await as_user(people["admin"], '{ tracks(first: 5, search: "edited") { totalCount } }')
    assert found == {"totalCount": 1}
    summary = await scan_library(engine, media_root)
    assert summary.unchanged == 2
    assert await as_user(people["admin"], query, id=track_id) == {
        "title": "Edited",
        "artist": "Band",
        "overriddenFields": ["title"],
    }
    # The file's own tags change: the rescan reads them, and the edit still wins.
    path = media_root / "Band" / "01.mp3"
    write_mp3(path, title="Retagged", artist="Other", album="Record", year="2001", key=3)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000_000))
    summary = await scan_library(engine, media_root)
    assert summary.updated == 1
    assert await as_user(people["admin"], query, id=track_id) == {
        "title": "Edited",
        "artist": "Other",
        "overriddenFields": ["title"],
    }


async def test_every_field_of_a_scanned_track_and_its_album_follows(
    as_user: As,
    people: dict[str, SignedInUser],
    engine: AsyncEngine,
    media_root: Path,
    scanned: str,
) -> None:
    track_id = scanned
    edited = await as_user(
        people["admin"],
        EDIT,
        id=track_id,
        input={
            "artists": ["Ann", "Bea"],
            "album": "Solo",
            "albumArtist": "Ann",
            "trackNumber": 7,
            "year": 1999,
            "genre": "Jazz",
            "lyrics": "la la",
            "explicit": True,
        },
    )
    assert edited == {
        "__typename": "Track",
        "title": "Tagged",
        "artist": "Ann, Bea",
        "artists": [{"name": "Ann"}, {"name": "Bea"}],
        "album": {"title": "Solo"},
        "albumArtist": "Ann",
        "trackNumber": 7,
        "year": 1999,
        "genre": "Jazz",
        "lyrics": "la la",
        "isExplicit": True,
        "isPublished": True,
        "overriddenFields": [
            "artists",
            "album",
            "albumArtist",
            "trackNumber",
            "year",
            "genre",
            "lyrics",
            "explicit",
        ],
        "sizeBytes": edited["sizeBytes"],
    }
    albums = await as_user(
        people["admin"],
        "{ albums(first: 5, orderBy: TITLE) { edges { node { title artistCredit trackCount } } } }",
    )
    assert [edge["node"] for edge in albums["edges"]] == [
        {"title": "Record", "artistCredit": "Band", "trackCount": 1},
        {"title": "Solo", "artistCredit": "Ann", "trackCount": 1},
    ]
    cleared = await as_user(
        people["admin"], EDIT, id=track_id, input={"album": None, "lyrics": None}
    )
    assert cleared["album"] is None
    assert cleared["lyrics"] is None
    await scan_library(engine, media_root)
    again = await as_user(
        people["admin"],
        "query($id: ID!) { track(id: $id) { album { title } lyrics isExplicit } }",
        id=track_id,
    )
    assert again == {"album": None, "lyrics": None, "isExplicit": True}


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": None}, "title"),
        ({"trackNumber": 0}, "trackNumber"),
        ({"discNumber": 1000}, "discNumber"),
        ({"year": 999}, "year"),
        ({"year": 10000}, "year"),
        ({"album": "x" * 1025}, "album"),
        ({"genre": "x" * 1025}, "genre"),
        ({"artists": ["ok", " "]}, "artists"),
        ({"lyrics": "x" * 100_001}, "lyrics"),
    ],
)
async def test_invalid_input_is_refused_and_changes_nothing(
    as_user: As, people: dict[str, SignedInUser], scanned: str, given: dict[str, Any], field: str
) -> None:
    track_id = scanned
    refused = await as_user(
        people["admin"],
        EDIT,
        id=track_id,
        input={**given, "genre": "Ska"} if field != "genre" else given,
    )
    assert refused["__typename"] == "InvalidTrackInputError"
    assert refused["field"] == field
    unchanged = await as_user(
        people["admin"],
        "query($id: ID!) { track(id: $id) { genre overriddenFields } }",
        id=track_id,
    )
    assert unchanged == {"genre": None, "overriddenFields": []}


async def test_only_editors_edit_and_unseen_tracks_are_not_found(
    as_user: As,
    people: dict[str, SignedInUser],
    engine: AsyncEngine,
    media_root: Path,
    scanned: str,
) -> None:
    track_id = scanned
    refused = await as_user(people["bob"], EDIT, id=track_id, input={"title": "Mine"})
    assert refused == {
        "__typename": "EditNotAllowedError",
        "message": "Only owners and editors may change this.",
    }
    hidden = await as_user(people["admin"], EDIT, id=track_id, input={"published": False})
    assert hidden["isPublished"] is False
    assert hidden["overriddenFields"] == []
    gone = await as_user(people["bob"], EDIT, id=track_id, input={"title": "Mine"})
    assert gone == {"__typename": "TrackNotFoundError", "message": "No track has this ID."}
    album = await as_user(people["bob"], "{ albums(first: 5) { edges { node { trackCount } } } }")
    assert album["edges"] == [{"node": {"trackCount": 1}}]
    await scan_library(engine, media_root)  # publication is the registry's, not the file's
    assert (
        await as_user(
            people["admin"], "query($id: ID!) { track(id: $id) { isPublished } }", id=track_id
        )
    ) == {"isPublished": False}


async def test_update_album_sets_album_fields_on_its_tracks(
    as_user: As, people: dict[str, SignedInUser], scanned: str
) -> None:
    page = await as_user(people["admin"], "{ albums(first: 1) { edges { node { id } } } }")
    album_id = page["edges"][0]["node"]["id"]
    assert (await as_user(people["bob"], EDIT_ALBUM, id=album_id, input={"title": "X"}))[
        "__typename"
    ] == "EditNotAllowedError"
    refused = await as_user(people["admin"], EDIT_ALBUM, id=album_id, input={"year": 5})
    assert refused == {
        "__typename": "InvalidTrackInputError",
        "field": "year",
        "message": "year must be between 1000 and 9999.",
    }
    empty = await as_user(people["admin"], EDIT_ALBUM, id=album_id, input={"title": ""})
    assert empty["field"] == "title"
    edited = await as_user(
        people["admin"],
        EDIT_ALBUM,
        id=album_id,
        input={"title": "Renamed", "albumArtist": "The Band", "year": 1970},
    )
    assert edited == {
        "__typename": "Album",
        "title": "Renamed",
        "artistCredit": "The Band",
        "year": 1970,
        "trackCount": 2,
        "tracks": [
            {"title": "Second", "album": {"title": "Renamed"}},
            {"title": "Tagged", "album": {"title": "Renamed"}},
        ],
    }
    unknown = await as_user(people["admin"], EDIT_ALBUM, id=album_id, input={"title": "Again"})
    assert unknown["__typename"] == "AlbumNotFoundError"  # the old album id is gone


@pytest.fixture
async def uploaded(
    engine: AsyncEngine, settings: Settings, people: dict[str, SignedInUser]
) -> Path:
    """Alice's uploaded MP3, stored as the uploads pipeline stores one."""
    alice = people["alice"].record.id
    path = settings.resolved_uploads_dir / str(alice) / "2026" / "01" / f"{UPLOADED}.mp3"
    write_mp3(path, title="Demo", artist="Alice", album="Tapes", year="2020")
    data = path.read_bytes()
    row = track_row(
        path=str(path.relative_to(settings.resolved_uploads_dir)),
        title="Demo",
        artist="Alice",
        album="Tapes",
        album_artist=None,
        track_number=None,
        disc_number=None,
        year=2020,
        genre=None,
        duration_seconds=1.0,
        bitrate=128_000,
        sample_rate=44_100,
        channels=2,
        size_bytes=len(data),
        mtime_ns=path.stat().st_mtime_ns,
        mime_type="audio/mpeg",
    )
    async with engine.begin() as connection:
        await connection.execute(
            insert(TrackRecord),
            [
                {
                    **row,
                    "id": UPLOADED,
                    "origin": "upload",
                    "uploaded_by": alice,
                    "content_hash": hashlib.sha256(data).hexdigest(),
                    "is_published": True,
                }
            ],
        )
        await connection.execute(
            insert(TrackCollaboratorRecord),
            [{"track_id": UPLOADED, "user_id": alice, "role": "owner"}],
        )
    await group_tracks(create_session_factory(engine), GroupingChanges(written_paths=[row["path"]]))
    return path


async def test_an_edit_of_an_upload_is_written_into_its_tags(
    as_user: As, people: dict[str, SignedInUser], engine: AsyncEngine, uploaded: Path
) -> None:
    track_id = global_id(TRACK_TYPE_NAME, UPLOADED)
    before = await asyncio.to_thread(uploaded.read_bytes)
    edited = await as_user(
        people["alice"],
        EDIT,
        id=track_id,
        input={"title": "Final Mix", "artists": ["Alice", "Bob"], "lyrics": "oh", "trackNumber": 3},
    )
    assert edited["title"] == "Final Mix"
    assert edited["overriddenFields"] == []  # the file carries the edit
    after = await asyncio.to_thread(uploaded.read_bytes)
    assert after != before
    tags = ID3(uploaded)
    assert tags["TIT2"].text == ["Final Mix"]
    assert tags["TPE1"].text == ["Alice", "Bob"]
    assert tags["TRCK"].text == ["3"]
    assert tags["TALB"].text == ["Tapes"]
    assert tags.getall("USLT")[0].text == "oh"
    # the audio frames are untouched: the untagged tail of the file is the same
    assert after.endswith(before[-10_000:])
    async with create_session_factory(engine)() as session:
        record = await session.scalar(select(TrackRecord).where(TrackRecord.id == UPLOADED))
    assert record is not None
    assert record.size_bytes == len(after) == edited["sizeBytes"]
    assert record.mtime_ns == (await asyncio.to_thread(uploaded.stat)).st_mtime_ns
    assert record.content_hash == hashlib.sha256(after).hexdigest()
    left = await asyncio.to_thread(lambda: [p.name for p in uploaded.parent.iterdir()])
    assert left == [uploaded.name]  # no copy left behind


async def test_an_edited_upload_queues_its_variants_again_when_eager(
    people: dict[str, SignedInUser], engine: AsyncEngine, settings: Settings, uploaded: Path
) -> None:
    eager = create_app(settings.model_copy(update={"variants_on_upload": "eager"}))
    transport = httpx.ASGITransport(app=eager)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tonearm.test", headers=people["alice"].bearer
    ) as http:
        variables = {"id": global_id(TRACK_TYPE_NAME, UPLOADED), "input": {"title": "Again"}}
        response = await http.post("/graphql", json={"query": EDIT, "variables": variables})
    assert response.json()["data"]["updateTrack"]["title"] == "Again"
    pending = await variants.variants_in_state(engine, variants.PENDING, limit=100)
    assert {row.track_id for row in pending} == {UPLOADED}
    assert sorted(f"{row.format}-{row.bitrate_kbps}" for row in pending) == ["opus-96"]
