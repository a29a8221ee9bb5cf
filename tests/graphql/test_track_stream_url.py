"""``Track.streamUrl``: a stream URL on every track, exactly as strong as createStreamUrl's."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from graphql import GraphQLError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import error_codes
from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import write_mp3
from tonearm.app import create_app
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import SourceAudio
from tonearm.db.models import UserRecord
from tonearm.library.scanner import scan_library
from tonearm.resolvers.streams import resolve_track_stream_url
from tonearm.schema.ids import TRACK_TYPE_NAME, parse_global_id
from tonearm.settings import Settings
from tonearm.streaming.tokens import StreamGrant

PAGE = """{ tracks(first: 10, orderBy: TITLE) { edges { node {
  id title streamUrl { url expiresAt } } } } }"""
MINT = "mutation($id: ID!) { createStreamUrl(trackId: $id) { ... on StreamUrl { url } } }"


@pytest.fixture
async def files(media_root: Path, engine: AsyncEngine) -> dict[str, bytes]:
    """Two real MP3s, scanned: title → the file's bytes."""
    write_mp3(media_root / "A" / "01.mp3", title="One", artist="A", seconds=1.0)
    write_mp3(media_root / "A" / "02.mp3", title="Two", artist="A", seconds=1.0, key=4)
    await scan_library(engine, media_root)
    return {
        "One": (media_root / "A" / "01.mp3").read_bytes(),
        "Two": (media_root / "A" / "02.mp3").read_bytes(),
    }


@pytest.fixture
async def listener(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "listener")


@pytest.fixture
async def other(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "other")


async def page(client: httpx.AsyncClient, user: SignedInUser | None) -> dict[str, Any]:
    headers = user.bearer if user else {}
    response = await client.post("/graphql", json={"query": PAGE}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def stream_urls(client: httpx.AsyncClient, user: SignedInUser) -> dict[str, str]:
    """Title → the streamUrl the tracks page gave ``user``."""
    body = await page(client, user)
    return {
        e["node"]["title"]: e["node"]["streamUrl"]["url"] for e in body["data"]["tracks"]["edges"]
    }


def grant_of(app: FastAPI, url: str) -> StreamGrant:
    """Verify the URL's token for the track its path names."""
    parts = urlsplit(url)
    track_id = uuid.UUID(parts.path.split("/")[3])
    (token,) = parse_qs(parts.query)["token"]
    grant: StreamGrant = app.state.services.signer.verify(token, track_id)
    return grant


async def test_the_url_streams_the_tracks_bytes(
    anonymous: httpx.AsyncClient, files: dict[str, bytes], listener: SignedInUser
) -> None:
    urls = await stream_urls(anonymous, listener)

    for title, data in files.items():
        response = await anonymous.get(urls[title])  # no credentials: the token is enough
        assert response.status_code == 200
        assert response.content == data
        partial = await anonymous.get(urls[title], headers={"Range": "bytes=10-19"})
        assert (partial.status_code, partial.content) == (206, data[10:20])


async def test_it_is_the_token_create_stream_url_mints(
    anonymous: httpx.AsyncClient, app: FastAPI, files: dict[str, bytes], listener: SignedInUser
) -> None:
    before = int(time.time())
    body = await page(anonymous, listener)
    after = int(time.time())
    edges = body["data"]["tracks"]["edges"]
    minted = await anonymous.post(
        "/graphql",
        json={"query": MINT, "variables": {"id": edges[0]["node"]["id"]}},
        headers=listener.bearer,
    )
    by_mutation = grant_of(app, minted.json()["data"]["createStreamUrl"]["url"])
    ttl = app.state.services.settings.stream_url_ttl
    for edge in edges:
        stream_url = edge["node"]["streamUrl"]
        parts = urlsplit(stream_url["url"])
        assert (parts.scheme, parts.netloc) == ("", "")
        assert (
            parts.path
            == f"/api/tracks/{parse_global_id(edge['node']['id'], TRACK_TYPE_NAME)}/stream"
        )
        grant = grant_of(app, stream_url["url"])
        assert grant.user_id == listener.record.id == by_mutation.user_id
        assert before + ttl <= grant.expires_at <= after + ttl
        expires_at = datetime.fromisoformat(stream_url["expiresAt"])
        assert expires_at.utcoffset() is not None
        assert int(expires_at.timestamp()) == grant.expires_at
    assert by_mutation.expires_at - ttl >= before


async def test_it_is_bound_to_the_viewer(
    anonymous: httpx.AsyncClient,
    app: FastAPI,
    files: dict[str, bytes],
    listener: SignedInUser,
    other: SignedInUser,
) -> None:
    mine, theirs = await stream_urls(anonymous, listener), await stream_urls(anonymous, other)

    assert grant_of(app, mine["One"]).user_id == listener.record.id
    assert grant_of(app, theirs["One"]).user_id == other.record.id
    assert mine["One"] != theirs["One"]


async def test_it_opens_only_its_own_track(
    anonymous: httpx.AsyncClient, files: dict[str, bytes], listener: SignedInUser
) -> None:
    urls = await stream_urls(anonymous, listener)
    one, two = urlsplit(urls["One"]), urlsplit(urls["Two"])

    response = await anonymous.get(f"{two.path}?{one.query}")  # track Two, One's token

    assert (response.status_code, response.json()) == (403, {"error": "invalid_token"})


async def test_a_disabled_users_url_is_refused(
    anonymous: httpx.AsyncClient,
    engine: AsyncEngine,
    files: dict[str, bytes],
    listener: SignedInUser,
) -> None:
    urls = await stream_urls(anonymous, listener)
    async with engine.begin() as connection:
        await connection.execute(
            update(UserRecord).where(UserRecord.id == listener.record.id).values(is_active=False)
        )

    response = await anonymous.get(urls["One"])

    assert (response.status_code, response.json()) == (403, {"error": "invalid_token"})


async def test_nobody_signed_in_gets_no_url(anonymous: httpx.AsyncClient) -> None:
    body = await page(anonymous, None)

    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.fixture
async def open_app(
    make_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        make_settings(database_url=database_url_for_test, media_root=media_root, auth="none")
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://tonearm.test"
    ) as client:
        yield client
    await app.state.services.engine.dispose()


async def test_without_accounts_the_local_admins_url_streams(
    open_app: httpx.AsyncClient, files: dict[str, bytes]
) -> None:
    body = await page(open_app, None)
    url = next(
        e["node"]["streamUrl"]["url"]
        for e in body["data"]["tracks"]["edges"]
        if e["node"]["title"] == "One"
    )

    response = await open_app.get(url)

    assert (response.status_code, response.content) == (200, files["One"])


def test_the_resolver_mints_nothing_without_a_viewer() -> None:
    # Unreachable over HTTP (every field returning tracks needs a viewer): the guard behind it.
    info = SimpleNamespace(context=SimpleNamespace(viewer=None, services=None))

    source = SourceAudio(AudioFormat.MP3, 128_000, "audio/mpeg")
    with pytest.raises(GraphQLError) as raised:
        resolve_track_stream_url(info, str(uuid.uuid4()), source)  # type: ignore[arg-type]

    assert raised.value.extensions == {"code": "UNAUTHENTICATED"}
