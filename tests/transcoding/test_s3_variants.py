"""Variants with ``TONEARM_STORAGE=s3`` (a real moto server): a first play streams the
growing local file and the finished variant is then uploaded and served from the bucket;
one deleted behind the registry's back is made again; a purge-like eviction deletes it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.transcoding.conftest import FLAC, Library
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.settings import Settings
from tonearm.storage.s3 import S3Config, S3Storage
from tonearm.transcoding.store import VariantStore

OPUS_96 = VariantKey(AudioFormat.OPUS, 96)


@pytest.fixture
def delivery() -> str:
    """TONEARM_S3_DELIVERY of the app (tests parametrize it)."""
    return "proxy"


@pytest.fixture
def settings(
    s3_settings: Callable[..., Settings],
    media_root: Path,
    database_url_for_test: str,
    delivery: str,
) -> Settings:
    """Accounts off, variants in this test's bucket."""
    return s3_settings(
        media_root=media_root,
        database_url=database_url_for_test,
        auth="none",
        s3_delivery=delivery,
    )


@pytest.fixture
async def bucket(s3_endpoint: str, s3_bucket: str) -> AsyncIterator[S3Storage]:
    """The bucket, read directly."""
    storage = S3Storage(S3Config(bucket=s3_bucket, endpoint_url=s3_endpoint))
    yield storage
    await storage.close()


def _object_key(library: Library) -> str:
    return f"variants/{library.ids[FLAC]}/{OPUS_96.slug}.{OPUS_96.container}"


async def test_a_first_play_streams_then_the_variant_is_in_the_bucket_only(  # noqa: PLR0917
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    engine: AsyncEngine,
    settings: Settings,
    bucket: S3Storage,
) -> None:
    first = await client.get(variant_url(FLAC, OPUS_96))
    assert first.status_code == 200
    assert first.headers["x-tonearm-variant"] == "encoding"
    stored = await bucket.read_all(_object_key(library))
    assert first.content == stored  # Ogg is written front to back
    local = VariantStore.in_data_dir(settings.data_dir).path_for(library.ids[FLAC], OPUS_96)
    assert not local.exists()
    row = await registry.get_variant(engine, library.ids[FLAC], OPUS_96)
    assert row is not None
    assert (row.state, row.size_bytes) == ("ready", len(stored))
    again = await client.get(variant_url(FLAC, OPUS_96), headers={"Range": "bytes=0-99"})
    assert again.status_code == 206
    assert again.headers["content-range"] == f"bytes 0-99/{len(stored)}"
    assert again.content == stored[:100]


@pytest.mark.parametrize("delivery", ["redirect"])
async def test_a_made_variant_redirects_to_the_bucket(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    bucket: S3Storage,
    s3_endpoint: str,
) -> None:
    await client.get(variant_url(FLAC, OPUS_96))  # the first play makes it
    response = await client.get(variant_url(FLAC, OPUS_96))
    assert response.status_code == 302
    assert response.headers["cache-control"] == "no-store"
    location = response.headers["location"]
    assert urlsplit(location).path == f"/{bucket.bucket}/{_object_key(library)}"
    assert location.startswith(s3_endpoint)
    async with httpx.AsyncClient() as plain:
        ranged = await plain.get(location, headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206
    assert ranged.content == (await bucket.read_all(_object_key(library)))[10:20]


async def test_a_variant_deleted_from_the_bucket_is_made_again(
    client: httpx.AsyncClient,
    variant_url: Callable[..., str],
    library: Library,
    bucket: S3Storage,
) -> None:
    await client.get(variant_url(FLAC, OPUS_96))
    await bucket.delete(_object_key(library))
    again = await client.get(variant_url(FLAC, OPUS_96))
    assert again.status_code == 200
    assert again.headers["x-tonearm-variant"] == "encoding"  # a first play once more
    assert again.content == await bucket.read_all(_object_key(library))
