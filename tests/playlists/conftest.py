"""Fixtures for the playlist domain: users, tracks and a session on this test's database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.graphql.seed import insert_rows, track
from tests.support.accounts import SignedInUser, make_user
from tonearm.accounts.users import Role
from tonearm.catalog.access import Reader
from tonearm.db.engine import create_session_factory


@pytest.fixture
async def owner(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "owner", Role.LISTENER)


@pytest.fixture
def reader(owner: SignedInUser) -> Reader:
    return Reader(owner.record.id)


@pytest.fixture
async def tracks(engine: AsyncEngine) -> list[uuid.UUID]:
    """Ten published tracks."""
    ids = [uuid.UUID(int=index, version=4) for index in range(1, 11)]
    await insert_rows(
        engine,
        [
            {**track(i, title=f"T{i}", artist="A", track_id=tid), "origin": "library"}
            for i, tid in enumerate(ids)
        ],
    )
    return ids


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with create_session_factory(engine)() as db:
        yield db


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """SQL statements run on the engine during the test."""
    executed: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield executed
    event.remove(engine.sync_engine, "before_cursor_execute", record)
