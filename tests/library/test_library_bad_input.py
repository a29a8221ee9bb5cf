"""Libraries as people have them: odd tags and pictures never stop a scan or split albums."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.support.audio import Picture, write_audio, write_mp3
from tonearm.artwork.store import ArtworkStore
from tonearm.db.models import AlbumRecord, TrackRecord
from tonearm.library.scanner import ScanOptions, scan_library


async def _albums(engine: AsyncEngine) -> list[tuple[str, str, int | None, int]]:
    async with AsyncSession(engine) as session:
        rows = await session.execute(
            select(
                AlbumRecord.title,
                AlbumRecord.artist_credit,
                AlbumRecord.year,
                AlbumRecord.track_count,
            ).order_by(AlbumRecord.title, AlbumRecord.year)
        )
        return [(title, credit, year, count) for title, credit, year, count in list(rows)]


async def test_conflicting_years_and_a_missing_album_artist_in_one_folder_stay_one_album(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(
        media_root / "Q/1.mp3",
        title="1",
        artist="Queen",
        album_artist="Queen",
        album="Hits",
        year="1981",
    )
    write_mp3(media_root / "Q/2.mp3", title="2", artist="Queen", album="Hits", year="1982")
    write_mp3(
        media_root / "Q/3.mp3",
        title="3",
        artist="Queen",
        album_artist="Queen",
        album="Hits",
        year="1981",
    )

    await scan_library(engine, media_root)

    assert await _albums(engine) == [("Hits", "Queen", 1981, 3)]


async def test_the_same_album_in_two_formats_is_one_album_listing_both_copies(
    engine: AsyncEngine, media_root: Path
) -> None:
    for kind, suffix in (("mp3", "mp3"), ("flac", "flac")):
        for number in (1, 2):
            write_audio(
                media_root / f"Album ({kind})/{number}.{suffix}",
                kind,
                tags={
                    "title": f"Song {number}",
                    "artist": "Band",
                    "album": "Album",
                    "date": "2001",
                    "tracknumber": str(number),
                },
            )

    await scan_library(engine, media_root)

    assert await _albums(engine) == [("Album", "Band", 2001, 4)]


async def test_tracks_without_an_album_tag_belong_to_no_album(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(media_root / "Singles/a.mp3", title="A", artist="Someone")
    write_mp3(media_root / "Singles/b.mp3", title="B", artist="Someone Else")

    summary = await scan_library(engine, media_root)

    assert summary.added == 2
    assert await _albums(engine) == []
    async with AsyncSession(engine) as session:
        assert set((await session.scalars(select(TrackRecord.album_id))).all()) == {None}


async def test_a_50_mb_embedded_picture_is_skipped_as_cover_and_the_track_registered(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 0, 200)).save(buffer, "JPEG")
    huge = buffer.getvalue() + os.urandom(50_000_000)  # a valid JPEG with 50 MB behind it
    write_audio(
        media_root / "Big/1.mp3",
        "mp3",
        tags={"title": "Big", "artist": "Band", "album": "Big"},
        pictures=[Picture(huge, type=3, mime="image/jpeg")],
    )

    summary = await scan_library(
        engine, media_root, options=ScanOptions(artwork_store=ArtworkStore(tmp_path / "art"))
    )

    assert summary.added == 1
    assert [(s.path, s.reason) for s in summary.skipped] == [
        ("Big/1.mp3", "cover art not used: no usable embedded picture (missing or too large)")
    ]
    async with AsyncSession(engine) as session:
        assert await session.scalar(select(AlbumRecord.artwork_hash)) is None
