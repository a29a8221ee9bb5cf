"""Cover thumbnails with ``TONEARM_STORAGE=s3`` (a real moto server): made in worker
threads straight into the bucket, served by redirect or proxy, gone → 404, down → 503."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.artwork.images import jpeg
from tests.support.accounts import SignedInUser, make_user
from tests.support.moto import free_port
from tonearm.accounts.sessions import SESSION_COOKIE
from tonearm.app import create_app
from tonearm.artwork.make import bytes_loader, make_artwork, make_artworks
from tonearm.artwork.results import Artwork
from tonearm.artwork.store import ArtworkStore
from tonearm.artwork.urls import artwork_url
from tonearm.settings import Settings
from tonearm.storage.s3 import S3Config, S3Storage

BASE = "http://tonearm.test"


@pytest.fixture
def delivery() -> str:
    """TONEARM_S3_DELIVERY of the app (tests parametrize it)."""
    return "redirect"


@pytest.fixture
def settings(
    s3_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    delivery: str,
) -> Settings:
    """Accounts on, thumbnails in this test's bucket."""
    return s3_settings(
        database_url=database_url_for_test, media_root=media_root, s3_delivery=delivery
    )


@pytest.fixture
async def bucket(s3_endpoint: str, s3_bucket: str) -> AsyncIterator[S3Storage]:
    """The bucket, read directly."""
    storage = S3Storage(S3Config(bucket=s3_bucket, endpoint_url=s3_endpoint))
    yield storage
    await storage.close()


@pytest.fixture
async def artwork(bucket: S3Storage, settings: Settings) -> Artwork:
    """A cover made through the store's blocking names, in the scan's own worker threads."""
    store = ArtworkStore.in_data_dir(settings.data_dir, bucket)
    found = [
        result
        async for _, result in make_artworks([("cover", bytes_loader(jpeg(700, 700)))], store)
    ]
    [result] = found
    assert isinstance(result, Artwork)
    return result


@pytest.fixture
async def browser(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in browser on the app."""
    app: FastAPI = create_app(settings)
    listener: SignedInUser = await make_user(engine, "listener")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE, cookies={SESSION_COOKIE: listener.cookie}
    ) as client:
        yield client


async def test_thumbnails_are_objects_under_the_key_layout(
    artwork: Artwork, bucket: S3Storage, settings: Settings
) -> None:
    keys = await bucket.list_keys(f"art/{artwork.hash}/")
    assert keys == sorted(f"art/{artwork.hash}/{size}.jpg" for size in artwork.sizes)
    assert not (settings.data_dir / "art").exists()  # nothing on this disk
    store = ArtworkStore.in_data_dir(settings.data_dir, bucket)
    # Idempotent: a second make finds them all and decodes nothing.
    again = await asyncio.to_thread(make_artwork, jpeg(700, 700), store)
    assert again == artwork
    assert await asyncio.to_thread(store.sizes_present, artwork.hash) == sorted(artwork.sizes)


async def test_redirect_to_a_presigned_get(
    browser: httpx.AsyncClient, artwork: Artwork, bucket: S3Storage, s3_endpoint: str
) -> None:
    response = await browser.get(artwork_url(artwork.hash, 300))
    assert response.status_code == 302
    assert response.headers["cache-control"] == "no-store"
    location = response.headers["location"]
    assert location.startswith(f"{s3_endpoint}/{bucket.bucket}/art/{artwork.hash}/300.jpg?")
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["300"]
    async with httpx.AsyncClient() as plain:
        image = await plain.get(location)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content == await bucket.read_all(f"art/{artwork.hash}/300.jpg")


async def test_anonymous_requests_are_refused_before_storage(
    settings: Settings, artwork: Artwork
) -> None:
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        response = await client.get(artwork_url(artwork.hash, 300))
    assert response.status_code == 401


@pytest.mark.parametrize("delivery", ["proxy"])
async def test_proxy_sends_the_bytes_with_todays_headers(
    browser: httpx.AsyncClient, artwork: Artwork, bucket: S3Storage
) -> None:
    data = await bucket.read_all(f"art/{artwork.hash}/64.jpg")
    response = await browser.get(artwork_url(artwork.hash, 64))
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["etag"] == f'"{artwork.hash}-64"'
    assert response.headers["cache-control"] == "private, max-age=31536000, immutable"
    again = await browser.get(
        artwork_url(artwork.hash, 64), headers={"If-None-Match": f'"{artwork.hash}-64"'}
    )
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize("delivery", ["redirect", "proxy"])
async def test_a_thumbnail_deleted_behind_the_registry_is_404(
    browser: httpx.AsyncClient, artwork: Artwork, bucket: S3Storage
) -> None:
    await bucket.delete(f"art/{artwork.hash}/300.jpg")
    response = await browser.get(artwork_url(artwork.hash, 300))
    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}


@pytest.mark.parametrize("delivery", ["redirect", "proxy"])
async def test_storage_down_is_503_with_retry_after(  # noqa: PLR0917 - fixtures
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    engine: AsyncEngine,
    s3_credentials: None,
    delivery: str,
) -> None:
    settings = make_settings(
        database_url=database_url_for_test,
        media_root=media_root,
        storage="s3",
        s3_bucket="anything",
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        s3_delivery=delivery,
        s3_max_attempts=1,
        s3_connect_timeout=1,
    )
    listener = await make_user(engine, "listener")
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE,
        cookies={SESSION_COOKIE: listener.cookie},
    ) as client:
        response = await client.get(artwork_url("a" * 64, 300))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"error": "storage_unavailable"}
