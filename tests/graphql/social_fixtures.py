"""Fixtures of the social tests: three people, a library with a track only alice sees.

Import the fixtures into a test module (``from tests.graphql.social_fixtures import …``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.seed import insert_and_group, track
from tests.support.accounts import SignedInUser, make_user
from tonearm.accounts.users import Role
from tonearm.db.models import ArtistRecord, TrackCollaboratorRecord, TrackRecord
from tonearm.schema.ids import ALBUM_TYPE_NAME, ARTIST_TYPE_NAME, TRACK_TYPE_NAME, global_id

HIDDEN = uuid.UUID("00000000-0000-4000-8000-00000000000a")
OPEN = uuid.UUID("00000000-0000-4000-8000-00000000000b")
SHORT = uuid.UUID("00000000-0000-4000-8000-00000000000c")
LONG = uuid.UUID("00000000-0000-4000-8000-00000000000d")
As = Callable[..., Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Library:
    """Global IDs of the seeded library (``hidden_*``: alice's unpublished track's)."""

    open_track: str
    short_track: str
    long_track: str
    hidden_track: str
    open_album: str
    hidden_album: str
    open_artist: str
    hidden_artist: str


@pytest.fixture
async def people(engine: AsyncEngine) -> dict[str, SignedInUser]:
    """alice and bob (listeners) and an admin."""
    return {
        "alice": await make_user(engine, "alice"),
        "bob": await make_user(engine, "bob"),
        "admin": await make_user(engine, "root", Role.ADMIN),
    }


@pytest.fixture
async def library(engine: AsyncEngine, people: dict[str, SignedInUser]) -> Library:
    """An open 300 s track on an open album, a 100 s and a 600 s track, and alice's
    unpublished 200 s track on its own album and artist (only alice and admins see it)."""
    rows = [
        {
            **track(
                1,
                title="Secretsong",
                artist="Hiddenartist",
                album="Secretalbum",
                album_artist="Hiddenartist",
                track_id=HIDDEN,
                duration_seconds=200.0,
            ),
            "is_published": False,
        },
        track(
            2,
            title="Opensong",
            artist="Openartist",
            album="Openalbum",
            track_id=OPEN,
            duration_seconds=300.0,
        ),
        track(3, title="Shortsong", artist="Openartist", track_id=SHORT, duration_seconds=100.0),
        track(4, title="Longsong", artist="Openartist", track_id=LONG, duration_seconds=600.0),
    ]
    rows[1:] = [{**row, "is_published": True} for row in rows[1:]]
    await insert_and_group(engine, rows)
    async with engine.begin() as connection:
        await connection.execute(
            insert(TrackCollaboratorRecord),
            [{"track_id": HIDDEN, "user_id": people["alice"].record.id, "role": "owner"}],
        )
        found = await connection.execute(
            select(TrackRecord.id, TrackRecord.album_id).where(TrackRecord.id.in_([HIDDEN, OPEN]))
        )
        albums = {row[0]: row[1] for row in found}
        named = await connection.execute(select(ArtistRecord.name, ArtistRecord.id))
        artists = {row[0]: row[1] for row in named}
    return Library(
        open_track=global_id(TRACK_TYPE_NAME, OPEN),
        short_track=global_id(TRACK_TYPE_NAME, SHORT),
        long_track=global_id(TRACK_TYPE_NAME, LONG),
        hidden_track=global_id(TRACK_TYPE_NAME, HIDDEN),
        open_album=global_id(ALBUM_TYPE_NAME, albums[OPEN]),
        hidden_album=global_id(ALBUM_TYPE_NAME, albums[HIDDEN]),
        open_artist=global_id(ARTIST_TYPE_NAME, artists["Openartist"]),
        hidden_artist=global_id(ARTIST_TYPE_NAME, artists["Hiddenartist"]),
    )


@pytest.fixture
async def as_user(app: FastAPI) -> AsyncIterator[As]:
    """Run an operation as a user; returns the whole body (``data`` and any ``errors``)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as http:

        async def run(
            user: SignedInUser | None, query: str, variables: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            response = await http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers=user.bearer if user else {},
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        yield run
