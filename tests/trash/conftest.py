"""Fixtures of the trash tests: alice's uploaded album with real files, a scanned track
with a real file, bob, an admin, and a client that runs operations as any of them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.seed import track
from tests.support.accounts import SignedInUser, make_user
from tonearm.accounts.users import Role
from tonearm.app import create_app
from tonearm.db.engine import create_session_factory
from tonearm.db.models import TrackCollaboratorRecord, TrackRecord
from tonearm.library.grouping import GroupingChanges, group_tracks
from tonearm.schema.ids import ALBUM_TYPE_NAME, TRACK_TYPE_NAME, global_id
from tonearm.settings import Settings

As = Callable[..., Awaitable[Any]]
UPLOADED = [uuid.UUID(f"00000000-0000-4000-8000-0000000000a{n}") for n in (1, 2, 3)]
SCANNED = uuid.UUID("00000000-0000-4000-8000-0000000000b1")
HIDDEN = uuid.UUID("00000000-0000-4000-8000-0000000000c1")


@dataclass(frozen=True)
class Library:
    """What the tests act on: global IDs, the users, and where the files are."""

    uploaded: list[str]  # alice's three tracks of "Harbour", in track order
    album: str
    scanned: str
    hidden: str  # alice's unpublished upload of another album
    people: dict[str, SignedInUser]
    upload_files: list[Path]
    scanned_file: Path


def tid(track_id: uuid.UUID) -> str:
    """A track's global ID."""
    return global_id(TRACK_TYPE_NAME, track_id)


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    tmp_path: Path,
) -> Settings:
    """Settings on this test's database, media root and an uploads root beside it."""
    return make_settings(
        database_url=database_url_for_test,
        media_root=media_root,
        uploads_dir=tmp_path / "uploads",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The full app (no lifespan under httpx, so no background sweep)."""
    application = create_app(settings)
    yield application
    await application.state.services.engine.dispose()


@pytest.fixture
async def people(engine: AsyncEngine) -> dict[str, SignedInUser]:
    """alice and bob (listeners) and root (an admin)."""
    return {
        "alice": await make_user(engine, "alice"),
        "bob": await make_user(engine, "bob"),
        "root": await make_user(engine, "root", Role.ADMIN),
    }


def _upload_row(index: int, track_id: uuid.UUID, owner: uuid.UUID, **tags: Any) -> dict[str, Any]:
    row = track(index, track_id=track_id, **tags)
    row.update(
        path=f"{owner}/2026/01/{track_id}.mp3",
        origin="upload",
        uploaded_by=owner,
        content_hash=f"{index:064x}",
        is_published=tags.get("is_published", True),
    )
    return row


@pytest.fixture
async def library(
    engine: AsyncEngine, people: dict[str, SignedInUser], settings: Settings, media_root: Path
) -> Library:
    """alice's uploaded album "Harbour" (three tracks, files on disk), her unpublished
    upload, and a scanned track nobody owns (the admins'), its file in the media root."""
    alice = people["alice"].record.id
    rows = [
        _upload_row(
            n + 1,
            track_id,
            alice,
            title=f"Wave {n + 1}",
            artist="Tide",
            album="Harbour",
            album_artist="Tide",
            track_number=n + 1,
        )
        for n, track_id in enumerate(UPLOADED)
    ]
    hidden = _upload_row(9, HIDDEN, alice, title="Draft", artist="Tide", album="Sketches")
    hidden["is_published"] = False
    rows.append(hidden)
    scanned = track(20, track_id=SCANNED, title="Lighthouse", artist="Keeper", album="Coast")
    scanned.update(is_published=True, origin="library", uploaded_by=None, content_hash=None)
    rows.append(scanned)
    async with engine.begin() as connection:
        await connection.execute(insert(TrackRecord), rows)
        await connection.execute(
            insert(TrackCollaboratorRecord),
            [{"track_id": row["id"], "user_id": alice, "role": "owner"} for row in rows[:4]],
        )
    await group_tracks(
        create_session_factory(engine), GroupingChanges(written_ids=[row["id"] for row in rows])
    )
    uploads_root = settings.resolved_uploads_dir
    upload_files = []
    for row in rows[:4]:
        path = uploads_root / row["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"ID3" + row["id"].bytes)
        upload_files.append(path)
    scanned_file = media_root / scanned["path"]
    scanned_file.parent.mkdir(parents=True, exist_ok=True)
    scanned_file.write_bytes(b"ID3 scanned")
    async with engine.connect() as connection:
        album_id = await connection.scalar(
            select(TrackRecord.album_id).where(TrackRecord.id == UPLOADED[0])
        )
    assert album_id is not None
    return Library(
        uploaded=[tid(t) for t in UPLOADED],
        album=global_id(ALBUM_TYPE_NAME, album_id),
        scanned=tid(SCANNED),
        hidden=tid(HIDDEN),
        people=people,
        upload_files=upload_files[:3],
        scanned_file=scanned_file,
    )


@pytest.fixture
async def as_user(app: FastAPI) -> AsyncIterator[As]:
    """Run an operation as a user; returns ``data``'s only field (errors fail the test),
    or the whole body with ``raw=True``."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as http:

        async def run(
            user: SignedInUser | None, query: str, *, raw: bool = False, **variables: Any
        ) -> Any:
            response = await http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers=user.bearer if user else {},
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            if raw:
                return body
            assert "errors" not in body, body
            (value,) = body["data"].values()
            return value

        yield run
