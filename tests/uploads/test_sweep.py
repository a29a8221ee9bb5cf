"""The sweep removes what interrupted uploads left, and nothing else."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser
from tonearm.db.engine import create_session_factory
from tonearm.db.models import UploadRecord, utcnow
from tonearm.settings import Settings
from tonearm.uploads.sweep import SweepReport, sweep_uploads


async def test_stale_staging_files_and_expired_tus_uploads_go(
    engine: AsyncEngine, settings: Settings, uploader: SignedInUser
) -> None:
    root = settings.resolved_uploads_dir
    staging, tus = root / ".staging", root / ".tus"
    staging.mkdir(parents=True)
    tus.mkdir()
    old, fresh = staging / "old.part", staging / "fresh.part"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))
    expired, alive, finished = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = utcnow()
    sessions = create_session_factory(engine)
    async with sessions.begin() as session:
        for upload_id, state, expires in (
            (expired, "receiving", now - timedelta(minutes=1)),
            (alive, "receiving", now + timedelta(hours=1)),
            (finished, "finished", now - timedelta(days=3)),
        ):
            session.add(
                UploadRecord(
                    id=upload_id,
                    user_id=uploader.record.id,
                    length=10,
                    offset=3,
                    state=state,
                    expires_at=expires,
                )
            )
            (tus / str(upload_id)).write_bytes(b"abc")
    (tus / f"{expired}.info").write_bytes(b"{}")
    stored = root / str(uploader.record.id) / "2026" / "12" / "track.mp3"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"kept")
    os.utime(stored, (an_hour_ago, an_hour_ago))

    report = await sweep_uploads(sessions, uploads_root=root)

    assert report == SweepReport(staging_files=1, expired_uploads=1)
    assert sorted(p.name for p in staging.iterdir()) == ["fresh.part"]
    assert sorted(p.name for p in tus.iterdir()) == sorted([str(alive), str(finished)])
    async with sessions() as session:
        left = set((await session.scalars(select(UploadRecord.id))).all())
    assert left == {alive, finished}
    assert stored.read_bytes() == b"kept"


async def test_a_sweep_without_an_uploads_folder_does_nothing(
    engine: AsyncEngine, settings: Settings
) -> None:
    report = await sweep_uploads(
        create_session_factory(engine), uploads_root=settings.resolved_uploads_dir
    )
    assert report == SweepReport(0, 0)
    assert not settings.resolved_uploads_dir.exists()
