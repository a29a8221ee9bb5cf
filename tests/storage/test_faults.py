"""What storage says when S3 is down, refuses us, or has no such bucket."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.support.moto import free_port
from tonearm.settings import ConfigurationError
from tonearm.storage import keys
from tonearm.storage.base import StorageUnavailable
from tonearm.storage.s3 import S3Config, S3Storage
from tonearm.storage.setup import check_storage

TRACK = uuid.UUID("12345678-1234-5678-1234-567812345678")
KEY = keys.variant_key(TRACK, "mp3-128", "mp3")


@pytest.fixture
async def down_storage() -> AsyncIterator[S3Storage]:
    """S3 storage pointed at a loopback port nobody listens on."""
    storage = S3Storage(
        S3Config(
            bucket="anything",
            endpoint_url=f"http://127.0.0.1:{free_port()}",
            connect_timeout=1,
            read_timeout=1,
            max_attempts=1,
        )
    )
    yield storage
    await storage.close()


async def test_endpoint_down_is_unavailable(down_storage: S3Storage, s3_credentials: None) -> None:
    with pytest.raises(StorageUnavailable, match="cannot be reached"):
        await down_storage.head(KEY)
    # Signing needs no endpoint: a redirect could still be made, and S3 would refuse later.
    assert "X-Amz-Signature=" in await down_storage.presigned_get(KEY, expires_in=5)


async def test_endpoint_down_fails_the_start_up_check(
    down_storage: S3Storage, s3_credentials: None
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        await check_storage(down_storage)
    message = str(caught.value)
    assert message.startswith("cannot reach the S3 endpoint http://127.0.0.1:")
    assert "\n" not in message


async def test_missing_bucket_fails_the_start_up_check(
    s3_endpoint: str, s3_credentials: None
) -> None:
    storage = S3Storage(S3Config(bucket="no-such-bucket-here", endpoint_url=s3_endpoint))
    try:
        with pytest.raises(ConfigurationError) as caught:
            await check_storage(storage)
    finally:
        await storage.close()
    assert str(caught.value) == (
        f"the S3 bucket 'no-such-bucket-here' does not exist at {s3_endpoint}: create it, "
        "or set TONEARM_S3_BUCKET to one that does"
    )


async def test_an_existing_bucket_passes_the_check(s3_endpoint: str, s3_bucket: str) -> None:
    storage = S3Storage(S3Config(bucket=s3_bucket, endpoint_url=s3_endpoint))
    try:
        await check_storage(storage)
    finally:
        await storage.close()


async def test_a_bucket_that_refuses_reads_is_unavailable(
    s3_endpoint: str,
    s3_bucket: str,
    reader_keys: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", reader_keys[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", reader_keys[1])
    storage = S3Storage(S3Config(bucket=s3_bucket, endpoint_url=s3_endpoint, max_attempts=1))
    try:
        with pytest.raises(StorageUnavailable) as caught:
            await storage.put_bytes(KEY, b"x", content_type="audio/mpeg")
        assert (
            str(caught.value)
            == f"S3 refused to store an object in bucket {s3_bucket!r} (AccessDenied)"
        )
        with pytest.raises(StorageUnavailable, match="AccessDenied"):
            await storage.read_range(KEY, 0, 1)
    finally:
        await storage.close()


async def test_wrong_credentials_fail_the_start_up_check(
    s3_endpoint: str,
    s3_bucket: str,
    reader_keys: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    storage = S3Storage(S3Config(bucket=s3_bucket, endpoint_url=s3_endpoint, max_attempts=1))
    try:
        with pytest.raises(ConfigurationError) as caught:
            await check_storage(storage)
    finally:
        await storage.close()
    message = str(caught.value)
    assert message.startswith(
        f"the S3 credentials were refused for bucket {s3_bucket!r} at {s3_endpoint} ("
    )
    assert "not-the-secret" not in message
    assert "\n" not in message


def test_s3_needs_a_bucket(make_settings: object) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="TONEARM_STORAGE=s3 needs TONEARM_S3_BUCKET"):
        make_settings(storage="s3")  # type: ignore[operator]
    with pytest.raises(ValidationError):
        make_settings(s3_delivery="carrier-pigeon")  # type: ignore[operator]


class SilentEndpoint:
    """A loopback port that accepts connections and never answers; counts them."""

    def __init__(self) -> None:
        import socket
        import threading

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.accepted: list[object] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        for connection in self.accepted:
            connection.close()  # type: ignore[attr-defined]
        self._socket.close()


@pytest.mark.parametrize("attempts", [1, 2])
async def test_a_silent_endpoint_is_tried_exactly_max_attempts_times(
    s3_credentials: None, attempts: int
) -> None:
    """Timeouts end each try, and the tries are bounded: no endless retries."""
    silent = SilentEndpoint()
    storage = S3Storage(
        S3Config(
            bucket="anything",
            endpoint_url=silent.url,
            connect_timeout=1,
            read_timeout=1,
            max_attempts=attempts,
        )
    )
    try:
        with pytest.raises(StorageUnavailable, match="cannot be reached: ReadTimeoutError"):
            await storage.head(KEY)
    finally:
        await storage.close()
        silent.close()
    assert len(silent.accepted) == attempts
