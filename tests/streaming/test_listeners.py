"""With accounts on, a stream token works only for an enabled user it was minted for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.streaming.conftest import SHORT, Library
from tests.support.accounts import SignedInUser, make_user
from tonearm.app import create_app
from tonearm.db.models import UserRecord
from tonearm.settings import Settings
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url


@pytest.fixture
def accounts_settings(
    make_settings: Callable[..., Settings], media_root: Path, database_url_for_test: str
) -> Settings:
    return make_settings(media_root=media_root, database_url=database_url_for_test, auth="required")


@pytest.fixture
async def accounts_client(accounts_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(accounts_settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://tonearm.test"
    ) as client:
        yield client
    await app.state.services.engine.dispose()


@pytest.fixture
async def listener(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "listener")


def url(settings: Settings, library: Library, user: SignedInUser | None) -> str:
    track_id = library.ids[SHORT]
    signer = StreamSigner(settings.signing_keys(), 600)
    return stream_url(
        track_id, signer.mint(track_id, user_id=user.record.id if user else None).token
    )


async def test_an_enabled_users_token_streams(
    accounts_client: httpx.AsyncClient,
    accounts_settings: Settings,
    library: Library,
    listener: SignedInUser,
) -> None:
    response = await accounts_client.get(url(accounts_settings, library, listener))

    assert response.status_code == 200
    assert response.content == library.data(SHORT)


async def test_a_token_without_a_user_is_refused_when_accounts_are_on(
    accounts_client: httpx.AsyncClient,
    accounts_settings: Settings,
    library: Library,
) -> None:
    response = await accounts_client.get(url(accounts_settings, library, None))

    assert (response.status_code, response.json()) == (403, {"error": "invalid_token"})


async def test_a_disabled_users_token_is_refused(
    accounts_client: httpx.AsyncClient,
    accounts_settings: Settings,
    library: Library,
    listener: SignedInUser,
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(update(UserRecord).values(is_active=False))

    response = await accounts_client.get(url(accounts_settings, library, listener))

    assert (response.status_code, response.json()) == (403, {"error": "invalid_token"})


async def test_a_deleted_users_token_is_refused(
    accounts_client: httpx.AsyncClient,
    accounts_settings: Settings,
    library: Library,
    listener: SignedInUser,
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(delete(UserRecord))

    response = await accounts_client.get(url(accounts_settings, library, listener))

    assert (response.status_code, response.json()) == (403, {"error": "invalid_token"})
