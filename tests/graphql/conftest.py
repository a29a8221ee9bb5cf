"""Fixtures for GraphQL tests: an app on this test's database and an HTTP client to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser, make_user
from tonearm.accounts.users import Role
from tonearm.app import create_app
from tonearm.settings import Settings

Gql = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> Settings:
    """Settings pointing at this test's database and media root."""
    return make_settings(database_url=database_url_for_test, media_root=media_root)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The full tonearm app; its engine is disposed afterwards (no lifespan under httpx)."""
    application = create_app(settings)
    yield application
    await application.state.services.engine.dispose()


@pytest.fixture
async def admin(engine: AsyncEngine) -> SignedInUser:
    """An administrator with an API token and a session."""
    return await make_user(engine, "admin", Role.ADMIN)


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client with no credentials."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as http:
        yield http


@pytest.fixture
async def client(app: FastAPI, admin: SignedInUser) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, signed in as an admin (bearer token)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tonearm.test", headers=admin.bearer
    ) as http:
        yield http


@pytest.fixture
def gql(client: httpx.AsyncClient) -> Gql:
    """POST a GraphQL operation and return the decoded body (asserting a 200)."""

    async def run(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


def error_codes(body: dict[str, Any]) -> list[str]:
    """The ``extensions.code`` of each error in a response body."""
    return [error["extensions"]["code"] for error in body.get("errors", [])]
