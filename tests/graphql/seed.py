"""Registries for GraphQL tests, written straight into the tracks table.

Rows come from ``catalog.rows.track_row`` (the scanner's own builder), so search text and
sort keys are exactly what a scan would store. Titles, durations and added-at times repeat
on purpose: every order then has ties that only the id tiebreak resolves.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from tonearm.catalog.rows import track_row
from tonearm.db.engine import create_session_factory
from tonearm.db.models import ArtworkRecord, TrackRecord
from tonearm.library.grouping import GroupingChanges, group_tracks

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
ARTISTS = ["The Beatles", "Beyoncé", "Björk", "ABBA", "Aphex Twin", "Nina Simone", None]
WORDS = ["Love", "Night", "Blue", "Heart", "Dance", "Rain", "Gold", "Fire"]
DURATIONS = [95.5, 120.0, 180.25, 200.0, 241.75]


def track(
    index: int,
    *,
    title: str,
    artist: str | None = None,
    album: str | None = None,
    album_artist: str | None = None,
    duration_seconds: float = 180.0,
    track_number: int | None = None,
    created_at: datetime | None = None,
    track_id: uuid.UUID | None = None,
    year: int | None = 2001,
    disc_number: int | None = 1,
    folder: str = "seed",
    **tags: Any,
) -> dict[str, Any]:
    """One row, with timestamps and an id; ``tags`` go to ``track_row`` as they are."""
    row = track_row(
        path=f"{folder}/{index:05d}.mp3",
        title=title,
        artist=artist,
        album=album,
        album_artist=album_artist,
        track_number=track_number,
        disc_number=disc_number,
        year=year,
        genre="Pop",
        duration_seconds=duration_seconds,
        bitrate=128_000,
        sample_rate=44_100,
        channels=2,
        size_bytes=1_000_000 + index,
        mtime_ns=index,
        mime_type="audio/mpeg",
        **tags,
    )
    moment = created_at or EPOCH + timedelta(seconds=index)
    return {**row, "id": track_id or uuid.uuid4(), "created_at": moment, "updated_at": moment}


def library_rows(count: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` varied tracks with many ties in every order."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        artist = rng.choice(ARTISTS)
        rows.append(
            track(
                index,
                title=f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
                artist=artist,
                album=f"{artist or 'Various'} Vol. {index % 3}" if index % 5 else None,
                track_number=index % 4 or None,
                duration_seconds=rng.choice(DURATIONS),
                created_at=EPOCH + timedelta(minutes=index // 3),
                track_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            )
        )
    return rows


async def insert_rows(engine: AsyncEngine, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows in one executemany."""
    async with engine.begin() as connection:
        await connection.execute(insert(TrackRecord), list(rows))


async def insert_and_group(engine: AsyncEngine, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, then run the scan's grouping phase over them (albums, artists, links)."""
    await insert_rows(engine, rows)
    changes = GroupingChanges(written_paths=[row["path"] for row in rows])
    await group_tracks(create_session_factory(engine), changes)


async def insert_artwork(
    engine: AsyncEngine,
    artwork_hash: str,
    *,
    sizes: Sequence[int] = (64, 300, 600),
    color: str = "#102030",
) -> None:
    """An artwork row as the artwork phase records one (the thumbnails are not needed)."""
    async with engine.begin() as connection:
        await connection.execute(
            insert(ArtworkRecord).values(
                hash=artwork_hash,
                width=max(sizes),
                height=max(sizes),
                sizes=list(sizes),
                color=color,
                created_at=EPOCH,
            )
        )
