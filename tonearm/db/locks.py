"""A registry-wide lock so that two scans (CLI and server, or two servers) never interleave.

PostgreSQL: a session-level advisory lock, which also covers several hosts sharing one
database. SQLite: an exclusive ``flock`` on a file beside the database.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

SCAN_LOCK_KEY = 0x746F6E65  # "tone"


@asynccontextmanager
async def scan_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold the registry's scan lock for the duration of the block, waiting for it if needed."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCAN_LOCK_KEY})
            await connection.commit()
            try:
                yield
            finally:
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": SCAN_LOCK_KEY}
                )
                await connection.commit()
        return
    database = engine.url.database
    lock_path = Path(f"{database}.scan-lock") if database and database != ":memory:" else None
    if lock_path is None:
        yield
        return
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


TRASH_SWEEP_LOCK_KEY = 0x74726173  # "tras"
SESSION_SWEEP_LOCK_KEY = 0x6C697374  # "list": the listening sessions' idle sweep


@asynccontextmanager
async def try_registry_lock(engine: AsyncEngine, *, key: int, name: str) -> AsyncIterator[bool]:
    """Try to take a registry-wide lock without waiting; yields whether this process holds it.

    For work that one process at a time should do and the others may skip (the trash's
    retention sweep, which every server worker schedules): PostgreSQL's
    ``pg_try_advisory_lock(key)``, else a non-blocking ``flock`` on ``<database>.<name>``.
    """
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            taken = bool(
                await connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
            )
            await connection.commit()
            try:
                yield taken
            finally:
                if taken:
                    await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    await connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield True
        return
    fd = os.open(Path(f"{database}.{name}"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
