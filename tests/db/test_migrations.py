"""Migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tonearm.db.migrations import alembic_config
from tonearm.db.models import SEARCH_OBJECTS, Base


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_name": lambda name, *_: name not in SEARCH_OBJECTS,
            "compare_type": True,
        },
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_database_matches_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_migrations_create_the_search_index(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
            assert "tracks_fts" in names
        else:
            indexes = await connection.scalars(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'tracks'")
            )
            assert "ix_tracks_search_vector" in set(indexes)


async def test_migrations_are_at_head(engine: AsyncEngine) -> None:
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    async with engine.connect() as connection:
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == head
    assert head is not None


def test_the_login_failures_migration_downgrades_and_upgrades_keeping_accounts(
    database_url_for_test: str,
) -> None:
    import asyncio

    from alembic import command
    from tests.support.accounts import make_user
    from tonearm.db.engine import create_engine
    from tonearm.db.migrations import upgrade_to_head

    async def count(statement: str) -> int:
        engine = create_engine(database_url_for_test)
        try:
            async with engine.connect() as connection:
                return int(await connection.scalar(text(statement)) or 0)
        finally:
            await engine.dispose()

    async def add_user() -> None:
        engine = create_engine(database_url_for_test)
        try:
            await make_user(engine, "keeper")
        finally:
            await engine.dispose()

    asyncio.run(add_user())
    config = alembic_config(database_url_for_test)

    command.downgrade(config, "0002")
    tables_after_downgrade = asyncio.run(
        count(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'login_failures'"
            if "postgresql" in database_url_for_test
            else "SELECT count(*) FROM sqlite_master WHERE name = 'login_failures'"
        )
    )
    upgrade_to_head(database_url_for_test)

    assert tables_after_downgrade == 0
    assert asyncio.run(count("SELECT count(*) FROM user_sessions")) == 1  # nothing cascaded
    assert asyncio.run(count("SELECT count(*) FROM api_tokens")) == 1
    assert asyncio.run(count("SELECT count(*) FROM users WHERE must_change_password")) == 0
