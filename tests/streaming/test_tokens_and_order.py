"""Who may stream: token checks, their order (before any I/O), key rotation, no leaks."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.conftest import TEST_SECRET
from tests.streaming.conftest import SHORT, Library
from tonearm.app import create_app
from tonearm.services import Services
from tonearm.settings import Settings
from tonearm.streaming import files
from tonearm.streaming.tokens import (
    VERIFIED_MEMO,
    StreamSigner,
    StreamTokenExpired,
    StreamTokenInvalid,
    StreamTokenWrongTrack,
)
from tonearm.streaming.urls import stream_url


@pytest.fixture
def io_spy(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records every SQL statement the app runs and every file it tries to locate."""
    touched: list[str] = []
    services: Services = app.state.services

    def on_execute(*args: Any) -> None:
        touched.append("sql")

    real_locate = files.locate_track_file

    def spy_locate(*args: Any) -> Any:
        touched.append("file")
        return real_locate(*args)

    monkeypatch.setattr(files, "locate_track_file", spy_locate)
    event.listen(services.engine.sync_engine, "before_cursor_execute", on_execute)
    yield touched
    event.remove(services.engine.sync_engine, "before_cursor_execute", on_execute)


async def test_valid_token_streams(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library, io_spy: list[str]
) -> None:
    response = await client.get(url_for(SHORT))

    assert response.status_code == 200
    assert response.content == library.data(SHORT)
    assert io_spy == ["sql", "file"]  # the spy itself works


@pytest.mark.parametrize("query", ["", "?token=", "?other=1"])
async def test_missing_token_is_401_before_any_io(
    client: httpx.AsyncClient, library: Library, io_spy: list[str], query: str
) -> None:
    response = await client.get(f"/api/tracks/{library.ids[SHORT]}/stream{query}")

    assert response.status_code == 401
    assert response.json() == {"error": "missing_token"}
    assert response.headers["www-authenticate"] == 'StreamToken realm="tonearm"'
    assert response.headers["cache-control"] == "no-store"
    assert io_spy == []


async def test_tampered_token_is_403_invalid_before_any_io(
    client: httpx.AsyncClient, library: Library, signer: StreamSigner, io_spy: list[str]
) -> None:
    track_id = library.ids[SHORT]
    token = signer.mint(track_id).token
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = await client.get(stream_url(track_id, tampered))

    assert response.status_code == 403
    assert response.json() == {"error": "invalid_token"}
    assert io_spy == []


async def test_garbage_token_is_403_invalid(client: httpx.AsyncClient, library: Library) -> None:
    response = await client.get(stream_url(library.ids[SHORT], "not a token at all"))

    assert response.status_code == 403
    assert response.json() == {"error": "invalid_token"}


async def test_expired_token_is_403_expired_before_any_io(
    client: httpx.AsyncClient, library: Library, settings: Settings, io_spy: list[str]
) -> None:
    track_id = library.ids[SHORT]
    short_lived = StreamSigner(settings.signing_keys(), ttl_seconds=1)
    token = short_lived.mint(track_id, now=time.time() - 1.01).token

    response = await client.get(stream_url(track_id, token))

    assert response.status_code == 403
    assert response.json() == {"error": "expired_token"}
    assert io_spy == []


async def test_token_for_another_track_is_403_invalid_before_any_io(
    client: httpx.AsyncClient, library: Library, signer: StreamSigner, io_spy: list[str]
) -> None:
    other = uuid.uuid4()

    response = await client.get(stream_url(library.ids[SHORT], signer.mint(other).token))

    assert response.status_code == 403
    assert response.json() == {"error": "invalid_token"}
    assert io_spy == []


async def test_token_signed_with_an_unknown_key_is_403_invalid(
    client: httpx.AsyncClient, library: Library, io_spy: list[str]
) -> None:
    track_id = library.ids[SHORT]
    foreign = StreamSigner(["somebody-elses-key-0123456789"], 3600)

    response = await client.get(stream_url(track_id, foreign.mint(track_id).token))

    assert response.status_code == 403
    assert response.json() == {"error": "invalid_token"}
    assert io_spy == []


@pytest.mark.parametrize("raw", ["not-a-uuid", "1234", "0" * 31 + "g"])
async def test_malformed_track_id_is_404_before_any_io(
    client: httpx.AsyncClient,
    library: Library,
    signer: StreamSigner,
    io_spy: list[str],
    raw: str,
) -> None:
    token = signer.mint(library.ids[SHORT]).token

    response = await client.get(f"/api/tracks/{raw}/stream?token={token}")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}
    assert io_spy == []


async def test_unknown_track_with_a_valid_token_is_404(
    client: httpx.AsyncClient, library: Library, signer: StreamSigner
) -> None:
    ghost = uuid.uuid4()

    response = await client.get(stream_url(ghost, signer.mint(ghost).token))

    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}


async def test_refusals_need_no_database_at_all(
    make_settings: Callable[..., Settings],
    media_root: Any,
    library: Library,
    signer: StreamSigner,
) -> None:
    # A database that does not exist: any query would fail with a 500.
    broken = make_settings(
        media_root=media_root, database_url="sqlite+aiosqlite:////nonexistent/dir/x.db"
    )
    app = create_app(broken)
    track_id = library.ids[SHORT]
    expired = StreamSigner([TEST_SECRET], 1).mint(track_id, now=time.time() - 5).token
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        missing = await client.get(f"/api/tracks/{track_id}/stream")
        invalid = await client.get(stream_url(track_id, "x"))
        old = await client.get(stream_url(track_id, expired))

    assert (missing.status_code, invalid.status_code, old.status_code) == (401, 403, 403)


async def test_token_from_a_previous_key_verifies_while_that_key_is_listed(
    make_settings: Callable[..., Settings],
    media_root: Any,
    database_url_for_test: str,
    library: Library,
) -> None:
    track_id = library.ids[SHORT]
    old_token = StreamSigner(["the-old-key-0123456789"], 3600).mint(track_id).token
    rotated = make_settings(
        media_root=media_root,
        database_url=database_url_for_test,
        secret_key="the-new-key-0123456789",
        previous_secret_keys="the-old-key-0123456789",
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(rotated)), base_url="http://t"
    ) as client:
        response = await client.get(stream_url(track_id, old_token))

    assert response.status_code == 200
    assert response.content == library.data(SHORT)


async def test_token_from_a_retired_key_is_refused(
    make_settings: Callable[..., Settings],
    media_root: Any,
    database_url_for_test: str,
    library: Library,
) -> None:
    track_id = library.ids[SHORT]
    old_token = StreamSigner(["the-old-key-0123456789"], 3600).mint(track_id).token
    retired = make_settings(
        media_root=media_root,
        database_url=database_url_for_test,
        secret_key="the-new-key-0123456789",
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(retired)), base_url="http://t"
    ) as client:
        response = await client.get(stream_url(track_id, old_token))

    assert response.status_code == 403
    assert response.json() == {"error": "invalid_token"}


async def test_new_tokens_are_signed_with_the_current_key_after_rotation(
    make_settings: Callable[..., Settings],
    library: Library,
) -> None:
    track_id = library.ids[SHORT]
    rotated = make_settings(
        secret_key="the-new-key-0123456789", previous_secret_keys="the-old-key-0123456789"
    )
    token = StreamSigner(rotated.signing_keys(), 60).mint(track_id).token

    StreamSigner(["the-new-key-0123456789"], 60).verify(token, track_id)


async def test_no_log_line_carries_the_token(
    client: httpx.AsyncClient,
    library: Library,
    signer: StreamSigner,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    track_id = library.ids[SHORT]
    token = signer.mint(track_id).token
    expired = StreamSigner([TEST_SECRET], 1).mint(track_id, now=time.time() - 5).token
    await client.get(stream_url(track_id, token))
    await client.get(stream_url(track_id, token), headers={"Range": "bytes=0-1"})
    await client.get(stream_url(track_id, expired))
    await client.get(stream_url(track_id, token + "x"))
    library.path(SHORT).unlink()
    vanished = await client.get(stream_url(track_id, token))

    assert vanished.status_code == 404
    # httpx is the test's own client, which logs whole URLs; every other record is server-side.
    text = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert f"/api/tracks/{track_id}/stream" in text  # the access log did run
    assert f"track {track_id}: stored file" in text  # so did the vanished-file warning
    for secret in (token, expired, token[:20], "token="):
        assert secret not in text
    assert str(library.root) not in vanished.text


def test_a_remembered_token_is_still_checked_for_expiry_and_track() -> None:
    signer = StreamSigner([TEST_SECRET], ttl_seconds=60)
    track, other = uuid.uuid4(), uuid.uuid4()
    minted = signer.mint(track, user_id=uuid.uuid4(), now=1_000)
    assert signer.verify(minted.token, track, now=1_010) == minted.grant  # now remembered

    with pytest.raises(StreamTokenExpired):
        signer.verify(minted.token, track, now=1_060)
    with pytest.raises(StreamTokenWrongTrack):
        signer.verify(minted.token, other, now=1_010)
    assert signer.verify(minted.token, track, now=1_059) == minted.grant


def test_only_validly_signed_tokens_are_remembered() -> None:
    signer = StreamSigner([TEST_SECRET], ttl_seconds=60)
    track = uuid.uuid4()
    token = signer.mint(track, now=1_000).token
    signer.verify(token, track, now=1_001)
    # A character inside the signature (the last one may only carry padding bits).
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]

    for _ in range(2):  # a refusal is never remembered as a grant
        with pytest.raises(StreamTokenInvalid):
            signer.verify(tampered, track, now=1_001)
    # Another signer (other keys) does not share what this one remembers.
    with pytest.raises(StreamTokenInvalid):
        StreamSigner(["another-key-entirely-0123456789"], 60).verify(token, track, now=1_001)


def test_the_memory_of_checked_tokens_is_bounded() -> None:
    signer = StreamSigner([TEST_SECRET], ttl_seconds=60)
    track = uuid.uuid4()
    tokens = [signer.mint(track, user_id=uuid.uuid4(), now=1_000).token for _ in range(5000)]
    for token in tokens:
        signer.verify(token, track, now=1_001)

    assert len(signer._verified) == VERIFIED_MEMO
    assert signer.verify(tokens[0], track, now=1_001).track_id == track  # checked afresh
