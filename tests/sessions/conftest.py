"""Fixtures for listening sessions: a scanned library, a host, signed-in and anonymous
members as HTTP clients of the app (each with its own credentials), and GraphQL helpers."""

from __future__ import annotations

import asyncio
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
from tests.graphql.conftest import app, settings  # noqa: F401 - fixtures
from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import write_mp3
from tonearm.accounts.viewer import resolve_viewer
from tonearm.artwork.store import ArtworkStore
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import ScanOptions, scan_library
from tonearm.schema.build import build_schema
from tonearm.schema.context import Context
from tonearm.schema.ids import global_id
from tonearm.sessions.guests import resolve_guest
from tonearm.settings import Settings

BASE = "http://tonearm.test"


@dataclass(frozen=True)
class Library:
    """The scanned library: ids by title and each file's bytes."""

    tracks: dict[str, uuid.UUID]
    files: dict[str, bytes]

    def track_id(self, title: str) -> str:
        return global_id("Track", self.tracks[title])


@pytest.fixture(autouse=True)
def no_grant_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-check every session-bound stream at once (the 5 s bound has its own test)."""
    monkeypatch.setattr("tonearm.sessions.access.GRANT_TTL", 0.0)


@pytest.fixture
async def library(media_root: Path, engine: AsyncEngine, settings: Settings) -> Library:  # noqa: F811
    """Album "Alpha" (One, Two, Three; with a cover) and album "Beta" (Other)."""
    write_mp3(media_root / "Alpha" / "01.mp3", title="One", artist="A", album="Alpha", track="1")
    write_mp3(
        media_root / "Alpha" / "02.mp3", title="Two", artist="A", album="Alpha", track="2", key=4
    )
    write_mp3(
        media_root / "Alpha" / "03.mp3", title="Three", artist="A", album="Alpha", track="3", key=5
    )
    write_mp3(media_root / "Beta" / "01.mp3", title="Other", artist="B", album="Beta", key=7)
    (media_root / "Alpha" / "cover.jpg").write_bytes(jpeg(400, 400, seed=1))
    store = ArtworkStore.in_data_dir(settings.data_dir)
    await scan_library(engine, media_root, options=ScanOptions(artwork_store=store))
    async with engine.connect() as connection:
        tracks = {r.title: r.id for r in await connection.execute(select(TrackRecord))}
    return Library(
        tracks=tracks,
        files={
            "One": (media_root / "Alpha" / "01.mp3").read_bytes(),
            "Two": (media_root / "Alpha" / "02.mp3").read_bytes(),
            "Other": (media_root / "Beta" / "01.mp3").read_bytes(),
        },
    )


def _client(app_: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_), base_url=BASE, headers=headers or {}
    )


@pytest.fixture
async def host_user(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "host")


@pytest.fixture
async def friend_user(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "friend")


@pytest.fixture
async def stranger_user(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "stranger")


@pytest.fixture
async def host(app: FastAPI, host_user: SignedInUser) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with _client(app, host_user.bearer) as http:
        yield http


@pytest.fixture
async def friend(app: FastAPI, friend_user: SignedInUser) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with _client(app, friend_user.bearer) as http:
        yield http


@pytest.fixture
async def stranger(app: FastAPI, stranger_user: SignedInUser) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with _client(app, stranger_user.bearer) as http:
        yield http


@pytest.fixture
async def nobody(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    """A browser without any credentials."""
    async with _client(app) as http:
        yield http


@pytest.fixture
def client_with(app: FastAPI) -> Callable[[dict[str, str]], httpx.AsyncClient]:  # noqa: F811
    """A client sending these headers (use with ``async with``)."""
    return lambda headers: _client(app, headers)


async def gql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST an operation; asserts a 200 and returns the body."""
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST an operation that must succeed; returns its data."""
    body = await gql(http, query, **variables)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


def only_error(body: dict[str, Any]) -> tuple[str, str]:
    """The one error's (code, message)."""
    assert len(body.get("errors", [])) == 1, body
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


MEMBER = "id displayName role isAnonymous isOnline syncState offsetMs joinedAt"
TRACK = "id title artistName albumTitle durationSeconds coverUrl"
PLAYBACK = (
    f"trackId itemId track {{ {TRACK} }} positionSeconds updatedAt isPlaying status epoch "
    "readyDeadline format bitrateKbps"
)
ITEM = "id position isCurrent isPlayed requestId track { id title } addedBy { id displayName }"
SESSION = f"""id name inviteCode inviteUrl inviteExpiresAt allowAnonymousGuests allowTakeover
  requestLimit status createdAt endedAt sequence guestToken
  host {{ {MEMBER} }} members {{ {MEMBER} }} viewerMember {{ {MEMBER} }}
  queue {{ {ITEM} }} playback {{ {PLAYBACK} }}
  requests {{ id status note track {{ id }} requestedBy {{ displayName }} }}"""

CREATE = f"""mutation($input: CreateListeningSessionInput!) {{
  createListeningSession(input: $input) {{ {SESSION} }} }}"""
JOIN = f"""mutation($code: String!, $name: String, $playable: [AudioFormat!]) {{
  joinListeningSession(inviteCode: $code, displayName: $name, playable: $playable) {{
    {SESSION} }} }}"""
GET = f"query($id: ID!) {{ listeningSession(id: $id) {{ {SESSION} }} }}"
ENQUEUE = f"""mutation($s: ID!, $t: [ID!]!, $p: Int) {{
  enqueue(sessionId: $s, trackIds: $t, position: $p) {{
    queue {{ {ITEM} }} playback {{ {PLAYBACK} }} }} }}"""
CONTROL = f"""mutation($s: ID!, $a: PlaybackAction!, $p: Float) {{
  controlPlayback(sessionId: $s, action: $a, positionSeconds: $p) {{ {PLAYBACK} }} }}"""
READY = f"""mutation($s: ID!, $e: Int!, $r: Float) {{
  reportReady(sessionId: $s, epoch: $e, roundTripMs: $r) {{ {PLAYBACK} }} }}"""
REQUEST = """mutation($s: ID!, $t: ID!, $n: String) {
  requestTrack(sessionId: $s, trackId: $t, note: $n) {
    id status note track { id title } requestedBy { displayName } decidedBy { displayName } } }"""
DECIDE = """mutation($r: ID!, $a: Boolean!, $p: Int) {
  decideRequest(requestId: $r, approve: $a, position: $p) {
    id status decidedBy { displayName } decidedAt } }"""
STREAM = """mutation($s: ID!, $t: ID!) {
  createSessionStreamUrl(sessionId: $s, trackId: $t) { url format bitrateKbps mimeType } }"""


async def create_session(http: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """A new session hosted by ``http``'s user."""
    result = await data(http, CREATE, input={"name": "Friday", **fields})
    session: dict[str, Any] = result["createListeningSession"]
    return session


async def join(http: httpx.AsyncClient, code: str, **variables: Any) -> dict[str, Any]:
    """``http`` joins with ``code``."""
    result = await data(http, JOIN, code=code, **variables)
    session: dict[str, Any] = result["joinListeningSession"]
    return session


WAIT_SECONDS = 20.0  # not a timing assertion: only how long a broken test hangs


class Subscriber:
    """An in-process ``sessionEvents`` subscription (``schema.subscribe``), no socket."""

    def __init__(self, results: Any, close: Callable[[], Awaitable[None]]) -> None:
        self._results = results
        self._close = close

    async def next(self) -> dict[str, Any]:
        """The next result: its data's event, or the errors (a hang fails after 20 s)."""
        result = await asyncio.wait_for(anext(self._results), WAIT_SECONDS)
        if result.errors:
            return {"errors": [e.formatted for e in result.errors]}
        event: dict[str, Any] = result.data["sessionEvents"]
        return event

    async def take(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` events."""
        return [await self.next() for _ in range(count)]

    async def close(self) -> None:
        await self._results.aclose()
        await self._close()


EVENTS = f"""subscription($s: ID!, $after: Int) {{
  sessionEvents(sessionId: $s, afterSequence: $after) {{
  sequence kind at sessionId
  playback {{ {PLAYBACK} }} queue {{ {ITEM} }} members {{ {MEMBER} }}
  request {{ id status note track {{ id title }} }} }} }}"""


@pytest.fixture
def subscribe(app: FastAPI) -> Callable[..., Awaitable[Subscriber]]:  # noqa: F811
    """Subscribe as the holder of ``token`` (an API token or a guest token)."""
    services = app.state.services
    schema = build_schema()

    async def open_(token: str | None, session_id: str, after: int | None = None) -> Subscriber:
        db = services.sessions()
        viewer = guest = None
        if token is not None and token.startswith("tgs_"):
            guest = await resolve_guest(db, token)
        elif token is not None:
            viewer = await resolve_viewer(db, bearer=token, cookie=None)
        await db.commit()
        context = Context(services=services, session=db, viewer=viewer, guest=guest)
        results = await schema.subscribe(
            EVENTS, variable_values={"s": session_id, "after": after}, context_value=context
        )
        return Subscriber(results, db.close)

    return open_
