"""Error policy: abuse limits give QUERY_TOO_COMPLEX; unexpected failures are masked."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql, error_codes
from tonearm.schema.extensions import MAX_ALIASES, MAX_DEPTH


async def test_depth_limit(gql: Gql) -> None:
    levels = MAX_DEPTH + 2  # depth counts the edges below the root field
    deep = "{ a " * levels + "}" * levels
    body = await gql(deep.replace("{ a ", "{ library ", 1))
    depth_errors = [e for e in body["errors"] if "exceeds maximum operation depth" in e["message"]]
    assert [e["extensions"]["code"] for e in depth_errors] == ["QUERY_TOO_COMPLEX"]
    assert "data" not in body


async def test_alias_limit(gql: Gql) -> None:
    aliases = " ".join(f"a{i}: library {{ trackCount }}" for i in range(MAX_ALIASES + 1))
    body = await gql(f"{{ {aliases} }}")
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    expected = f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"
    assert body["errors"][0]["message"] == expected


async def test_token_limit(gql: Gql) -> None:
    body = await gql("{ " + "library { trackCount } " * 600 + "}")
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["message"].startswith("Syntax Error: Document contains more than")


async def test_wrong_variable_type_is_bad_user_input(gql: Gql) -> None:
    body = await gql("query($n: Int) { tracks(first: $n) { totalCount } }", {"n": "ten"})
    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.fixture
async def broken_registry(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("ALTER TABLE tracks RENAME TO tracks_moved_away"))


async def test_unexpected_error_is_masked_and_logged(
    client: httpx.AsyncClient, broken_registry: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="tonearm.graphql"):
        response = await client.post("/graphql", json={"query": "{ library { trackCount } }"})
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Internal server error",
                "locations": [{"line": 1, "column": 3}],
                "path": ["library"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ],
    }
    for leak in ("SELECT", "tracks", "Traceback", "sqlalchemy", "asyncpg", "sqlite"):
        assert leak not in response.text
    assert [record.message for record in caplog.records] == [
        "unexpected error in GraphQL operation at ['library']"
    ]
    assert caplog.records[0].exc_info is not None


async def test_masking_keeps_sibling_data(client: httpx.AsyncClient, broken_registry: None) -> None:
    response = await client.post(
        "/graphql", json={"query": '{ track(id: "bad") { id } library { trackCount } }'}
    )
    body = response.json()
    assert sorted(error_codes(body)) == ["INTERNAL_SERVER_ERROR", "INVALID_ID"]
