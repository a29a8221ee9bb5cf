"""/healthz, the player's static files with their security headers, and the SPA fallback."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.audio import write_mp3
from tonearm.app import create_app
from tonearm.library.scanner import scan_library
from tonearm.settings import Settings

BOOT = "\n\t\t\t\t__sveltekit_x = {};\n\t\t\t"
INDEX = (
    f"<!doctype html><html><head><script>{BOOT}</script></head>"
    "<body><div id='app'></div></body></html>"
)


ADMIN_BOOT = "\n\t\t\t\t__sveltekit_admin = {};\n\t\t\t"
ADMIN = f"<!doctype html><html><head><script>{ADMIN_BOOT}</script></head><body></body></html>"


NESTED_BOOT = "\n\t\t\t\t__sveltekit_nested = {};\n\t\t\t"
NESTED = f"<!doctype html><html><head><script>{NESTED_BOOT}</script></head><body></body></html>"


@pytest.fixture
def frontend(tmp_path: Path) -> Path:
    build = tmp_path / "build"
    (build / "_app/immutable").mkdir(parents=True)
    (build / "index.html").write_text(INDEX)
    (build / "admin.html").write_text(ADMIN)
    (build / "admin").mkdir()
    (build / "admin/missing.html").write_text(NESTED)
    (build / "_app/immutable/start.js").write_text("console.log(1)")
    (build / "favicon.png").write_bytes(b"\x89PNG")
    return build


@pytest.fixture
async def client(
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    frontend: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        database_url=database_url_for_test, media_root=media_root, frontend_dir=frontend
    )
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client
    await app.state.services.engine.dispose()


async def test_healthz_reports_the_track_count(
    client: httpx.AsyncClient, media_root: Path, engine: AsyncEngine
) -> None:
    write_mp3(media_root / "a.mp3", title="A")
    await scan_library(engine, media_root)

    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "tracks": 1}


async def test_healthz_is_503_when_the_database_is_unreachable(
    make_settings: Callable[..., Settings], media_root: Path, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/missing/db.sqlite", media_root=media_root
    )
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/healthz")

    assert (response.status_code, response.json()) == (
        503,
        {"status": "error", "database": "unreachable"},
    )


async def test_player_index_has_a_strict_csp_with_the_bootstrap_hash(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")

    digest = base64.b64encode(hashlib.sha256(BOOT.encode()).digest()).decode()
    assert response.status_code == 200
    assert response.text == INDEX
    csp = response.headers["content-security-policy"]
    hashes = sorted(
        f"'sha256-{base64.b64encode(hashlib.sha256(boot.encode()).digest()).decode()}'"
        for boot in (BOOT, ADMIN_BOOT, NESTED_BOOT)
    )
    assert f"'sha256-{digest}'" in hashes
    assert "script-src " + " ".join(["'self'", *hashes]) + ";" in csp
    assert "default-src 'self'" in csp
    assert "media-src 'self'" in csp
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-cache"


async def test_client_routes_fall_back_to_the_index(client: httpx.AsyncClient) -> None:
    response = await client.get("/albums/some-album")

    assert (response.status_code, response.text) == (200, INDEX)


async def test_a_prerendered_route_gets_its_own_page_with_the_csp(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/admin")

    digest = base64.b64encode(hashlib.sha256(ADMIN_BOOT.encode()).digest()).decode()
    assert (response.status_code, response.text) == (200, ADMIN)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert f"'sha256-{digest}'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-cache"


async def test_a_nested_prerendered_route_gets_its_page_and_its_script_hash(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/admin/missing")

    digest = base64.b64encode(hashlib.sha256(NESTED_BOOT.encode()).digest()).decode()
    assert (response.status_code, response.text) == (200, NESTED)
    assert f"'sha256-{digest}'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/settings", "/admin/", "/admin/deeper"])
async def test_a_route_without_its_own_page_gets_the_index(
    client: httpx.AsyncClient, path: str
) -> None:
    # The prerendered admin.html links "./_app/…", which would miss below /admin/.
    response = await client.get(path)

    assert (response.status_code, response.text) == (200, INDEX)
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/api/nothing-here", "/missing.js", "/_app/immutable/x.js"])
async def test_missing_assets_and_api_paths_are_404_not_the_index(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.text != INDEX


async def test_immutable_assets_are_cached_for_a_year(client: httpx.AsyncClient) -> None:
    response = await client.get("/_app/immutable/start.js")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_without_a_build_the_root_says_how_to_build_it(
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    **_: Any,
) -> None:
    app = create_app(make_settings(database_url=database_url_for_test, media_root=media_root))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/")

    assert response.status_code == 503
    assert "The web player is not built" in response.text
