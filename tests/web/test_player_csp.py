"""The player's CSP names the bucket's origin where the browser reaches it: PUTs of direct
uploads (``connect-src``) and, with redirect delivery, ``<audio>``/``<img>`` following a 302
to a presigned GET (``media-src``, ``img-src``). Exact headers: a stray source is a hole."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tonearm.app import create_app
from tonearm.settings import Settings
from tonearm.storage.setup import presigned_origins

BOOT = "\n\t\t\t\t__sveltekit_csp = {};\n\t\t\t"
INDEX = f"<!doctype html><html><head><script>{BOOT}</script></head><body></body></html>"
SCRIPT = f"'sha256-{base64.b64encode(hashlib.sha256(BOOT.encode()).digest()).decode()}'"


@pytest.fixture
def frontend(tmp_path: Path) -> Path:
    build = tmp_path / "build"
    build.mkdir()
    (build / "index.html").write_text(INDEX)
    return build


@pytest.fixture
def csp_of(
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    frontend: Path,
) -> Callable[..., Any]:
    async def fetch(**overrides: Any) -> str:
        settings = make_settings(
            database_url=database_url_for_test,
            media_root=media_root,
            frontend_dir=frontend,
            **overrides,
        )
        app = create_app(settings)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client:
                response = await client.get("/upload")
        finally:
            await app.state.services.engine.dispose()
        assert response.status_code == 200
        return response.headers["content-security-policy"]

    return fetch


def expected(*, connect: str = "", media: str = "") -> str:
    return (
        f"default-src 'self'; script-src 'self' {SCRIPT}; style-src 'self'; "
        f"img-src 'self' data: blob:{media}; media-src 'self'{media}; "
        f"connect-src 'self'{connect}; font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


async def test_local_storage_keeps_the_player_to_its_own_origin(csp_of: Any) -> None:
    assert await csp_of() == expected()


async def test_s3_with_redirects_names_the_endpoint_for_puts_audio_and_images(
    csp_of: Any,
) -> None:
    csp = await csp_of(
        storage="s3",
        s3_bucket="music",
        s3_endpoint_url="https://s3.example.net:9000/some/path",
        s3_delivery="redirect",
    )
    origin = " https://s3.example.net:9000"
    assert csp == expected(connect=origin, media=origin)


async def test_s3_proxied_names_the_endpoint_for_puts_only(csp_of: Any) -> None:
    csp = await csp_of(
        storage="s3",
        s3_bucket="music",
        s3_endpoint_url="http://127.0.0.1:9000",
        s3_delivery="proxy",
    )
    assert csp == expected(connect=" http://127.0.0.1:9000")


@pytest.mark.parametrize(
    ("bucket", "region"),
    [
        ("tonearm-music", None),
        ("tonearm-music", "eu-west-3"),
        ("tonearm.music", "eu-west-3"),
        ("tonearm.music", None),
    ],
)
async def test_aws_origins_include_where_botocore_signs_urls(
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    bucket: str,
    region: str | None,
) -> None:
    """The origins are worked out from the settings (no client at start-up); they must hold
    the host botocore actually signs for, with the backend's addressing."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    settings = make_settings(storage="s3", s3_bucket=bucket, s3_region=region)
    config = AioConfig(signature_version="s3v4", s3={"addressing_style": "auto"})
    async with get_session().create_client(
        "s3", region_name=region or "us-east-1", config=config
    ) as client:
        urls = [
            await client.generate_presigned_url(
                "upload_part",
                Params={"Bucket": bucket, "Key": "k", "UploadId": "u", "PartNumber": 1},
            ),
            await client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": "k"}
            ),
        ]
    origins = presigned_origins(settings)
    for url in urls:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" in origins
