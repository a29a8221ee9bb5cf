"""``tonearm backup``: a consistent, verifiable copy while the database is being written."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tests.conftest import BACKENDS, _admin
from tests.support.postgres import database_url
from tonearm.backup.files import verify
from tonearm.backup.making import make_backup
from tonearm.backup.snapshot import BackupRefused
from tonearm.db.migrations import alembic_config, upgrade_to_head
from tonearm.settings import Settings, load_or_create_secret_key

# The newest migration: what a freshly migrated database is at.
HEAD = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://")).get_current_head()

pytestmark = pytest.mark.skipif("sqlite" not in BACKENDS, reason="SQLite not in this run")


def _box(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    upgrade_to_head(settings.resolved_database_url)
    load_or_create_secret_key(data)
    uploads = settings.resolved_uploads_dir
    (uploads / "u1" / "2026" / "12").mkdir(parents=True)
    (uploads / "u1" / "2026" / "12" / "a.mp3").write_bytes(b"ID3" + bytes(range(256)) * 40)
    (uploads / ".staging").mkdir()
    (uploads / ".staging" / "half").write_bytes(b"unfinished")
    (uploads / ".tus").mkdir()
    (uploads / ".tus" / "x").write_bytes(b"resumable")
    art = data / "art" / "ab" / ("ab" * 32)
    art.mkdir(parents=True)
    (art / "300.jpg").write_bytes(b"\xff\xd8 jpeg")
    (data / "variants" / "t1").mkdir(parents=True)
    (data / "variants" / "t1" / "opus-160.ogg").write_bytes(b"OggS variant")
    return settings


def _writer(database: Path, stop: threading.Event, written: list[int]) -> None:
    connection = sqlite3.connect(database, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE IF NOT EXISTS backup_probe (n INTEGER, pad BLOB)")
    n = 0
    while not stop.is_set():
        n += 1
        connection.execute("INSERT INTO backup_probe VALUES (?, ?)", (n, os.urandom(2048)))
        connection.commit()
        written.append(n)
    connection.close()


def test_a_backup_taken_while_the_database_is_written_is_consistent_and_complete(
    tmp_path: Path,
) -> None:
    settings = _box(tmp_path)
    database = settings.data_dir / "tonearm.db"
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_writer, args=(database, stop, written))
    writer.start()
    try:
        while len(written) < 200:  # the writer is well under way
            stop.wait(0.01)
        report = make_backup(settings, tmp_path / "backup")
    finally:
        stop.set()
        writer.join()

    backup = tmp_path / "backup"
    assert report.path == backup
    copy = sqlite3.connect(backup / "tonearm.db")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert copy.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    numbers = [row[0] for row in copy.execute("SELECT n FROM backup_probe ORDER BY n")]
    copy.close()
    # One point in time: a prefix of what was written, no gaps.
    assert numbers == list(range(1, len(numbers) + 1))
    assert 200 <= len(numbers) <= len(written)

    assert sorted(str(p.relative_to(backup)) for p in backup.rglob("*") if p.is_file()) == sorted(
        [
            "manifest.json",
            "secret_key",
            "tonearm.db",
            "uploads/u1/2026/12/a.mp3",
            f"art/ab/{'ab' * 32}/300.jpg",
        ]
    )
    assert (backup / "secret_key").read_bytes() == (settings.data_dir / "secret_key").read_bytes()
    assert (backup / "secret_key").stat().st_mode & 0o777 == 0o600
    assert (backup / "uploads/u1/2026/12/a.mp3").read_bytes() == b"ID3" + bytes(range(256)) * 40
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["migration"] == HEAD
    assert manifest["secret_key"] == "copied"
    assert manifest["trees"] == ["uploads", "art"]
    assert verify(backup) == []
    assert not list(tmp_path.glob(".backup.incomplete-*"))


def test_variants_are_copied_only_when_asked(tmp_path: Path) -> None:
    settings = _box(tmp_path)
    make_backup(settings, tmp_path / "backup", include_variants=True)
    assert (tmp_path / "backup/variants/t1/opus-160.ogg").read_bytes() == b"OggS variant"


def test_verify_names_a_changed_and_a_missing_file(tmp_path: Path) -> None:
    settings = _box(tmp_path)
    make_backup(settings, tmp_path / "backup")
    (tmp_path / "backup/uploads/u1/2026/12/a.mp3").write_bytes(b"tampered")
    (tmp_path / "backup/secret_key").unlink()
    assert sorted(verify(tmp_path / "backup")) == [
        "secret_key: missing",
        "uploads/u1/2026/12/a.mp3: differs from the manifest",
    ]


def test_an_existing_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    settings = _box(tmp_path)
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "mine").write_text("keep")
    with pytest.raises(BackupRefused, match="already exists"):
        make_backup(settings, tmp_path / "backup")
    assert [p.name for p in (tmp_path / "backup").iterdir()] == ["mine"]


def test_a_key_from_the_environment_is_not_copied_and_the_manifest_says_so(tmp_path: Path) -> None:
    settings = _box(tmp_path).model_copy(update={"secret_key": "k" * 40})
    report = make_backup(settings, tmp_path / "backup")
    assert not report.secret_key_copied
    assert not (tmp_path / "backup/secret_key").exists()
    manifest = json.loads((tmp_path / "backup/manifest.json").read_text())
    assert manifest["secret_key"].startswith("set by TONEARM_SECRET_KEY")


def test_the_command_backs_up_then_refuses_the_same_folder(tmp_path: Path) -> None:
    settings = _box(tmp_path)
    env = {**os.environ, "TONEARM_DATA_DIR": str(settings.data_dir)}
    command = [sys.executable, "-m", "tonearm.cli", "backup", str(tmp_path / "b")]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert first.stdout == (
        f"backup in {tmp_path / 'b'}: the database (tonearm.db), the secret key, "
        "2 files (10250 bytes) from uploads, art\n"
    )
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 1
    assert (
        again.stderr
        == f"tonearm: {tmp_path / 'b'} already exists: give a new folder for the backup\n"
    )
    verified = subprocess.run(
        [*command[:-1], "--verify", str(tmp_path / "b")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (verified.returncode, verified.stdout) == (0, "backup verified\n")


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL not in this run")
def test_a_postgres_registry_is_dumped_with_pg_dump_and_restores(
    tmp_path: Path, postgres_socket: str, postgres_template: str
) -> None:
    name, restored = f"tonearm_backup_{os.getpid()}", f"tonearm_restored_{os.getpid()}"
    asyncio.run(_admin(postgres_socket, f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    asyncio.run(_admin(postgres_socket, f'CREATE DATABASE "{restored}"'))
    try:
        settings = Settings(
            data_dir=tmp_path / "data", database_url=database_url(postgres_socket, name)
        )
        load_or_create_secret_key(settings.data_dir)
        make_backup(settings, tmp_path / "backup")
        dump = tmp_path / "backup" / "tonearm.pgdump"
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                f"--host={postgres_socket}",
                "--username=postgres",
                f"--dbname={restored}",
                str(dump),
            ],
            check=True,
            capture_output=True,
        )
        listed = subprocess.run(
            [
                "psql",
                f"--host={postgres_socket}",
                "--username=postgres",
                f"--dbname={restored}",
                "-tAc",
                "SELECT version_num FROM alembic_version",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        assert listed.stdout == f"{HEAD}\n"
        assert verify(tmp_path / "backup") == []
    finally:
        for database in (name, restored):
            asyncio.run(
                _admin(postgres_socket, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            )


def test_with_s3_storage_the_bucket_is_named_as_not_backed_up(tmp_path: Path) -> None:
    settings = _box(tmp_path)
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(settings.data_dir),
        "TONEARM_STORAGE": "s3",
        "TONEARM_S3_BUCKET": "tonearm-music",
        "TONEARM_S3_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    command = [sys.executable, "-m", "tonearm.cli", "backup", str(tmp_path / "b")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "not in the backup: the S3 bucket 'tonearm-music' (TONEARM_STORAGE=s3) with the "
        "uploads, variants and cover art stored there; back it up with your provider's "
        "tools (versioning, replication or a copy)"
    )
    manifest = json.loads((tmp_path / "b/manifest.json").read_text())
    assert manifest["object_storage"]["bucket"] == "tonearm-music"
    assert manifest["object_storage"]["copied"] is False
    # What the local folders still hold from before the switch is copied as always.
    assert (tmp_path / "b/uploads/u1/2026/12/a.mp3").is_file()
