"""Fixtures for shares: real MP3s and covers scanned into this test's database, an owner,
and clients with and without an account (each keeps its own cookies, like a browser)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.artwork.images import jpeg
from tests.graphql.conftest import admin, app, client, settings  # noqa: F401 - fixtures
from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import write_mp3
from tonearm.artwork.store import ArtworkStore
from tonearm.db.models import AlbumRecord, TrackRecord
from tonearm.library.scanner import ScanOptions, scan_library
from tonearm.schema.ids import global_id
from tonearm.settings import Settings

Gql = Callable[..., Awaitable[dict[str, Any]]]
BASE = "http://tonearm.test"


@dataclass(frozen=True)
class Library:
    """The scanned library: ids by title, and each file's bytes."""

    tracks: dict[str, uuid.UUID]
    albums: dict[str, uuid.UUID]
    album_covers: dict[str, str]
    files: dict[str, bytes]

    def track_id(self, title: str) -> str:
        return global_id("Track", self.tracks[title])

    def album_id(self, title: str) -> str:
        return global_id("Album", self.albums[title])


@pytest.fixture(autouse=True)
def no_grant_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-check every share at once (the 5 s bound has its own test)."""
    monkeypatch.setattr("tonearm.shares.access.GRANT_TTL", 0.0)


@pytest.fixture
async def library(media_root: Path, engine: AsyncEngine, settings: Settings) -> Library:  # noqa: F811
    """Album "Alpha" (One, Two) and album "Beta" (Other), each with its own cover."""
    write_mp3(media_root / "Alpha" / "01.mp3", title="One", artist="A", album="Alpha", track="1")
    write_mp3(
        media_root / "Alpha" / "02.mp3", title="Two", artist="A", album="Alpha", track="2", key=4
    )
    write_mp3(media_root / "Beta" / "01.mp3", title="Other", artist="B", album="Beta", key=7)
    (media_root / "Alpha" / "cover.jpg").write_bytes(jpeg(400, 400, seed=1))
    (media_root / "Beta" / "cover.jpg").write_bytes(jpeg(400, 400, seed=2))
    store = ArtworkStore.in_data_dir(settings.data_dir)
    await scan_library(engine, media_root, options=ScanOptions(artwork_store=store))
    async with engine.connect() as connection:
        tracks = {r.title: r.id for r in await connection.execute(select(TrackRecord))}
        albums = list(await connection.execute(select(AlbumRecord)))
    return Library(
        tracks=tracks,
        albums={r.title: r.id for r in albums},
        album_covers={r.title: r.artwork_hash for r in albums if r.artwork_hash},
        files={
            "One": (media_root / "Alpha" / "01.mp3").read_bytes(),
            "Two": (media_root / "Alpha" / "02.mp3").read_bytes(),
            "Other": (media_root / "Beta" / "01.mp3").read_bytes(),
        },
    )


@pytest.fixture
async def owner(engine: AsyncEngine) -> SignedInUser:
    """A listener who shares things."""
    return await make_user(engine, "owner")


def _client(app_: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_), base_url=BASE, headers=headers or {}
    )


@pytest.fixture
async def owner_http(app: FastAPI, owner: SignedInUser) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with _client(app, owner.bearer) as http:
        yield http


@pytest.fixture
async def stranger(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    """A browser with no account (its cookies persist across its requests)."""
    async with _client(app) as http:
        yield http


@pytest.fixture
def new_browser(app: FastAPI) -> Callable[[], httpx.AsyncClient]:  # noqa: F811
    """Another fresh browser context (use with ``async with``)."""
    return lambda: _client(app)


async def post(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST a GraphQL operation; asserts a 200 and returns the decoded body."""
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


CREATE = """mutation($input: CreateShareInput!) { createShare(input: $input) {
  __typename
  ... on Share { id key url expiresAt hasPassword maxPlays allowDownload quality visitCount
                 playCount lastVisitedAt isRevoked createdAt description
                 target { __typename ... on Album { title } ... on Track { title }
                          ... on Playlist { name } } }
  ... on ShareTargetNotFoundError { message targetId }
  ... on InvalidShareInputError { message field } } }"""

SHARED = """query($key: String!, $password: String) { sharedItem(key: $key, password: $password) {
  __typename
  ... on SharedItem { description expiresAt allowDownload target {
      __typename
      ... on SharedAlbum { id title artistCredit year coverUrl(size: 300)
                           tracks { id title artist album durationSeconds coverUrl } }
      ... on SharedTrack { id title artist album durationSeconds coverUrl }
      ... on SharedPlaylist { id name coverUrl tracks { id title } } } }
  ... on SharePasswordRequired { message wrongPassword retryAfterSeconds }
  ... on ShareNotFound { message } } }"""

MINT = """mutation($key: String!, $trackId: ID!) {
 createShareStreamUrl(key: $key, trackId: $trackId) {
  __typename
  ... on StreamUrl { url format bitrateKbps mimeType expiresAt }
  ... on ShareNotFound { message }
  ... on SharePasswordRequired { message wrongPassword }
  ... on TrackNotFoundError { message trackId }
  ... on SharePlaysExhausted { message } } }"""

REVOKE = """mutation($id: ID!) { revokeShare(id: $id) { __typename
  ... on Share { id isRevoked } ... on ShareNotFound { message } } }"""


async def create_share(http: httpx.AsyncClient, target_id: str, **fields: Any) -> dict[str, Any]:
    """``createShare`` of ``target_id``; returns the result object."""
    body = await post(http, CREATE, input={"targetId": target_id, **fields})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["createShare"]
    return result
