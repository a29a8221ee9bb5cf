"""Playlist latency on a 10,000-item playlist, through GraphQL over HTTP to ``tonearm serve``.

    .venv/bin/python benchmarks/playlists.py [--items 10000] [--requests 300]

Builds a temporary SQLite registry (10,000 tracks from ``benchmarks/graphql_api.py``'s row
builder), a listener with a token and one static playlist of ``--items`` items added through
``playlists.service`` (1,000 per call, as ``addToPlaylist`` takes them), starts the real
server (``tonearm serve``, one worker) on loopback and times sequential requests on one
keep-alive connection (p50 and p95 of ``--requests`` each):

  first page   ``playlist(id) { items(first: 20) }`` with position, addedAt and track fields
  page 100     the same with ``first: 100``
  deep page    20 items after the 5,000th (keyset cursor)
  move         ``movePlaylistItem`` of a random item to a random position (a write + commit)
  reference    ``tracks(first: 20)`` and ``tracks(first: 100)`` with the same track fields,
               measured in the same run on the same server

Targets (issue 13): first page p50 < 15 ms, a move p50 < 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from benchmarks.graphql_api import build_rows, free_port, start, wait_until_up  # noqa: E402
from tonearm.accounts.api_tokens import create_api_token  # noqa: E402
from tonearm.accounts.users import create_user  # noqa: E402
from tonearm.catalog.access import Reader  # noqa: E402
from tonearm.db.engine import create_engine, create_session_factory  # noqa: E402
from tonearm.db.migrations import upgrade_to_head  # noqa: E402
from tonearm.db.models import PlaylistItemRecord, TrackRecord  # noqa: E402
from tonearm.playlists import service  # noqa: E402
from tonearm.schema.ids import PLAYLIST_ITEM_TYPE_NAME, PLAYLIST_TYPE_NAME, global_id  # noqa: E402

VENV_BIN = Path(sys.executable).parent
TRACK_FIELDS = "id title artist albumArtist durationSeconds"
ITEMS = (
    "query($id: ID!, $first: Int, $after: String) { playlist(id: $id) { "
    "items(first: $first, after: $after) { edges { cursor node { id position addedAt "
    f"track {{ {TRACK_FIELDS} }} }} }} pageInfo {{ hasNextPage endCursor }} }} }} }}"
)
TRACKS = (
    "query($first: Int) { tracks(first: $first) { edges { cursor node { "
    f"{TRACK_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)
MOVE = (
    "mutation($p: ID!, $i: ID!, $to: Int!) { movePlaylistItem(playlistId: $p, itemId: $i, "
    "toPosition: $to) { __typename ... on Playlist { id } } }"
)


async def build(url: str, items: int) -> tuple[str, str, list[str]]:
    """Tracks, a user with a token and one playlist; its global id and its item ids."""
    engine = create_engine(url)
    rows = build_rows(10_000)
    async with engine.begin() as connection:
        for begin in range(0, len(rows), 5000):
            await connection.execute(insert(TrackRecord), rows[begin : begin + 5000])
    sessions = create_session_factory(engine)
    async with sessions.begin() as session:
        user = await create_user(session, username="bench", password="benchmark-password")
        _, token = await create_api_token(session, user=user, name="benchmark")
    reader = Reader(user.id)
    rng = random.Random(5)
    track_ids = [row["id"] for row in rows]
    async with sessions.begin() as session:
        playlist = await service.create_playlist(session, reader=reader, name="Ten thousand")
        for begin in range(0, items, 1000):
            chosen = [rng.choice(track_ids) for _ in range(min(1000, items - begin))]
            await service.add_to_playlist(
                session, reader=reader, playlist_id=playlist.id, track_ids=chosen
            )
    async with sessions() as session:
        item_ids: list[uuid.UUID] = list(
            (
                await session.scalars(
                    select(PlaylistItemRecord.id)
                    .where(PlaylistItemRecord.playlist_id == playlist.id)
                    .order_by(PlaylistItemRecord.position)
                )
            ).all()
        )
    await engine.dispose()
    return (
        global_id(PLAYLIST_TYPE_NAME, playlist.id),
        token,
        [global_id(PLAYLIST_ITEM_TYPE_NAME, item_id) for item_id in item_ids],
    )


class Client:
    """Sequential GraphQL POSTs on one keep-alive connection."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}

    def post(self, query: str, variables: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        """One request: the seconds it took and the decoded answer (errors raise)."""
        body = json.dumps({"query": query, "variables": variables})
        started = time.perf_counter()
        self.connection.request("POST", "/graphql", body=body, headers=self.headers)
        response = self.connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        answer: dict[str, Any] = json.loads(payload)
        if response.status != 200 or "errors" in answer:
            raise RuntimeError(f"unexpected answer {response.status}: {payload[:500]!r}")
        return elapsed, answer


def measure(
    client: Client, name: str, requests: int, make: Any, check: Any = None
) -> tuple[str, float, float]:
    """p50 and p95 in ms of ``requests`` calls of ``make()`` → (query, variables)."""
    for _ in range(30):  # warm up
        client.post(*make())
    times = []
    for _ in range(requests):
        elapsed, answer = client.post(*make())
        if check is not None:
            check(answer)
        times.append(elapsed * 1000)
    times.sort()
    return name, statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> int:
    """Build, serve, measure, print the table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tonearm-playlist-bench-"))
    server = None
    client: Client | None = None
    try:
        url = f"sqlite+aiosqlite:///{workdir / 'tonearm.db'}"
        upgrade_to_head(url)
        started = time.perf_counter()
        playlist, token, item_ids = asyncio.run(build(url, args.items))
        took = time.perf_counter() - started
        print(f"registry: 10,000 tracks, {len(item_ids)} items in {took:.1f} s")
        (workdir / "media").mkdir()
        env = {
            **os.environ,
            "TONEARM_DATABASE_URL": url,
            "TONEARM_DATA_DIR": str(workdir),
            "TONEARM_MEDIA_ROOT": str(workdir / "media"),
            "TONEARM_LOG_LEVEL": "warning",
            "TONEARM_SECRET_KEY": "benchmark-secret-key-0123456789",
            "PYTHONPATH": str(ROOT),
        }
        port = free_port()
        command = [str(VENV_BIN / "tonearm"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        server = start(command, env, workdir / "api.log")
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        client = Client(port, token)
        _, answer = client.post(ITEMS, {"id": playlist, "first": 100})
        deep = answer["data"]["playlist"]["items"]["edges"]
        assert len(deep) == 100
        cursor = None
        for _ in range(50):  # walk to the 5,000th item
            _, answer = client.post(ITEMS, {"id": playlist, "first": 100, "after": cursor})
            cursor = answer["data"]["playlist"]["items"]["pageInfo"]["endCursor"]
        rng = random.Random(9)

        def first_page_check(answer: dict[str, Any]) -> None:
            assert answer["data"]["playlist"]["items"]["edges"][19]["node"]["position"] == 19

        def deep_check(answer: dict[str, Any]) -> None:
            assert answer["data"]["playlist"]["items"]["edges"][0]["node"]["position"] == 5000

        def moved(answer: dict[str, Any]) -> None:
            assert answer["data"]["movePlaylistItem"]["__typename"] == "Playlist"

        count = len(item_ids)
        rows = [
            measure(
                client,
                "playlist items(first: 20)",
                args.requests,
                lambda: (ITEMS, {"id": playlist, "first": 20}),
                first_page_check,
            ),
            measure(
                client,
                "playlist items(first: 100)",
                args.requests,
                lambda: (ITEMS, {"id": playlist, "first": 100}),
            ),
            measure(
                client,
                "items after the 5,000th",
                args.requests,
                lambda: (ITEMS, {"id": playlist, "first": 20, "after": cursor}),
                deep_check,
            ),
            measure(
                client,
                "movePlaylistItem (random)",
                args.requests,
                lambda: (
                    MOVE,
                    {"p": playlist, "i": rng.choice(item_ids), "to": rng.randrange(count)},
                ),
                moved,
            ),
            measure(
                client,
                "reference tracks(first: 20)",
                args.requests,
                lambda: (TRACKS, {"first": 20}),
            ),
            measure(
                client,
                "reference tracks(first: 100)",
                args.requests,
                lambda: (TRACKS, {"first": 100}),
            ),
        ]
        print(
            f"\n{count} items, SQLite, one `tonearm serve` worker, {args.requests} sequential "
            "requests each on one keep-alive loopback connection\n"
        )
        print(f"{'scenario':<32}{'p50 ms':>9}{'p95 ms':>9}")
        for name, p50, p95 in rows:
            print(f"{name:<32}{p50:>9.2f}{p95:>9.2f}")
        first, _, _, move, reference, _ = rows
        print(f"\nfirst page / tracks(first: 20): x{first[1] / reference[1]:.2f}")
        for label, ok in {
            "first page p50 < 15 ms": first[1] < 15,
            "move p50 < 10 ms": move[1] < 10,
        }.items():
            print(f"  {'ok  ' if ok else 'MISS'} {label}")
    finally:
        if client is not None:
            client.connection.close()  # an open keep-alive connection delays shutdown
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
