"""Which backend the settings choose, and the start-up check that fails in one line."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tonearm.settings import ConfigurationError, Settings
from tonearm.storage.base import ObjectStorage, StorageError
from tonearm.storage.local import LocalRoots, LocalStorage

if TYPE_CHECKING:
    from tonearm.storage.s3 import S3Config


def s3_config(settings: Settings) -> S3Config:
    """The S3 settings as the backend takes them."""
    from tonearm.storage.s3 import S3Config

    assert settings.s3_bucket is not None  # Settings refuses storage=s3 without one
    return S3Config(
        bucket=settings.s3_bucket,
        region=settings.s3_region,
        endpoint_url=settings.s3_endpoint_url,
        connect_timeout=settings.s3_connect_timeout,
        read_timeout=settings.s3_read_timeout,
        max_attempts=settings.s3_max_attempts,
    )


# A bucket name botocore puts in the host name (virtual-hosted style): no dots, no capitals.
_VIRTUAL_HOST_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def presigned_origins(settings: Settings) -> list[str]:
    """The origins presigned URLs point at (a browser PUTs parts and GETs objects there);
    none with local storage.

    A configured endpoint is addressed path-style (``s3.py``), so its origin is the
    endpoint's. AWS's own is the bucket's host (global and regional names), or the region's
    endpoint for a bucket name that cannot be a host name.
    """
    if settings.storage != "s3":
        return []
    if settings.s3_endpoint_url:
        parts = urlsplit(settings.s3_endpoint_url)
        return [f"{parts.scheme}://{parts.netloc}"]
    bucket = settings.s3_bucket or ""
    region = settings.s3_region or "us-east-1"
    if _VIRTUAL_HOST_BUCKET.match(bucket):
        return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]
    return ["https://s3.amazonaws.com", f"https://s3.{region}.amazonaws.com"]


def storage_for(settings: Settings) -> ObjectStorage:
    """The backend ``TONEARM_STORAGE`` names (no connection is made yet).

    aiobotocore (botocore, aiohttp: tens of MiB per process) is loaded only for ``s3``.
    """
    if settings.storage == "s3":
        from tonearm.storage.s3 import S3Storage

        return S3Storage(s3_config(settings))
    return LocalStorage(LocalRoots.under(settings.data_dir, settings.resolved_uploads_dir))


async def check_storage(storage: ObjectStorage) -> None:
    """Raise ``ConfigurationError`` (one line) when the storage cannot be used."""
    try:
        await storage.check()
    except StorageError as error:
        raise ConfigurationError(str(error)) from None


def check_storage_blocking(settings: Settings) -> None:
    """``check_storage`` for a command outside any event loop (``serve``); local storage
    has nothing to check."""
    if settings.storage == "local":
        return
    storage = storage_for(settings)

    async def run() -> None:
        try:
            await check_storage(storage)
        finally:
            await storage.close()

    asyncio.run(run())
