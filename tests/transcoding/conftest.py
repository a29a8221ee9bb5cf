"""Fixtures for variants: a scanned media root of real files in several formats, a Maker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.audio import Picture, write_audio
from tonearm.app import create_app
from tonearm.catalog.variants import VariantKey
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import scan_library
from tonearm.settings import Settings
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url
from tonearm.transcoding.making import Maker
from tonearm.transcoding.store import VariantStore

# A 1×1 PNG: embedded cover art is a video stream to ffmpeg, which variants must not carry.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
FLAC = "Artist/Album/01 Lossless.flac"
MP3 = "Artist/Album/02 Lossy.mp3"
SECONDS = 6.0


@dataclass
class Library:
    """A scanned media root and its track ids by relative path."""

    root: Path
    ids: dict[str, uuid.UUID]


@pytest.fixture
async def library(media_root: Path, engine: AsyncEngine) -> Library:
    """A tagged FLAC with a cover picture and a 128 kbps MP3, scanned."""
    tags = {"title": "Lossless", "artist": "Artist", "album": "Album", "tracknumber": "1"}
    write_audio(media_root / FLAC, "flac", seconds=SECONDS, tags=tags, pictures=[Picture(PNG)])
    write_audio(media_root / MP3, "mp3", seconds=SECONDS, key=2, tags={"title": "Lossy"})
    await scan_library(engine, media_root)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(TrackRecord.path, TrackRecord.id))).all()
    return Library(media_root, {row.path: row.id for row in rows})


@pytest.fixture
def store(tmp_path: Path) -> VariantStore:
    """An empty variant store."""
    return VariantStore.in_data_dir(tmp_path / "data")


@pytest.fixture
def maker(engine: AsyncEngine, store: VariantStore, library: Library) -> Maker:
    """A Maker over the library, the store and Debian's ffmpeg."""
    return Maker(engine=engine, store=store, media_root=library.root.resolve())


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], library: Library, database_url_for_test: str
) -> Settings:
    """Settings over the library (accounts off: tokens carry no user unless minted so)."""
    return make_settings(media_root=library.root, database_url=database_url_for_test, auth="none")


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
def variant_url(library: Library, settings: Settings) -> Callable[..., str]:
    """A signed stream URL for a variant (or the original) of a library track."""
    signer = StreamSigner(settings.signing_keys(), settings.stream_url_ttl)

    def build(rel: str, key: VariantKey | None, **mint: Any) -> str:
        track_id = library.ids[rel]
        return stream_url(track_id, signer.mint(track_id, variant=key, **mint).token)

    return build
