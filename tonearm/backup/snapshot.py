"""The registry's consistent snapshot: SQLite's online backup, or ``pg_dump``.

Both read a single point in time while the server keeps writing: SQLite's backup API copies
the pages of one read transaction (WAL readers never block the writer), ``pg_dump`` runs
in one repeatable-read transaction. Blocking: for the CLI, never on an event loop.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import URL

from tonearm.db.engine import parse_database_url

SQLITE_FILE = "tonearm.db"
POSTGRES_FILE = "tonearm.pgdump"
PAGES_PER_STEP = 4096  # ~16 MiB with 4 KiB pages: the writer gets the lock between steps

Progress = Callable[[int, int], None]  # (done, total) in pages


class BackupRefused(Exception):
    """The backup cannot be made; the message says why, for the operator."""


def snapshot_database(database_url: str, destination: Path, progress: Progress) -> Path:
    """Write the registry's snapshot into ``destination``; return the file written."""
    url = parse_database_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_snapshot(url, destination / SQLITE_FILE, progress)
    return _postgres_dump(url, destination / POSTGRES_FILE)


def _sqlite_snapshot(url: URL, target: Path, progress: Progress) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupRefused("an in-memory SQLite database has nothing to back up")
    source_path = Path(url.database)
    if not source_path.is_file():
        raise BackupRefused(f"the SQLite database {source_path} does not exist")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(
                destination,
                pages=PAGES_PER_STEP,
                progress=lambda _status, remaining, total: progress(total - remaining, total),
            )
            check = destination.execute("PRAGMA integrity_check").fetchone()
            if check is None or check[0] != "ok":
                raise BackupRefused(f"the copy failed its integrity check: {check}")
            # A backup is one self-contained file, whatever journal mode the server uses.
            destination.execute("PRAGMA journal_mode=DELETE")
        finally:
            destination.close()
    finally:
        source.close()
    return target


def _postgres_dump(url: URL, target: Path) -> Path:
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupRefused(
            "pg_dump is not installed (Debian: apt-get install postgresql-client); "
            "it makes the PostgreSQL part of the backup"
        )
    environment = dict(os.environ)
    if url.password is not None:
        # In the environment, not on the command line other users can read.
        environment["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run(
        [program, "--format=custom", "--no-owner", f"--file={target}", conninfo],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()
        raise BackupRefused(f"pg_dump failed: {message[-1] if message else result.returncode}")
    return target
