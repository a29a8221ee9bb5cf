"""The retention sweep, the one-process try-lock, and what a purge does to scanned files."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.trash.conftest import HIDDEN, SCANNED, UPLOADED, As, Library
from tests.trash.test_trash import DELETE_TRACK, PURGE, TRASH
from tonearm.db.locks import TRASH_SWEEP_LOCK_KEY, try_registry_lock
from tonearm.db.models import PurgedPathRecord, TrackRecord, TrashRecord
from tonearm.services import build_services
from tonearm.settings import Settings
from tonearm.trash.purge import remove_confined
from tonearm.trash.retention import purge_expired

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


async def _age_entries(engine: AsyncEngine, days: float) -> None:
    async with engine.begin() as connection:
        await connection.execute(update(TrashRecord).values(deleted_at=NOW - timedelta(days=days)))


async def test_the_sweep_purges_what_is_older_than_the_retention_only(
    as_user: As, library: Library, engine: AsyncEngine, settings: Settings
) -> None:
    alice = library.people["alice"]
    await as_user(alice, DELETE_TRACK, id=library.uploaded[0])
    await _age_entries(engine, 31)
    await as_user(alice, DELETE_TRACK, id=library.uploaded[1])  # deleted now: kept
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord).where(TrackRecord.id.in_([SCANNED, HIDDEN])).values(state="missing")
        )
        await connection.execute(
            update(TrackRecord)
            .where(TrackRecord.id == SCANNED)
            .values(state_changed_at=NOW - timedelta(days=40))
        )
        await connection.execute(
            update(TrackRecord)
            .where(TrackRecord.id == HIDDEN)
            .values(state_changed_at=NOW - timedelta(days=2))
        )
    services = build_services(settings)
    try:
        report = await purge_expired(services, now=NOW)
        assert (report.entries, report.missing_tracks, report.skipped) == (1, 1, False)
        assert await purge_expired(services, now=NOW) == type(report)()
    finally:
        await services.engine.dispose()
    async with engine.connect() as connection:
        left = set((await connection.scalars(select(TrackRecord.id))).all())
        paths = list((await connection.scalars(select(PurgedPathRecord.path))).all())
    assert left == {UPLOADED[1], UPLOADED[2], HIDDEN}
    assert paths == ["seed/00020.mp3"]
    assert not library.upload_files[0].exists()
    assert [e["node"]["name"] for e in (await as_user(alice, TRASH))["edges"]] == ["Wave 2"]


async def test_retention_zero_keeps_everything(
    as_user: As,
    library: Library,
    engine: AsyncEngine,
    make_settings: Any,
    settings: Settings,
) -> None:
    await as_user(library.people["alice"], DELETE_TRACK, id=library.uploaded[0])
    await _age_entries(engine, 3650)
    keeping = settings.model_copy(update={"trash_retention_days": 0})
    services = build_services(keeping)
    try:
        report = await purge_expired(services, now=NOW)
    finally:
        await services.engine.dispose()
    assert (report.entries, report.missing_tracks) == (0, 0)
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(TrashRecord)) == 1


async def test_only_one_process_holds_the_sweep_lock(engine: AsyncEngine) -> None:
    async with try_registry_lock(engine, key=TRASH_SWEEP_LOCK_KEY, name="trash-lock") as first:
        assert first is True
        async with try_registry_lock(engine, key=TRASH_SWEEP_LOCK_KEY, name="trash-lock") as second:
            assert second is False
    async with try_registry_lock(engine, key=TRASH_SWEEP_LOCK_KEY, name="trash-lock") as again:
        assert again is True


async def test_a_locked_sweep_is_skipped(
    library: Library, engine: AsyncEngine, settings: Settings
) -> None:
    services = build_services(settings)
    try:
        async with try_registry_lock(engine, key=TRASH_SWEEP_LOCK_KEY, name="trash-lock"):
            report = await purge_expired(services, now=NOW)
    finally:
        await services.engine.dispose()
    assert report.skipped is True


async def test_with_file_deletion_allowed_a_scanned_file_goes_too(
    library: Library, settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    import httpx

    from tonearm.app import create_app

    allowing = settings.model_copy(update={"allow_file_deletion": True})
    app = create_app(allowing)
    root = library.people["root"]
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            for query in (DELETE_TRACK, PURGE):
                response = await http.post(
                    "/graphql",
                    json={"query": query, "variables": {"id": library.scanned}},
                    headers=root.bearer,
                )
                assert response.status_code == 200
                assert "errors" not in response.json()
    finally:
        await app.state.services.engine.dispose()
    assert not library.scanned_file.exists()
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(PurgedPathRecord)) == 0


def test_removal_is_confined_to_the_root_and_never_follows_a_symlink(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    outside = tmp_path / "outside.mp3"
    outside.write_bytes(b"keep me")
    inside = root / "a" / "target.mp3"
    inside.write_bytes(b"target")
    (root / "a" / "link.mp3").symlink_to(outside)
    (root / "a" / "inner-link.mp3").symlink_to(inside)
    (root / "escape").symlink_to(tmp_path)
    assert remove_confined(str(root), "a/link.mp3") is True  # the link, not its target
    assert outside.read_bytes() == b"keep me"
    assert remove_confined(str(root), "a/inner-link.mp3") is True
    assert inside.read_bytes() == b"target"
    assert remove_confined(str(root), "../outside.mp3") is False
    assert remove_confined(str(root), "escape/outside.mp3") is False  # folder resolves out
    assert outside.exists()
    assert remove_confined(str(root), "a") is False  # a folder is not a track file
    assert remove_confined(str(root), "a/gone.mp3") is False
    assert remove_confined(str(root), "a/target.mp3") is True
    assert not inside.exists()
    assert os.listdir(root / "a") == []
