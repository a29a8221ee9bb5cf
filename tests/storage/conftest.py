"""Fixtures of the storage tests: each backend over its own folders or bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tonearm.storage.base import ObjectStorage
from tonearm.storage.local import LocalRoots, LocalStorage
from tonearm.storage.s3 import S3Config, S3Storage


@pytest.fixture
async def s3_storage(s3_endpoint: str, s3_bucket: str) -> AsyncIterator[S3Storage]:
    """The S3 backend on this test's bucket, closed afterwards."""
    storage = S3Storage(
        S3Config(bucket=s3_bucket, region="us-east-1", endpoint_url=s3_endpoint, max_attempts=1)
    )
    yield storage
    await storage.close()


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    """The local backend under this test's data dir."""
    return LocalStorage(LocalRoots.under(tmp_path / "data", tmp_path / "uploads"))


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest) -> ObjectStorage:
    """Each backend in turn."""
    name = "local_storage" if request.param == "local" else "s3_storage"
    found: ObjectStorage = request.getfixturevalue(name)
    return found
