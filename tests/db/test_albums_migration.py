"""Migration 0005 (albums, artists, artwork) on a registry that holds rows, on both databases.

Rows are written at 0004 as that revision's scanner wrote them, then migrated: ids, row ids
and paths come through, the new tables start empty, every file is read again on the next
scan (which builds the albums), and search works on tracks, albums and artists. The
downgrade keeps every track and drops what 0005 added.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.db.conftest import migrate
from tests.support.audio import write_mp3
from tests.support.old_registry import COLUMNS_OF_0005, raw_tracks, track_rows, tracks_table
from tonearm.catalog.access import ADMIN
from tonearm.catalog.album_queries import count_albums
from tonearm.catalog.artist_queries import count_artists
from tonearm.catalog.queries import count_tracks
from tonearm.db.engine import create_engine
from tonearm.library.scanner import scan_library

BEFORE = "0004"
REVISION = "0005"
NEW_TABLES = {"artworks", "artists", "albums", "album_artists", "track_artists"}
# The columns 0005 added to ``tracks``.
FILES = {
    "Björk/Homogenic/01 Hunter.mp3": {"title": "Hunter", "artist": "Björk", "album": "Homogenic"},
    "Björk/Homogenic/02 Jóga.mp3": {"title": "Jóga", "artist": "Björk", "album": "Homogenic"},
    "Duo/Pair/01.mp3": {"title": "Left", "artist": "Duo feat. Guest", "album": "Pair"},
    "loose.mp3": {"title": "Loose", "artist": "Nobody"},
}


@pytest.fixture
async def engine_at_0004(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a registry migrated to 0004 (no albums yet)."""
    await migrate(empty_database_url, BEFORE)
    engine = create_engine(empty_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def files(media_root: Path) -> Path:
    for number, (rel, tags) in enumerate(FILES.items()):
        write_mp3(media_root / rel, key=number, **tags)
    return media_root


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: sa.inspect(c).get_table_names()))


async def _columns(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as connection:
        found = await connection.run_sync(lambda c: sa.inspect(c).get_columns(table))
        return {column["name"] for column in found}


async def _check_fts(engine: AsyncEngine, tables: tuple[str, ...]) -> None:
    if engine.dialect.name == "sqlite":
        async with engine.begin() as connection:
            for table in tables:
                # Raises if an index and its table disagree.
                fts = f"{table}_fts"
                check = f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')"  # noqa: S608 - the test's own names
                await connection.execute(sa.text(check))


async def _counts(engine: AsyncEngine, search: str | None = None) -> tuple[int, int, int]:
    async with AsyncSession(engine) as session:
        return (
            await count_tracks(session, reader=ADMIN, search=search),
            await count_albums(session, reader=ADMIN, search=search),
            await count_artists(session, reader=ADMIN, search=search),
        )


async def test_rows_at_0004_survive_the_upgrade_and_a_scan_builds_their_albums(
    engine_at_0004: AsyncEngine, empty_database_url: str, files: Path
) -> None:
    async with engine_at_0004.begin() as connection:
        await connection.execute(
            sa.insert(tracks_table(text_paths=False)), track_rows(files, FILES)
        )
    before = await raw_tracks(engine_at_0004)
    assert len(before) == len(FILES)
    await engine_at_0004.dispose()

    await migrate(empty_database_url, REVISION)

    assert await raw_tracks(engine_at_0004) == before
    assert await _tables(engine_at_0004) >= NEW_TABLES
    assert await _columns(engine_at_0004, "tracks") >= COLUMNS_OF_0005
    async with engine_at_0004.connect() as connection:
        migrated = (
            await connection.execute(sa.text("SELECT format, mtime_ns, album_id FROM tracks"))
        ).all()
    # Every file is to be read again by the next scan (mtime reset), none has an album yet.
    assert {tuple(row) for row in migrated} == {("mp3", -1, None)}
    # (Today's queries need today's columns, so the counts are checked after the upgrade.)
    await _check_fts(engine_at_0004, ("tracks", "albums", "artists"))

    await engine_at_0004.dispose()
    await migrate(empty_database_url, "head")  # today's scanner writes today's columns
    summary = await scan_library(engine_at_0004, files)

    assert (summary.added, summary.updated, summary.unchanged, summary.removed) == (0, 4, 0, 0)
    assert await raw_tracks(engine_at_0004) == before
    # Homogenic and Pair; Björk, Duo, Guest and Nobody
    assert await _counts(engine_at_0004) == (4, 2, 4)
    assert await _counts(engine_at_0004, "bjork") == (2, 1, 1)
    assert await _counts(engine_at_0004, "gue") == (1, 0, 1)
    await _check_fts(engine_at_0004, ("tracks", "albums", "artists"))


async def test_the_downgrade_keeps_every_track_and_drops_the_new_tables(
    empty_database_url: str, files: Path
) -> None:
    await migrate(empty_database_url, "head")  # today's scanner writes today's columns
    engine = create_engine(empty_database_url)
    try:
        await scan_library(engine, files)
        scanned = await raw_tracks(engine)
        assert (await _counts(engine))[1:] == (2, 4)
        await engine.dispose()

        await migrate(empty_database_url, BEFORE, down=True)

        assert await raw_tracks(engine) == scanned
        assert not NEW_TABLES & await _tables(engine)
        assert not COLUMNS_OF_0005 & await _columns(engine, "tracks")
        await _check_fts(engine, ("tracks",))
        if engine.dialect.name == "sqlite":
            assert not {"albums_fts", "artists_fts"} & await _tables(engine)
        await engine.dispose()

        # And up again: the next scan reads every file and builds the albums anew (today's
        # queries need today's columns, so counts are checked after the upgrade).
        await migrate(empty_database_url, "head")
        again = await scan_library(engine, files)
        assert (again.added, again.updated) == (0, 4)
        assert await raw_tracks(engine) == scanned
        assert await _counts(engine) == (4, 2, 4)
    finally:
        await engine.dispose()
