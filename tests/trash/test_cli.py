"""``tonearm trash purge-expired``: the sweep on demand, as a real process."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_SECRET
from tests.test_cli import run
from tests.trash.conftest import As, Library
from tests.trash.test_trash import DELETE_TRACK
from tonearm.db.models import TrackRecord, TrashRecord, utcnow
from tonearm.settings import Settings


async def test_purge_expired_purges_old_entries_and_says_so(
    as_user: As,
    library: Library,
    engine: AsyncEngine,
    settings: Settings,
) -> None:
    tmp_path = settings.data_dir.parent
    alice = library.people["alice"]
    await as_user(alice, DELETE_TRACK, id=library.uploaded[0])
    async with engine.begin() as connection:
        await connection.execute(
            update(TrashRecord).values(deleted_at=utcnow() - timedelta(days=45))
        )
    await as_user(alice, DELETE_TRACK, id=library.uploaded[1])
    env = {
        "TONEARM_DATABASE_URL": settings.resolved_database_url,
        "TONEARM_MEDIA_ROOT": str(settings.media_root),
        "TONEARM_UPLOADS_DIR": str(settings.resolved_uploads_dir),
        "TONEARM_SECRET_KEY": TEST_SECRET,
    }
    done = await asyncio.to_thread(run, ["trash", "purge-expired"], tmp_path, **env)
    assert (done.returncode, done.stdout) == (
        0,
        "purged 1 trash entries and 0 missing tracks older than 30 days\n",
    ), done.stderr
    assert not library.upload_files[0].exists()
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(TrashRecord)) == 1
        assert await connection.scalar(select(func.count()).select_from(TrackRecord)) == 4
    kept = await asyncio.to_thread(
        run, ["trash", "purge-expired"], tmp_path, **env, TONEARM_TRASH_RETENTION_DAYS="0"
    )
    assert kept.stdout == "TONEARM_TRASH_RETENTION_DAYS is 0: nothing is purged automatically\n"
