"""Async engine and session factory for the registry (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from tonearm.settings import ConfigurationError

SUPPORTED_DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}


def parse_database_url(url: str) -> URL:
    """Parse and check a database URL; a typo becomes a one-line ``ConfigurationError``."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            "TONEARM_DATABASE_URL is not a valid database URL "
            "(expected sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB)."
        ) from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ConfigurationError(
            f"TONEARM_DATABASE_URL uses {parsed.drivername!r}; "
            f"supported: {', '.join(sorted(SUPPORTED_DRIVERS))}."
        )
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine, with WAL and a busy timeout on SQLite."""
    parsed = parse_database_url(url)
    try:
        engine = create_async_engine(parsed, pool_pre_ping=False, **kwargs)
    except NoSuchModuleError:
        raise ConfigurationError(f"no driver installed for {parsed.drivername!r}.") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder a SQLite database file will live in."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


@asynccontextmanager
async def engine_for(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine that is disposed of when the block ends (for CLI commands)."""
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
