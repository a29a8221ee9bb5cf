"""No N+1: a page costs the same few statements whatever its size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql
from tests.graphql.seed import insert_rows, library_rows

ALL_FIELDS = """id title artist albumArtist trackNumber discNumber discSubtitle year genre
    durationSeconds format bitrate bitDepth sampleRate channels sizeBytes mimeType createdAt
    updatedAt"""
PAGE = f"""query($first: Int, $after: String) {{ tracks(first: $first, after: $after) {{
  totalCount edges {{ cursor node {{ {ALL_FIELDS} }} }}
  pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"""


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    """SQL statements the app's engine executes while the test runs."""
    executed: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    sync_engine = app.state.services.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    yield executed
    event.remove(sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def seeded(engine: AsyncEngine, gql: Gql) -> None:
    await insert_rows(engine, library_rows(230))
    await gql("{ library { trackCount } }")  # connect first: dialect setup runs SQL once


async def test_first_page_of_100_is_three_statements(
    gql: Gql, seeded: None, statements: list[str]
) -> None:
    body = await gql(PAGE, {"first": 100})
    assert len(body["data"]["tracks"]["edges"]) == 100
    assert len(statements) == 3  # the viewer (bearer token), the page, the count


async def test_page_after_a_cursor_is_three_statements_at_any_size(
    gql: Gql, seeded: None, statements: list[str]
) -> None:
    cursor = (await gql(PAGE, {"first": 1}))["data"]["tracks"]["pageInfo"]["endCursor"]
    statements.clear()
    await gql(PAGE, {"first": 5, "after": cursor})
    small = len(statements)
    statements.clear()
    await gql(PAGE, {"first": 100, "after": cursor})
    assert (small, len(statements)) == (3, 3)  # the viewer, the page, the count


async def test_total_count_is_only_computed_when_asked_for(
    gql: Gql, seeded: None, statements: list[str]
) -> None:
    await gql("{ tracks(first: 100) { edges { node { id } } } }")
    assert len(statements) == 2  # the viewer, the page


async def test_node_lookups_are_batched(gql: Gql, seeded: None, statements: list[str]) -> None:
    ids = [
        edge["node"]["id"] for edge in (await gql(PAGE, {"first": 5}))["data"]["tracks"]["edges"]
    ]
    statements.clear()
    aliases = " ".join(
        f'n{i}: node(id: "{node_id}") {{ id }} t{i}: track(id: "{node_id}") {{ title }}'
        for i, node_id in enumerate(ids)
    )
    body = await gql(f"{{ {aliases} }}")
    assert body["data"]["n4"]["id"] == ids[4]
    assert len(statements) == 2  # the viewer, one batched lookup
