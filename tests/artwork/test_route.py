"""``GET``/``HEAD`` ``/api/art/{hash}/{size}`` over the real app, on both databases."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from tests.artwork.images import jpeg
from tests.support.accounts import SignedInUser, make_user
from tonearm.accounts.sessions import SESSION_COOKIE
from tonearm.app import create_app
from tonearm.artwork.make import make_artwork
from tonearm.artwork.results import Artwork
from tonearm.artwork.routes import artwork_route
from tonearm.artwork.store import ArtworkStore
from tonearm.artwork.urls import artwork_url
from tonearm.db.models import SessionRecord, UserRecord
from tonearm.services import build_services
from tonearm.settings import Settings

BASE = "http://tonearm.test"
CACHE_CONTROL = "private, max-age=31536000, immutable"
UNKNOWN = hashlib.sha256(b"no such image").hexdigest()


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> Settings:
    """Accounts on (the default), this test's database and media root."""
    return make_settings(database_url=database_url_for_test, media_root=media_root)


@pytest.fixture
def store(settings: Settings) -> ArtworkStore:
    """The app's own store, under its data dir."""
    return ArtworkStore.in_data_dir(settings.data_dir)


@pytest.fixture
def artwork(store: ArtworkStore) -> Artwork:
    """A 1400 × 1400 cover, thumbnailed into the store (its large size is itself)."""
    result = make_artwork(jpeg(1400, 1400), store)
    assert isinstance(result, Artwork)
    return result


@pytest.fixture
async def app(settings: Settings) -> FastAPI:
    """The full tonearm app."""
    return create_app(settings)


@pytest.fixture
async def listener(engine: AsyncEngine) -> SignedInUser:
    """A listener with a session cookie and an API token."""
    return await make_user(engine, "listener")


def client_for(app: Starlette, **options: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, **options)  # type: ignore[arg-type]


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """No credentials."""
    async with client_for(app) as client:
        yield client


@pytest.fixture
async def browser(app: FastAPI, listener: SignedInUser) -> AsyncIterator[httpx.AsyncClient]:
    """A browser's ``<img>``: the session cookie only."""
    async with client_for(app, cookies={SESSION_COOKIE: listener.cookie}) as client:
        yield client


@pytest.fixture
async def api_client(app: FastAPI, listener: SignedInUser) -> AsyncIterator[httpx.AsyncClient]:
    """A GraphQL client with a bearer token."""
    async with client_for(app, headers=listener.bearer) as client:
        yield client


def assert_thumbnail(
    response: httpx.Response, store: ArtworkStore, artwork: Artwork, size: int
) -> None:
    data = store.get(artwork.hash, size)
    assert data is not None
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["etag"] == f'"{artwork.hash}-{size}"'
    assert response.headers["cache-control"] == CACHE_CONTROL
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("size", [64, 300, 600, 1400])
async def test_a_signed_in_browser_gets_the_bytes(
    browser: httpx.AsyncClient, store: ArtworkStore, artwork: Artwork, size: int
) -> None:
    response = await browser.get(artwork_url(artwork.hash, size))

    assert_thumbnail(response, store, artwork, size)


async def test_a_bearer_token_gets_the_bytes(
    api_client: httpx.AsyncClient, store: ArtworkStore, artwork: Artwork
) -> None:
    response = await api_client.get(artwork_url(artwork.hash, 300))

    assert_thumbnail(response, store, artwork, 300)


async def test_anonymous_is_refused(anonymous: httpx.AsyncClient, artwork: Artwork) -> None:
    response = await anonymous.get(artwork_url(artwork.hash, 300))

    assert response.status_code == 401
    assert response.json() == {"error": "unauthenticated"}
    assert response.headers["www-authenticate"] == 'Bearer realm="tonearm"'
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


@pytest.mark.parametrize(
    "credentials",
    [
        {"headers": {"Authorization": "Bearer tnrm_not-a-real-token"}},
        {"headers": {"Authorization": "Basic bGlzdGVuZXI6cGFzcw=="}},
        {"headers": {"Authorization": "Bearer "}},
        {"cookies": {SESSION_COOKIE: "forged-session"}},
    ],
    ids=["unknown-token", "other-scheme", "empty-bearer", "forged-cookie"],
)
async def test_bad_credentials_are_refused(
    app: FastAPI, artwork: Artwork, credentials: dict[str, dict[str, str]]
) -> None:
    async with client_for(app, **credentials) as client:
        response = await client.get(artwork_url(artwork.hash, 300))

    assert response.status_code == 401
    assert response.json() == {"error": "unauthenticated"}


async def test_a_bad_token_is_not_rescued_by_a_good_cookie(
    app: FastAPI, listener: SignedInUser, artwork: Artwork
) -> None:
    async with client_for(
        app,
        cookies={SESSION_COOKIE: listener.cookie},
        headers={"Authorization": "Bearer tnrm_wrong"},
    ) as client:
        response = await client.get(artwork_url(artwork.hash, 300))

    assert response.status_code == 401


async def test_anonymous_is_refused_whatever_the_path(anonymous: httpx.AsyncClient) -> None:
    for path in [f"/api/art/{UNKNOWN}/300", "/api/art/nothing/300", f"/api/art/{UNKNOWN}/2401"]:
        response = await anonymous.get(path)
        assert (response.status_code, response.json()) == (401, {"error": "unauthenticated"})


async def test_with_accounts_off_everyone_is_the_local_admin(
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    store: ArtworkStore,
    artwork: Artwork,
) -> None:
    settings = make_settings(database_url=database_url_for_test, media_root=media_root, auth="none")
    async with client_for(create_app(settings)) as client:
        response = await client.get(artwork_url(artwork.hash, 600))

    assert_thumbnail(response, store, artwork, 600)


async def test_an_unknown_hash_is_not_found(browser: httpx.AsyncClient, artwork: Artwork) -> None:
    response = await browser.get(artwork_url(UNKNOWN, 300))

    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "size", ["0", "064", "2401", "9999", "10000", "300.jpg", "-1", "big", "%20300", "1e3"]
)
async def test_a_bad_size_is_not_found(
    browser: httpx.AsyncClient, artwork: Artwork, size: str
) -> None:
    response = await browser.get(f"/api/art/{artwork.hash}/{size}")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}


async def test_a_size_that_was_not_made_is_not_found(
    browser: httpx.AsyncClient, store: ArtworkStore
) -> None:
    small = make_artwork(jpeg(400, 400), store)
    assert isinstance(small, Artwork)
    assert small.sizes == (64, 300)

    assert (await browser.get(artwork_url(small.hash, 600))).status_code == 404
    assert (await browser.get(artwork_url(small.hash, 7))).status_code == 404
    assert (await browser.get(artwork_url(small.hash, 300))).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/art/../300",
        "/api/art/%2e%2e/300",
        "/api/art/%2E%2E%2F%2E%2E%2Fsecret_key/64",
        "/api/art/..%2f..%2fsecret_key/64",
        "/api/art/{hash}/..%2F..%2F..%2Fsecret_key",
        "/api/art/{upper}/300",
        "/api/art/{hash}%00/300",
        "/api/art/{hash}/300%00",
        "/api/art/{hash}%2F..%2F{hash}/300",
        "/api/art/{hash}/300/..",
        "/api/art/%5C..%5C/300",
    ],
)
async def test_paths_that_try_to_leave_the_store(
    app: FastAPI,
    listener: SignedInUser,
    artwork: Artwork,
    settings: Settings,
    path: str,
) -> None:
    (settings.data_dir / "secret_key").write_text("do not serve me\n", encoding="utf-8")
    raw = path.format(hash=artwork.hash, upper=artwork.hash.upper()).encode()
    # Sent as raw bytes: httpx would otherwise remove ".." segments before sending.
    async with client_for(app, cookies={SESSION_COOKIE: listener.cookie}) as client:
        request = client.build_request("GET", BASE)
        request.url = request.url.copy_with(raw_path=raw)
        response = await client.send(request)

    assert response.status_code == 404
    assert b"do not serve me" not in response.content
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "if_none_match",
    ['"{tag}"', 'W/"{tag}"', '"other", "{tag}"', "*"],
    ids=["exact", "weak", "list", "star"],
)
async def test_a_matching_if_none_match_is_not_modified(
    browser: httpx.AsyncClient, artwork: Artwork, if_none_match: str
) -> None:
    tag = f"{artwork.hash}-300"

    response = await browser.get(
        artwork_url(artwork.hash, 300),
        headers={"If-None-Match": if_none_match.format(tag=tag)},
    )

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == f'"{tag}"'
    assert response.headers["cache-control"] == CACHE_CONTROL
    assert "content-type" not in response.headers


async def test_another_size_s_etag_does_not_match(
    browser: httpx.AsyncClient, store: ArtworkStore, artwork: Artwork
) -> None:
    response = await browser.get(
        artwork_url(artwork.hash, 300), headers={"If-None-Match": f'"{artwork.hash}-64"'}
    )

    assert_thumbnail(response, store, artwork, 300)


async def test_if_none_match_for_an_unknown_hash_is_not_found(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.get(
        artwork_url(UNKNOWN, 300), headers={"If-None-Match": f'"{UNKNOWN}-300"'}
    )

    assert response.status_code == 404


async def test_if_none_match_from_anonymous_is_refused(
    anonymous: httpx.AsyncClient, artwork: Artwork
) -> None:
    response = await anonymous.get(artwork_url(artwork.hash, 300), headers={"If-None-Match": "*"})

    assert response.status_code == 401


async def test_head(browser: httpx.AsyncClient, store: ArtworkStore, artwork: Artwork) -> None:
    data = store.get(artwork.hash, 1400)
    assert data is not None

    response = await browser.head(artwork_url(artwork.hash, 1400))

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["etag"] == f'"{artwork.hash}-1400"'
    assert response.headers["cache-control"] == CACHE_CONTROL


async def test_head_of_an_unknown_hash(browser: httpx.AsyncClient) -> None:
    assert (await browser.head(artwork_url(UNKNOWN, 64))).status_code == 404


async def test_other_methods_are_not_allowed(browser: httpx.AsyncClient, artwork: Artwork) -> None:
    response = await browser.post(artwork_url(artwork.hash, 64))

    assert response.status_code == 405
    assert sorted(response.headers["allow"].split(", ")) == ["GET", "HEAD"]


async def test_a_disabled_user_is_refused(
    app: FastAPI, engine: AsyncEngine, listener: SignedInUser, artwork: Artwork
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            update(UserRecord).where(UserRecord.id == listener.record.id).values(is_active=False)
        )
    async with client_for(app, headers=listener.bearer) as client:
        response = await client.get(artwork_url(artwork.hash, 64))

    assert response.status_code == 401


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_an_ended_session_is_refused_within_seconds(
    settings: Settings, engine: AsyncEngine, listener: SignedInUser, artwork: Artwork
) -> None:
    clock = Clock()
    services = build_services(settings)
    route_only = Starlette(routes=[artwork_route(services, clock=clock)])
    url = artwork_url(artwork.hash, 64)
    try:
        async with client_for(route_only, cookies={SESSION_COOKIE: listener.cookie}) as client:
            assert (await client.get(url)).status_code == 200
            async with engine.begin() as connection:
                await connection.execute(delete(SessionRecord))  # logged out everywhere

            clock.now += 4.9  # remembered for at most five seconds
            assert (await client.get(url)).status_code == 200
            clock.now += 0.2
            assert (await client.get(url)).status_code == 401
    finally:
        await services.engine.dispose()


@pytest.mark.parametrize(
    ("method", "headers"),
    [("GET", {}), ("HEAD", {}), ("GET", {"If-None-Match": "*"})],
    ids=["get", "head", "304"],
)
async def test_no_store_access_runs_on_the_event_loop(  # noqa: PLR0917 - fixtures
    browser: httpx.AsyncClient,
    artwork: Artwork,
    store: ArtworkStore,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    headers: dict[str, str],
) -> None:
    loop_thread = threading.get_ident()
    root = str(store.root)
    on_loop: list[str] = []
    touched: list[str] = []

    def spy(name: str, real: Callable[..., object]) -> Callable[..., object]:
        def call(target: object, *args: object, **kwargs: object) -> object:
            if isinstance(target, (str, os.PathLike)) and os.fspath(target).startswith(root):
                touched.append(name)
                if threading.get_ident() == loop_thread:
                    on_loop.append(name)
            return real(target, *args, **kwargs)

        return call

    for name in ("open", "stat", "lstat", "scandir"):
        monkeypatch.setattr(os, name, spy(name, getattr(os, name)))

    response = await browser.request(method, artwork_url(artwork.hash, 300), headers=headers)

    assert response.status_code in (200, 304)
    assert touched  # the spy saw the store being read
    assert on_loop == []


async def test_the_route_comes_before_the_players_files(  # noqa: PLR0917 - fixtures
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    tmp_path: Path,
    listener: SignedInUser,
    store: ArtworkStore,
    artwork: Artwork,
) -> None:
    player = tmp_path / "player"
    player.mkdir()
    (player / "index.html").write_text("<!doctype html><title>player</title>", encoding="utf-8")
    settings = make_settings(
        database_url=database_url_for_test, media_root=media_root, frontend_dir=player
    )
    async with client_for(create_app(settings), headers=listener.bearer) as client:
        served = await client.get(artwork_url(artwork.hash, 64))
        missing = await client.get(f"/api/art/{artwork.hash}/64/extra")

    assert_thumbnail(served, store, artwork, 64)
    assert missing.status_code == 404
    assert b"player" not in missing.content
