"""Missing and trashed tracks are not there for anyone: ``catalog.states`` through the
visibility predicates of ``catalog.access``, on SQLite and PostgreSQL.

The states are set on the rows directly here; the trash and the scanner set them for real
(``tests/trash``, ``tests/library``). What this checks is the one definition every read
applies: lists, counts, totals, lookups, albums and artists, for admins too.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.support.audio import write_mp3
from tonearm.catalog.access import ADMIN, ANONYMOUS, Reader
from tonearm.catalog.album_queries import albums_by_ids, count_albums
from tonearm.catalog.artist_queries import count_artists
from tonearm.catalog.queries import count_tracks, library_totals, track_exists, tracks_by_ids
from tonearm.catalog.states import TrackState
from tonearm.db.models import AlbumRecord, ArtistRecord, TrackRecord
from tonearm.library.grouping import GroupingChanges, group_tracks
from tonearm.library.scanner import scan_library

LISTENER = Reader(uuid.uuid4())
READERS = (ADMIN, ANONYMOUS, LISTENER)


async def _library(engine: AsyncEngine, media_root: Path) -> dict[str, uuid.UUID]:
    for number in (1, 2):
        write_mp3(
            media_root / f"Gone/{number}.mp3",
            title=f"Gone {number}",
            artist="Vanishing Act",
            album="Gone Album",
            track=str(number),
            seconds=2.0,
        )
    kept = media_root / "Kept/1.mp3"
    write_mp3(kept, title="Kept", artist="Staying Put", album="Kept Album", seconds=3.0)
    await scan_library(engine, media_root)
    async with AsyncSession(engine) as session:
        rows = await session.execute(select(TrackRecord.title, TrackRecord.id))
        return {row.title: row.id for row in rows}


async def _set_state(engine: AsyncEngine, ids: list[uuid.UUID], state: TrackState) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions.begin() as session:
        await session.execute(
            update(TrackRecord).where(TrackRecord.id.in_(ids)).values(state=state.value)
        )
    await group_tracks(sessions, GroupingChanges(written_ids=ids))


async def _seen(engine: AsyncEngine, reader: Reader) -> tuple[int, int, int, float]:
    async with AsyncSession(engine) as session:
        totals = await library_totals(session, reader=reader)
        assert totals.track_count == await count_tracks(session, reader=reader, search=None)
        assert totals.album_count == await count_albums(session, reader=reader, search=None)
        return (
            totals.track_count,
            totals.album_count,
            await count_artists(session, reader=reader, search=None),
            totals.total_duration_seconds,
        )


async def test_missing_and_trashed_tracks_and_their_album_are_hidden_from_everyone(
    engine: AsyncEngine, media_root: Path
) -> None:
    ids = await _library(engine, media_root)
    for reader in READERS:
        tracks, albums, artists, seconds = await _seen(engine, reader)
        assert (tracks, albums, artists) == (3, 2, 2)
        assert round(seconds) == 7

    await _set_state(engine, [ids["Gone 1"]], TrackState.MISSING)
    await _set_state(engine, [ids["Gone 2"]], TrackState.TRASHED)

    for reader in READERS:
        tracks, albums, artists, seconds = await _seen(engine, reader)
        assert (tracks, albums, artists) == (1, 1, 1), reader
        assert round(seconds) == 3
        async with AsyncSession(engine) as session:
            assert not await track_exists(session, ids["Gone 1"], reader=reader)
            assert set(await tracks_by_ids(session, list(ids.values()), reader=reader)) == {
                ids["Kept"]
            }
    async with AsyncSession(engine) as session:
        album = await session.scalar(select(AlbumRecord).where(AlbumRecord.title == "Gone Album"))
        assert album is not None
        assert (album.is_available, album.track_count) == (False, 0)
        assert await albums_by_ids(session, [album.id], reader=ADMIN) == {}
        artist = await session.scalar(
            select(ArtistRecord).where(ArtistRecord.name == "Vanishing Act")
        )
        assert artist is not None  # kept, with nothing counted
        assert (artist.track_count, artist.album_count) == (0, 0)
    gone_album_id = album.id

    # Back again: the same album (same id) with both tracks, counted as before.
    await _set_state(engine, [ids["Gone 1"], ids["Gone 2"]], TrackState.AVAILABLE)
    for reader in READERS:
        assert (await _seen(engine, reader))[:3] == (3, 2, 2)
    async with AsyncSession(engine) as session:
        album = await session.scalar(select(AlbumRecord).where(AlbumRecord.title == "Gone Album"))
        assert album is not None
        assert (album.id, album.is_available, album.track_count) == (gone_album_id, True, 2)


async def test_an_album_with_one_track_left_describes_and_counts_only_that_one(
    engine: AsyncEngine, media_root: Path
) -> None:
    ids = await _library(engine, media_root)
    await _set_state(engine, [ids["Gone 2"]], TrackState.TRASHED)
    async with AsyncSession(engine) as session:
        album = await session.scalar(select(AlbumRecord).where(AlbumRecord.title == "Gone Album"))
        assert album is not None
        assert (album.is_available, album.track_count, round(album.duration_seconds)) == (
            True,
            1,
            2,
        )
        assert set(await albums_by_ids(session, [album.id], reader=ANONYMOUS)) == {album.id}
