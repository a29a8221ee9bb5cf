"""Shares over real HTTP: ``tonearm serve`` (granian, several workers, each with its own
memo) — anonymous GraphQL, a share's stream, and a revoke that stops it within the bound."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.streaming.test_real_server import LONG_DRIVE, _free_port, _wait_healthy
from tests.support.accounts import make_user
from tonearm.catalog.access import Reader
from tonearm.db.engine import create_engine, create_session_factory
from tonearm.db.models import TrackRecord
from tonearm.schema.ids import global_id
from tonearm.shares import service
from tonearm.shares.access import ShareKind

SHARED = """query($key: String!) { sharedItem(key: $key) { __typename
  ... on SharedItem { target { __typename
      ... on SharedAlbum { title tracks { id title } } } } } }"""
MINT = """mutation($key: String!, $t: ID!) { createShareStreamUrl(key: $key, trackId: $t) {
  __typename ... on StreamUrl { url } } }"""


@pytest.fixture(scope="module")
def server(demo_library: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tonearm serve --scan --workers 2`` over the demo library; yields its base URL."""
    workdir = tmp_path_factory.mktemp("shares-real-server")
    port = _free_port()
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(workdir / "data"),
        "TONEARM_SECRET_KEY": TEST_SECRET,
        "TONEARM_MEDIA_ROOT": str(demo_library),
        "TONEARM_FRONTEND_DIR": str(workdir / "no-frontend"),
        "TONEARM_LOG_LEVEL": "warning",
        "TONEARM_AUTH": "required",
        "TONEARM_WORKERS": "2",
        "TONEARM_WORKERS_EMBEDDED": "0",
    }
    env.pop("TONEARM_DATABASE_URL", None)
    log = (workdir / "server.log").open("wb")
    command = [sys.executable, "-m", "tonearm.cli", "serve", "--scan"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, base_url, workdir / "server.log")
        yield base_url + "|" + str(workdir / "data" / "tonearm.db")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def _share_of_long_drives_album(db_path: str) -> tuple[str, str, Any]:
    """A user and a live share of the album holding Long Drive, written to the server's DB."""
    engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
    try:
        owner = await make_user(engine, "owner")
        async with create_session_factory(engine)() as session:
            from sqlalchemy import select

            track = await session.scalar(select(TrackRecord).where(TrackRecord.path == LONG_DRIVE))
            assert track is not None
            assert track.album_id is not None
            record = await service.create_share(
                session,
                reader=Reader(owner.record.id),
                request=service.ShareRequest(kind=ShareKind.ALBUM, target_id=track.album_id),
                max_days=90,
            )
            await session.commit()
            return record.key, global_id("Track", track.id), record.id
    finally:
        await engine.dispose()


async def _revoke(db_path: str, share_id: Any) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
    try:
        async with create_session_factory(engine)() as session:
            assert await service.revoke_share(
                session, reader=Reader(None, is_admin=True), share_id=share_id
            )
            await session.commit()
    finally:
        await engine.dispose()


def test_a_share_streams_anonymously_and_stops_within_five_seconds_of_a_revoke(
    server: str,
) -> None:
    base_url, db_path = server.split("|")
    key, track_id, share_id = asyncio.run(_share_of_long_drives_album(db_path))
    with httpx.Client(base_url=base_url, timeout=10) as http:
        item = http.post("/graphql", json={"query": SHARED, "variables": {"key": key}}).json()
        assert "errors" not in item, item
        target = item["data"]["sharedItem"]["target"]
        assert target["title"] == "First Light"
        assert track_id in [t["id"] for t in target["tracks"]]
        minted = http.post(
            "/graphql", json={"query": MINT, "variables": {"key": key, "t": track_id}}
        ).json()["data"]["createShareStreamUrl"]
        assert minted["__typename"] == "StreamUrl"
        ranged = {"Range": "bytes=0-65535"}
        first = http.get(minted["url"], headers=ranged)
        assert (first.status_code, len(first.content)) == (206, 65536)
        # Anything else of the library stays closed to this client.
        tracks = http.post("/graphql", json={"query": "{ tracks { totalCount } }"}).json()
        assert tracks["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

        asyncio.run(_revoke(db_path, share_id))
        revoked_at = time.monotonic()
        statuses: list[int] = []
        while time.monotonic() - revoked_at < 7.0:
            # Several connections: the workers each keep their own memo.
            with httpx.Client(base_url=base_url, timeout=10) as fresh:
                statuses.append(fresh.get(minted["url"], headers=ranged).status_code)
            if statuses[-3:] == [404, 404, 404]:
                break
            time.sleep(0.2)
        assert statuses[-3:] == [404, 404, 404], statuses
        assert time.monotonic() - revoked_at < 6.5
        assert set(statuses) <= {206, 404}
