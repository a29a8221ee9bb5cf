"""Apply Alembic migrations from code (``tonearm migrate`` and ``tonearm serve``).

Alembic's async ``env.py`` runs its own event loop, so call these before the server's loop
starts, never from inside it.

Migrations run once however many processes start together (replicas on one PostgreSQL,
``serve`` and ``migrate`` at once): on PostgreSQL the migration transaction first takes a
transaction-level advisory lock, on SQLite the upgrade holds an ``flock`` on a file beside
the database. Whoever comes second waits, then finds the database at head.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from alembic import command
from tonearm.db.engine import ensure_sqlite_folder, parse_database_url

# pg_advisory_xact_lock's key for "migrating tonearm's registry" (ASCII "tonearm").
MIGRATION_LOCK_KEY = 0x746F6E6561726D

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointed at tonearm's migrations and the given database."""
    parse_database_url(database_url)
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str) -> None:
    """Apply every pending migration (waiting for another process applying them)."""
    ensure_sqlite_folder(database_url)
    with sqlite_migration_lock(database_url):
        command.upgrade(alembic_config(database_url), "head")


@contextmanager
def sqlite_migration_lock(database_url: str) -> Iterator[None]:
    """Hold ``<database>.migrate.lock`` exclusively (a no-op for other databases)."""
    parsed = parse_database_url(database_url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        yield
        return
    lock_path = Path(f"{parsed.database}.migrate.lock")
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


async def lock_for_migrations(connection: AsyncConnection) -> None:
    """On PostgreSQL, wait for the migration lock; it is released when the transaction ends."""
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
        )
