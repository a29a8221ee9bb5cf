"""Fixtures for migration tests: an empty database to migrate step by step, on both backends."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from alembic import command
from tests.support.postgres import database_url
from tonearm.db.migrations import alembic_config


async def _admin(socket_dir: str, statement: str) -> None:
    connection = await asyncpg.connect(host=socket_dir, user="postgres", database="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A database with no tables at all, for migrating step by step."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
        return
    socket_dir: str = request.getfixturevalue("postgres_socket")
    name = f"tonearm_migrate_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(socket_dir, f'CREATE DATABASE "{name}"'))
    yield database_url(socket_dir, name)
    asyncio.run(_admin(socket_dir, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def migrate(url: str, revision: str, *, down: bool = False) -> None:
    """Run Alembic in a worker thread (its env.py runs an event loop of its own)."""
    step = command.downgrade if down else command.upgrade
    await asyncio.to_thread(step, alembic_config(url), revision)
