"""The scan's grouping phase on both databases: albums and artists follow the files."""

from __future__ import annotations

import uuid
from pathlib import Path

from mutagen.id3 import ID3, TCMP
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.support.audio import write_mp3
from tonearm.db.models import (
    AlbumArtistRecord,
    AlbumRecord,
    ArtistRecord,
    TrackArtistRecord,
    TrackRecord,
)
from tonearm.library.scanner import ScanOptions, scan_library


async def _albums(engine: AsyncEngine) -> dict[str, AlbumRecord]:
    async with AsyncSession(engine) as session:
        return {a.title: a for a in (await session.scalars(select(AlbumRecord))).all()}


async def _artists(engine: AsyncEngine) -> dict[str, ArtistRecord]:
    async with AsyncSession(engine) as session:
        return {a.name: a for a in (await session.scalars(select(ArtistRecord))).all()}


async def _track_credits(engine: AsyncEngine, title: str) -> list[tuple[str, str]]:
    async with AsyncSession(engine) as session:
        rows = await session.execute(
            select(ArtistRecord.name, TrackArtistRecord.role)
            .join(TrackArtistRecord, TrackArtistRecord.artist_id == ArtistRecord.id)
            .join(TrackRecord, TrackRecord.id == TrackArtistRecord.track_id)
            .where(TrackRecord.title == title)
            .order_by(TrackArtistRecord.role, TrackArtistRecord.position)
        )
        return [(name, role) for name, role in rows]


async def _album_artists(engine: AsyncEngine, album_id: uuid.UUID) -> list[str]:
    async with AsyncSession(engine) as session:
        rows = await session.scalars(
            select(ArtistRecord.name)
            .join(AlbumArtistRecord, AlbumArtistRecord.artist_id == ArtistRecord.id)
            .where(AlbumArtistRecord.album_id == album_id)
            .order_by(AlbumArtistRecord.position)
        )
        return list(rows)


def _album(root: Path, folder: str, *, artist: str, album: str, year: str, count: int) -> None:
    for number in range(1, count + 1):
        write_mp3(
            root / folder / f"{number:02d}.mp3",
            title=f"{album} {number}",
            artist=artist,
            album=album,
            track=str(number),
            year=year,
            key=number,
        )


async def test_albums_and_artists_keep_their_ids_and_a_no_change_rescan_writes_nothing(
    engine: AsyncEngine, media_root: Path
) -> None:
    _album(media_root, "Queen/Hits", artist="Queen", album="Greatest Hits", year="1981", count=3)
    _album(media_root, "ABBA/Gold", artist="ABBA", album="Gold", year="1992", count=2)
    await scan_library(engine, media_root)
    albums, artists = await _albums(engine), await _artists(engine)
    assert {t: (a.artist_credit, a.year, a.track_count) for t, a in albums.items()} == {
        "Greatest Hits": ("Queen", 1981, 3),
        "Gold": ("ABBA", 1992, 2),
    }
    assert {n: (a.album_count, a.track_count) for n, a in artists.items()} == {
        "Queen": (1, 3),
        "ABBA": (1, 2),
    }

    rescan = await scan_library(engine, media_root)

    assert rescan.unchanged == 5
    after = await _albums(engine)
    assert {t: (a.id, a.updated_at) for t, a in after.items()} == {
        t: (a.id, a.updated_at) for t, a in albums.items()
    }
    assert {n: a.id for n, a in (await _artists(engine)).items()} == {
        n: a.id for n, a in artists.items()
    }


async def test_a_retagged_album_moves_its_tracks_and_the_empty_album_goes(
    engine: AsyncEngine, media_root: Path
) -> None:
    _album(media_root, "Queen/Hits", artist="Queen", album="Greatest Hits", year="1981", count=2)
    await scan_library(engine, media_root)
    old = (await _albums(engine))["Greatest Hits"]

    _album(media_root, "Queen/Hits", artist="Queen", album="Greatest Hits I", year="1981", count=2)
    await scan_library(engine, media_root)

    albums = await _albums(engine)
    assert set(albums) == {"Greatest Hits I"}
    assert albums["Greatest Hits I"].id != old.id
    async with AsyncSession(engine) as session:
        linked = set((await session.scalars(select(TrackRecord.album_id))).all())
    assert linked == {albums["Greatest Hits I"].id}


async def test_gone_files_leave_their_album_and_artists_kept_but_uncounted(
    engine: AsyncEngine, media_root: Path
) -> None:
    _album(media_root, "Queen/Hits", artist="Queen", album="Greatest Hits", year="1981", count=2)
    _album(media_root, "ABBA/Gold", artist="ABBA", album="Gold", year="1992", count=2)
    await scan_library(engine, media_root)
    for path in (media_root / "ABBA/Gold").iterdir():
        path.unlink()
    (media_root / "Queen/Hits/02.mp3").unlink()

    summary = await scan_library(engine, media_root)

    assert (summary.missing, summary.removed) == (3, 3)
    # The missing tracks keep their album (same id, for when they come back), hidden: it
    # has no available track; counts cover available tracks only.
    albums = await _albums(engine)
    assert {t: (a.track_count, a.is_available) for t, a in albums.items()} == {
        "Greatest Hits": (1, True),
        "Gold": (0, False),
    }
    assert {n: (a.album_count, a.track_count) for n, a in (await _artists(engine)).items()} == {
        "Queen": (1, 1),
        "ABBA": (0, 0),
    }


async def test_credits_link_main_featured_and_album_artists(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(media_root / "a/1.mp3", title="One", artist="Daft Punk feat. Pharrell", album="RAM")
    write_mp3(media_root / "a/2.mp3", title="Two", artist="Daft Punk", album="RAM")
    write_mp3(media_root / "b/1.mp3", title="Three", artist="AC/DC", album="Back in Black")
    await scan_library(engine, media_root)

    assert await _track_credits(engine, "One") == [
        ("Pharrell", "featured"),
        ("Daft Punk", "main"),
    ]
    assert await _track_credits(engine, "Three") == [("AC/DC", "main")]
    albums = await _albums(engine)
    assert albums["RAM"].artist_credit == "Daft Punk"
    assert await _album_artists(engine, albums["RAM"].id) == ["Daft Punk"]
    artists = await _artists(engine)
    assert (artists["Pharrell"].album_count, artists["Pharrell"].track_count) == (0, 1)


async def test_a_compilation_is_one_album_of_various_artists(
    engine: AsyncEngine, media_root: Path
) -> None:
    for number, artist in enumerate(["Alpha", "Beta", "Gamma"], start=1):
        path = write_mp3(
            media_root / f"Now/{number}.mp3", title=f"Song {number}", artist=artist, album="Now 1"
        )
        tags = ID3(path)
        tags.add(TCMP(encoding=3, text="1"))
        tags.save(path)
    await scan_library(engine, media_root)

    albums = await _albums(engine)
    assert set(albums) == {"Now 1"}
    album = albums["Now 1"]
    assert (album.artist_credit, album.is_compilation, album.track_count) == (
        "Various Artists",
        True,
        3,
    )
    assert await _album_artists(engine, album.id) == ["Various Artists"]


async def test_the_split_exceptions_keep_a_name_whole(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(media_root / "1.mp3", title="One", artist="Mumford / Sons", album="A")
    await scan_library(engine, media_root)
    assert set(await _artists(engine)) == {"Mumford", "Sons"}

    (media_root / "1.mp3").touch()
    write_mp3(media_root / "1.mp3", title="One", artist="Mumford / Sons", album="A")
    await scan_library(
        engine,
        media_root,
        options=ScanOptions.from_settings(
            artist_split_exceptions=["mumford / SONS"], data_dir=None
        ),
    )

    assert set(await _artists(engine)) == {"Mumford / Sons"}
