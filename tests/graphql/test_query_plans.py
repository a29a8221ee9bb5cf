"""The album and artist lists read their indexes: keyset pages seek, searches use full text.

Each page query is captured as the catalog sends it (statement and driver parameters) and
explained on the same database. SQLite must walk the order's index without sorting;
PostgreSQL (with sequential scans discouraged, since the tables are tiny) must name it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.graphql.seed import insert_and_group, track
from tonearm.catalog.access import ADMIN
from tonearm.catalog.album_queries import list_albums
from tonearm.catalog.artist_queries import list_artists
from tonearm.catalog.pagination import (
    AlbumOrder,
    ArtistOrder,
    PageRequest,
    encode_cursor,
    page_request,
)
from tonearm.db.models import AlbumRecord, ArtistRecord

INDEXES: dict[Enum, str] = {
    AlbumOrder.TITLE: "ix_albums_sort_title",
    AlbumOrder.ARTIST: "ix_albums_sort_artist",
    AlbumOrder.YEAR: "ix_albums_sort_year",
    AlbumOrder.RECENTLY_ADDED: "ix_albums_created_at",
    ArtistOrder.NAME: "ix_artists_sort_name",
}


@pytest.fixture
async def seeded(engine: AsyncEngine) -> None:
    rows = [
        track(n, title=f"T{n}", artist=f"Artist {n % 9}", album=f"Album {n % 13}", year=1990 + n)
        for n in range(60)
    ]
    await insert_and_group(engine, rows)


async def plan(engine: AsyncEngine, run: Callable[[AsyncSession], Awaitable[Any]]) -> list[str]:
    """The plan lines of the one statement ``run`` sends."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with AsyncSession(engine) as session:
            await run(session)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    ((statement, parameters),) = sent
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("SET enable_seqscan = off"))
            result = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            return [str(row[0]) for row in result]
        result = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return [str(row[-1]) for row in result]


def pages(order: Enum, cursor: str) -> dict[str, PageRequest]:
    return {
        "first": page_request(order, first=20, after=None, last=None, before=None),
        "after": page_request(order, first=20, after=cursor, last=None, before=None),
        "before": page_request(order, first=None, after=None, last=20, before=cursor),
    }


def assert_uses(lines: list[str], index: str, dialect: str) -> None:
    assert any(index in line for line in lines), lines
    if dialect == "sqlite":
        assert not any("TEMP B-TREE" in line for line in lines), lines


@pytest.mark.parametrize("order", list(AlbumOrder), ids=str)
async def test_album_pages_walk_the_orders_index(
    engine: AsyncEngine, seeded: None, order: AlbumOrder
) -> None:
    async with AsyncSession(engine) as session:
        record = (await session.scalars(select(AlbumRecord).limit(1))).one()
    for page in pages(order, encode_cursor(order, record)).values():
        lines = await plan(
            engine,
            lambda s, page=page: list_albums(s, reader=ADMIN, order=order, page=page, search=None),
        )
        assert_uses(lines, INDEXES[order], engine.dialect.name)


async def test_artist_pages_walk_the_name_index(engine: AsyncEngine, seeded: None) -> None:
    async with AsyncSession(engine) as session:
        record = (await session.scalars(select(ArtistRecord).limit(1))).one()
    for page in pages(ArtistOrder.NAME, encode_cursor(ArtistOrder.NAME, record)).values():
        lines = await plan(
            engine,
            lambda s, page=page: list_artists(
                s, reader=ADMIN, order=ArtistOrder.NAME, page=page, search=None
            ),
        )
        assert_uses(lines, INDEXES[ArtistOrder.NAME], engine.dialect.name)


@pytest.mark.parametrize("table", ["albums", "artists"])
async def test_album_and_artist_searches_use_their_full_text_index(
    engine: AsyncEngine, seeded: None, table: str
) -> None:
    if table == "albums":
        page = page_request(AlbumOrder.TITLE, first=20, after=None, last=None, before=None)

        def run(s: AsyncSession) -> Awaitable[Any]:
            return list_albums(s, reader=ADMIN, order=AlbumOrder.TITLE, page=page, search="album 1")
    else:
        page = page_request(ArtistOrder.NAME, first=20, after=None, last=None, before=None)

        def run(s: AsyncSession) -> Awaitable[Any]:
            return list_artists(s, reader=ADMIN, order=ArtistOrder.NAME, page=page, search="artist")

    lines = await plan(engine, run)
    if engine.dialect.name == "postgresql":
        assert any(f"ix_{table}_search_vector" in line for line in lines), lines
    else:
        assert any("VIRTUAL TABLE INDEX" in line for line in lines), lines
