"""Fixtures for the stream route: a scanned media root, an app over it, a client, URLs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.audio import write_mp3
from tonearm.app import create_app
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import scan_library
from tonearm.settings import Settings
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url

SHORT = "Artist One/Album/01 Short.mp3"
LONG = "Artist One/Album/02 Long.mp3"  # longer than StreamResponse.chunk_size
NON_ASCII = "Mirela Ďurková/Lumière/01 Nocturne für Élise.mp3"


@dataclass
class Library:
    """A scanned media root: file bytes and track ids by relative path."""

    root: Path
    ids: dict[str, uuid.UUID]

    def path(self, rel: str) -> Path:
        return self.root / rel

    def data(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()


@pytest.fixture
async def library(media_root: Path, engine: AsyncEngine) -> Library:
    """Three real MP3s, scanned into this test's database."""
    write_mp3(media_root / SHORT, title="Short", artist="Artist One", seconds=1.0)
    write_mp3(media_root / LONG, title="Long", artist="Artist One", seconds=24.0, key=3)
    write_mp3(
        media_root / NON_ASCII,
        title="Nocturne für Élise",
        artist="Mirela Ďurková",
        seconds=1.0,
        key=5,
    )
    await scan_library(engine, media_root)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(TrackRecord.path, TrackRecord.id))).all()
    return Library(media_root, {row.path: row.id for row in rows})


async def set_stored_path(engine: AsyncEngine, track_id: uuid.UUID, path: str) -> None:
    """Rewrite a track's stored path directly in the registry (for paths a scan never makes)."""
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord).where(TrackRecord.id == track_id).values(path=path)
        )


@pytest.fixture
def make_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    """Settings with accounts off, unless a test turns them on.

    These tests are about HTTP semantics and confinement, so tokens carry no user;
    ``test_listeners.py`` covers user-bound tokens with accounts on.
    """

    def build(**overrides: Any) -> Settings:
        return make_settings(**{"auth": "none", **overrides})

    return build


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], media_root: Path, database_url_for_test: str
) -> Settings:
    """Settings over this test's media root and database."""
    return make_settings(media_root=media_root, database_url=database_url_for_test)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The full tonearm app."""
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as c:
        yield c


@pytest.fixture
def signer(settings: Settings) -> StreamSigner:
    """A signer with the app's keys."""
    return StreamSigner(settings.signing_keys(), settings.stream_url_ttl)


@pytest.fixture
def url_for(library: Library, signer: StreamSigner) -> Callable[..., str]:
    """A freshly signed stream URL for a track of the library, by relative path."""

    def build(rel: str = SHORT, **mint: Any) -> str:
        track_id = library.ids[rel]
        return stream_url(track_id, signer.mint(track_id, **mint).token)

    return build
