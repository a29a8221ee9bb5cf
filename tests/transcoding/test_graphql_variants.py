"""GraphQL: ``Track.variants`` and ``createStreamUrl(trackId, format, maxBitrateKbps)``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser, make_user
from tests.transcoding.conftest import FLAC, MP3, Library
from tonearm.app import create_app
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db import variants as registry
from tonearm.schema.ids import track_global_id
from tonearm.settings import Settings
from tonearm.streaming.tokens import StreamSigner

VARIANTS = """query($id: ID!) { track(id: $id) { variants {
  format container mimeType bitrateKbps isOriginal state sizeBytes failureReason } } }"""
MINT = """mutation($id: ID!, $format: AudioFormat, $max: Int) {
  createStreamUrl(trackId: $id, format: $format, maxBitrateKbps: $max) {
    __typename
    ... on StreamUrl { url format bitrateKbps mimeType }
    ... on FormatNotOfferedError { message format }
    ... on BitrateTooLowError { message lowestBitrateKbps }
    ... on TrackNotFoundError { message }
  } }"""


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


def variant(
    fmt: str, container: str, mime: str, kbps: int | None, *, original: bool = False, **rest: Any
) -> dict[str, Any]:
    return {
        "format": fmt,
        "container": container,
        "mimeType": mime,
        "bitrateKbps": kbps,
        "isOriginal": original,
        "state": rest.get("state", "READY" if original else "PENDING"),
        "sizeBytes": rest.get("size"),
        "failureReason": rest.get("reason"),
    }


async def test_a_lossless_track_offers_its_original_mp3_320_and_every_opus(
    client: httpx.AsyncClient, library: Library
) -> None:
    data = await gql(client, VARIANTS, id=track_global_id(library.ids[FLAC]))
    size = (library.root / FLAC).stat().st_size
    kbps = data["track"]["variants"][0]["bitrateKbps"]
    assert data["track"]["variants"] == [
        variant("FLAC", "flac", "audio/flac", kbps, original=True, size=size),
        variant("MP3", "mp3", "audio/mpeg", 320),
        variant("OPUS", "ogg", "audio/ogg", 320),
        variant("OPUS", "ogg", "audio/ogg", 160),
        variant("OPUS", "ogg", "audio/ogg", 96),
    ]


async def test_a_128_kbps_mp3_offers_itself_as_the_mp3_and_only_opus_96(
    client: httpx.AsyncClient, library: Library
) -> None:
    data = await gql(client, VARIANTS, id=track_global_id(library.ids[MP3]))
    size = (library.root / MP3).stat().st_size
    assert data["track"]["variants"] == [
        variant("MP3", "mp3", "audio/mpeg", 128, original=True, size=size),
        variant("OPUS", "ogg", "audio/ogg", 96),
    ]


async def test_states_follow_the_registry_rows(
    client: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    source = await registry.source_file(engine, library.ids[FLAC])
    assert source is not None
    await registry.mark_ready(
        engine,
        source,
        VariantKey(AudioFormat.OPUS, 96),
        size_bytes=12345,
        duration_seconds=6.0,
        content_hash="0" * 64,
    )
    await registry.mark_failed(
        engine, source, VariantKey(AudioFormat.MP3, 320), "the encoder failed"
    )

    variants = (await gql(client, VARIANTS, id=track_global_id(library.ids[FLAC])))["track"][
        "variants"
    ]
    by_name = {(v["format"], v["bitrateKbps"]): v for v in variants}
    assert by_name[("OPUS", 96)]["state"] == "READY"
    assert by_name[("OPUS", 96)]["sizeBytes"] == 12345
    assert by_name[("MP3", 320)]["state"] == "FAILED"
    assert by_name[("MP3", 320)]["failureReason"] == "the encoder failed"
    assert by_name[("OPUS", 160)]["state"] == "PENDING"


def granted_variant(url: str, settings: Settings, library: Library, rel: str) -> str | None:
    token = parse_qs(urlsplit(url).query)["token"][0]
    grant = StreamSigner(settings.signing_keys(), 60).verify(token, library.ids[rel])
    return grant.variant.slug if grant.variant else None


@pytest.mark.parametrize(
    ("rel", "fmt", "max_kbps", "expected"),
    [
        (FLAC, None, None, ("FLAC", None)),
        (FLAC, "OPUS", None, ("OPUS", "opus-320")),
        (FLAC, "OPUS", 200, ("OPUS", "opus-160")),
        (FLAC, "OPUS", 96, ("OPUS", "opus-96")),
        (FLAC, "MP3", None, ("MP3", "mp3-320")),
        (FLAC, None, 100, ("OPUS", "opus-96")),
        (FLAC, "FLAC", None, ("FLAC", None)),
        (MP3, "MP3", None, ("MP3", None)),
        (MP3, None, 500, ("MP3", None)),
        (MP3, "OPUS", 1000, ("OPUS", "opus-96")),
    ],
)
async def test_create_stream_url_picks_the_best_version_within_the_request(
    client: httpx.AsyncClient,
    library: Library,
    settings: Settings,
    *,
    rel: str,
    fmt: str | None,
    max_kbps: int | None,
    expected: tuple[str, str | None],
) -> None:
    data = await gql(client, MINT, id=track_global_id(library.ids[rel]), format=fmt, max=max_kbps)
    minted = data["createStreamUrl"]
    assert minted["__typename"] == "StreamUrl"
    assert (minted["format"], granted_variant(minted["url"], settings, library, rel)) == expected
    assert minted["url"].startswith(f"/api/tracks/{library.ids[rel]}/stream?token=")


async def test_a_format_not_offered_is_a_typed_error(
    client: httpx.AsyncClient, library: Library
) -> None:
    data = await gql(client, MINT, id=track_global_id(library.ids[MP3]), format="FLAC")
    assert data["createStreamUrl"] == {
        "__typename": "FormatNotOfferedError",
        "message": "This track is not offered as FLAC.",
        "format": "FLAC",
    }


@pytest.mark.parametrize(("rel", "fmt", "lowest"), [(MP3, "MP3", 128), (FLAC, None, 96)])
async def test_a_maximum_below_every_version_is_a_typed_error(
    client: httpx.AsyncClient, library: Library, rel: str, fmt: str | None, lowest: int
) -> None:
    data = await gql(client, MINT, id=track_global_id(library.ids[rel]), format=fmt, max=64)
    assert data["createStreamUrl"]["__typename"] == "BitrateTooLowError"
    assert data["createStreamUrl"]["lowestBitrateKbps"] == lowest


async def test_a_maximum_that_is_not_positive_is_bad_input(
    client: httpx.AsyncClient, library: Library
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": MINT, "variables": {"id": track_global_id(library.ids[FLAC]), "max": 0}},
    )
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"] == "maxBitrateKbps must be a positive number."


@pytest.fixture
async def accounts_app(make_settings: Any, library: Library, database_url_for_test: str) -> FastAPI:
    return create_app(make_settings(media_root=library.root, database_url=database_url_for_test))


async def test_a_variant_url_is_bound_to_its_user_track_and_variant(
    accounts_app: FastAPI, library: Library, engine: AsyncEngine
) -> None:
    listener: SignedInUser = await make_user(engine, "listener")
    transport = httpx.ASGITransport(app=accounts_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        client.headers.update(listener.bearer)
        minted = (
            await gql(client, MINT, id=track_global_id(library.ids[FLAC]), format="OPUS", max=96)
        )["createStreamUrl"]
        url = minted["url"]
        played = await client.get(url)
        assert played.status_code == 200
        assert played.headers["content-type"] == "audio/ogg"
        # The token names this track: another track's path refuses it.
        other = url.replace(str(library.ids[FLAC]), str(library.ids[MP3]))
        assert (await client.get(other)).status_code == 403
        # Tampering with the token (to ask for another variant) breaks the signature.
        assert (await client.get(url[:-3] + "abc")).status_code == 403


QUEUE = """{ transcodeQueue { pending running ready failed
  failedVariants(first: 5) { track { title } format bitrateKbps reason attempts failedAt } } }"""
RETRY = """mutation($id: ID!, $format: AudioFormat!, $kbps: Int!) {
  retryVariant(trackId: $id, format: $format, bitrateKbps: $kbps) {
    __typename
    ... on RetriedVariant { trackId format bitrateKbps state }
    ... on VariantNotFailedError { message }
    ... on VariantNotOfferedError { message format bitrateKbps }
    ... on TrackNotFoundError { message }
  } }"""


async def test_admins_see_the_queue_and_retry_a_failed_variant(
    client: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    source = await registry.source_file(engine, library.ids[FLAC])
    assert source is not None
    opus = VariantKey(AudioFormat.OPUS, 96)
    await registry.mark_failed(engine, source, opus, "the encoder failed: boom")
    await registry.mark_ready(
        engine,
        source,
        VariantKey(AudioFormat.MP3, 320),
        size_bytes=10,
        duration_seconds=6.0,
        content_hash="0" * 64,
    )

    queue = (await gql(client, QUEUE))["transcodeQueue"]
    assert {k: queue[k] for k in ("pending", "running", "ready", "failed")} == {
        "pending": 0,
        "running": 0,
        "ready": 1,
        "failed": 1,
    }
    (failed,) = queue["failedVariants"]
    assert failed["track"] == {"title": "Lossless"}
    assert (failed["format"], failed["bitrateKbps"], failed["reason"]) == (
        "OPUS",
        96,
        "the encoder failed: boom",
    )

    track = track_global_id(library.ids[FLAC])
    retried = (await gql(client, RETRY, id=track, format="OPUS", kbps=96))["retryVariant"]
    assert retried == {
        "__typename": "RetriedVariant",
        "trackId": track,
        "format": "OPUS",
        "bitrateKbps": 96,
        "state": "PENDING",
    }
    row = await registry.get_variant(engine, library.ids[FLAC], opus)
    assert row is not None
    assert row.state == "pending"
    again = (await gql(client, RETRY, id=track, format="OPUS", kbps=96))["retryVariant"]
    assert again["__typename"] == "VariantNotFailedError"


@pytest.mark.parametrize(("fmt", "kbps"), [("OPUS", 97), ("FLAC", 320), ("MP3", 320)])
async def test_retrying_a_variant_that_is_not_offered_is_a_typed_error(
    client: httpx.AsyncClient, library: Library, fmt: str, kbps: int
) -> None:
    track = track_global_id(library.ids[MP3])  # 128 kbps MP3: offers only Opus 96
    data = await gql(client, RETRY, id=track, format=fmt, kbps=kbps)
    assert data["retryVariant"]["__typename"] == "VariantNotOfferedError"


async def test_listeners_cannot_see_or_retry_the_queue(
    accounts_app: FastAPI, library: Library, engine: AsyncEngine
) -> None:
    listener = await make_user(engine, "listener")
    transport = httpx.ASGITransport(app=accounts_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        client.headers.update(listener.bearer)
        for query, variables in (
            (QUEUE, {}),
            (RETRY, {"id": track_global_id(library.ids[FLAC]), "format": "OPUS", "kbps": 96}),
        ):
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
