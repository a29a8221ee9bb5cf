"""One replica stack per module: two ``tonearm serve`` behind nginx, with their own
PostgreSQL cluster and redis-server (the faults these tests cause never touch the suite's
shared ones)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import BACKENDS
from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import write_mp3
from tests.support.replica_stack import SECRET, ReplicaStack
from tonearm.accounts.users import Role
from tonearm.db.engine import create_engine
from tonearm.db.models import TrackRecord
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="replicas share a PostgreSQL database"
)


@dataclass
class Stack:
    """The running stack, an admin with a bearer token, and the library's tracks."""

    stack: ReplicaStack
    admin: SignedInUser
    tracks: dict[str, uuid.UUID]  # title → id

    def url(self, replica: str) -> str:
        """A replica's own address (``nginx``: the front)."""
        return self.stack.nginx_url if replica == "nginx" else self.stack.replicas[replica].url

    def stream_path(self, title: str) -> str:
        """A stream URL path for the admin (signed with the stack's key)."""
        track_id = self.tracks[title]
        minted = StreamSigner([SECRET], 3600).mint(track_id, user_id=self.admin.record.id)
        return stream_url(track_id, minted.token)


async def _prepare(database_url: str) -> tuple[SignedInUser, dict[str, uuid.UUID]]:
    engine = create_engine(database_url)
    try:
        admin = await make_user(engine, "admin", Role.ADMIN)
        async with engine.connect() as connection:
            rows = (await connection.execute(select(TrackRecord.title, TrackRecord.id))).all()
    finally:
        await engine.dispose()
    return admin, {str(title): track_id for title, track_id in rows}


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack over three scanned MP3s (one with a cover)."""
    workdir = tmp_path_factory.mktemp("replicas")
    media = workdir / "media"
    for number in (1, 2, 3):
        write_mp3(
            media / "Artist" / "Album" / f"0{number} Song {number}.mp3",
            title=f"Song {number}",
            artist="Artist",
            album="Album",
            seconds=4.0,
            key=number,
        )
    _write_cover(media / "Artist" / "Album" / "cover.png")
    with ReplicaStack(workdir / "stack", media) as stack:
        stack.tonearm("scan")
        admin, tracks = asyncio.run(_prepare(stack.database_url))
        yield Stack(stack, admin, tracks)


def _write_cover(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (64, 64), (200, 40, 40)).save(path)
