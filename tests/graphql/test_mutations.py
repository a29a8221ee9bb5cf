"""Mutations: ``createStreamUrl`` (minting) and ``scanLibrary``."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql, error_codes
from tests.graphql.seed import insert_and_group, insert_rows, track
from tests.support.audio import write_mp3

MINT = """mutation($id: ID!) { createStreamUrl(trackId: $id) {
  __typename ... on StreamUrl { url expiresAt } ... on TrackNotFoundError { message trackId } } }"""
SCAN = """mutation { scanLibrary { added updated unchanged removed skipped
  skippedFiles { path reason } elapsedSeconds } }"""
TRACK_ID = uuid.UUID("0b7f6c2e-8a3d-4f1e-9c5b-2d4e6f8a0b1c")
GLOBAL_ID = base64.b64encode(f"Track:{TRACK_ID}".encode()).decode()


async def test_mint_returns_signed_relative_url_expiring_after_ttl(
    gql: Gql, engine: AsyncEngine, app: FastAPI
) -> None:
    await insert_rows(engine, [track(1, title="Song", track_id=TRACK_ID)])
    before = int(time.time())
    body = await gql(MINT, {"id": GLOBAL_ID})
    after = int(time.time())
    result = body["data"]["createStreamUrl"]
    assert result["__typename"] == "StreamUrl"
    url = urlsplit(result["url"])
    assert (url.scheme, url.netloc, url.path) == ("", "", f"/api/tracks/{TRACK_ID}/stream")
    (token,) = parse_qs(url.query)["token"]
    services = app.state.services
    grant = services.signer.verify(token, TRACK_ID)
    expires_at = datetime.fromisoformat(result["expiresAt"])
    assert expires_at.utcoffset() is not None
    assert int(expires_at.timestamp()) == grant.expires_at
    assert before + services.settings.stream_url_ttl <= grant.expires_at
    assert grant.expires_at <= after + services.settings.stream_url_ttl


async def test_mint_for_unknown_track_is_track_not_found(gql: Gql) -> None:
    body = await gql(MINT, {"id": GLOBAL_ID})
    assert body == {
        "data": {
            "createStreamUrl": {
                "__typename": "TrackNotFoundError",
                "message": "No track has this ID.",
                "trackId": GLOBAL_ID,
            }
        }
    }


async def test_mint_with_malformed_id_is_invalid_id(gql: Gql) -> None:
    body = await gql(MINT, {"id": "nope"})
    assert body["data"] is None
    assert error_codes(body) == ["INVALID_ID"]


async def test_scan_registers_files_and_reports_relative_skipped_paths(
    gql: Gql, media_root: Path
) -> None:
    write_mp3(
        media_root / "Artist" / "Album" / "01.mp3",
        title="One",
        artist="Artist",
        album="Album",
        track="1",
    )
    write_mp3(
        media_root / "Artist" / "Album" / "02.mp3",
        title="Two",
        artist="Artist",
        album="Album",
        track="2",
        key=3,
    )
    (media_root / "Artist" / "broken.mp3").write_bytes(b"this is not audio" * 100)
    body = await gql(SCAN)
    summary = body["data"]["scanLibrary"]
    assert {k: summary[k] for k in ("added", "updated", "unchanged", "removed", "skipped")} == {
        "added": 2,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "skipped": 1,
    }
    assert [item["path"] for item in summary["skippedFiles"]] == ["Artist/broken.mp3"]
    assert summary["skippedFiles"][0]["reason"]
    assert str(media_root) not in str(body)
    assert summary["elapsedSeconds"] >= 0
    listed = await gql("{ tracks { edges { node { title album { title } } } } }")
    assert [edge["node"] for edge in listed["data"]["tracks"]["edges"]] == [
        {"title": "One", "album": {"title": "Album"}},
        {"title": "Two", "album": {"title": "Album"}},
    ]


async def test_scanned_track_can_be_minted(gql: Gql, media_root: Path, app: FastAPI) -> None:
    write_mp3(media_root / "a.mp3", title="Only", artist="Someone")
    await gql(SCAN)
    node_id = (await gql("{ tracks { edges { node { id } } } }"))["data"]["tracks"]["edges"][0][
        "node"
    ]["id"]
    result = (await gql(MINT, {"id": node_id}))["data"]["createStreamUrl"]
    track_id = uuid.UUID(base64.b64decode(node_id).decode().removeprefix("Track:"))
    token = parse_qs(urlsplit(result["url"]).query)["token"][0]
    assert app.state.services.signer.verify(token, track_id).track_id == track_id


async def test_library_totals(gql: Gql, engine: AsyncEngine) -> None:
    await insert_and_group(
        engine,
        [
            track(1, title="A", artist="X", album="Hits", duration_seconds=100.0),
            track(2, title="B", artist="X", album="Hits", duration_seconds=50.5),
            track(3, title="C", artist="Guest", album_artist="X", album="Live", duration_seconds=1),
            track(4, title="D", artist="Y", album="Hits", duration_seconds=10.0),
            track(5, title="E", artist="Y", album=None, duration_seconds=20.0),
            track(6, title="F", artist=None, album="Hits", duration_seconds=30.0),
        ],
    )
    body = await gql("{ library { trackCount artistCount albumCount totalDurationSeconds } }")
    assert body == {
        "data": {
            "library": {
                "trackCount": 6,
                # X, Guest, Y: the artists of tracks and albums
                "artistCount": 3,
                # Hits by X, Live by X, Hits by Y, Hits without an artist
                "albumCount": 4,
                "totalDurationSeconds": 211.5,
            }
        }
    }
