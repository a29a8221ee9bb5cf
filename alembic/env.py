"""Alembic environment: runs migrations on the async engine tonearm itself uses."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Connection

from alembic import context
from tonearm.db.engine import create_engine, ensure_sqlite_folder
from tonearm.db.migrations import lock_for_migrations
from tonearm.db.models import SEARCH_OBJECTS, Base
from tonearm.settings import Settings

config = context.config
target_metadata = Base.metadata


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Hide per-database search objects (FTS5 tables, tsvector index) from autogenerate."""
    return name not in SEARCH_OBJECTS


def _database_url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else Settings().resolved_database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    ensure_sqlite_folder(_database_url())
    engine = create_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await lock_for_migrations(connection)  # replicas starting together migrate once
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """Emit SQL without a database connection (``alembic upgrade --sql``)."""
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())
