"""Processes that migrate one fresh database at the same moment migrate it once.

Replicas started together on a new PostgreSQL database used to race: both created the
same tables and one died on ``pg_type_typname_nsp_index``. Each process here waits at a
barrier, then runs the real ``upgrade_to_head``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from itertools import count
from multiprocessing.synchronize import Barrier
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from tests.conftest import BACKENDS, _admin
from tests.support.postgres import database_url
from tonearm.db.migrations import alembic_config

# The newest migration: what a freshly migrated database is at.
HEAD = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://")).get_current_head()

PROCESSES = 4
_names = count()


def _migrate(url: str, barrier: Barrier) -> None:
    from tonearm.db.migrations import upgrade_to_head

    barrier.wait(timeout=60)
    upgrade_to_head(url)


def _migrate_together(url: str) -> list[int | None]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    processes = [context.Process(target=_migrate, args=(url, barrier)) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
    return [process.exitcode for process in processes]


async def _head_and_tables(url_host: str, name: str) -> tuple[list[str], int]:
    connection = await asyncpg.connect(host=url_host, user="postgres", database=name)
    try:
        versions = [
            row[0] for row in await connection.fetch("SELECT version_num FROM alembic_version")
        ]
        tables = await connection.fetchval(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'listening_sessions'"
        )
        return versions, int(tables)
    finally:
        await connection.close()


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL not in this run")
def test_replicas_migrating_a_new_postgres_database_together_all_succeed(
    postgres_socket: str,
) -> None:
    name = f"tonearm_race_{os.getpid()}_{next(_names)}"
    asyncio.run(_admin(postgres_socket, f'CREATE DATABASE "{name}"'))
    try:
        assert _migrate_together(database_url(postgres_socket, name)) == [0] * PROCESSES
        versions, tables = asyncio.run(_head_and_tables(postgres_socket, name))
        assert versions == [HEAD]
        assert tables == 1
    finally:
        asyncio.run(_admin(postgres_socket, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.skipif("sqlite" not in BACKENDS, reason="SQLite not in this run")
def test_processes_migrating_a_new_sqlite_database_together_all_succeed(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "data" / "tonearm.db"
    assert _migrate_together(f"sqlite+aiosqlite:///{path}") == [0] * PROCESSES
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
