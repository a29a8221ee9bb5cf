"""Migration 0004 (paths as bytes) on a registry that holds rows, on both databases.

Rows are written at the revision before 0004 with the old text paths, then migrated: ids,
row ids, paths and search must come through intact, and a rescan must find every file
unchanged. The downgrade keeps every path that text can hold.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.db.conftest import migrate
from tests.support.audio import write_mp3
from tests.support.old_registry import raw_tracks, track_rows, tracks_table
from tonearm.catalog.search import search_filters
from tonearm.db.engine import create_engine
from tonearm.db.migrations import alembic_config
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import scan_library

REVISION = "0004"
FILES = {
    "A/One/01 First.mp3": {"title": "First Light", "artist": "Ärtist A"},
    "Mirela Ďurková/Lumière/01 Nocturne für Élise.mp3": {
        "title": "Nocturne für Élise",
        "artist": "Mirela Ďurková",
    },
    "B/untagged café.mp3": {},
}
LATIN1 = os.fsdecode(b"caf\xe9 au lait.mp3")


def _previous_revision() -> str:
    config = alembic_config("sqlite+aiosqlite:///unused.db")
    revision = ScriptDirectory.from_config(config).get_revision(REVISION)
    assert revision is not None
    assert isinstance(revision.down_revision, str)
    return revision.down_revision


@pytest.fixture
async def old_engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a registry at the revision before 0004."""
    await migrate(empty_database_url, _previous_revision())
    engine = create_engine(empty_database_url)
    yield engine
    await engine.dispose()


async def _found(engine: AsyncEngine, search: str) -> int:
    # The search filters alone: today's visibility rules need today's columns.
    statement = sa.select(sa.func.count(TrackRecord.row_id)).where(
        *search_filters(engine.dialect, search)
    )
    async with AsyncSession(engine) as session:
        return int(await session.scalar(statement) or 0)


async def _check_fts(engine: AsyncEngine) -> None:
    if engine.dialect.name == "sqlite":
        async with engine.begin() as connection:
            # Raises if the index and the table disagree.
            await connection.execute(
                sa.text("INSERT INTO tracks_fts(tracks_fts) VALUES ('integrity-check')")
            )


async def test_rows_keep_ids_paths_and_search_through_the_migration(
    old_engine: AsyncEngine, empty_database_url: str, media_root: Path
) -> None:
    for number, (rel, tags) in enumerate(FILES.items()):
        write_mp3(media_root / rel, key=number, id3_version=4 if tags else None, **tags)
    async with old_engine.begin() as connection:
        await connection.execute(
            sa.insert(tracks_table(text_paths=True)), track_rows(media_root, FILES)
        )
    before = await raw_tracks(old_engine)
    assert sorted(path for _, path in before.values()) == sorted(FILES)
    await old_engine.dispose()

    await migrate(empty_database_url, REVISION)

    after = await raw_tracks(old_engine)
    assert after == {
        row_id: (track_id, os.fsencode(path)) for row_id, (track_id, path) in before.items()
    }
    assert all(isinstance(path, bytes) for _, path in after.values())
    await _check_fts(old_engine)
    assert await _found(old_engine, "nocturne elise") == 1
    assert await _found(old_engine, "artist") == 1
    assert await _found(old_engine, "untagged cafe") == 1

    await old_engine.dispose()
    await migrate(empty_database_url, "head")
    rescan = await scan_library(old_engine, media_root)

    # 0005 has every file read again (new tags); paths and ids stay as they were.
    assert (rescan.added, rescan.updated, rescan.unchanged, rescan.removed) == (0, 3, 0, 0)
    assert await raw_tracks(old_engine) == after
    # New rows after the rebuild are indexed too (the triggers are back).
    write_mp3(Path(os.fsdecode(os.fsencode(media_root) + b"/" + os.fsencode(LATIN1))), key=9)
    added = await scan_library(old_engine, media_root)
    assert (added.added, added.skipped) == (1, [])
    assert await _found(old_engine, "caf lait") == 1
    await _check_fts(old_engine)


async def test_the_downgrade_keeps_every_path_text_can_hold(
    old_engine: AsyncEngine, empty_database_url: str, media_root: Path
) -> None:
    await old_engine.dispose()
    await migrate(empty_database_url, "head")
    write_mp3(media_root / "Café/plain.mp3", title="Plain Song")
    write_mp3(Path(os.fsdecode(os.fsencode(media_root) + b"/caf\xe9.mp3")), title="Odd Song")
    await scan_library(old_engine, media_root)
    kept = {path: track_id for track_id, path in (await raw_tracks(old_engine)).values()}
    await old_engine.dispose()

    await migrate(empty_database_url, _previous_revision(), down=True)

    after = await raw_tracks(old_engine)
    assert {path: track_id for track_id, path in after.values()} == {
        "Café/plain.mp3": kept["Café/plain.mp3".encode()]
    }
    await _check_fts(old_engine)
    assert await _found(old_engine, "song") == 1
    assert await _found(old_engine, "odd") == 0
    await old_engine.dispose()

    await migrate(empty_database_url, REVISION)

    assert {path for _, path in (await raw_tracks(old_engine)).values()} == {
        b"Caf\xc3\xa9/plain.mp3"
    }
    assert await _found(old_engine, "plain") == 1
