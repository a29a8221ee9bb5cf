"""``tonearm storage migrate`` against moto with real uploads: local → S3 (interrupted, then
resumed) and back, every object verified by SHA-256 and the rows' keys updated."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import make_user
from tests.support.audio import encoded_audio
from tests.uploads.conftest import ORIGIN, grant_upload, results, upload
from tonearm.accounts.users import Role
from tonearm.app import create_app
from tonearm.db.engine import create_session_factory
from tonearm.db.models import TrackRecord
from tonearm.relocate.command import summary_line
from tonearm.relocate.migrate import Status, backend, migrate
from tonearm.settings import Settings


class Interrupted(Exception):
    """Stands for Ctrl-C part-way."""


async def test_local_to_s3_interrupted_resumed_and_back(
    s3_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    engine: AsyncEngine,
) -> None:
    settings = s3_settings(
        database_url=database_url_for_test, media_root=media_root, storage="local"
    )
    user = await make_user(engine, "uploader", Role.LISTENER)
    await grant_upload(engine, user)
    files = [(f"t{i}.mp3", encoded_audio("mp3", 1.0, key=i)) for i in range(3)]
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=ORIGIN, headers=user.bearer
    ) as client:
        assert [r["__typename"] for r in results(await upload(client, files))] == [
            "UploadedTrack"
        ] * 3
    await app.state.services.engine.dispose()
    sessions = create_session_factory(engine)
    local, bucket = backend(settings, "local"), backend(settings, "s3")
    seen: list[Status] = []

    def stop_after_two(done: int, total: int, key: str, status: Status) -> None:
        seen.append(status)
        if done == 2:
            raise Interrupted

    try:
        with pytest.raises(Interrupted):
            await migrate(
                sessions,
                source=local,
                target=bucket,
                scratch_dir=settings.data_dir,
                progress=stop_after_two,
            )
        assert seen == ["copied", "copied"]
        dry = await migrate(
            sessions, source=local, target=bucket, scratch_dir=settings.data_dir, dry_run=True
        )
        assert dry.counts == {"skipped": 2, "would copy": 1}
        resumed = await migrate(
            sessions, source=local, target=bucket, scratch_dir=settings.data_dir
        )
        assert resumed.counts == {"skipped": 2, "copied": 1}
        assert resumed.ok
        async with engine.connect() as connection:
            rows = (
                await connection.execute(select(TrackRecord.path, TrackRecord.storage_key))
            ).all()
        assert sorted(key for _, key in rows) == sorted(f"originals/{path}" for path, _ in rows)
        stored = sorted([await bucket.read_all(key) for _, key in rows])
        assert stored == sorted(data for _, data in files)
        assert all((settings.resolved_uploads_dir / path).exists() for path, _ in rows)  # kept
        # And back: the local copies are there and verified, so all are skipped.
        back = await migrate(sessions, source=bucket, target=local, scratch_dir=settings.data_dir)
        assert back.counts == {"skipped": 3}
        async with engine.connect() as connection:
            keys = (await connection.execute(select(TrackRecord.storage_key))).scalars().all()
        assert keys == [None, None, None]
        # Back with a local file lost: it is downloaded and verified.
        (settings.resolved_uploads_dir / rows[0].path).unlink()
        again = await migrate(sessions, source=bucket, target=local, scratch_dir=settings.data_dir)
        assert again.counts == {"copied": 1, "skipped": 2}
        restored = (settings.resolved_uploads_dir / rows[0].path).read_bytes()
        assert restored == await bucket.read_all(f"originals/{rows[0].path}")
        assert summary_line(again, to="local", dry_run=False) == (
            "3 objects: 1 copied, 2 skipped. Sources kept. Now set TONEARM_STORAGE=local and "
            "restart tonearm."
        )
    finally:
        await bucket.close()


def test_the_command_refuses_the_storage_it_is_on(make_settings: Callable[..., Settings]) -> None:
    from tonearm.relocate.command import run_migrate

    out = io.StringIO()
    assert run_migrate(make_settings(), to="local", dry_run=False, out=out) == 2
    assert out.getvalue() == (
        "tonearm: TONEARM_STORAGE is local already: migrate --to the other one\n"
    )


def test_a_second_run_at_the_same_time_is_refused(
    s3_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> None:
    import fcntl
    import os

    from tonearm.relocate.command import run_migrate
    from tonearm.relocate.migrate import LOCK_FILE

    settings = s3_settings(
        database_url=database_url_for_test, media_root=media_root, storage="local"
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as the other run's process holds it
        out = io.StringIO()
        assert run_migrate(settings, to="s3", dry_run=False, out=out) == 2
        assert out.getvalue() == "tonearm: another tonearm storage migrate is running\n"
    finally:
        os.close(fd)
    out = io.StringIO()
    assert run_migrate(settings, to="s3", dry_run=True, out=out) == 0
    assert out.getvalue().splitlines()[-1] == "0 objects: nothing to do (dry run: nothing copied)"
